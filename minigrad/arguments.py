"""Arguments checked as PyTorch's argument parser checks them, in its words.

PyTorch parses every call's arguments against the signatures it declares and
refuses what fits none with a TypeError that names the argument, its position
and the type it wanted. minigrad's operations call the helpers here for the
same refusals (dims, sizes, keepdim), so a wrong call reads as it would in
PyTorch. A method call (``t.sum('a')``) counts its arguments from 1; a
module-level call (``mg.sum(t, 'a')``) counts the tensor too.
"""

import operator

import numpy as np

from .tensor import NOT_GIVEN, Tensor


def dim_or_axis(dim, axis, function):
    """The ``dim`` argument, which PyTorch also takes under numpy's name, ``axis``."""
    if axis is not NOT_GIVEN:
        if dim is not NOT_GIVEN:  # PyTorch's parser takes axis for dim only when dim is absent
            raise TypeError(f"{function}() got an unexpected keyword argument 'axis'")
        return axis
    if dim is NOT_GIVEN:
        raise TypeError(f'{function}() missing 1 required positional arguments: "dim"')
    return dim


def int_tuple(values, function, argument):
    """``(2, 3)`` from ``f(2, 3)`` or ``f((2, 3))``, refused as PyTorch's argument parser
    refuses it: the first entry must be an int (it tells a sequence of ints apart); after
    it a bool passes as 0 or 1, anything else is refused with the entry's position."""
    if not values:
        raise TypeError(f'{function}() missing 1 required positional arguments: "{argument}"')
    sequence = len(values) == 1 and isinstance(values[0], (tuple, list))
    if len(values) == 1 and not sequence and not is_int(values[0]):
        raise wrong_type(function, argument, 1, "tuple of ints", values[0])
    values = tuple(values[0]) if sequence else values
    if values and not is_int(values[0]):
        if sequence:
            raise wrong_type(function, argument, 1, "tuple of ints", values[0], "element")
        raise argument_error(
            lambda as_function: _too_many_positional(function, len(values), as_function)
        )
    for position, v in enumerate(values[1:], 2):
        if not is_int(v) and not isinstance(v, bool):
            raise TypeError(
                f"{function}(): argument '{argument}' failed to unpack the object at pos "
                f'{position} with error "type must be tuple of ints,but got {type(v).__name__}"'
            )
    return tuple(operator.index(v) for v in values)


def _too_many_positional(function, given, as_function):
    takes = 1 + as_function
    plural = "s" if takes > 1 else ""
    return f"{function}() takes {takes} positional argument{plural} but {given + as_function} were given"


def int_argument(value, function, argument, position=1):
    """``value`` as an int (a dimension), anything else refused with the TypeError of
    PyTorch's argument parser: ``t.transpose(0, 1.0)`` names ``dim1`` at position 2."""
    if not is_int(value):
        raise wrong_type(function, argument, position, "int", value)
    return operator.index(value)


