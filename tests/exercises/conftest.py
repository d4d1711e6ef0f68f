"""Every mutation test starts and ends with an empty progress table and grad mode on."""

import pytest

from coursekit.progress import reset
from minigrad import grad_mode


@pytest.fixture(autouse=True)
def fresh_check_state():
    reset()
    grad_mode.reset()
    yield
    reset()
    grad_mode.reset()
