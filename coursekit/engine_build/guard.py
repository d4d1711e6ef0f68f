"""No shortcut: a piece must be the learner's own code, not minigrad's answer.

``refusal(piece_id, obj)`` returns why ``obj`` is not accepted as the
learner's piece, or None. It refuses minigrad's own object (the same object,
a copy of its code, a subclass of it, a class that borrows its methods) and
code that calls it through a name the learner kept (``ref = ...``). Code that
reaches it at run time another way (``minigrad.scalar.topological_order(r)``)
is stopped by the trial instead, which switches the reference off.
"""

from __future__ import annotations

import threading
from pathlib import Path

import coursekit
import minigrad

from . import pieces, plugs
from .inspection import functions_of, global_names

_OUR_FOLDERS = tuple(
    str(Path(package.__file__).resolve().parent) for package in (minigrad, coursekit)
)
_HARMLESS_BASES = (object, threading.local, *plugs.ALLOWED_BASES)


def _all_references():
    found = list(plugs.ALSO_REFUSED)
    for plug in plugs.PLUGS.values():
        found += plug.references()
    return found


def _name_of(obj):
    module = getattr(obj, "__module__", None) or "?"
    return f"{module}.{getattr(obj, '__qualname__', getattr(obj, '__name__', repr(obj)))}"


def _is_ours(code) -> bool:
    """Code written in minigrad's or coursekit's own files."""
    try:
        filename = str(Path(code.co_filename).resolve())
    except (OSError, ValueError):
        return False
    return filename.startswith(_OUR_FOLDERS)


def _values_reached(function, allowed_names):
    """What a function can reach by name: its globals, closure cells and defaults.

    Names in ``allowed_names`` are other pieces it may call (they may be minigrad's).
    """
    names = global_names(function.__code__) - set(allowed_names)
    values = [function.__globals__.get(name) for name in names]
    for cell in function.__closure__ or ():
        try:
            values.append(cell.cell_contents)
        except ValueError:  # an empty cell
            pass
    values += list(function.__defaults__ or ()) + list((function.__kwdefaults__ or {}).values())
    return values


def _same(value, reference):
    if value is reference:
        return True
    unwrapped = getattr(value, "__func__", None) or getattr(value, "__wrapped__", None)
    return unwrapped is reference


def refusal(piece_id: str, obj) -> str | None:
    """Why ``obj`` cannot count as the learner's piece ``piece_id`` (None: it can).

    Any piece's reference is refused as the object itself; what the code calls
    is refused only if it is this piece's reference (using ``mg.no_grad`` in an
    optimizer step is fine, writing GradMode with it is not).
    """
    own = plugs.PLUGS[piece_id].references()
    allowed_names = [pieces.get(used).name for used in pieces.get(piece_id).uses]
    references = _all_references()
    reference_codes = {id(f.__code__) for r in references for f in functions_of(r)}
    for reference in references:
        if _same(obj, reference):
            return f"this is minigrad's own {_name_of(reference)}, not code you wrote"
    module = getattr(obj, "__module__", None) or ""
    if module.split(".")[0] in ("minigrad", "coursekit"):
        return f"this is {_name_of(obj)}, defined inside {module.split('.')[0]}, not by you"
    if isinstance(obj, type):
        for base in obj.__mro__[1:]:
            if base in _HARMLESS_BASES:
                continue
            if (base.__module__ or "").split(".")[0] in ("minigrad", "coursekit"):
                return (
                    f"your class is built on {_name_of(base)}, minigrad's own code: "
                    "write the piece yourself"
                )
    for function in functions_of(obj):
        if id(function.__code__) in reference_codes or _is_ours(function.__code__):
            return f"{function.__qualname__} is minigrad's own code, not code you wrote"
        for value in _values_reached(function, allowed_names):
            for reference in own:
                if _same(value, reference):
                    return (
                        f"{function.__qualname__} uses minigrad's own {_name_of(reference)}: "
                        "write the piece yourself"
                    )
    return None


def _names_used(code) -> set:
    """Every name ``code`` (and code nested in it) reads: globals and attributes alike."""
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _names_used(const)
    return names


def reached_helper(obj, helpers) -> str | None:
    """The name of the first of ``helpers`` (coursekit functions that would do an exercise for
    the learner) that ``obj`` is, or that its code calls: by a name it imported, or as an
    attribute of a module it reaches (``measure.graph_memory(out)``). None if none."""
    for helper in helpers:
        if _same(obj, helper):
            return helper.__name__
    for function in functions_of(obj):
        names = _names_used(function.__code__)
        for value in _values_reached(function, ()):
            for helper in helpers:
                if _same(value, helper):
                    return helper.__name__
                if (
                    isinstance(value, type(threading))
                    and helper.__name__ in names
                    and getattr(value, helper.__name__, None) is helper
                ):
                    return helper.__name__
    return None
