"""minigrad prints tensors exactly as PyTorch 2.13 does.

Expected strings come from PyTorch: the literal ones below were printed by
torch 2.13, tensor_str_cases.json holds ~200 reprs recorded by
record_tensor_str_cases.py, and when torch is installed a hypothesis property
compares with live ``repr(torch.tensor(array))`` (``torch.`` read as
``minigrad.``).
"""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from minigrad._tensor_str import dtype_suffix_needed, format_tensor

HERE = Path(__file__).parent
MODULE_PATH = HERE.parents[1] / "minigrad" / "_tensor_str.py"
RECORDED = json.loads((HERE / "tensor_str_cases.json").read_text())["cases"]
DTYPES = ["float32", "float64", "int64", "int32", "bool"]
NAN, INF = math.nan, math.inf


def as_minigrad(torch_repr):
    """PyTorch's text with minigrad's namespace, as minigrad should print it."""
    return torch_repr.replace("torch.", "minigrad.")


def array_of(case):
    return np.array(case["data"], dtype=case["dtype"]).reshape(case["shape"])


# --- Recorded PyTorch output (runs without torch) ---------------------------


@pytest.mark.parametrize("case", RECORDED, ids=[c["name"] for c in RECORDED])
def test_repr_matches_recorded_pytorch_output(case):
    assert format_tensor(array_of(case), case["suffixes"]) == as_minigrad(case["torch_repr"])


# --- Named examples (strings printed by torch 2.13) -------------------------


def test_course_matrix_with_requires_grad_is_aligned_with_four_decimals():
    a = np.array(
        [
            [0.2824, -0.3715, 0.9088, -1.7601],
            [-0.1806, 2.0937, 1.0406, -1.7651],
            [1.1216, 0.8440, 0.1783, 0.6859],
        ],
        dtype=np.float32,
    )
    assert format_tensor(a, ["requires_grad=True"]) == (
        "tensor([[ 0.2824, -0.3715,  0.9088, -1.7601],\n"
        "        [-0.1806,  2.0937,  1.0406, -1.7651],\n"
        "        [ 1.1216,  0.8440,  0.1783,  0.6859]], requires_grad=True)"
    )


def test_zero_dim_tensor_prints_the_bare_number():
    assert format_tensor(np.array(6.1559, dtype=np.float32)) == "tensor(6.1559)"


def test_grad_fn_suffix_follows_a_zero_dim_value():
    z = np.array(-32.7122, dtype=np.float32)
    expected = "tensor(-32.7122, grad_fn=<SumBackward0>)"
    assert format_tensor(z, ["grad_fn=<SumBackward0>"]) == expected


def test_integer_valued_floats_print_with_a_trailing_dot_right_aligned():
    grad = np.array([[9, 9, 9], [12, 12, 12], [15, 15, 15]], dtype=np.float32)
    assert format_tensor(grad) == (
        "tensor([[ 9.,  9.,  9.],\n        [12., 12., 12.],\n        [15., 15., 15.]])"
    )


def test_integers_and_bools_print_like_python():
    assert format_tensor(np.array([3, -10, 200])) == "tensor([  3, -10, 200])"
    assert format_tensor(np.array([True, False])) == "tensor([ True, False])"


def test_non_default_dtypes_are_named_default_ones_are_not():
    assert format_tensor(np.array([1.5, 2.0])) == "tensor([1.5000, 2.0000], dtype=minigrad.float64)"
    assert format_tensor(np.array([1, 2], dtype=np.int32)) == "tensor([1, 2], dtype=minigrad.int32)"
    assert format_tensor(np.array([1, 2], dtype=np.int64)) == "tensor([1, 2])"


def test_a_dtype_suffix_from_the_caller_is_optional_and_never_repeated():
    a = np.array([1.5, 2.0])
    expected = "tensor([1.5000, 2.0000], dtype=minigrad.float64, requires_grad=True)"
    assert format_tensor(a, ["requires_grad=True"]) == expected
    assert format_tensor(a, ["dtype=minigrad.float64", "requires_grad=True"]) == expected


