"""Warnings PyTorch gives only once per process (its ``TORCH_WARN_ONCE``).

``backward(create_graph=True)``'s reference-cycle warning is one: the first
call in a process warns, later ones are silent. ``set_warn_always(True)``
makes such warnings appear every time, as ``torch.set_warn_always`` does
(the parity tests turn it on for both libraries, so that each program sees
its warnings whatever ran before it).
"""

import warnings

_always = False
_given = set()  # the messages already given in this process


def set_warn_always(b):
    """Give once-per-process warnings every time (True) or once (False, the default)."""
    global _always
    _always = bool(b)


def is_warn_always_enabled():
    return _always


def warn_once(message, category=UserWarning, stacklevel=1):
    """``warnings.warn``, the first time this ``message`` is given in this process."""
    if _always or message not in _given:
        _given.add(message)
        warnings.warn(message, category, stacklevel=stacklevel + 1)
