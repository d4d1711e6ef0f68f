"""pytest's root configuration: what is never collected, however pytest is called.

``exercises/`` holds the notebooks as handed out to learners: their gaps fail
by design, so nbval must never run them, not even under ``pytest .``
(tests/exercises/ runs them on purpose and checks that they fail).

Under the tests, every ``side_by_side`` comparison in a lecture must find the
PyTorch answer recorded for it, and with PyTorch installed that recording must
be what PyTorch answers live (coursekit/compare.py). nbval's kernels inherit
this process's environment, so setting it here covers every lecture cell.
"""

import os

collect_ignore = ["exercises"]


def pytest_configure(config):
    os.environ.setdefault("COURSEKIT_CHECK_RECORDINGS", "1")
