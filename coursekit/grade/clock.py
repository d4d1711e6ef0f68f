"""The kernel's clock: time that does not depend on how busy the machine is."""

from __future__ import annotations

import time


class KernelClock:
    """The seconds a kernel has had: wall-clock time less its waits for a CPU.

    Linux counts, for every thread, the time it was ready to run but waited
    for a CPU (the second number in ``/proc/PID/schedstat``).  Subtracting it
    from the wall clock leaves the time the kernel's main thread (where
    cells run) computed, slept or waited for input -- the same on a busy
    machine as on a quiet one.  Where the file cannot be read (macOS), this
    is the wall clock.
    """

    def __init__(self, pid: int | None):
        self.path = f"/proc/{pid}/schedstat" if pid else None
        self.waited = 0.0
        if self.path is not None and self._waited() is None:
            self.path = None

    @property
    def load_free(self) -> bool:
        return self.path is not None

    def _waited(self):
        try:
            with open(self.path, encoding="ascii") as f:
                return int(f.read().split()[1]) / 1e9
        except (OSError, ValueError, IndexError):
            return None

    def now(self) -> float:
        if self.path is not None:
            waited = self._waited()
            if waited is not None:  # None once the process is gone: keep the last reading
                self.waited = waited
        return time.monotonic() - self.waited


def child_pid(pid: int):
    """The first child process of ``pid``, or None."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as f:
            children = f.read().split()
        return int(children[0]) if children else None
    except (OSError, ValueError):
        return None
