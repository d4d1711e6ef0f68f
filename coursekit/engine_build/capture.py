"""A learner's piece as a file: its source, with what it needs to run on its own.

A function written in a notebook cell cannot be pickled, but its source can
be read (IPython keeps every cell's text). ``capture(obj, piece)`` writes the
piece's source, preceded by the imports and the helper functions it uses, so
that ``restore`` can bring it back in a fresh kernel, next week. Other pieces
it calls by name (``topological_order`` in ``run_backward``) are *not*
copied: they are whatever the learner's engine has then.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import linecache
import textwrap
import types

from .inspection import functions_of, global_names


class SourceNotFound(ValueError):
    """The source of a learner's object could not be read."""


def _class_source_from_methods(cls):
    """A class's source found through its methods' file (works for notebook cells)."""
    for function in functions_of(cls):
        code = function.__code__
        lines = linecache.getlines(code.co_filename)
        if not lines:
            continue
        tree = ast.parse("".join(lines))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.ClassDef)
                and node.name == cls.__name__
                and node.lineno <= code.co_firstlineno <= node.end_lineno
            ):
                start = min([node.lineno] + [d.lineno for d in node.decorator_list])
                return "".join(lines[start - 1 : node.end_lineno])
    raise SourceNotFound(f"could not find the source of class {cls.__name__}")


def source_of(obj) -> str:
    """The source text of a function or class, dedented."""
    if getattr(obj, "__name__", None) == "<lambda>":
        raise SourceNotFound("a lambda cannot be saved as a piece: write it with def")
    try:
        text = inspect.getsource(obj)
    except (OSError, TypeError):
        if not isinstance(obj, type):
            raise SourceNotFound(f"could not read the source of {obj!r}") from None
        text = _class_source_from_methods(obj)
    return textwrap.dedent(text)


def _names_used(obj, text):
    """Global names the object's code reads (for a class: its methods, bases, decorators)."""
    names = set()
    for function in functions_of(obj):
        names |= global_names(function.__code__)
    for node in ast.parse(text).body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            parts = list(node.decorator_list)
            if isinstance(node, ast.ClassDef):
                parts += node.bases + [k.value for k in node.keywords]
                parts += [s for s in node.body if not isinstance(s, ast.FunctionDef)]
            for part in parts:
                names |= {n.id for n in ast.walk(part) if isinstance(n, ast.Name)}
    return names - set(dir(builtins))


def _namespace_of(obj):
    for function in functions_of(obj):
        return function.__globals__
    module = importlib.import_module(obj.__module__)
    return vars(module)


def _literal(value):
    if value is None or type(value) in (bool, int, float, str):
        return True
    return type(value) is tuple and all(_literal(v) for v in value)


def _importable(value):
    """``from module import name`` that gives back exactly ``value``, or None."""
    module = getattr(value, "__module__", None)
    qualname = getattr(value, "__qualname__", None)
    if not module or not qualname or "." in qualname or module == "__main__":
        return None
    try:
        if getattr(importlib.import_module(module), qualname) is value:
            return module, qualname
    except Exception:  # noqa: BLE001 - any failure means "not importable"
        return None
    return None


def capture(obj, piece, header="") -> str:
    """The text of ``my_engine/<piece id>.py`` for the learner's ``obj``."""
    own_module = getattr(obj, "__module__", None)
    skip = {piece.name} | {used.split(".")[1] for used in piece.uses}
    imports, helpers, notes = [], [], []
    done = set()

    def collect(thing, text):
        namespace = _namespace_of(thing)
        for name in sorted(_names_used(thing, text)):
            if name in skip or name in done or name not in namespace:
                continue
            done.add(name)
            value = namespace[name]
            if isinstance(value, types.ModuleType):
                imports.append(
                    f"import {value.__name__}"
                    if value.__name__ == name
                    else f"import {value.__name__} as {name}"
                )
            elif (
                isinstance(value, (types.FunctionType, type))
                and getattr(value, "__module__", None) == own_module
                and value.__name__ == name
            ):
                helper = source_of(value)
                collect(value, helper)
                helpers.append(helper)
            elif _importable(value):
                module, qualname = _importable(value)
                alias = "" if qualname == name else f" as {name}"
                imports.append(f"from {module} import {qualname}{alias}")
            elif _literal(value):
                helpers.append(f"{name} = {value!r}\n")
            else:
                notes.append(f"# not saved: {name} ({type(value).__name__})")

    text = source_of(obj)
    collect(obj, text)
    parts = [header.rstrip() + "\n" if header else ""]
    parts += [line + "\n" for line in sorted(set(imports))]
    parts += [line + "\n" for line in notes]
    parts += ["\n\n" + helper.rstrip() + "\n" for helper in helpers]
    parts += ["\n\n" + text.rstrip() + "\n"]
    if getattr(obj, "__name__", piece.name) != piece.name:  # written under another name
        parts.append(f"\n\n{piece.name} = {obj.__name__}\n")
    return "".join(parts)


def restore(text, filename, piece, others):
    """Run a saved piece's file and return the piece; ``others``: {name: object} of the
    pieces it calls by name, as the learner's engine has them now."""
    namespace = {"__name__": f"my_engine_{piece.id.replace('.', '_')}", "__file__": filename}
    namespace.update(others)
    linecache.checkcache(filename)
    exec(compile(text, filename, "exec"), namespace)  # noqa: S102 - the learner's own saved code
    if piece.name not in namespace:
        raise SourceNotFound(f"{filename} does not define {piece.name}")
    return namespace[piece.name]
