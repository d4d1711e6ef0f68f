"""dtypes: how they are inferred from data and promoted in mixed operations.

Two sources of truth, never minigrad itself:
- PyTorch's documented rules and examples ("Type promotion" in
  https://pytorch.org/docs/stable/tensor_attributes.html, and the dtype
  inference of https://pytorch.org/docs/stable/generated/torch.tensor.html),
  written out below as hand tables;
- PyTorch itself, run live on the same operands (those tests skip when torch
  is not installed).
"""

import numpy as np
import pytest

import minigrad as mg


def test_dtypes_print_and_alias_like_torch():
    assert repr(mg.float32) == "minigrad.float32"
    assert mg.float is mg.float32 and mg.double is mg.float64 and mg.long is mg.int64
    assert mg.float32.is_floating_point and mg.float64.is_floating_point
    assert not mg.int64.is_floating_point and not mg.bool.is_floating_point


# --- inference from data --------------------------------------------------------
@pytest.mark.parametrize(
    "data, expected",
    [
        (1.0, "float32"),
        ([1.0, 2.0], "float32"),
        (1, "int64"),
        ([1, 2], "int64"),
        (True, "bool"),
        ([True, False], "bool"),
        ([1, 2.0], "float32"),  # one float makes the whole tensor float
        ([True, 1], "int64"),  # bool and int: int
        ([[1], [2.5]], "float32"),
        (2**40, "int64"),
        (np.array([1.0]), "float64"),  # numpy arrays keep their dtype
        (np.array([1.0], dtype=np.float32), "float32"),
        (np.array([1], dtype=np.int32), "int32"),
        (np.array([1], dtype=np.int64), "int64"),
        (np.array([True]), "bool"),
        (np.float64(2.0), "float64"),  # so do numpy scalars
        (np.int32(4), "int32"),
    ],
    ids=repr,
)
def test_dtype_is_inferred_from_the_data_as_pytorch_documents(data, expected):
    assert mg.tensor(data).dtype is getattr(mg, expected)


def test_numpy_scalars_inside_a_list_keep_their_dtype():
    """torch.tensor([np.float64(1.0), 2.0]).dtype is torch.float64 (recorded from torch 2.13)."""
    assert mg.tensor([np.float64(1.0), 2.0]).dtype is mg.float64


# --- promotion: the documented examples ---------------------------------------------
def _operand(kind):
    """A named operand: a 1-element tensor, a 0-d tensor (suffix _0) or a Python number."""
    table = {
        "float32": (mg.float32, 1.0),
        "float64": (mg.float64, 1.0),
        "int64": (mg.int64, 1),
        "int32": (mg.int32, 1),
        "bool": (mg.bool, True),
    }
    if kind in ("py_int", "py_float", "py_bool"):
        return {"py_int": 5, "py_float": 2.5, "py_bool": True}[kind]
    if kind.endswith("_0"):
        dtype, value = table[kind[:-2]]
        return mg.tensor(value, dtype=dtype)
    dtype, value = table[kind]
    return mg.ones(1, dtype=dtype)


# (a, b, result of a + b), from the "Type promotion" section of the PyTorch docs:
# the highest category wins (bool < integer < float); inside it, dimensioned
# tensors beat 0-d tensors, which beat Python numbers; Python ints count as
# int64 and Python floats as the default dtype float32.
DOCUMENTED_PROMOTIONS = [
    ("int32", "py_int", "int32"),  # (int_tensor + 5).dtype -> int32
    ("int32", "int64_0", "int32"),  # (int_tensor + long_zerodim).dtype -> int32
    ("int64", "int32", "int64"),  # (long_tensor + int_tensor).dtype -> int64
    ("bool", "int64", "int64"),  # (bool_tensor + long_tensor).dtype -> int64
    ("float32", "float64", "float64"),  # (float_tensor + double_tensor).dtype -> float64
    ("bool", "int32", "int32"),  # (bool_tensor + int_tensor).dtype -> int32
    ("int64", "float32", "float32"),  # torch.add(long_tensor, float_tensor).dtype -> float32
    # The same rules applied to other pairs:
    ("int64", "py_float", "float32"),  # a Python float is the default dtype
    ("float64", "py_float", "float64"),
    ("float32", "float64_0", "float32"),  # same category: the dimensioned tensor wins
    ("int32", "float64_0", "float64"),  # higher category 0-d tensor: its dtype
    ("bool", "py_bool", "bool"),
    ("bool", "py_int", "int64"),
    ("int32_0", "int64_0", "int64"),  # two 0-d tensors: ordinary promotion
]


