"""A piece as code: the functions it is made of, and the global names they read.

Saving a piece (``capture.py``), refusing minigrad's own answer (``guard.py``) and
switching minigrad's own piece off (``switchboard.py``) all look at a piece this way.
"""

from __future__ import annotations

import dis
import types


def functions_of(obj) -> list:
    """The plain functions that make up ``obj``: itself (a bound method: its function), or
    the methods its class defines itself (static and class methods, property getters)."""
    if isinstance(obj, types.FunctionType):
        return [obj]
    if isinstance(obj, types.MethodType):
        return [obj.__func__]
    if not isinstance(obj, type):
        return []
    found = []
    for member in vars(obj).values():
        if isinstance(member, (staticmethod, classmethod)):
            member = member.__func__
        elif isinstance(member, property):
            member = member.fget
        if isinstance(member, types.FunctionType):
            found.append(member)
    return found


def global_names(code) -> set:
    """The global names that ``code``, and the code nested in it, read."""
    names = set()
    for instruction in dis.get_instructions(code):
        if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
            names.add(instruction.argval)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= global_names(const)
    return names
