"""Tests ported from PyTorch's test/test_autograd.py: each runs on both libraries.

Every test takes ``lib`` and runs twice: on PyTorch 2.13.0 (marked
``torch_live``: it must pass there, which is how we know the test is right)
and on minigrad. A test that minigrad fails today carries
``@pytest.mark.differs("root cause")``: its minigrad run is a strict xfail,
so it turns into a failure the day minigrad passes, and the marker goes.
"""

import pytest

HERE = __import__("pathlib").Path(__file__).resolve().parent


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "differs(reason): minigrad differs from PyTorch here today (strict xfail on minigrad)",
    )


@pytest.fixture(params=[pytest.param("torch", marks=pytest.mark.torch_live), "minigrad"])
def lib(request):
    """The library the test runs on (``torch`` or ``minigrad``)."""
    from tests.parity.libraries import load

    return load(request.param)


def pytest_collection_modifyitems(config, items):
    for item in items:
        marker = item.get_closest_marker("differs")
        callspec = getattr(item, "callspec", None)
        if marker is None or callspec is None or callspec.params.get("lib") != "minigrad":
            continue
        item.add_marker(pytest.mark.xfail(strict=True, reason=marker.args[0]))
