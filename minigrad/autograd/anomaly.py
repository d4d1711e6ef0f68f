"""Anomaly detection: remember where each node was created, to blame it later.

When on, every recorded operation keeps the stack of the forward call that
created it. If its backward then fails (a version-counter error, say), the
engine first warns with that stack, pointing at the line that made the node.
"""

from ..graph import anomaly_state as _anomaly


def is_anomaly_enabled():
    return getattr(_anomaly, "enabled", False)


class set_detect_anomaly:
    """Turn anomaly detection on or off: a plain call, or a ``with`` block."""

    def __init__(self, mode, check_nan=True):
        self.previous = is_anomaly_enabled()
        _anomaly.enabled = bool(mode)

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        _anomaly.enabled = self.previous
        return False


class detect_anomaly(set_detect_anomaly):
    """``with detect_anomaly():`` turns detection on for the block."""

    def __init__(self, check_nan=True):
        super().__init__(True, check_nan)
