"""Every test of the build starts from minigrad's own engine and an empty my_engine/ folder."""

import pytest

import minigrad as mg
from coursekit.engine_build.switchboard import BOARD


@pytest.fixture(autouse=True)
def fresh_engine(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIGRAD_MY_ENGINE", str(tmp_path / "my_engine"))
    BOARD.remove_all()
    yield tmp_path / "my_engine"
    BOARD.remove_all()
    assert mg.is_grad_enabled() and not mg.is_inference_mode_enabled(), "a test leaked grad mode"
