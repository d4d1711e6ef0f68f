"""Every mutation test starts and ends with an empty progress table and grad mode on, and
keeps the pieces its checks save in a folder of its own."""

import pytest

from coursekit.progress import reset
from minigrad import grad_mode


@pytest.fixture(autouse=True)
def fresh_check_state(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIGRAD_MY_ENGINE", str(tmp_path / "my_engine"))  # a check saves pieces
    reset()
    grad_mode.reset()
    yield
    reset()
    grad_mode.reset()