@pytest.mark.parametrize(
    "a, b, expected", DOCUMENTED_PROMOTIONS, ids=[f"{a}+{b}" for a, b, _ in DOCUMENTED_PROMOTIONS]
)
def test_mixed_operations_promote_as_pytorch_documents(a, b, expected):
    x, y = _operand(a), _operand(b)
    assert (x + y).dtype is getattr(mg, expected)
    assert (y + x).dtype is getattr(mg, expected)  # promotion does not depend on order
    assert (x * y).dtype is getattr(mg, expected)


def test_add_of_two_python_numbers_gives_an_int64_tensor():
    """The docs' first example: torch.add(5, 5).dtype is torch.int64."""
    assert mg.add(5, 5).dtype is mg.int64


def test_true_division_of_integers_gives_the_default_float():
    assert (mg.tensor([1, 2]) / mg.tensor([2, 2])).dtype is mg.float32
    assert (mg.tensor([1, 2]) / 2).tolist() == [0.5, 1.0]


@pytest.mark.parametrize("op", ["exp", "log", "sqrt", "tanh", "sigmoid"])
def test_floating_point_functions_of_integers_give_the_default_float(op):
    assert getattr(mg, op)(mg.tensor([1, 2])).dtype is mg.float32


def test_sum_of_integers_or_bools_gives_int64():
    assert mg.tensor([1, 2], dtype=mg.int32).sum().dtype is mg.int64
    assert mg.tensor([True, True, False]).sum().dtype is mg.int64
    assert mg.tensor([True, True, False]).sum().item() == 2


# --- in-place operations cannot change a tensor's dtype --------------------------
@pytest.mark.parametrize(
    "target, other",
    [
        ("float32", "float32"),
        ("float32", "int32"),
        ("float32", "bool"),
        ("float32", "float64"),
        ("int32", "int64"),
    ],
)
def test_inplace_operation_keeps_the_dtype_when_the_result_can_be_cast(target, other):
    """Allowed by the docs: float_tensor *= double_tensor, int_tensor *= long_tensor, ..."""
    t = _operand(target)
    t *= _operand(other)
    assert t.dtype is getattr(mg, target)


@pytest.mark.parametrize(
    "target, other, message",
    [
        ("int32", "float32", "result type Float can't be cast to the desired output type Int"),
        ("bool", "int32", "result type Int can't be cast to the desired output type Bool"),
        ("int64", "py_float", "result type Float can't be cast to the desired output type Long"),
    ],
)
def test_inplace_operation_refuses_a_result_of_a_higher_category(target, other, message):
    """Disallowed by the docs: int_tensor *= float_tensor, bool_tensor *= int_tensor."""
    t = _operand(target)
    with pytest.raises(RuntimeError, match=message):
        t *= _operand(other)


# --- checked live against PyTorch ------------------------------------------------------
KINDS = [
    "float32",
    "float64",
    "int64",
    "int32",
    "bool",
    "float32_0",
    "float64_0",
    "int64_0",
    "int32_0",
    "bool_0",
    "py_int",
    "py_float",
    "py_bool",
]
PAIRS = [(a, b) for a in KINDS for b in KINDS if not (a.startswith("py") and b.startswith("py"))]