def test_empty_tensor_shows_size_then_dtype_then_the_callers_suffixes():
    a = np.zeros((0, 3), dtype=np.float64)
    assert format_tensor(a, ["dtype=minigrad.float64", "requires_grad=True"]) == (
        "tensor([], size=(0, 3), dtype=minigrad.float64, requires_grad=True)"
    )
    assert format_tensor(np.zeros((2, 0), dtype=np.float32)) == "tensor([], size=(2, 0))"
    assert format_tensor(np.zeros(0, dtype=np.float32)) == "tensor([])"


def test_empty_int64_and_bool_tensors_name_their_dtype():
    # No entries to show the type, so even the default int64 and bool are named.
    assert format_tensor(np.zeros(0, dtype=np.int64)) == "tensor([], dtype=minigrad.int64)"
    expected = "tensor([], size=(1, 0), dtype=minigrad.bool)"
    assert format_tensor(np.zeros((1, 0), dtype=bool)) == expected


def test_tiny_huge_or_widely_spread_values_switch_to_scientific_notation():
    def show(*values):
        return format_tensor(np.array(values, dtype=np.float32))

    assert show(1e-5, 1.0) == "tensor([1.0000e-05, 1.0000e+00])"  # smallest below 1e-4
    assert show(2e8, 3.0) == "tensor([2.0000e+08, 3.0000e+00])"  # largest above 1e8
    assert show(1.0, 1000.5) == "tensor([1.0000e+00, 1.0005e+03])"  # ratio above 1000
    assert show(1.0, 1000.0) == "tensor([   1., 1000.])"  # ratio of exactly 1000


def test_the_format_is_decided_on_float32_values_widened_to_double():
    # float32(1e-4) is 9.99999974e-05, just below the 1e-4 limit; float64 is not.
    as_float32 = np.array([1e-4, 0.05], dtype=np.float32)
    assert format_tensor(as_float32) == "tensor([1.0000e-04, 5.0000e-02])"
    as_float64 = np.array([1e-4, 0.05], dtype=np.float64)
    assert format_tensor(as_float64) == "tensor([0.0001, 0.0500], dtype=minigrad.float64)"


def test_nan_inf_and_negative_zero_keep_their_own_spelling():
    assert format_tensor(np.array([0.0, NAN, -0.0], dtype=np.float32)) == "tensor([0., nan, -0.])"
    infinities = np.array([INF, 0.5, -INF], dtype=np.float32)
    assert format_tensor(infinities) == "tensor([   inf, 0.5000,   -inf])"
    assert format_tensor(np.array(-0.0, dtype=np.float32)) == "tensor(-0.)"


def test_long_rows_wrap_with_the_same_count_of_entries_per_line():
    a = np.arange(20, dtype=np.float32) + 0.5
    assert format_tensor(a) == (
        "tensor([ 0.5000,  1.5000,  2.5000,  3.5000,  4.5000,  5.5000,  6.5000,  7.5000,\n"
        "         8.5000,  9.5000, 10.5000, 11.5000, 12.5000, 13.5000, 14.5000, 15.5000,\n"
        "        16.5000, 17.5000, 18.5000, 19.5000])"
    )


def test_deeper_dimensions_are_separated_by_blank_lines():
    a = np.arange(8, dtype=np.int64).reshape(2, 2, 2)
    assert format_tensor(a) == (
        "tensor([[[0, 1],\n         [2, 3]],\n\n        [[4, 5],\n         [6, 7]]])"
    )


def test_more_than_1000_elements_show_only_the_ends_which_alone_set_the_format():
    a = np.arange(1001, dtype=np.float32)
    a[500] = 1e20  # hidden in the summary, so it must not force scientific notation
    assert format_tensor(a) == "tensor([   0.,    1.,    2.,  ...,  998.,  999., 1000.])"
    exactly_1000 = format_tensor(np.arange(1000) % 3)
    assert exactly_1000.startswith("tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2,")
    assert "..." not in exactly_1000


