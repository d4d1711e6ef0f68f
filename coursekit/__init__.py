"""coursekit: the course's own tools, kept apart from the minigrad engine.

* ``check("ch02.unbroadcast")`` and ``progress()`` -- used in exercise notebooks;
* ``python -m coursekit.progress`` -- your progress through the whole course (my_engine/);
* ``python -m coursekit.release`` -- makes exercises/ from solutions/;
* ``python -m coursekit.grade`` -- grades a class of submitted notebooks.
"""

import warnings

from .checks import check
from .progress import progress

# ``python -m coursekit.progress`` runs a module this package has just imported (for
# ``progress``); runpy warns that it runs it a second time, which is harmless here.
warnings.filterwarnings(
    "ignore", message="'coursekit.progress' found in sys.modules", category=RuntimeWarning
)

__all__ = ["check", "progress"]
