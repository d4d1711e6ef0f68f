"""Tensor: the data, the metadata beside it, and the autograd attributes.

Expected values are written by hand from the data in each test; where PyTorch
defines the behaviour (leaves, requires_grad, numpy sharing) the rule is
PyTorch's, cited in the test's docstring.
"""

import warnings

import numpy as np
import pytest

import minigrad as mg


def test_shape_size_ndim_and_numel_describe_the_data():
    t = mg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert t.shape == (2, 3)
    assert isinstance(t.shape, mg.Size) and isinstance(t.shape, tuple)
    assert t.size() == (2, 3)
    assert t.size(1) == 3 and t.size(-1) == 3
    assert t.ndim == 2 and t.dim() == 2
    assert t.numel() == 6


def test_size_prints_like_torch_size():
    assert repr(mg.Size([2, 3])) == "minigrad.Size([2, 3])"
    assert mg.tensor(1.0).shape == () and repr(mg.tensor(1.0).shape) == "minigrad.Size([])"


def test_a_python_number_makes_a_zero_dimensional_tensor():
    t = mg.tensor(3.5)
    assert t.ndim == 0 and t.numel() == 1 and t.shape == ()


def test_item_returns_a_python_number_of_the_matching_kind():
    f = mg.tensor([[2.5]]).item()
    i = mg.tensor([7]).item()
    assert f == 2.5 and type(f) is float
    assert i == 7 and type(i) is int


def test_item_on_a_tensor_with_several_elements_raises():
    with pytest.raises(
        RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"
    ):
        mg.tensor([1.0, 2.0]).item()


def test_tolist_gives_nested_python_lists():
    assert mg.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert mg.tensor(2.0).tolist() == 2.0


def test_numpy_shares_memory_with_the_tensor():
    t = mg.tensor([1.0, 2.0, 3.0])
    array = t.numpy()
    array[0] = 9.0
    assert t.tolist() == [9.0, 2.0, 3.0]


def test_numpy_refuses_a_tensor_that_requires_grad():
    t = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad"):
        t.numpy()
    # The way out PyTorch's message suggests works:
    assert t.detach().numpy().tolist() == [1.0, 2.0]


def test_tensors_made_by_the_user_are_leaves_that_do_not_require_grad_by_default():
    t = mg.tensor([1.0, 2.0])
    assert t.requires_grad is False
    assert t.is_leaf is True
    assert t.grad_fn is None and t.grad is None


def test_requires_grad_can_be_switched_on_for_a_leaf():
    t = mg.tensor([1.0, 2.0])
    t.requires_grad = True
    assert t.requires_grad and t.is_leaf
    u = mg.tensor([1.0])
    assert u.requires_grad_() is u and u.requires_grad
    assert u.requires_grad_(False) is u and not u.requires_grad


def test_requires_grad_cannot_be_switched_off_on_a_non_leaf():
    y = mg.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(
        RuntimeError, match="you can only change requires_grad flags of leaf variables"
    ):
        y.requires_grad = False


@pytest.mark.parametrize(
    "make",
    [
        lambda: mg.tensor([1, 2], requires_grad=True),
        lambda: mg.tensor([1, 2]).requires_grad_(),
        lambda: mg.tensor([True]).requires_grad_(),
    ],
    ids=["tensor(requires_grad=True)", "int requires_grad_()", "bool requires_grad_()"],
)
def test_only_floating_point_tensors_can_require_grad(make):
    with pytest.raises(RuntimeError, match="(?i)only Tensors of floating point"):
        make()


def test_clone_copies_the_memory_and_keeps_the_history():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.grad_fn is not None and c.grad_fn.name() == "CloneBackward0"
    with mg.no_grad():
        c.add_(10)
    assert x.tolist() == [1.0, 2.0]
    y = x.clone()
    (y * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]  # d(3 * clone(x))/dx = 3


def test_len_and_iteration_follow_the_first_dimension():
    t = mg.tensor([[1, 2], [3, 4], [5, 6]])
    assert len(t) == 3
    assert [row.tolist() for row in t] == [[1, 2], [3, 4], [5, 6]]
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(mg.tensor(1.0))


def test_truth_value_of_a_multi_element_tensor_is_ambiguous():
    assert bool(mg.tensor([3.0])) is True
    assert bool(mg.tensor(0.0)) is False
    with pytest.raises(
        RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"
    ):
        bool(mg.tensor([1.0, 2.0]))


def test_float_and_int_conversions_of_one_element_tensors():
    assert float(mg.tensor([2.5])) == 2.5
    assert int(mg.tensor(7)) == 7


def test_reading_grad_of_a_non_leaf_warns_and_gives_none():
    y = mg.tensor([1.0], requires_grad=True) * 2
    with pytest.warns(UserWarning, match="is not a leaf Tensor is being accessed"):
        assert y.grad is None


def test_reading_grad_of_a_leaf_does_not_warn():
    x = mg.tensor([1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.grad is None


def test_grad_can_be_assigned_and_deleted_on_a_leaf():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    x.grad = mg.tensor([5.0, 6.0])
    assert x.grad.tolist() == [5.0, 6.0]
    x.grad = None
    assert x.grad is None


def test_assigning_a_grad_of_the_wrong_shape_raises():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError):
        x.grad = mg.tensor([1.0, 2.0, 3.0])


def test_to_and_the_dtype_shortcuts_convert_the_data():
    t = mg.tensor([1.5, -2.5])
    assert t.double().dtype is mg.float64 and t.double().tolist() == [1.5, -2.5]
    assert t.long().dtype is mg.int64 and t.long().tolist() == [1, -2]  # truncates toward zero
    assert t.to(mg.float64).dtype is mg.float64
    assert mg.tensor([1, 0]).bool().tolist() == [True, False]


def test_converting_dtype_keeps_the_gradient_flowing_back_in_the_source_dtype():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x.double() * 3
    y.sum().backward()
    assert x.grad.dtype is mg.float32
    assert x.grad.tolist() == [3.0, 3.0]


def test_comparisons_give_bool_tensors_that_never_require_grad():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result in (x > 1.5, x >= 2, x < 2, x <= 1, x == 2, x != 2):
        assert result.dtype is mg.bool
        assert result.requires_grad is False
    assert (x > 1.5).tolist() == [False, True, True]


def test_transpose_views_see_the_same_numbers():
    t = mg.tensor([[1, 2, 3], [4, 5, 6]])
    assert t.T.tolist() == [[1, 4], [2, 5], [3, 6]]
    assert t.t().tolist() == t.transpose(0, 1).tolist() == [[1, 4], [2, 5], [3, 6]]
    assert np.shares_memory(t.T.numpy(), t.numpy())