def bool_argument(value, function, argument="keepdim", position=None):
    """``keepdim`` must be a bool: PyTorch's parser refuses even 1 and None.

    PyTorch: the message says "(position 2)" when keepdim came by position; minigrad
    cannot tell ``t.sum(0, None)`` from ``t.sum(0, keepdim=None)`` and words it as the latter.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise wrong_type(function, argument, position, "bool", value)
    return bool(value)


def dims_argument(dim, function, overloads, args, kwargs=None):
    """The ``dim`` of a reduction or ``squeeze``, an int or a sequence of ints, as a tuple.

    Anything else fits none of ``function``'s ``overloads``: refused as PyTorch's parser
    refuses it (``no_overload_fits``, with the call's ``args`` and ``kwargs``).
    """
    if is_int(dim):
        return (operator.index(dim),)
    if isinstance(dim, (tuple, list)) and (not dim or is_int(dim[0])):
        return int_tuple((dim,), function, "dim")
    raise no_overload_fits(function, overloads, args, kwargs)


def argument_error(text_for):
    """A TypeError of PyTorch's argument parser. ``text_for(as_function)`` words it: a
    method call (``t.sum('a')``) counts its arguments from 1, a module-level call
    (``mg.sum(t, 'a')``) counts the tensor too, and its wrapper
    (``ops.common.tensor_function``) asks for that text."""
    error = TypeError(text_for(False))
    error.text_for = text_for
    return error


def wrong_type(function, argument, position, expected, value, found="not"):
    """The parser's message for one argument of the wrong type; ``position`` None: the
    argument came by keyword, which the message does not number."""

    def text(as_function):
        where = f" (position {position + as_function})" if position else ""
        what = (
            f"but found element of type {type(value).__name__} at pos 0"
            if found == "element"
            else f"not {type(value).__name__}"
        )
        return f"{function}(): argument '{argument}'{where} must be {expected}, {what}"

    return argument_error(text)


def no_overload_fits(function, overloads, args, kwargs=None):
    """PyTorch's TypeError when none of ``function``'s overloads takes the arguments.

    ``overloads`` holds the signatures as PyTorch prints them, the method's and the
    module-level function's (``args`` starts with the tensor, which only the latter
    counts). Under each signature with as many parameters as there are arguments, the
    parser says why it does not fit: a keyword it lacks, or the arguments (of the
    wrong types between ``!``). Like PyTorch's, it takes a parameter's name to be the
    last word of its text (``keepdim = False`` is named ``False``).
    """
    kwargs = kwargs or {}

    def text(as_function):
        given = args if as_function else args[1:]
        names = [type(a).__name__ for a in given] + [
            f"{k}={type(v).__name__}" for k, v in kwargs.items()
        ]
        lines = [
            f"{function}() received an invalid combination of arguments - got "
            f"{_listed(names, given, kwargs)}, but expected one of:"
        ]
        for option in overloads[as_function]:
            lines.append(f" * {option}")
            parameters = option[1:-1].split(", ")
            if len(parameters) == len(given) + len(kwargs):
                lines.append(f"      didn't match because {_mismatch(parameters, given, kwargs)}")
        return "\n".join(lines) + "\n"

    return argument_error(text)


def _listed(names, given, kwargs):
    """``(Tensor, float)``; only keywords: ``(dim=float, )``, as PyTorch prints them."""
    return "(" + ", ".join(names) + (", " if kwargs and not given else "") + ")"


def _mismatch(parameters, given, kwargs):
    names = [p.rpartition(" ")[2] for p in parameters]
    unknown = [k for k in kwargs if k not in names[max(len(names) - len(kwargs), 0) :]]
    if unknown:
        return "some of the keywords were incorrect: " + ", ".join(unknown)
    shown = []
    for i, parameter in enumerate(parameters):
        keyword = i >= len(given)
        value = kwargs.get(names[i]) if keyword else given[i]
        kind = parameter.rpartition(" ")[0]
        fits = type(value).__name__ in {"int": ("int",), "float": ("float", "int")}.get(
            kind, (kind,)
        )
        text = (f"{names[i]}=" if keyword else "") + _type_shown(value)
        shown.append(text if fits else f"!{text}!")
    return "some of the arguments have invalid types: " + _listed(shown, given, kwargs)


def _type_shown(value):
    """A value's type as the parser shows it: ``tuple of (float, int)``, ``list of [int]``."""
    if isinstance(value, (tuple, list)):
        inner = ", ".join(type(v).__name__ for v in value)
        if isinstance(value, tuple):
            return f"tuple of ({inner}{',' if len(value) == 1 else ''})"
        return f"list of [{inner}]"
    return type(value).__name__


def is_int(value):
    """An int, or a 0-d integer tensor (PyTorch takes ``ones(t.sum())``), but no bool."""
    if isinstance(value, Tensor):
        return value.ndim == 0 and value._data.dtype.kind in "iu"
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)
