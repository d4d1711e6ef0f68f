"""The training layer against PyTorch: same weights and data, same observations.

The default tests compare minigrad with the recordings in recordings/ (made
by record_nn.py from torch 2.13.0), so they need no PyTorch. The tests marked
torch_live run the programs on the installed PyTorch now and compare live.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from nn_programs import DIGITS_STEPS, PROGRAMS

import minigrad as mg
import minigrad.nn  # binds mg.nn and mg.optim even if minigrad's __init__
import minigrad.optim  # does not import them itself

RECORDINGS = Path(__file__).resolve().parent / "recordings"

# float32 arithmetic done in a different order drifts by a few units in the
# last place per op; these bounds are far below any real difference in rules.
RTOL, ATOL = 1e-4, 1e-5


# Programs whose observations are numbers; grad_fn_names has its own test below.
NUMERIC = sorted(set(PROGRAMS) - {"grad_fn_names"})

# Outputs whose backward node PyTorch computes with one fused op that the
# engine does not have yet; minigrad composes them from smaller ops (so the
# values and gradients match, see above) and its last node is named after
# the last small op. Each needs the named engine op to match.
FUSED_OPS_MISSING = {}


def recorded(name):
    return json.loads((RECORDINGS / f"{name}.json").read_text())


def run_on_minigrad(name, init):
    program, _ = PROGRAMS[name]
    mg.manual_seed(0)
    return program(mg, init)


def assert_same(actual, expected, path="observed", rtol=RTOL, atol=ATOL):
    """Compare nested dicts/lists of numbers, naming the first place they differ."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), path
        assert sorted(actual) == sorted(expected), f"{path}: keys differ"
        for key in expected:
            assert_same(actual[key], expected[key], f"{path}[{key!r}]", rtol, atol)
    elif isinstance(expected, (bool, str)) or expected is None:
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"
    elif isinstance(expected, list) and expected and not isinstance(expected[0], (int, float)):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{path}: length"
        for index, (a, e) in enumerate(zip(actual, expected)):
            assert_same(a, e, f"{path}[{index}]", rtol, atol)
    else:
        np.testing.assert_allclose(
            np.asarray(actual, dtype=np.float64),
            np.asarray(expected, dtype=np.float64),
            rtol=rtol,
            atol=atol,
            err_msg=path,
        )


@pytest.mark.parametrize("name", NUMERIC)
def test_program_observations_match_the_pytorch_recording(name):
    recording = recorded(name)
    assert recording["torch_version"].startswith("2.13.0")
    assert_same(run_on_minigrad(name, recording["init"]), recording["observed"])


def test_recordings_observe_something_that_changes():
    # Guards the comparisons above against comparing constants: training moves
    # the loss and the weights, and BatchNorm's running statistics leave their
    # initial zeros and ones.
    for name in ("sgd_linear_mse", "sgd_momentum_weight_decay", "adam_default"):
        observed = recorded(name)["observed"]
        assert len(set(observed["losses"])) == len(observed["losses"])
        first, last = observed["params"][0], observed["params"][-1]
        assert any(first[k] != last[k] for k in first)
    bn = recorded("batchnorm_running_stats")["observed"]
    assert bn["running_mean"][-1] != [0.0] * 4 and bn["running_var"][-1] != [1.0] * 4
    assert bn["num_batches_tracked"] == [1, 2, 3]


def test_digits_mlp_losses_match_pytorch_step_for_step():
    recording = recorded("digits_mlp_sgd")
    losses = run_on_minigrad("digits_mlp_sgd", recording["init"])["losses"]
    assert len(losses) == DIGITS_STEPS
    np.testing.assert_allclose(losses, recording["observed"]["losses"], rtol=1e-4)
    assert losses[-1] < losses[0] * 0.5  # the steps compared are real learning


@pytest.mark.parametrize(
    "output",
    [
        pytest.param(name, marks=pytest.mark.xfail(reason=f"engine op needed: {missing}"))
        if (missing := FUSED_OPS_MISSING.get(name))
        else name
        for name in recorded("grad_fn_names")["observed"]
    ],
)
def test_layer_outputs_have_pytorchs_grad_fn_name(output):
    expected = recorded("grad_fn_names")["observed"][output]
    assert run_on_minigrad("grad_fn_names", None)[output] == expected


@pytest.mark.torch_live
@pytest.mark.parametrize("name", NUMERIC)
def test_program_observations_match_live_pytorch(name):
    pytest.importorskip("torch")
    from record_nn import record

    live = record(name)
    # The stored recording still says what this PyTorch says...
    assert_same(live["observed"], recorded(name)["observed"], "recording")
    # ...and minigrad, from PyTorch's freshly drawn initial weights, agrees.
    assert_same(run_on_minigrad(name, live["init"]), live["observed"])


@pytest.mark.torch_live
def test_grad_fn_name_recording_is_what_live_pytorch_says():
    pytest.importorskip("torch")
    from record_nn import record

    assert record("grad_fn_names")["observed"] == recorded("grad_fn_names")["observed"]
