"""Anomaly detection: remember where each node was created, to blame it later.

When on, every recorded operation keeps the stack of the forward call that
created it. If its backward then fails (a version-counter error, say), the
engine first warns with that stack, pointing at the line that made the node.
With ``check_nan`` (the default) the engine also checks every gradient a
node returns, and a nan raises at the node that made it.
"""

import warnings

from ..graph import anomaly_state as _anomaly


def is_anomaly_enabled():
    return _anomaly.enabled


def is_anomaly_check_nan_enabled():
    return _anomaly.check_nan


def _set(mode, check_nan):
    _anomaly.enabled, _anomaly.check_nan = bool(mode), bool(check_nan)


class set_detect_anomaly:
    """Turn anomaly detection on or off: a plain call, or a ``with`` block."""

    def __init__(self, mode, check_nan=True):
        self.previous = (is_anomaly_enabled(), is_anomaly_check_nan_enabled())
        _set(mode, check_nan)

    def __enter__(self):
        return None

    def __exit__(self, *exc):  # (None: an error in the block goes on, as in PyTorch)
        _set(*self.previous)


class detect_anomaly:
    """``with detect_anomaly():`` turns detection on for the block (and warns that it
    slows everything down)."""

    def __init__(self, check_nan=True):
        self.previous = (is_anomaly_enabled(), is_anomaly_check_nan_enabled())
        self.check_nan = check_nan
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and "
            "should only be enabled for debugging.",
            UserWarning,
            stacklevel=2,
        )

    def __enter__(self):
        _set(True, self.check_nan)

    def __exit__(self, *exc):  # (None: an error in the block goes on, as in PyTorch)
        _set(*self.previous)