def test_summarised_matrix_elides_rows_and_columns():
    a = np.arange(40 * 30, dtype=np.int64).reshape(40, 30)
    assert format_tensor(a) == (
        "tensor([[   0,    1,    2,  ...,   27,   28,   29],\n"
        "        [  30,   31,   32,  ...,   57,   58,   59],\n"
        "        [  60,   61,   62,  ...,   87,   88,   89],\n"
        "        ...,\n"
        "        [1110, 1111, 1112,  ..., 1137, 1138, 1139],\n"
        "        [1140, 1141, 1142,  ..., 1167, 1168, 1169],\n"
        "        [1170, 1171, 1172,  ..., 1197, 1198, 1199]])"
    )


def test_a_suffix_that_would_pass_80_columns_starts_a_new_line():
    a = np.array([-0.003, -0.4768, -0.252, 1.7495, 1.4869, 1.1021, 0.1765, -1.2101, 0.1941])
    assert format_tensor(a, ["requires_grad=True"]) == (
        "tensor([-0.0030, -0.4768, -0.2520,  1.7495,  1.4869,  1.1021,  0.1765, -1.2101,\n"
        "         0.1941], dtype=minigrad.float64, requires_grad=True)"
    )
    b = np.array([38.2, -6.68, -38.28, 17.52, 30.85, -22.01, 5.0])
    assert format_tensor(b) == (
        "tensor([ 38.2000,  -6.6800, -38.2800,  17.5200,  30.8500, -22.0100,   5.0000],\n"
        "       dtype=minigrad.float64)"
    )


def test_a_suffix_that_would_end_exactly_at_column_80_also_moves():
    # The one-line form would be exactly 80 characters; PyTorch still breaks.
    a = np.full(6, 1.5, dtype=np.float32)
    assert format_tensor(a, ["grad_fn=<MulBackward0>"]) == (
        "tensor([1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000],\n       grad_fn=<MulBackward0>)"
    )
    b = np.full(10, 10.0, dtype=np.float32)  # 79 characters: stays on the line
    assert format_tensor(b, ["requires_grad=True"]) == (
        "tensor([10., 10., 10., 10., 10., 10., 10., 10., 10., 10.], requires_grad=True)"
    )


def test_line_breaks_fall_where_pytorch_puts_them_despite_our_longer_dtype_name():
    # "dtype=torch.float64" still fits PyTorch's line; "minigrad." is 3 longer,
    # but the repr must keep PyTorch's layout to match it line for line.
    a = np.array([0.00015, 0.12345, 2.00005, 1.99995])
    assert format_tensor(a) == (
        "tensor([1.5000e-04, 1.2345e-01, 2.0000e+00, 1.9999e+00], dtype=minigrad.float64)"
    )


@pytest.mark.parametrize(
    ("dtype", "empty", "needed"),
    [
        (np.float32, False, False),
        (np.int64, False, False),
        (np.bool_, False, False),
        (np.float64, False, True),
        (np.int32, False, True),
        (np.float16, False, True),
        (np.float32, True, False),
        (np.int64, True, True),
        (np.bool_, True, True),
        (np.float64, True, True),
    ],
)
def test_dtype_suffix_is_needed_only_for_non_default_dtypes(dtype, empty, needed):
    # The table is PyTorch's _str_intern rule: has_default_dtype for data,
    # "dtype != default dtype" for empty tensors.
    assert dtype_suffix_needed(np.dtype(dtype), empty=empty) is needed


