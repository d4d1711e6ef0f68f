"""``python -m coursekit.grade CHAPTER SUBMISSIONS --out DIR``: see ``--help``."""

import sys

from .cli import main

sys.exit(main())
