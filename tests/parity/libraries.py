"""The two libraries a parity program runs on, loaded the same way every time."""

import importlib


def load(name):
    """Import ``'torch'`` or ``'minigrad'`` ready for a parity run.

    PyTorch shows some warnings only once per process (``TORCH_WARN_ONCE``,
    e.g. ``x.T`` on a tensor that is not 2-D). Which program would see them
    would then depend on which ran first, so for recording they are switched
    to "every time" with ``torch.set_warn_always(True)``; minigrad gives the
    same warnings once per process too, and has the same switch.
    """
    module = importlib.import_module(name)
    module.set_warn_always(True)
    return module
