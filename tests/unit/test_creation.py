"""Making tensors: from data, filled with a value, ranges, and random numbers.

Expected values are written out by hand; expected dtypes are PyTorch's
defaults (float data -> float32, integers -> int64, bools -> bool; see
https://pytorch.org/docs/stable/generated/torch.tensor.html and
torch.get_default_dtype()).
"""

import numpy as np
import pytest

import minigrad as mg


def test_tensor_copies_a_list_into_a_new_leaf():
    data = [[1.0, 2.0], [3.0, 4.0]]
    t = mg.tensor(data)
    data[0][0] = 100.0
    assert t.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert t.is_leaf and not t.requires_grad


def test_tensor_copies_a_numpy_array_but_from_numpy_shares_it():
    array = np.array([1.0, 2.0])
    copied, shared = mg.tensor(array), mg.from_numpy(array)
    array[0] = 7.0
    assert copied.tolist() == [1.0, 2.0]
    assert shared.tolist() == [7.0, 2.0]


def test_tensor_with_requires_grad_makes_a_leaf_that_requires_grad():
    t = mg.tensor([1.0, 2.0], requires_grad=True)
    assert t.requires_grad and t.is_leaf and t.grad_fn is None


def test_tensor_converts_to_the_requested_dtype():
    t = mg.tensor([1, 2], dtype=mg.float64)
    assert t.dtype is mg.float64 and t.tolist() == [1.0, 2.0]
    assert mg.tensor([1.7, -1.7], dtype=mg.int64).tolist() == [1, -1]


def test_tensor_of_an_empty_list_is_an_empty_float32_vector():
    t = mg.tensor([])
    assert t.shape == (0,) and t.dtype is mg.float32


def test_tensor_of_nested_lists_keeps_their_shape():
    assert mg.tensor([[[1], [2]], [[3], [4]], [[5], [6]]]).shape == (3, 2, 1)
    assert mg.tensor([[]]).shape == (1, 0)


def test_tensor_of_a_list_of_zero_dimensional_tensors_collects_their_values():
    t = mg.tensor([mg.tensor(1.5), mg.tensor(2.5)])
    assert t.tolist() == [1.5, 2.5] and t.shape == (2,)


def test_tensor_of_a_tensor_warns_and_copies():
    source = mg.tensor([1.0, 2.0])
    with pytest.warns(UserWarning, match="To copy construct from a tensor"):
        copy = mg.tensor(source)
    with mg.no_grad():
        copy.add_(1)
    assert source.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("factory, value", [(mg.zeros, 0.0), (mg.ones, 1.0)])
def test_zeros_and_ones_take_sizes_as_arguments_or_as_one_tuple(factory, value):
    a, b = factory(2, 3), factory((2, 3))
    assert a.shape == b.shape == (2, 3)
    assert a.tolist() == [[value] * 3] * 2
    assert a.dtype is mg.float32
    assert factory(2, dtype=mg.int64).tolist() == [int(value)] * 2
    assert factory(()).shape == ()


def test_factories_with_requires_grad_make_leaves_that_require_grad():
    for t in (
        mg.zeros(2, requires_grad=True),
        mg.ones(2, requires_grad=True),
        mg.randn(2, requires_grad=True),
        mg.rand(2, requires_grad=True),
        mg.full((2,), 3.0, requires_grad=True),
    ):
        assert t.requires_grad and t.is_leaf


@pytest.mark.parametrize("fill, dtype", [(3, "int64"), (2.5, "float32"), (True, "bool")])
def test_full_infers_the_dtype_from_the_fill_value(fill, dtype):
    t = mg.full((2, 2), fill)
    assert t.dtype is getattr(mg, dtype)
    assert t.tolist() == [[fill, fill], [fill, fill]]


def test_arange_counts_like_range_with_integers():
    assert mg.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert mg.arange(2, 8, 3).tolist() == [2, 5]
    assert mg.arange(5, 0, -2).tolist() == [5, 3, 1]
    assert mg.arange(5).dtype is mg.int64


def test_arange_with_a_float_gives_float32_and_excludes_the_end():
    t = mg.arange(0, 1, 0.25)
    assert t.dtype is mg.float32
    assert t.tolist() == [0.0, 0.25, 0.5, 0.75]


