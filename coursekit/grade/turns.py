"""Workers take turns: cells run side by side, and a cell run again after a timeout runs alone."""

from __future__ import annotations

import fcntl
from contextlib import contextmanager
from pathlib import Path


class Turns:
    """Workers run cells side by side; a cell run again after a timeout runs alone.

    Two lock files shared by the workers of one run: a cell takes the
    ``cells`` lock shared, a cell that must run alone takes it exclusively,
    and the ``gate`` keeps new cells from starting while one waits to run alone.
    """

    def __init__(self, folder):
        self.folder = Path(folder) if folder else None

    @contextmanager
    def _locked(self, exclusive: bool):
        if self.folder is None:
            yield
            return
        with (
            open(self.folder / "gate.lock", "a") as gate,
            open(self.folder / "cells.lock", "a") as c,
        ):
            fcntl.flock(gate, fcntl.LOCK_EX)
            try:
                fcntl.flock(c, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            finally:
                if not exclusive:
                    fcntl.flock(gate, fcntl.LOCK_UN)
            try:
                yield
            finally:
                fcntl.flock(c, fcntl.LOCK_UN)
                fcntl.flock(gate, fcntl.LOCK_UN)

    def side_by_side(self):
        return self._locked(exclusive=False)

    def alone(self):
        return self._locked(exclusive=True)