def _torch_operand(torch, kind):
    x = _operand(kind)
    if not isinstance(x, mg.Tensor):
        return x
    return torch.tensor(x.tolist(), dtype=getattr(torch, x.dtype.name))


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("op", ["add", "mul", "div", "maximum", "cat"])
def test_binary_promotion_matches_pytorch_for_every_pair_of_operand_kinds(torch, op):
    mismatches = []
    for a, b in PAIRS:
        if op in ("maximum", "cat") and (a.startswith("py") or b.startswith("py")):
            continue  # both take tensors only
        if op == "cat" and (a.endswith("_0") or b.endswith("_0")):
            continue  # cat needs dimensions
        ta, tb = _torch_operand(torch, a), _torch_operand(torch, b)
        ma, mb = _operand(a), _operand(b)
        if op == "cat":
            expected, got = torch.cat([ta, tb]).dtype, mg.cat([ma, mb]).dtype
        else:
            expected, got = getattr(torch, op)(ta, tb).dtype, getattr(mg, op)(ma, mb).dtype
        if str(expected).split(".")[1] != got.name:
            mismatches.append((a, b, str(expected), repr(got)))
    assert mismatches == []


def test_subtraction_promotion_matches_pytorch_without_bools(torch):
    mismatches = []
    for a, b in PAIRS:
        if "bool" in a + b:
            continue  # see the next test
        expected = (_torch_operand(torch, a) - _torch_operand(torch, b)).dtype
        got = (_operand(a) - _operand(b)).dtype
        if str(expected).split(".")[1] != got.name:
            mismatches.append((a, b, str(expected), repr(got)))
    assert mismatches == []


@pytest.mark.parametrize("a, b", [("float32", "bool"), ("bool", "int64"), ("int64", "py_bool")])
def test_subtraction_with_a_bool_operand_raises_like_pytorch(torch, a, b):
    with pytest.raises(
        RuntimeError, match="Subtraction, the `-` operator, with a bool tensor is not supported"
    ):
        _torch_operand(torch, a) - _torch_operand(torch, b)
    with pytest.raises(
        RuntimeError, match="Subtraction, the `-` operator, with a bool tensor is not supported"
    ):
        _operand(a) - _operand(b)


@pytest.mark.parametrize(
    "data",
    [
        1.0,
        1,
        True,
        [1, 2.0],
        [True, 1],
        [[1], [2.5]],
        np.array([1.0]),
        np.array([1], np.int32),
        np.float32(1.0),
        np.int64(3),
        [np.float32(1.0), 2.0],
        [np.int32(1), 2],
    ],
    ids=repr,
)
def test_inferred_dtype_matches_pytorch(torch, data):
    assert mg.tensor(data).dtype.name == str(torch.tensor(data).dtype).split(".")[1]


@pytest.mark.parametrize(
    "make",
    [
        lambda L: L.exp(L.tensor([1, 2])),
        lambda L: L.sqrt(L.tensor([1, 2], dtype=L.int32)),
        lambda L: L.tanh(L.tensor([True])),
        lambda L: L.relu(L.tensor([1, -2])),
        lambda L: L.abs(L.tensor([1, -2], dtype=L.int32)),
        lambda L: L.tensor([True, False]).sum(),
        lambda L: L.tensor([1, 2], dtype=L.int32).sum(),
        lambda L: L.tensor([1, 2]) ** 2,
        lambda L: L.tensor([1, 2]) ** 2.0,
        lambda L: 2 ** L.tensor([1, 2]),
        lambda L: 2.0 ** L.tensor([1, 2]),
        lambda L: L.tensor([1.0, 2.0]) ** L.tensor(2.0, dtype=L.float64),
        lambda L: L.where(L.tensor([True]), L.tensor([1]), 0.5),
        lambda L: L.stack([L.tensor([1], dtype=L.int32), L.tensor([2])]),
        lambda L: L.full((2,), 3),
        lambda L: L.arange(0, 1, 0.5),
    ],
    ids=[
        "exp(int64)",
        "sqrt(int32)",
        "tanh(bool)",
        "relu(int64)",
        "abs(int32)",
        "sum(bool)",
        "sum(int32)",
        "int**int",
        "int**float",
        "int_number**int",
        "float_number**int",
        "f32**f64_0",
        "where(int, float)",
        "stack(int32, int64)",
        "full(int)",
        "arange(float)",
    ],
)
def test_result_dtype_of_operations_matches_pytorch(torch, make):
    assert make(mg).dtype.name == str(make(torch).dtype).split(".")[1]
