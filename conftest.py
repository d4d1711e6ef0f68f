"""pytest's root configuration: what is never collected, however pytest is called.

``exercises/`` holds the notebooks as handed out to learners: their gaps fail
by design, so nbval must never run them, not even under ``pytest .``
(tests/exercises/ runs them on purpose and checks that they fail).

Under the tests, every ``side_by_side`` comparison in a lecture must find the
PyTorch answer recorded for it, and with PyTorch installed that recording must
be what PyTorch answers live (coursekit/compare.py). nbval's kernels inherit
this process's environment, so setting it here covers every lecture cell.

The same way, every check cell and setup cell that runs under the tests keeps
the learner's engine (``my_engine/``, coursekit/BUILD.md) in a temporary
folder: running solutions/ or exercises/ writes nothing into the repository.
"""

import atexit
import os
import shutil
import tempfile

collect_ignore = ["exercises"]


def pytest_configure(config):
    os.environ.setdefault("COURSEKIT_CHECK_RECORDINGS", "1")
    if not os.environ.get("MINIGRAD_MY_ENGINE"):
        folder = tempfile.mkdtemp(prefix="my_engine-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        os.environ["MINIGRAD_MY_ENGINE"] = os.path.join(folder, "my_engine")
