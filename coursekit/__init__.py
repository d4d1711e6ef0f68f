"""coursekit: the course's own tools, kept apart from the minigrad engine.

* ``check("ch02.unbroadcast")`` and ``progress()`` -- used in exercise notebooks;
* ``python -m coursekit.release`` -- makes exercises/ from solutions/;
* ``python -m coursekit.grade`` -- grades a class of submitted notebooks.
"""

from .checks import check
from .progress import progress

__all__ = ["check", "progress"]