def test_module_imports_with_numpy_only():
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('tensor_str', {str(MODULE_PATH)!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "assert 'torch' not in sys.modules and 'minigrad' not in sys.modules\n"
        "print(module.format_tensor(module.np.array([1.0, 2.0], dtype='float32')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "tensor([1., 2.])"


# --- Live comparison with PyTorch (skipped without torch) -------------------


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def test_recorded_cases_still_match_the_installed_pytorch(torch):
    for case in RECORDED:
        tensor = torch.tensor(array_of(case))
        if case["suffixes"]:
            tensor.requires_grad_()
            if case["suffixes"][0].startswith("grad_fn="):
                continue  # the grad_fn name depends on how the case was built
        assert repr(tensor) == case["torch_repr"], case["name"]


SPECIAL_FLOATS = st.sampled_from([0.0, -0.0, NAN, INF, -INF, 1e-4, 1e8, 1000.0, 0.00005])

BIG_SHAPES = st.one_of(
    st.tuples(st.integers(1001, 1400)),
    st.tuples(st.integers(32, 45), st.integers(32, 45)),
    st.tuples(st.integers(4, 6), st.integers(200, 300)),
    st.tuples(st.integers(8, 12), st.integers(8, 12), st.integers(16, 20)),
    st.tuples(*[st.integers(6, 8)] * 4),
)


def float_elements(draw, dtype):
    """One kind of value per array, so both fixed and scientific layouts occur."""
    kind = draw(st.sampled_from(["integers", "everyday", "one_magnitude", "anything"]))
    if kind == "integers":  # "3." layout
        values = st.integers(-1000, 1000).map(float)
    elif kind == "everyday":  # 4 decimals
        values = st.floats(-10, 10)
    elif kind == "one_magnitude":  # tiny to huge, scientific notation at the ends
        exponent = draw(st.integers(-12, 12))
        values = st.floats(-10, 10).map(lambda x: x * 10.0**exponent)
    else:  # nan, inf, subnormals, extremes, mixed magnitudes
        values = st.floats(width=32 if dtype == "float32" else 64)
    if draw(st.booleans()):
        values = st.one_of(values, SPECIAL_FLOATS)
    # Round to the array's precision, as storing in the array would.
    cast = np.float32 if dtype == "float32" else np.float64
    return values.map(lambda x: float(cast(x)))


@st.composite
def arrays(draw):
    """Arrays of every dtype and rank 0-4, empty ones and >1000-element ones included."""
    dtype = draw(st.sampled_from(DTYPES))
    if draw(st.integers(0, 7)) == 0:
        # Summarised tensors: numpy data from a drawn seed keeps generation fast.
        shape = draw(BIG_SHAPES)
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        values = rng.standard_normal(shape) * 10.0 ** draw(st.integers(-10, 10))
        if draw(st.booleans()):
            values = np.round(values)
        if dtype == "bool":
            return values > 0
        if dtype in ("int64", "int32"):
            return np.clip(values, -(2**31), 2**31 - 1).astype(dtype)
        return values.astype(dtype)
    min_side = draw(st.sampled_from([0, 1, 1, 1]))  # empty tensors now and then
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=min_side, max_side=5))
    if dtype == "bool":
        elements = st.booleans()
    elif dtype in ("int64", "int32"):
        info = np.iinfo(dtype)
        elements = st.one_of(st.integers(-1000, 1000), st.integers(int(info.min), int(info.max)))
    else:
        elements = float_elements(draw, dtype)
    return draw(hnp.arrays(dtype, shape, elements=elements))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(array=arrays(), grad=st.sampled_from(["none", "requires_grad", "grad_fn"]), data=st.data())
def test_repr_matches_live_pytorch_for_random_arrays(torch, array, grad, data):
    tensor = torch.tensor(array)
    suffixes = []
    if grad != "none" and array.dtype.kind == "f":
        tensor.requires_grad_()
        if grad == "grad_fn":
            tensor = tensor * 1  # same values, now with a grad_fn
            suffixes.append("grad_fn=<MulBackward0>")
        else:
            suffixes.append("requires_grad=True")
        # A caller may pass its own dtype= item; it must not change the result.
        if data.draw(st.booleans()):
            suffixes.insert(0, f"dtype=minigrad.{array.dtype.name}")
    assert format_tensor(array, suffixes) == as_minigrad(repr(tensor))