def test_eye_has_ones_on_the_diagonal():
    assert mg.eye(3).tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    assert mg.eye(2, 3).tolist() == [[1, 0, 0], [0, 1, 0]]
    assert mg.eye(2).dtype is mg.float32


def test_like_factories_copy_shape_and_dtype_but_not_requires_grad():
    source = mg.tensor([[1.0, 2.0]], dtype=mg.float64, requires_grad=True)
    for made, value in ((mg.zeros_like(source), 0.0), (mg.ones_like(source), 1.0)):
        assert made.shape == (1, 2) and made.dtype is mg.float64
        assert made.tolist() == [[value, value]]
        assert not made.requires_grad
    assert mg.zeros_like(mg.tensor([1, 2])).dtype is mg.int64


def test_randn_and_rand_have_the_requested_shape_and_dtype():
    assert mg.randn(2, 3).shape == (2, 3) and mg.randn(2, 3).dtype is mg.float32
    assert mg.rand(4).dtype is mg.float32
    assert mg.rand(4, dtype=mg.float64).dtype is mg.float64


def test_rand_lies_in_the_unit_interval_and_randn_is_standard_normal():
    mg.manual_seed(0)
    u = mg.rand(20000).numpy()
    n = mg.randn(20000).numpy()
    assert u.min() >= 0.0 and u.max() < 1.0
    # Loose bounds: 20000 samples put the sample mean within ~0.007 (one sigma)
    # of the true mean; these allow more than five sigmas.
    assert abs(u.mean() - 0.5) < 0.02
    assert abs(n.mean()) < 0.05 and abs(n.std() - 1.0) < 0.05


def test_manual_seed_makes_random_numbers_repeat():
    mg.manual_seed(1234)
    first = mg.randn(5).tolist() + mg.rand(3).tolist()
    mg.manual_seed(1234)
    again = mg.randn(5).tolist() + mg.rand(3).tolist()
    mg.manual_seed(4321)
    other = mg.randn(5).tolist() + mg.rand(3).tolist()
    assert first == again
    assert first != other


def test_random_numbers_continue_rather_than_repeat_without_reseeding():
    mg.manual_seed(7)
    assert mg.randn(4).tolist() != mg.randn(4).tolist()


def test_a_negative_size_is_refused():
    with pytest.raises(RuntimeError, match="(?i)negative"):
        mg.zeros(2, -1)
    with pytest.raises(RuntimeError, match="Trying to create tensor with negative dimension -1"):
        mg.randn(-1)


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.tensor([1, 2], requires_grad=True),
        lambda lib: lib.zeros(2, dtype=lib.int64, requires_grad=True),
        lambda lib: lib.ones(2, dtype=lib.int32, requires_grad=True),
        lambda lib: lib.full((2,), 2, requires_grad=True),
        lambda lib: lib.arange(3, requires_grad=True),
        lambda lib: lib.zeros_like(lib.tensor([1, 2]), requires_grad=True),
    ],
)
def test_a_factory_refuses_requires_grad_for_integers_with_pytorchs_message(make):
    # torch 2.13 says it with a capital O from every factory (the .requires_grad
    # setter's own message starts with a small one: test_tensor.py).
    message = "^Only Tensors of floating point and complex dtype can require gradients$"
    with pytest.raises(RuntimeError, match=message):
        make(mg)


def test_a_parameter_of_integers_is_refused_with_the_factories_message():
    # torch 2.13: nn.Parameter(torch.tensor([1])) raises the capital-O message too;
    # requires_grad=False is allowed for any dtype.
    with pytest.raises(RuntimeError, match="^Only Tensors of floating point and complex dtype"):
        mg.nn.Parameter(mg.tensor([1]))
    assert not mg.nn.Parameter(mg.tensor([1]), requires_grad=False).requires_grad


def test_an_entry_that_requires_grad_warns_at_the_line_that_called_tensor():
    # As PyTorch's warning does, it names the caller's line, at any depth of nesting.
    a = mg.tensor(1.0, requires_grad=True)
    for data in ([a], [[a]], [[[a, a]]]):
        with pytest.warns(UserWarning, match="Converting a tensor with requires_grad=True") as seen:
            mg.tensor(data)
        assert {w.filename for w in seen} == {__file__}
