"""Corners where minigrad differed from PyTorch 2.13, found by probing both side by side.

Each expected value (message, warning, dtype) was recorded from torch 2.13.0 (CPU) on
the same call; the comment above each case quotes the call. The fuzzer's programs
(tests/fuzz) do not reach these corners: errors of shape arguments, hooks that return
something odd, arguments of the wrong type.
"""

import re
import warnings

import numpy as np
import pytest

import minigrad as mg


@pytest.mark.parametrize(
    ("shape", "sizes", "message"),
    [
        # torch.ones(2, 1).expand(3, 3): the mismatch is dimension 0, not the last one
        (
            (2, 1),
            (3, 3),
            r"tensor \(3\) must match the existing size \(2\) at non-singleton "
            r"dimension 0\.  Target sizes: \[3, 3\]\.  Tensor sizes: \[2, 1\]$",
        ),
        # torch.ones(2, 3).expand(4, 2, 4): dimensions count in the target
        (
            (2, 3),
            (4, 2, 4),
            r"tensor \(4\) must match the existing size \(3\) at non-singleton "
            r"dimension 2\.",
        ),
        # torch.ones(2).expand(3, -2)
        (
            (2,),
            (3, -2),
            r"tensor \(-2\) must match the existing size \(2\) at non-singleton "
            r"dimension 1\.",
        ),
        # torch.ones(1).expand(-5)
        ((1,), (-5,), r"^numel: integer multiplication overflow$"),
    ],
)
def test_expand_names_the_dimension_pytorch_names(shape, sizes, message):
    with pytest.raises(RuntimeError, match=message):
        mg.ones(shape).expand(*sizes)


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        # torch.tensor(1.0).T
        (
            (),
            "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.",
        ),
        # torch.ones(2).T
        ((2,), "The use of `x.T` on tensors of dimension other than 2 to reverse their shape"),
    ],
)
def test_T_off_two_dimensions_warns_once_per_process_as_pytorch(shape, message, monkeypatch):
    """PyTorch gives both warnings with TORCH_WARN_ONCE: the first ``.T`` in a process
    warns (even under warnings.simplefilter("always")), later ones only with
    ``set_warn_always(True)``."""
    from minigrad import _warn_once

    monkeypatch.setattr(_warn_once, "_given", set())
    monkeypatch.setattr(_warn_once, "_always", False)
    with pytest.warns(UserWarning) as first:
        _ = mg.ones(shape).T
    assert len(first) == 1 and str(first[0].message).startswith(message)
    with warnings.catch_warnings(record=True) as again:
        warnings.simplefilter("always")
        _ = mg.ones(shape).T
    assert again == []
    mg.set_warn_always(True)
    with pytest.warns(UserWarning, match=re.escape(message)):
        _ = mg.ones(shape).T


F = mg.nn.functional


@pytest.mark.parametrize(
    ("call", "message"),
    [
        # torch.ones(2, dtype=torch.int64).softmax(0)
        (lambda: mg.ones(2, dtype=mg.int64).softmax(0), '"softmax_lastdim_kernel_impl"'),
        # torch.ones(2, 3, dtype=torch.int64).softmax(-2): not the last dim, the other kernel
        (lambda: mg.ones(2, 3, dtype=mg.int64).softmax(-2), '"softmax_kernel_impl"'),
        # torch.tensor(3).log_softmax(0)
        (lambda: mg.tensor(3).log_softmax(0), '"log_softmax_lastdim_kernel_impl"'),
        # torch.ones(2, 3, dtype=torch.int64).log_softmax(0)
        (lambda: mg.ones(2, 3, dtype=mg.int64).log_softmax(0), '"log_softmax_kernel_impl"'),
        # F.cross_entropy(torch.ones(2, 2, dtype=torch.int64), torch.tensor([0, 1]))
        (
            lambda: F.cross_entropy(mg.ones(2, 2, dtype=mg.int64), mg.tensor([0, 1])),
            '"log_softmax_lastdim_kernel_impl"',
        ),
        # F.nll_loss(torch.ones(2, 2, dtype=torch.int64), torch.tensor([0, 5])): before the range
        (
            lambda: F.nll_loss(mg.ones(2, 2, dtype=mg.int64), mg.tensor([0, 5])),
            '"nll_loss_out_frame"',
        ),
        # F.mse_loss(torch.ones(0, dtype=torch.int64), torch.ones(0, dtype=torch.int64))
        (
            lambda: F.mse_loss(mg.ones(0, dtype=mg.int64), mg.ones(0, dtype=mg.int64)),
            '"mse_cpu"',
        ),
    ],
)
def test_softmax_and_losses_of_int_tensors_raise_as_pytorch(call, message):
    with pytest.raises(NotImplementedError, match=f"^{message} not implemented for 'Long'$"):
        call()


def test_softmax_of_bool_names_the_dtype_and_mixed_mse_is_promoted():
    # torch.tensor([True]).softmax(0)
    with pytest.raises(NotImplementedError, match="^.* not implemented for 'Bool'$"):
        mg.tensor([True]).softmax(0)
    # torch.ones(0, 3, dtype=torch.int64).softmax(1) does not raise (no kernel runs)
    assert mg.ones(0, 3, dtype=mg.int64).softmax(1).shape == (0, 3)
    # F.mse_loss(torch.ones(2, dtype=torch.int64), torch.zeros(2)): tensor(1.), float32
    loss = F.mse_loss(mg.ones(2, dtype=mg.int64), mg.zeros(2))
    assert loss.dtype == mg.float32 and loss.item() == 1.0
    # F.nll_loss(torch.ones(2, 2, dtype=torch.int64), torch.tensor([0., 1.])): the target first
    with pytest.raises(
        RuntimeError, match="^expected target dtype to be Long or Byte, but got Float$"
    ):
        F.nll_loss(mg.ones(2, 2, dtype=mg.int64), mg.tensor([0.0, 1.0]))


class _Hook:
    """A callable without a __name__: PyTorch names it '<unknown>' in its messages."""

    def __call__(self, grad):
        return grad.double()


@pytest.mark.parametrize(
    ("hook", "error", "message"),
    [
        # x.register_hook(lambda g: g.double()); (x * 2).sum().backward()
        (
            lambda g: g.double(),
            RuntimeError,
            "hook '<lambda>' has changed the type of value "
            "(was minigrad.FloatTensor got minigrad.DoubleTensor)",
        ),
        (
            lambda g: g.long(),
            RuntimeError,
            "hook '<lambda>' has changed the type of value "
            "(was minigrad.FloatTensor got minigrad.LongTensor)",
        ),
        (
            _Hook(),
            RuntimeError,
            "hook '<unknown>' has changed the type of value "
            "(was minigrad.FloatTensor got minigrad.DoubleTensor)",
        ),
        (lambda g: 3, TypeError, "expected Variable, but hook returned 'int'"),
        (lambda g: [1.0], TypeError, "expected Variable, but hook returned 'list'"),
    ],
)
@pytest.mark.parametrize("on", ["leaf", "non-leaf"])
def test_a_hook_may_not_change_the_gradients_type(hook, error, message, on):
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    (x if on == "leaf" else y).register_hook(hook)
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        (y * 2).sum().backward()
    assert x.grad is None


def test_a_hook_may_not_replace_a_missing_gradient():
    """An output of a custom Function that the loss does not use gets no gradient: its
    hook is called with None and may not return a tensor (PyTorch 2.13, same program)."""

    class Split(mg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2

    x = mg.tensor([1.0, 2.0], requires_grad=True)
    a, b = Split.apply(x)
    seen = []
    b.register_hook(lambda g: seen.append(g) or mg.ones(2))
    with pytest.raises(RuntimeError, match="^can't replace a None gradient with a non-None value$"):
        a.sum().backward()
    assert seen == [None]


def test_assigning_a_grad_of_another_dtype_gets_pytorchs_whole_message():
    # x = torch.ones(2, requires_grad=True); x.grad = torch.ones(2, dtype=torch.float64)
    x = mg.ones(2, requires_grad=True)
    message = (
        "attempting to assign a gradient with dtype 'double' to a tensor with grad_dtype "
        "'Float'. The gradient must match the tensor's grad_dtype (defaults to the tensor's "
        "dtype). You can set the tensor's grad_dtype attribute with a specific dtype, or None "
        "to allow any dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor and "
        "its gradient may break downstream systems that assume they match."
    )
    with pytest.raises(RuntimeError, match=f"^{re.escape(message)}$"):
        x.grad = mg.ones(2, dtype=mg.float64)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        # torch.autograd.grad(None, [x]): outputs go through tuple(outputs)
        (lambda x: mg.autograd.grad(None, [x]), TypeError, "'NoneType' object is not iterable"),
        # torch.autograd.grad((x * 2).sum(), None): before anything runs (x.grad stays None)
        (
            lambda x: mg.autograd.grad((x * 2).sum(), None),
            TypeError,
            "'NoneType' object is not iterable",
        ),
        (lambda x: mg.autograd.backward(None), TypeError, "'NoneType' object is not iterable"),
        # torch.autograd.grad([(x * 2).sum(), 3], [x])
        (
            lambda x: mg.autograd.grad([(x * 2).sum(), 3], [x]),
            AssertionError,
            "Expected output to be a minigrad.Tensor",
        ),
        (
            lambda x: mg.autograd.backward([None]),
            AssertionError,
            "Expected output to be a minigrad.Tensor",
        ),
        # torch.autograd.backward([(x * 2).sum()], [2.0]): a number is no gradient
        (
            lambda x: mg.autograd.backward([(x * 2).sum()], [2.0]),
            TypeError,
            "gradients can be either Tensors or None, but got float",
        ),
        (
            lambda x: mg.autograd.grad([x * 2], [x], [[2.0]]),
            TypeError,
            "gradients can be either Tensors or None, but got list",
        ),
        # torch.autograd.backward([x * 2], []): no gradients is not "all None"
        (
            lambda x: mg.autograd.backward([x * 2], []),
            RuntimeError,
            "got 1 tensors and 0 gradients",
        ),
        (
            lambda x: mg.autograd.grad([x * 2], [x], []),
            RuntimeError,
            "got 1 tensors and 0 gradients",
        ),
    ],
)
def test_autograd_arguments_of_the_wrong_kind_fail_as_in_pytorch(call, error, message):
    x = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        call(x)
    assert x.grad is None


@pytest.mark.parametrize(("mode", "name"), [(1, "int"), ("a", "str"), (None, "NoneType")])
def test_set_grad_enabled_refuses_a_non_bool_in_pytorchs_words(mode, name):
    # torch.set_grad_enabled(1)
    message = f"set_grad_enabled(): argument 'enabled' (position 1) must be bool, not {name}"
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        mg.set_grad_enabled(mode)
    assert mg.is_grad_enabled()


@pytest.mark.parametrize(
    ("a", "b", "sizes", "dim"),
    [
        # torch.matmul(torch.ones(2, 2, 3), torch.ones(3, 3, 2))
        ((2, 2, 3), (3, 3, 2), (2, 3), 0),
        # torch.matmul(torch.ones(4, 2, 2, 3), torch.ones(3, 1, 3, 2)): batch dims count
        ((4, 2, 2, 3), (3, 1, 3, 2), (4, 3), 0),
    ],
)
def test_batched_matmul_of_batches_that_do_not_broadcast(a, b, sizes, dim):
    message = (
        f"The size of tensor a ({sizes[0]}) must match the size of tensor b ({sizes[1]}) "
        f"at non-singleton dimension {dim}"
    )
    with pytest.raises(RuntimeError, match=f"^{re.escape(message)}$"):
        mg.matmul(mg.ones(a), mg.ones(b))


@pytest.mark.parametrize(
    ("index", "message"),
    [
        # torch.ones(2, 3, 4)[:, [3]]: the dimension among the indexed ones, not the tensor's
        ((slice(None), [3]), "index 3 is out of bounds for dimension 0 with size 3"),
        ((1, slice(None), [8]), "index 8 is out of bounds for dimension 0 with size 4"),
        ((Ellipsis, [9]), "index 9 is out of bounds for dimension 0 with size 4"),
        (([0], slice(None), [9]), "index 9 is out of bounds for dimension 1 with size 4"),
        (([1], None, [7]), "index 7 is out of bounds for dimension 1 with size 3"),
        ((slice(None), [3, -9]), "index 3 is out of bounds for dimension 0 with size 3"),
        # a mask counts as many indexed dimensions as it has
        (
            (mg.ones(2, 3) > 0, [9]),
            "index 9 is out of bounds for dimension 2 with size 4",
        ),
        # torch.ones(2, 3, 4)[[0], 0, 0, 0]
        (([0], 0, 0, 0), "too many indices for tensor of dimension 3"),
        (([0], Ellipsis, [0], [0], [0]), "too many indices for tensor of dimension 3"),
    ],
)
def test_an_index_out_of_range_is_named_as_pytorch_names_it(index, message):
    t = mg.ones(2, 3, 4)
    with pytest.raises(IndexError, match=f"^{re.escape(message)}$"):
        t[index]


def test_an_empty_list_indexes_nothing():
    # torch.ones(2, 3, requires_grad=True)[[]]: shape (0, 3), IndexBackward0, zero gradient
    x = mg.ones(2, 3, requires_grad=True)
    y = x[[]]
    assert y.shape == (0, 3) and y.grad_fn.name() == "IndexBackward0"
    assert x[[], 0].shape == (0,)
    y.sum().backward()
    assert x.grad.tolist() == [[0.0] * 3] * 2


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        # torch.ones(2, 3).size(2)
        (
            lambda: mg.ones(2, 3).size(2),
            IndexError,
            "Dimension out of range (expected to be in range of [-2, 1], but got 2)",
        ),
        # torch.tensor(1.0).size(0)
        (
            lambda: mg.tensor(1.0).size(0),
            IndexError,
            "Dimension specified as 0 but tensor has no dimensions",
        ),
        # float(torch.ones(2)), int(torch.ones(0)): not item()'s RuntimeError
        (
            lambda: float(mg.ones(2)),
            ValueError,
            "only one element tensors can be converted to Python scalars",
        ),
        (
            lambda: int(mg.ones(0)),
            ValueError,
            "only one element tensors can be converted to Python scalars",
        ),
    ],
)
def test_size_of_a_dim_and_python_numbers_fail_as_in_pytorch(call, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        call()
    assert mg.ones(2, 3).size(-1) == 3 and float(mg.tensor([[2.5]])) == 2.5


@pytest.mark.parametrize(("returned", "name"), [(2.0, "float"), ([1.0], "list"), ("a", "str")])
def test_a_custom_backward_returning_a_non_tensor_fails_as_in_pytorch(returned, name):
    class F(mg.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, grad):
            return grad, returned

    x, y = mg.ones(2, requires_grad=True), mg.ones(2, requires_grad=True)
    # the same program on torch 2.13.0: RuntimeError: expected Variable or None (got float)
    with pytest.raises(
        RuntimeError, match=f"^{re.escape(f'expected Variable or None (got {name})')}$"
    ):
        F.apply(x, y).sum().backward()


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        # torch.zeros(2, dtype=torch.int64, requires_grad=True): the factories' capital "Only"
        (
            lambda: mg.zeros(2, dtype=mg.int64, requires_grad=True),
            RuntimeError,
            "Only Tensors of floating point and complex dtype can require gradients",
        ),
        (
            lambda: mg.ones_like(mg.ones(2, dtype=mg.int64), requires_grad=True),
            RuntimeError,
            "Only Tensors of floating point and complex dtype can require gradients",
        ),
        # torch.arange(5, 0), torch.arange(-1), torch.arange(0, 1, -0.5)
        (
            lambda: mg.arange(5, 0),
            RuntimeError,
            "upper bound and lower bound inconsistent with step sign",
        ),
        (
            lambda: mg.arange(-1),
            RuntimeError,
            "upper bound and lower bound inconsistent with step sign",
        ),
        (
            lambda: mg.arange(0, 1, -0.5),
            RuntimeError,
            "upper bound and lower bound inconsistent with step sign",
        ),
        # torch.full(2, 1.0): the size must be a sequence
        (
            lambda: mg.full(2, 1.0),
            TypeError,
            "full(): argument 'size' (position 1) must be tuple of ints, not int",
        ),
        # torch.cat(torch.ones(2, 2)): a tensor is not a list of tensors
        (
            lambda: mg.cat(mg.ones(2, 2)),
            TypeError,
            "cat(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor",
        ),
        (
            lambda: mg.stack(mg.ones(2, 2)),
            TypeError,
            "stack(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor",
        ),
    ],
)
def test_factories_and_joins_refuse_what_pytorch_refuses(call, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        call()
    # and what PyTorch accepts still works: empty ranges, a size given as a list
    assert mg.arange(5, 5).shape == (0,) and mg.arange(3, 0, -1).tolist() == [3, 2, 1]
    assert mg.full([2], 1.0).tolist() == [1.0, 1.0]


def test_your_functions_saved_input_detached_in_place_is_given_as_it_is():
    """Found by the fuzzer (seed f5c:5348). PyTorch 2.13 gives a custom Function's saved
    tensor after a detach_() as it now is (no grad_fn); a built-in op's saved tensor raises.
    Same program on torch: w.grad is [9., 9.] (3 * (3 * w) * 1 from the saved a = 3w)."""

    class Double(mg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * x

    w = mg.ones(2, requires_grad=True)
    a = w * 3
    b = Double.apply(a)
    a.detach_()
    b.sum().backward()
    assert w.grad.tolist() == [9.0, 9.0]
    c = w * 3
    d = c * mg.ones(2, requires_grad=True)  # a built-in op: MulBackward0 saved c
    c.detach_()
    with pytest.raises(RuntimeError, match="^Trying to use a saved tensor that has been detached"):
        d.sum().backward()


def test_float_of_a_tensor_requiring_grad_warns_and_an_empty_dim_has_no_index():
    """torch 2.13: float(t) of a tensor that requires grad warns (once per process; every
    time with set_warn_always), int(t) does not; torch.ones(0)[[1]] names no dimension."""
    before = mg.is_warn_always_enabled()
    mg.set_warn_always(True)
    try:
        with pytest.warns(UserWarning, match="^Converting a tensor with requires_grad=True"):
            assert float(mg.ones(1, requires_grad=True) * 2) == 2.0
        with pytest.warns(UserWarning, match="^Converting a tensor with requires_grad=True"):
            with pytest.raises(ValueError, match="^only one element tensors"):
                float(mg.ones(2, requires_grad=True))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert int(mg.ones(1, requires_grad=True)) == 1
            with mg.no_grad():  # no warning with grad mode off
                assert float(mg.ones(1, requires_grad=True)) == 1.0
    finally:
        mg.set_warn_always(before)
    with pytest.raises(IndexError, match="^index is out of bounds for dimension with size 0$"):
        mg.ones(0)[[1]]


def test_number_to_a_tensor_power_saves_the_number_as_saved_self():
    # torch: (2 ** x).grad_fn is PowBackward2 with _saved_self 2 (the number, as given),
    # _saved_exponent x and _saved_result; no other _saved_ attribute
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    node = (2**x).grad_fn
    assert node.name() == "PowBackward2" and node._saved_self == 2
    saved = sorted(a for a in dir(node) if a.startswith("_saved_"))
    assert saved == ["_saved_exponent", "_saved_result", "_saved_self"]


def test_grad_mode_decorating_a_class_warns_and_calls_it_in_the_mode():
    # @torch.no_grad() on a class: a FutureWarning, and the name becomes a function that
    # calls the class inside no_grad (x * 2 in __init__ has requires_grad False)
    with pytest.warns(FutureWarning, match=r"^Decorating classes is deprecated and will be "):

        @mg.no_grad()
        class Double:
            def __init__(self, x):
                self.y = x * 2

    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = Double(x).y
    assert y.tolist() == [2.0, 4.0] and not y.requires_grad
    assert (x * 2).requires_grad  # the mode ended with the call


def test_mean_takes_a_dtype_as_pytorch():
    # torch.tensor([1, 2]).mean(dtype=torch.float32): tensor(1.5000)
    m = mg.tensor([1, 2]).mean(dtype=mg.float32)
    assert m.dtype == mg.float32 and m.item() == 1.5
    # torch.tensor([1., 2.]).mean(0, True, dtype=torch.int64)
    with pytest.raises(
        RuntimeError,
        match=r"^mean\(\): could not infer output dtype\. Optional dtype must be either a "
        r"floating point or complex dtype\. Got: Long$",
    ):
        mg.tensor([1.0, 2.0]).mean(0, True, dtype=mg.int64)


@pytest.mark.parametrize(
    ("reduce", "grad", "node"),
    [
        # (x.sum(0, dtype=torch.float64) ** 2): grad [6., 6.], float32, ToCopyBackward0
        # whose next function is ExpandBackward0
        (lambda x: x.sum(0, dtype=mg.float64), [6.0, 6.0], "ExpandBackward0"),
        # (x.mean(dtype=torch.float64) ** 2): grad [1.5, 1.5], ToCopyBackward0 -> DivBackward1
        (lambda x: x.mean(dtype=mg.float64), [1.5, 1.5], "DivBackward1"),
    ],
)
def test_gradient_of_a_reduction_with_a_dtype_comes_back_in_the_input_dtype(reduce, grad, node):
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (g,) = mg.autograd.grad(reduce(x) ** 2, [x], create_graph=True)
    assert g.dtype == mg.float32 and g.tolist() == grad
    assert type(g.grad_fn).__name__ == "ToCopyBackward0"
    assert type(g.grad_fn.next_functions[0][0]).__name__ == node


def _chain(t):
    """grad_fn names down the first edge: ['IndexBackward0', 'SelectBackward0', ...]."""
    names, node = [], t.grad_fn
    while node is not None:
        names.append(type(node).__name__)
        node = node.next_functions[0][0] if node.next_functions else None
    return names


@pytest.mark.parametrize(
    ("key", "shape", "chain"),
    [
        # torch.ones(2, 2, requires_grad=True)[0:2, 0]: a slice over a whole dim is skipped
        ((slice(0, 2), 0), (2,), ["SelectBackward0", "AccumulateGrad"]),
        # [0, [1]]: the int selects first (a view), then the list indexes the view
        ((0, [1]), (1,), ["IndexBackward0", "SelectBackward0", "AccumulateGrad"]),
        ((slice(0, 1), [0]), (1, 1), ["IndexBackward0", "SliceBackward0", "AccumulateGrad"]),
        # [True]: a bool adds a dimension (unsqueeze), then picks its one entry (False: none)
        (True, (1, 2, 2), ["IndexBackward0", "UnsqueezeBackward0", "AccumulateGrad"]),
        (
            (0, False),
            (0, 2),
            ["IndexBackward0", "UnsqueezeBackward0", "SelectBackward0", "AccumulateGrad"],
        ),
    ],
)
def test_index_with_lists_applies_the_basic_entries_first_as_pytorch(key, shape, chain):
    t = mg.ones(2, 2, requires_grad=True)[key]
    assert t.shape == shape and _chain(t) == chain


def test_an_int_before_a_slice_and_a_list_leaves_the_list_dimension_in_place():
    # torch.ones(2, 3, 4)[0, :, [1]].shape: [3, 1] (numpy's rule would give (1, 3))
    assert mg.ones(2, 3, 4)[0, :, [1]].shape == (3, 1)


def _value_edge(t):
    """The names on the edge of t.grad_fn to the value written in, down to the leaf."""
    names, node = [], t.grad_fn.next_functions[1][0]
    while node is not None:
        names.append(type(node).__name__)
        node = node.next_functions[0][0] if node.next_functions else None
    return names


@pytest.mark.parametrize(
    ("key", "value_shape", "node", "edge"),
    [
        # t = torch.ones(2, 2) * 1; t[0, 0] = torch.ones(1, requires_grad=True)
        ((0, 0), (1,), "CopySlices", ["ViewBackward0", "AccumulateGrad"]),
        # t[1:] = torch.ones(2, requires_grad=True): viewed, then expanded
        (
            slice(1, None),
            (2,),
            "CopySlices",
            ["ExpandBackward0", "ViewBackward0", "AccumulateGrad"],
        ),
        # t[[0]] = torch.ones(1, 1, 2, requires_grad=True): the leading 1s viewed away
        ([0], (1, 1, 2), "IndexPutBackward0", ["ViewBackward0", "AccumulateGrad"]),
        # t[0, [0]] = torch.ones((), requires_grad=True): index_put_ into the view t[0]
        ((0, [0]), (), "CopySlices", ["AccumulateGrad"]),
        # t[True] = ...: copied into t[None]
        (True, (), "CopySlices", ["AccumulateGrad"]),
    ],
)
def test_setitem_records_what_pytorch_records(key, value_shape, node, edge):
    t = mg.ones(2, 2) * mg.ones(2, 2, requires_grad=True)
    t[key] = mg.ones(value_shape, requires_grad=True)
    assert type(t.grad_fn).__name__ == node and _value_edge(t) == edge


def test_setitem_false_alone_does_nothing_and_a_value_too_big_is_refused():
    t = mg.ones(2, 2) * mg.ones(2, 2, requires_grad=True)
    t[False] = 5.0  # torch: nothing happens (grad_fn MulBackward0, _version 0)
    assert type(t.grad_fn).__name__ == "MulBackward0" and t._version == 0
    # torch.ones(2, 2)[[0]] = torch.ones(2, 2) (and ones(1, 1, 3), named without its 1s)
    for value, shown in (((2, 2), r"\[2, 2\]"), ((1, 1, 3), r"\[3\]")):
        with pytest.raises(
            RuntimeError,
            match=rf"^shape mismatch: value tensor of shape {shown} cannot be broadcast to "
            r"indexing result of shape \[1, 2\]$",
        ):
            mg.ones(2, 2)[[0]] = mg.ones(value)


def test_a_gradient_through_the_sum_of_a_0d_tensor_can_be_changed_in_place():
    # Found by the fuzzer (seed fz6b:13742). In torch: t11 = t4.detach(); t11 -= -1.5
    # gives tensor(-0.5000) in both t11 and t4 (minigrad raised numpy's "output array is
    # read-only": the sum of the gradient was numpy's scalar, expanded to shape ())
    t0 = mg.ones((), requires_grad=True)
    t2 = t0.sum() * mg.tensor([-1.5, -0.5], requires_grad=True)
    t4, _ = mg.autograd.grad(t2.sum(), [t0, t2])
    t11 = t4.detach()
    t11 -= -1.5
    assert t11.item() == -0.5 and t4.item() == -0.5


def test_a_list_of_floats_indexes_with_its_entries_cut_to_ints():
    # torch.arange(3.)[[2.7, -1.2]]: tensor([2., 2.]) (the list becomes int64: [2, -1])
    assert mg.arange(3.0)[[2.7, -1.2]].tolist() == [2.0, 2.0]
    # torch.ones(2)[[True, 0.5]]: tensor([1., 1.]) (not a mask: [1, 0])
    assert mg.ones(2)[[True, 0.5]].tolist() == [1.0, 1.0]


@pytest.mark.parametrize(
    ("key", "shape"),
    [
        # torch.ones(2, 3)[..., ...].shape: [2, 3]; the first ... takes what is left
        ((..., ...), (2, 3)),
        ((0, ..., ...), (3,)),
        ((..., 0, ...), (2,)),
        ((..., None, ...), (2, 3, 1)),
        ((..., [0], ...), (2, 1)),
    ],
)
def test_an_index_may_hold_several_ellipses_as_in_pytorch(key, shape):
    assert mg.ones(2, 3)[key].shape == shape


@pytest.mark.parametrize(
    ("key", "shape"),
    [
        # torch.ones(2, 3)[[0, slice(None)]].shape: [3], with the UserWarning
        ([0, slice(None)], (3,)),
        # torch.ones(2, 3)[[[0, 1]]].shape: [2, 3] (the inner list indexes dim 0)
        ([[0, 1]], (2, 3)),
        ([None], (1, 2, 3)),
    ],
)
def test_a_list_holding_a_sequence_slice_or_none_reads_as_a_tuple_with_a_warning(key, shape):
    with pytest.warns(UserWarning, match=r"^Using a non-tuple sequence for multidimensional "):
        assert mg.ones(2, 3)[key].shape == shape


@pytest.mark.parametrize(
    ("call", "message"),
    [
        # torch.ones()
        (lambda: mg.ones(), 'ones() missing 1 required positional arguments: "size"'),
        (lambda: mg.empty(), 'empty() missing 1 required positional arguments: "size"'),
        # torch.ones(2.5), torch.ones(True)
        (
            lambda: mg.ones(2.5),
            "ones(): argument 'size' (position 1) must be tuple of ints, not float",
        ),
        (
            lambda: mg.zeros(True),
            "zeros(): argument 'size' (position 1) must be tuple of ints, not bool",
        ),
        # torch.zeros(2, 3.0), torch.ones((2, None))
        (
            lambda: mg.zeros(2, 3.0),
            "zeros(): argument 'size' failed to unpack the object at pos 2 with error "
            '"type must be tuple of ints,but got float"',
        ),
        (
            lambda: mg.ones((2, None)),
            "ones(): argument 'size' failed to unpack the object at pos 2 with error "
            '"type must be tuple of ints,but got NoneType"',
        ),
        # torch.ones(2).reshape(None), .expand('a'), .permute(0.0), .view(2, 1.0)
        (
            lambda: mg.ones(2).reshape(None),
            "reshape(): argument 'shape' (position 1) must be tuple of ints, not NoneType",
        ),
        (
            lambda: mg.ones(2).expand("a"),
            "expand(): argument 'size' (position 1) must be tuple of ints, not str",
        ),
        (
            lambda: mg.ones(2).permute(0.0),
            "permute(): argument 'dims' (position 1) must be tuple of ints, not float",
        ),
        (
            lambda: mg.ones(2).view(2, 1.0),
            "view(): argument 'size' failed to unpack the object at pos 2 with error "
            '"type must be tuple of ints,but got float"',
        ),
    ],
)
def test_sizes_that_are_not_ints_are_refused_in_the_words_of_pytorch(call, message):
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        call()


def test_a_0d_integer_tensor_counts_as_a_size():
    # torch.ones(torch.tensor(2)): tensor([1., 1.]); torch.ones(2).reshape(torch.tensor(2))
    assert mg.ones(mg.tensor(2)).shape == (2,)
    assert mg.ones(2).reshape(mg.tensor(2)).shape == (2,)


@pytest.mark.parametrize("function", [mg.softmax, mg.log_softmax])
def test_second_derivative_of_softmax_of_a_0d_tensor(function):
    # Found by the fuzzer (seed fz6c:8792): minigrad raised "too many values to unpack".
    # torch: t0.grad tensor(0.), t3.grad tensor(1.)
    t0 = mg.tensor(0.5, requires_grad=True)
    (t2,) = mg.autograd.grad(function(t0, 0), [t0], create_graph=True)
    t3 = mg.tensor(1.0, requires_grad=True)
    (t2 + t3).view(1).backward()
    assert t0.grad.item() == 0.0 and t3.grad.item() == 1.0


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        (mg.no_grad, r"^A view was created in no_grad mode and its base or another view of its "),
        (mg.inference_mode, r"^A view was created in inference mode and its base or another "),
    ],
)
def test_a_saved_view_made_with_grad_off_whose_base_changed_raises_the_view_error(mode, message):
    # Found by the fuzzer (seed fz6c:1616). torch: t1 = t0 * 1; with mode(): t2 = t1[0];
    # t3 = t2.log(); t1.add_(1); t3.sum().backward() raises the view error (building the
    # version error reads t2.grad_fn, which PyTorch refuses to rebuild), not the version error
    t0 = mg.tensor([[1.0], [2.0]], requires_grad=True)
    t1 = t0 * 1
    with mode():
        t2 = t1[0]
    t3 = t2.log()
    t1.add_(1)
    with pytest.raises(RuntimeError, match=message):
        t3.sum().backward()


@pytest.mark.parametrize(
    ("call", "shape", "node"),
    [
        # torch.ones(2, 3, requires_grad=True).sum(): (), SumBackward0
        (lambda t: t.sum(), (), "SumBackward0"),
        # .sum(None): the dim overload, SumBackward1; .sum(None, True): (1, 1)
        (lambda t: t.sum(None), (), "SumBackward1"),
        (lambda t: t.sum(None, True), (1, 1), "SumBackward1"),
        (lambda t: mg.sum(t, dim=None, keepdim=True), (1, 1), "SumBackward1"),
        (lambda t: t.sum((), True), (1, 1), "SumBackward1"),
        (lambda t: t.mean(), (), "MeanBackward0"),
        (lambda t: t.mean(None), (), "MeanBackward1"),
        (lambda t: t.mean(None, True), (1, 1), "MeanBackward1"),
    ],
)
def test_sum_and_mean_with_dim_none_are_pytorch_dim_overload(call, shape, node):
    t = mg.ones(2, 3, requires_grad=True)
    result = call(t)
    assert result.shape == shape and type(result.grad_fn).__name__ == node
    result.sum().backward()
    assert t.grad.shape == (2, 3)


def test_copyslices_under_create_graph_takes_the_views_place_with_as_strided():
    # Found by the fuzzer (seed fz6d:14694). In torch, the gradient of t1 below is
    # SigmoidBackwardBackward0 -> CloneBackward0 -> AsStridedBackward0 -> CopyBackwards:
    # CopySlices picks the view's place in its copy with as_strided (minigrad replayed
    # the view: ViewBackward0)
    t1 = mg.tensor([3.0, 2.0, 1.5], dtype=mg.float64, requires_grad=True)
    t3 = mg.tensor([3.953, 3.881, 3.818], dtype=mg.float64, requires_grad=True)
    t4 = mg.zeros(3, dtype=mg.float64)
    t5 = t4.view(-1)
    t5 += t1.sigmoid()
    t10, _ = mg.autograd.grad(t5 @ t3, [t1, t4], create_graph=True)
    assert _chain(t10)[:4] == [
        "SigmoidBackwardBackward0",
        "CloneBackward0",
        "AsStridedBackward0",
        "CopyBackwards",
    ]


def _invalid_combination(function, got):
    """PyTorch 2.13's argument-parser TypeError for ``t.sum``/``t.mean`` (recorded)."""
    return (
        f"{function}() received an invalid combination of arguments - got ({got}), but "
        "expected one of:\n * (*, torch.dtype dtype = None)\n"
        " * (tuple of ints dim, bool keepdim = False, *, torch.dtype dtype = None)\n"
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        # torch.ones(2, 3).sum(keepdim=True): the no-dim overload takes no keepdim
        (lambda t: t.sum(keepdim=True), _invalid_combination("sum", "keepdim=bool, ")),
        # torch.ones(2, 3).sum(keepdim=False): not even False
        (lambda t: t.sum(keepdim=False), _invalid_combination("sum", "keepdim=bool, ")),
        # torch.ones(2, 3).sum(keepdims=True)
        (lambda t: t.sum(keepdims=True), _invalid_combination("sum", "keepdims=bool, ")),
        # torch.ones(2, 3).mean(keepdim=True)
        (lambda t: t.mean(keepdim=True), _invalid_combination("mean", "keepdim=bool, ")),
        # torch.ones(2, 3).transpose(0, 1.0)
        (
            lambda t: t.transpose(0, 1.0),
            "transpose(): argument 'dim1' (position 2) must be int, not float",
        ),
        # torch.ones(2, 3).transpose(True, 0): a bool is no dimension
        (
            lambda t: t.transpose(True, 0),
            "transpose(): argument 'dim0' (position 1) must be int, not bool",
        ),
        # torch.ones(2, 3).unsqueeze(None)
        (
            lambda t: t.unsqueeze(None),
            "unsqueeze(): argument 'dim' (position 1) must be int, not NoneType",
        ),
        # torch.ones(2, 3).softmax(0.0)
        (lambda t: t.softmax(0.0), "softmax(): argument 'dim' (position 1) must be int, not float"),
        # torch.ones(2, 3).softmax(None)
        (
            lambda t: t.softmax(None),
            "softmax(): argument 'dim' (position 1) must be int, not NoneType",
        ),
        # torch.nn.functional.log_softmax(torch.ones(2, 3), 0.0)
        (
            lambda t: mg.nn.functional.log_softmax(t, 0.0),
            "log_softmax(): argument 'dim' (position 1) must be int, not float",
        ),
        # torch.ones(2, 3).sum('a'): no overload of sum fits
        (lambda t: t.sum("a"), _invalid_combination("sum", "str")),
        # torch.ones(2, 3).sum(1.0)
        (lambda t: t.sum(1.0), _invalid_combination("sum", "float")),
        # torch.ones(2, 3).sum(True)
        (lambda t: t.sum(True), _invalid_combination("sum", "bool")),
        # torch.ones(2, 3).mean(1.0)
        (lambda t: t.mean(1.0), _invalid_combination("mean", "float")),
    ],
)
def test_keepdim_and_dims_pytorch_refuses_are_refused_in_its_words(call, message):
    with pytest.raises(TypeError) as info:
        call(mg.ones(2, 3))
    assert str(info.value) == message


def test_sum_and_mean_with_dim_none_still_take_keepdim():
    # torch.ones(2, 3).sum(None, keepdim=True) is tensor([[6.]]); .sum(axis=None,
    # keepdims=True) too; .mean(None, keepdim=True) is tensor([[1.]])
    t = mg.ones(2, 3)
    assert t.sum(None, keepdim=True).tolist() == [[6.0]]
    assert t.sum(axis=None, keepdims=True).tolist() == [[6.0]]
    assert t.mean(None, keepdim=True).tolist() == [[1.0]]
    assert t.sum(0, keepdim=True).shape == (1, 3)


def test_a_0d_integer_tensor_counts_as_a_dim():
    # torch.ones(2, 3).unsqueeze(torch.tensor(0)).shape is (1, 2, 3);
    # torch.ones(2, 3).sum(torch.tensor(0)) is tensor([2., 2., 2.])
    t = mg.ones(2, 3)
    assert t.unsqueeze(mg.tensor(0)).shape == (1, 2, 3)
    assert t.sum(mg.tensor(0)).tolist() == [2.0, 2.0, 2.0]


@pytest.mark.parametrize("function", ["ones", "zeros", "empty", "randn", "rand"])
def test_a_size_may_be_given_by_keyword(function):
    # torch.ones(size=(2, 3)).shape is (2, 3), and so for zeros, empty, randn, rand;
    # torch.ones(size=[2]) and torch.ones(size=()) (a 0-d tensor) too
    create = getattr(mg, function)
    assert create(size=(2, 3)).shape == (2, 3)
    assert create(size=[2]).shape == (2,)
    assert create(size=()).shape == ()


def test_ones_and_zeros_by_keyword_keep_their_values_and_dtype():
    # torch.ones(size=(2,)) is tensor([1., 1.]); torch.zeros(size=(2,), dtype=torch.int64)
    # is tensor([0, 0])
    assert mg.ones(size=(2,)).tolist() == [1.0, 1.0]
    zeros = mg.zeros(size=(2,), dtype=mg.int64)
    assert zeros.tolist() == [0, 0] and zeros.dtype == mg.int64


@pytest.mark.parametrize(
    ("call", "message"),
    [
        # torch.ones(2, size=(2,))
        (lambda: mg.ones(2, size=(2,)), "ones() got multiple values for argument 'size'"),
        # torch.ones(size=2): by keyword, a size is a sequence
        (lambda: mg.ones(size=2), "ones(): argument 'size' must be tuple of ints, not int"),
        # torch.randn(size=2)
        (lambda: mg.randn(size=2), "randn(): argument 'size' must be tuple of ints, not int"),
        # torch.ones(size=(2, 1.0))
        (
            lambda: mg.ones(size=(2, 1.0)),
            "ones(): argument 'size' failed to unpack the object at pos 2 with error "
            '"type must be tuple of ints,but got float"',
        ),
    ],
)
def test_a_size_by_keyword_is_refused_in_the_words_of_pytorch(call, message):
    with pytest.raises(TypeError) as info:
        call()
    assert str(info.value) == message


def _no_overload(function, got, signatures):
    """PyTorch 2.13's argument-parser TypeError when no overload fits (recorded)."""
    listed = "".join(f"{line}\n" if line[0] == " " else f" * {line}\n" for line in signatures)
    return (
        f"{function}() received an invalid combination of arguments - got {got}, "
        f"but expected one of:\n{listed}"
    )


def _bad(kind):
    return f"      didn't match because some of the arguments have invalid types: {kind}"


_MAX_METHOD = ("()", _bad("(!float!)"), "(Tensor other)", _bad("(!float!)"))
_SQUEEZE = ("()", "(int dim)", "(tuple of ints dim)")
_ALL = ("(tuple of ints dim = None, bool keepdim = False)", "(int dim, bool keepdim = False)")


# Each call was run on torch 2.13.0 (the same call with torch for mg); the message is
# what it raised, a TypeError. Module-level calls count the tensor as argument 1.
NON_INT_DIMS = [
    # torch.ones(2, 1, 3).squeeze(1.0): no overload of squeeze takes it
    (
        lambda: mg.ones(2, 1, 3).squeeze(1.0),
        _no_overload("squeeze", "(float)", [x for s in _SQUEEZE for x in (s, _bad("(!float!)"))]),
    ),
    # torch.ones(2, 1, 3).squeeze(None): None is no dim of squeeze
    (
        lambda: mg.ones(2, 1, 3).squeeze(None),
        _no_overload(
            "squeeze", "(NoneType)", [x for s in _SQUEEZE for x in (s, _bad("(!NoneType!)"))]
        ),
    ),
    # torch.ones(2, 3).squeeze((1.0, 1)): the first entry tells a tuple of ints
    (
        lambda: mg.ones(2, 3).squeeze((1.0, 1)),
        _no_overload(
            "squeeze",
            "(tuple)",
            [x for s in _SQUEEZE for x in (s, _bad("(!tuple of (float, int)!)"))],
        ),
    ),
    # torch.squeeze(torch.ones(2, 1, 3), 1.0)
    (
        lambda: mg.squeeze(mg.ones(2, 1, 3), 1.0),
        _no_overload(
            "squeeze",
            "(Tensor, float)",
            [
                "(Tensor input)",
                "(Tensor input, int dim)",
                _bad("(Tensor, !float!)"),
                "(Tensor input, tuple of ints dim)",
                _bad("(Tensor, !float!)"),
            ],
        ),
    ),
    # torch.ones(2, 3).flatten(0.0), .flatten(0, 1.0), torch.flatten(t, 0, 'a')
    (
        lambda: mg.ones(2, 3).flatten(0.0),
        "flatten(): argument 'start_dim' (position 1) must be int, not float",
    ),
    (
        lambda: mg.ones(2, 3).flatten(0, 1.0),
        "flatten(): argument 'end_dim' (position 2) must be int, not float",
    ),
    (
        lambda: mg.flatten(mg.ones(2, 3), 0, "a"),
        "flatten(): argument 'end_dim' (position 3) must be int, not str",
    ),
    # torch.ones(2, 3).max(1.0), .max(None), .min(1.0)
    (
        lambda: mg.ones(2, 3).max(1.0),
        _no_overload("max", "(float)", [*_MAX_METHOD, "(int dim, bool keepdim = False)"]),
    ),
    (
        lambda: mg.ones(2, 3).max(None),
        _no_overload(
            "max",
            "(NoneType)",
            [
                "()",
                _bad("(!NoneType!)"),
                "(Tensor other)",
                _bad("(!NoneType!)"),
                "(int dim, bool keepdim = False)",
            ],
        ),
    ),
    (
        lambda: mg.ones(2, 3).min(1.0),
        _no_overload("min", "(float)", [*_MAX_METHOD, "(int dim, bool keepdim = False)"]),
    ),
    # torch.ones(2, 3).max(keepdim=True): keepdim needs a dim
    (
        lambda: mg.ones(2, 3).max(keepdim=True),
        _no_overload(
            "max",
            "(keepdim=bool, )",
            [
                "()",
                "      didn't match because some of the keywords were incorrect: keepdim",
                "(Tensor other)",
                "      didn't match because some of the keywords were incorrect: keepdim",
                "(int dim, bool keepdim = False)",
            ],
        ),
    ),
    # torch.max(torch.ones(2, 3), 1.0)
    (
        lambda: mg.max(mg.ones(2, 3), 1.0),
        _no_overload(
            "max",
            "(Tensor, float)",
            [
                "(Tensor input, *, Tensor out = None)",
                "(Tensor input, Tensor other, *, Tensor out = None)",
                "(Tensor input, int dim, bool keepdim = False, *, tuple of Tensors out = None)",
            ],
        ),
    ),
    # torch.ones(2, 3).argmax(1.0), torch.argmax(t, 1.0)
    (
        lambda: mg.ones(2, 3).argmax(1.0),
        "argmax(): argument 'dim' (position 1) must be int, not float",
    ),
    (
        lambda: mg.argmax(mg.ones(2, 3), 1.0),
        "argmax(): argument 'dim' (position 2) must be int, not float",
    ),
    # torch.ones(2, 3).all(1.0), .any(1.0), .all((0, 1.0))
    (
        lambda: mg.ones(2, 3).all(1.0),
        _no_overload("all", "(float)", ["()", _bad("(!float!)"), *_ALL]),
    ),
    (
        lambda: mg.ones(2, 3).any(1.0),
        _no_overload("any", "(float)", ["()", _bad("(!float!)"), *_ALL]),
    ),
    (
        lambda: mg.ones(2, 3).all((0, 1.0)),
        "all(): argument 'dim' failed to unpack the object at pos 2 with error "
        '"type must be tuple of ints,but got float"',
    ),
    # torch.ones(2, 3).size(1.0), .size(True)
    (lambda: mg.ones(2, 3).size(1.0), "size(): argument 'dim' (position 1) must be int, not float"),
    (lambda: mg.ones(2, 3).size(True), "size(): argument 'dim' (position 1) must be int, not bool"),
    # torch.cat([torch.ones(2)], 0.0), torch.stack([torch.ones(2)], None)
    (
        lambda: mg.cat([mg.ones(2)], 0.0),
        "cat(): argument 'dim' (position 2) must be int, not float",
    ),
    (
        lambda: mg.stack([mg.ones(2)], None),
        "stack(): argument 'dim' (position 2) must be int, not NoneType",
    ),
    # torch.ones(2, 3).sum((0, 1.5)), .sum((1.0, 0)), .sum((True,))
    (
        lambda: mg.ones(2, 3).sum((0, 1.5)),
        "sum(): argument 'dim' failed to unpack the object at pos 2 with error "
        '"type must be tuple of ints,but got float"',
    ),
    (lambda: mg.ones(2, 3).sum((1.0, 0)), _invalid_combination("sum", "tuple")),
    (lambda: mg.ones(2, 3).sum((True,)), _invalid_combination("sum", "tuple")),
    # torch.ones((True, 2)), torch.ones(2, 3).permute((1.0, 0))
    (
        lambda: mg.ones((True, 2)),
        "ones(): argument 'size' (position 1) must be tuple of ints, but found element of "
        "type bool at pos 0",
    ),
    (
        lambda: mg.ones(2, 3).permute((1.0, 0)),
        "permute(): argument 'dims' (position 1) must be tuple of ints, but found element of "
        "type float at pos 0",
    ),
    # torch.ones(True, 2), torch.ones(2, 3).reshape(True, 6)
    (lambda: mg.ones(True, 2), "ones() takes 1 positional argument but 2 were given"),
    (
        lambda: mg.ones(2, 3).reshape(True, 6),
        "reshape() takes 1 positional argument but 2 were given",
    ),
]


@pytest.mark.parametrize(("call", "message"), NON_INT_DIMS)
def test_dims_that_are_not_ints_are_refused_in_the_words_of_pytorchs_parser(call, message):
    with pytest.raises(TypeError) as info:
        call()
    assert type(info.value) is TypeError and str(info.value) == message


# keepdim must be a bool. PyTorch says "(position 2)" when it comes by position; minigrad
# cannot tell the two calls apart and words it as given by keyword (arguments.bool_argument).
KEEPDIMS_REFUSED = [
    # torch.ones(2, 3).sum(0, keepdim=None), .mean(0, keepdim=None), .max(0, keepdim=None)
    (
        lambda: mg.ones(2, 3).sum(0, keepdim=None),
        "sum(): argument 'keepdim' must be bool, not NoneType",
    ),
    (
        lambda: mg.ones(2, 3).mean(0, keepdim=None),
        "mean(): argument 'keepdim' must be bool, not NoneType",
    ),
    (
        lambda: mg.ones(2, 3).max(0, keepdim=None),
        "max(): argument 'keepdim' must be bool, not NoneType",
    ),
    # torch.ones(2, 3).sum(0, keepdim=1), .max(0, keepdim=1): not even 1
    (lambda: mg.ones(2, 3).sum(0, keepdim=1), "sum(): argument 'keepdim' must be bool, not int"),
    (lambda: mg.ones(2, 3).max(0, keepdim=1), "max(): argument 'keepdim' must be bool, not int"),
    # torch.zeros(size=None)
    (lambda: mg.zeros(size=None), "zeros(): argument 'size' must be tuple of ints, not NoneType"),
]


@pytest.mark.parametrize(("call", "message"), KEEPDIMS_REFUSED)
def test_a_keepdim_or_size_of_none_is_refused_as_in_pytorch(call, message):
    with pytest.raises(TypeError) as info:
        call()
    assert str(info.value) == message


# The same refusals through the module-level functions: PyTorch counts the tensor as
# argument 1 there (the torch.<name> calls, run on torch 2.13.0).
MODULE_LEVEL = [
    (
        lambda: mg.sum(mg.ones(2, 3), "a"),
        _no_overload(
            "sum",
            "(Tensor, str)",
            [
                "(Tensor input, *, torch.dtype dtype = None)",
                "(Tensor input, tuple of ints dim, bool keepdim = False, *, torch.dtype dtype "
                "= None, Tensor out = None)",
            ],
        ),
    ),
    (
        lambda: mg.mean(mg.ones(2, 3), 1.0),
        _no_overload(
            "mean",
            "(Tensor, float)",
            [
                "(Tensor input, *, torch.dtype dtype = None, Tensor out = None)",
                "(Tensor input, tuple of ints dim, bool keepdim = False, *, torch.dtype dtype "
                "= None, Tensor out = None)",
            ],
        ),
    ),
    (
        lambda: mg.transpose(mg.ones(2, 3), 0, 1.0),
        "transpose(): argument 'dim1' (position 3) must be int, not float",
    ),
    (
        lambda: mg.unsqueeze(mg.ones(2, 3), None),
        "unsqueeze(): argument 'dim' (position 2) must be int, not NoneType",
    ),
    (
        lambda: mg.softmax(mg.ones(2, 3), 0.0),
        "softmax(): argument 'dim' (position 2) must be int, not float",
    ),
    (
        lambda: mg.log_softmax(mg.ones(2, 3), None),
        "log_softmax(): argument 'dim' (position 2) must be int, not NoneType",
    ),
    (
        lambda: mg.reshape(mg.ones(2), None),
        "reshape(): argument 'shape' (position 2) must be tuple of ints, not NoneType",
    ),
    (
        lambda: mg.permute(mg.ones(2), 0.0),
        "permute(): argument 'dims' (position 2) must be tuple of ints, not float",
    ),
]


@pytest.mark.parametrize(("call", "message"), MODULE_LEVEL)
def test_module_level_calls_count_the_tensor_as_argument_one(call, message):
    with pytest.raises(TypeError) as info:
        call()
    assert type(info.value) is TypeError and str(info.value) == message


def test_0d_int_tensors_and_bools_after_the_first_entry_count_as_dims():
    # torch 2.13: t.squeeze(torch.tensor(1)) is SqueezeBackward1, t.squeeze((0, True))
    # SqueezeBackward2 (True counts as 1 after an int), t.flatten(tensor(0), tensor(1))
    # has shape [6], t.argmax(tensor(1)) is [0, 0], t.size(tensor(1)) is 3
    t = mg.ones(2, 1, 3, requires_grad=True)
    assert type(t.squeeze(mg.tensor(1)).grad_fn).__name__ == "SqueezeBackward1"
    squeezed = t.squeeze((0, True))
    assert squeezed.shape == (2, 3) and type(squeezed.grad_fn).__name__ == "SqueezeBackward2"
    assert type(t.squeeze([1]).grad_fn).__name__ == "SqueezeBackward2"
    u = mg.ones(2, 3)
    assert u.flatten(mg.tensor(0), mg.tensor(1)).shape == (6,)
    assert u.argmax(mg.tensor(1)).tolist() == [0, 0] and u.size(mg.tensor(1)) == 3
    assert u.all(mg.tensor(1)).tolist() == [True, True]
    # .sum(dim=(0, True)) is tensor(6.), .mean((0, True)) tensor(1.), torch.ones(2, True)
    # has shape [2, 1]
    assert u.sum(dim=(0, True)).item() == 6.0 and u.mean((0, True)).item() == 1.0
    assert mg.ones(2, True).shape == (2, 1) and u.permute(0, True).shape == (2, 3)


def test_all_and_any_take_several_dims_and_none():
    # torch.ones(2, 3).any((0, 1)) is tensor(True); .all(()) reduces nothing: shape [2, 3];
    # .all([1]) has shape [2]; .all((0, -1), True) [1, 1]; tensor(1.).all((0,)) shape []
    u = mg.ones(2, 3)
    assert u.any((0, 1)).shape == () and u.any((0, 1)).item() is True
    assert u.all(()).shape == (2, 3) and u.all([1]).shape == (2,)
    assert u.all((0, -1), True).shape == (1, 1) and mg.tensor(1.0).all((0,)).shape == ()


def test_max_and_min_of_a_tensor_are_elementwise():
    # torch: a.min(b) for a = [1, 2, 3], b = [2, 2, 2]: [1, 2, 2], MinimumBackward0, a.grad
    # [1, 0.5, 0], b.grad [0, 0.5, 1]; torch.max(a, torch.tensor(2.)): [2, 2, 3], a.grad
    # [0, 0.5, 1]
    a = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = mg.tensor([2.0, 2.0, 2.0], requires_grad=True)
    m = a.min(b)
    assert m.tolist() == [1.0, 2.0, 2.0] and m.grad_fn.name() == "MinimumBackward0"
    m.sum().backward()
    assert a.grad.tolist() == [1.0, 0.5, 0.0] and b.grad.tolist() == [0.0, 0.5, 1.0]
    a.grad = None
    m = mg.max(a, mg.tensor(2.0))
    assert m.tolist() == [2.0, 2.0, 3.0] and m.grad_fn.name() == "MaximumBackward0"
    m.sum().backward()
    assert a.grad.tolist() == [0.0, 0.5, 1.0]


@pytest.mark.parametrize(
    ("function", "shape", "dim"),
    [
        # torch.nn.functional.softmax(t, None): PyTorch warns, then takes dim 0 for 0, 1 or 3
        # dimensions and dim 1 otherwise (softmax of [[1, 2], [3, 5]] is [[0.2689, 0.7311],
        # [0.1192, 0.8808]]: along dim 1)
        ("softmax", (), 0),
        ("softmax", (3,), 0),
        ("softmax", (2, 3), 1),
        ("softmax", (2, 1, 2), 0),
        ("log_softmax", (2, 3, 1, 2), 1),
        ("log_softmax", (3,), 0),
    ],
)
def test_functional_softmax_without_a_dim_warns_and_picks_pytorchs(function, shape, dim):
    t = mg.arange(float(max(1, int(np.prod(shape))))).reshape(shape)
    message = (
        f"Implicit dimension choice for {function} has been deprecated. Change the call to "
        "include dim=X as an argument."
    )
    with pytest.warns(UserWarning, match=f"^{re.escape(message)}$"):
        result = getattr(F, function)(t, None)
    assert np.allclose(result.numpy(), getattr(t, function)(dim).numpy())
    with pytest.warns(UserWarning):
        assert np.allclose(getattr(F, function)(t).numpy(), result.numpy())


def test_functional_softmax_of_two_rows_without_a_dim():
    # torch.nn.functional.softmax(torch.tensor([[1., 2.], [3., 5.]]), None), as printed
    with pytest.warns(UserWarning):
        result = F.softmax(mg.tensor([[1.0, 2.0], [3.0, 5.0]]), None)
    assert np.allclose(result.numpy(), [[0.2689, 0.7311], [0.1192, 0.8808]], atol=1e-4)


def _first_chain(t):
    """Node names from t.grad_fn, each time to the first edge that leads somewhere."""
    names, node = [], t.grad_fn
    while node is not None:
        names.append(node.name().split("::")[-1])
        node = next((n for n, _ in node.next_functions if n is not None), None)
    return names


def test_mm_records_pytorchs_graph_for_an_input_laid_out_column_major():
    # torch 2.13.0, the same program: mm's backward computes the gradient of a column-major
    # input (a 1x1 matrix, a transposed one, a linear layer's weight.t()) transposed
    a = mg.tensor([2.0], requires_grad=True)
    b = mg.tensor([[1.0, 3.0]], requires_grad=True)
    ga, gb = mg.autograd.grad((a @ b).sum(), [a, b], create_graph=True)
    assert ga.tolist() == [4.0] and gb.tolist() == [[2.0, 2.0]]
    assert _first_chain(ga) == ["SqueezeBackward1", "TBackward0", "MmBackward0", "AccumulateGrad"]
    assert _first_chain(gb) == ["MmBackward0", "TBackward0", "UnsqueezeBackward0", "AccumulateGrad"]
    c, d = mg.ones(3, 2, requires_grad=True), mg.ones(3, 4, requires_grad=True)
    gc, gd = mg.autograd.grad((c.T @ d).tanh().sum(), [c, d], create_graph=True)
    assert _first_chain(gc) == ["PermuteBackward0", "TBackward0", "MmBackward0", "AccumulateGrad"]
    assert _first_chain(gd) == ["MmBackward0", "TBackward0", "PermuteBackward0", "AccumulateGrad"]
    linear = mg.nn.Linear(3, 2)
    (gw,) = mg.autograd.grad(linear(mg.ones(4, 3)).tanh().sum(), [linear.weight], create_graph=True)
    assert _first_chain(gw)[:5] == [
        "TBackward0",
        "TBackward0",
        "MmBackward0",
        "TBackward0",
        "TanhBackwardBackward0",
    ]


# Edge inputs of ops, each run on torch 2.13.0 (the same call with torch for mg): the
# error's type and message.
EDGE_INPUTS_REFUSED = [
    # torch.ones(0, 3).max(0), .min(-2), torch.ones(3, 0).max(1, True): nothing to pick
    (
        lambda: mg.ones(0, 3).max(0),
        IndexError,
        "max(): Expected reduction dim 0 to have non-zero size.",
    ),
    (
        lambda: mg.ones(0, 3).min(-2),
        IndexError,
        "min(): Expected reduction dim 0 to have non-zero size.",
    ),
    (
        lambda: mg.ones(3, 0).max(1, True),
        IndexError,
        "max(): Expected reduction dim 1 to have non-zero size.",
    ),
    # torch.ones(3, 0).argmax(-1), torch.ones(0, 3).argmax()
    (
        lambda: mg.ones(3, 0).argmax(-1),
        IndexError,
        "argmax(): Expected reduction dim 1 to have non-zero size.",
    ),
    (
        lambda: mg.ones(0, 3).argmax(),
        IndexError,
        "argmax(): Expected reduction dim to be specified for input.numel() == 0.",
    ),
    # torch.tensor([True, False]).argmax(), .abs(), .relu()
    (
        lambda: mg.tensor([True, False]).argmax(),
        RuntimeError,
        "argmax(): does not support bool input",
    ),
    (
        lambda: mg.tensor([True, False]).abs(),
        NotImplementedError,
        "\"abs_cpu\" not implemented for 'Bool'",
    ),
    (
        lambda: mg.tensor([True, False]).relu(),
        RuntimeError,
        "Boolean inputs not supported for relu",
    ),
    # torch.mm(3, t), torch.mm(t, None), t.mm(3): PyTorch's parser, positions counted
    (
        lambda: mg.mm(3, mg.ones(2, 2)),
        TypeError,
        "mm(): argument 'input' (position 1) must be Tensor, not int",
    ),
    (
        lambda: mg.mm(mg.ones(2, 2), None),
        TypeError,
        "mm(): argument 'mat2' (position 2) must be Tensor, not NoneType",
    ),
    (
        lambda: mg.ones(2, 2).mm(3),
        TypeError,
        "mm(): argument 'mat2' (position 1) must be Tensor, not int",
    ),
    # torch.matmul(t, 3), t.matmul(3), torch.dot(t, 3), t.dot(3)
    (
        lambda: mg.matmul(mg.ones(2, 2), 3),
        TypeError,
        "matmul(): argument 'other' (position 2) must be Tensor, not int",
    ),
    (
        lambda: mg.ones(2, 2).matmul(3),
        TypeError,
        "matmul(): argument 'other' (position 1) must be Tensor, not int",
    ),
    (
        lambda: mg.dot(mg.ones(2), 3),
        TypeError,
        "dot(): argument 'tensor' (position 2) must be Tensor, not int",
    ),
    (
        lambda: mg.ones(2).dot(3),
        TypeError,
        "dot(): argument 'tensor' (position 1) must be Tensor, not int",
    ),
    # torch.where(torch.tensor([1., 0.]), a, b): the condition's dtype named
    (
        lambda: mg.where(mg.tensor([1.0, 0.0]), mg.ones(2), mg.zeros(2)),
        RuntimeError,
        "where expected condition to be a boolean tensor, but got a tensor with dtype Float",
    ),
    # t.permute(), t.reshape(), t.expand(), torch.reshape(t): no shape at all
    (
        lambda: mg.ones(2, 3).permute(),
        TypeError,
        'permute() missing 1 required positional arguments: "dims"',
    ),
    (
        lambda: mg.ones(2, 3).reshape(),
        TypeError,
        'reshape() missing 1 required positional arguments: "shape"',
    ),
    (
        lambda: mg.tensor(2.0).expand(),
        TypeError,
        'expand() missing 1 required positional arguments: "size"',
    ),
    (
        lambda: mg.reshape(mg.ones(2)),
        TypeError,
        'reshape() missing 1 required positional arguments: "shape"',
    ),
    # t.requires_grad_(1), .requires_grad_(None): a bool or nothing
    (
        lambda: mg.ones(2).requires_grad_(1),
        TypeError,
        "requires_grad_(): argument 'requires_grad' (position 1) must be bool, not int",
    ),
    (
        lambda: mg.ones(2).requires_grad_(None),
        TypeError,
        "requires_grad_(): argument 'requires_grad' (position 1) must be bool, not NoneType",
    ),
    # torch.eye(2.5), torch.eye(True), torch.linspace(0, 1, -1)
    (lambda: mg.eye(2.5), TypeError, "eye(): argument 'n' (position 1) must be int, not float"),
    (lambda: mg.eye(True), TypeError, "eye(): argument 'n' (position 1) must be int, not bool"),
    (lambda: mg.linspace(0, 1, -1), RuntimeError, "number of steps must be non-negative"),
    # torch.tensor(2**63), torch.tensor([[2**64]]): a ValueError, without the number
    (lambda: mg.tensor(2**63), ValueError, "Overflow when unpacking long long"),
    (lambda: mg.tensor([[2**64]]), ValueError, "Overflow when unpacking long long"),
    # ~torch.ones(2): invert is for integers and bools
    (
        lambda: ~mg.ones(2),
        TypeError,
        "~ (operator.invert) is only implemented on integer and Boolean-type tensors",
    ),
    # torch.ones(2).fill_(None): fill_ takes a Tensor or a Number
    (
        lambda: mg.ones(2).fill_(None),
        TypeError,
        "fill_() received an invalid combination of arguments - got (NoneType), but expected "
        "one of:\n * (Tensor value)\n      didn't match because some of the arguments have "
        "invalid types: (!NoneType!)\n * (Number value)\n      didn't match because some of "
        "the arguments have invalid types: (!NoneType!)\n",
    ),
    # F.nll_loss(torch.ones(2, 3), torch.tensor([0.])): the batch sizes before the dtype
    (
        lambda: F.nll_loss(mg.ones(2, 3), mg.tensor([0.0])),
        ValueError,
        "Expected input batch_size (2) to match target batch_size (1).",
    ),
    (
        lambda: F.cross_entropy(mg.ones(2, 3), mg.tensor([0])),
        ValueError,
        "Expected input batch_size (2) to match target batch_size (1).",
    ),
    # F.batch_norm(torch.ones(2, 4), torch.zeros(3), torch.ones(3), training=True)
    (
        lambda: F.batch_norm(mg.ones(2, 4), mg.zeros(3), mg.ones(3), training=True),
        RuntimeError,
        "running_mean should contain 4 elements not 3",
    ),
    # t = torch.ones(2); t[0] = 'a' (and None, [1.0]): the value's type named
    (
        lambda: mg.ones(2).__setitem__(0, "a"),
        TypeError,
        "can't assign a str to a minigrad.FloatTensor",
    ),
    (
        lambda: mg.ones(2, dtype=mg.int64).__setitem__(0, None),
        TypeError,
        "can't assign a NoneType to a minigrad.LongTensor",
    ),
    # t[0] = torch.ones(2): expand's own message (a shape of no sizes)
    (
        lambda: mg.ones(2).__setitem__(0, mg.ones(2)),
        RuntimeError,
        "expand(minigrad.FloatTensor{[2]}, size=[]): the number of sizes provided (0) must be "
        "greater or equal to the number of dimensions in the tensor (1)",
    ),
    # t.view(): the other overload takes a dtype
    (
        lambda: mg.tensor(2.0).view(),
        TypeError,
        "view() received an invalid combination of arguments - got (), but expected one of:\n"
        " * (torch.dtype dtype)\n * (tuple of ints size)\n",
    ),
]


@pytest.mark.parametrize(("call", "error", "message"), EDGE_INPUTS_REFUSED)
def test_edge_inputs_are_refused_as_pytorch_refuses_them(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert type(info.value) is error and str(info.value) == message


def test_edge_inputs_pytorch_accepts():
    # torch 2.13.0: torch.ones(0, 3).max(1) is empty values and indices; .argmax(1) too;
    # torch.tensor([True, False]).sign() is tensor([ True, False]); torch.where(c, 1.0, 0.0)
    # is float32, where(c, 1, 0) int64, where(c, True, False) bool
    values, indices = mg.ones(0, 3).max(1)
    assert values.shape == (0,) and indices.dtype == mg.int64
    assert mg.ones(0, 3).argmax(1).shape == (0,)
    signs = mg.tensor([True, False]).sign()
    assert signs.dtype == mg.bool and signs.tolist() == [True, False]
    condition = mg.tensor([True, False])
    assert mg.where(condition, 1.0, 0.0).dtype == mg.float32
    assert mg.where(condition, 1, 0).dtype == mg.int64
    assert mg.where(condition, True, False).dtype == mg.bool
    assert mg.where(condition, 1, 0.5).tolist() == [1.0, 0.5]
    # ~torch.tensor([1, 2]) is tensor([-2, -3]) (bitwise), ~torch.tensor([True, False])
    # tensor([False, True])
    assert (~mg.tensor([1, 2])).tolist() == [-2, -3]
    assert (~mg.tensor([True, False])).tolist() == [False, True]
    # F.mse_loss(torch.ones(2), torch.ones(3)): its warning, then PyTorch's broadcast error
    with pytest.warns(UserWarning, match="^Using a target size"):
        with pytest.raises(RuntimeError, match=r"^The size of tensor a \(2\) must match the size"):
            F.mse_loss(mg.ones(2), mg.ones(3))
    # torch.eye(torch.tensor(2)) is the 2x2 identity
    assert mg.eye(mg.tensor(2)).tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_an_inference_gradient_detached_outside_inference_mode_may_be_zeroed():
    # torch 2.13.0, the same program: x.grad, made by a backward inside inference_mode, is an
    # inference tensor; x.grad.zero_() raises, x.grad.detach().zero_() works (the detached
    # tensor is still an inference tensor, but counts versions: _version 0, then 1)
    x = mg.ones(2, requires_grad=True)
    y = (x * 2).sum()
    with mg.inference_mode():
        y.backward()
    assert x.grad.is_inference()
    with pytest.raises(RuntimeError, match="^Inplace update to inference tensor outside"):
        x.grad.zero_()
    detached = x.grad.detach()
    assert detached.is_inference() and detached._version == 0
    detached.zero_()
    assert detached._version == 1 and x.grad.tolist() == [0.0, 0.0]
    with mg.inference_mode():  # detached inside inference mode: a plain inference tensor
        inside = x.grad.detach()
    with pytest.raises(RuntimeError, match="^Inplace update to inference tensor outside"):
        inside.add_(1)


def test_backward_inputs_that_do_not_require_grad_are_refused_by_retain_grad():
    # torch 2.13.0: (x * 2).sum().backward(inputs=[y]) for y = torch.ones(2) raises
    # "can't retain_grad on Tensor that has requires_grad=False" (it retains each input's
    # grad), and so for inputs=[x, y]; x.grad stays None
    x, y = mg.ones(2, requires_grad=True), mg.ones(2)
    for inputs in ([y], [x, y]):
        with pytest.raises(RuntimeError) as info:
            (x * 2).sum().backward(inputs=inputs)
        assert str(info.value) == "can't retain_grad on Tensor that has requires_grad=False"
    assert x.grad is None


@pytest.mark.parametrize(
    ("shape", "key"),
    [
        ((2, 3), (slice(None), slice(0, 1))),
        ((3,), slice(0, 1)),
        ((2, 1, 2), (0,)),
        ((1, 3), (slice(None), slice(1, 3))),
    ],
)
def test_a_rebuilt_views_recorded_gradient_leaves_out_its_dims_of_size_1(shape, key):
    # Found by the fuzzer (seed f8f:2157). torch 2.13.0: t = b * 1; v = t[key]; t.mul_(2);
    # the gradient of v.tanh().sum() with respect to t under create_graph is
    # AsStridedBackward0 over CopySlices whose copied gradient is squeezed first
    # (as_strided_backward leaves out dims of size 1): SqueezeBackward1 over the tanh's
    b = mg.ones(*shape, dtype=mg.float64, requires_grad=True)
    t = b * 1
    v = t[key]
    t.mul_(2)
    (g,) = mg.autograd.grad(v.tanh().sum(), [t], create_graph=True)
    copy_slices = g.grad_fn.next_functions[0][0]
    assert g.grad_fn.name() == "AsStridedBackward0"
    assert copy_slices.name().split("::")[-1] == "CopySlices"
    copied = copy_slices.next_functions[1][0]
    assert copied.name() == "SqueezeBackward1"
    assert copied.next_functions[0][0].name() == "TanhBackwardBackward0"


def test_an_inference_tensor_is_written_then_refused_outside_inference_mode():
    # Found by the fuzzer (seed f8h:8085). torch 2.13.0 writes first and only then refuses
    # (its version counter, which an inference tensor lacks, is bumped after the kernel):
    # x.grad.zero_() on a .grad made in inference mode raises and leaves zeros; add_(1) and
    # mul_(3) on an inference tensor leave 2s, then 6s; a later backward adds into the .grad,
    # then raises (x.grad becomes [3., 3.] from [0., 0.])
    message = "^Inplace update to inference tensor outside InferenceMode is not allowed"
    x = mg.ones(2, requires_grad=True)
    y = (x * 2).sum()
    with mg.inference_mode():
        y.backward()
    with pytest.raises(RuntimeError, match=message):
        x.grad.zero_()
    assert x.grad.tolist() == [0.0, 0.0]
    with pytest.raises(RuntimeError, match=message):
        (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    with mg.inference_mode():
        t = mg.ones(2)
    with pytest.raises(RuntimeError, match=message):
        t.add_(1)
    with pytest.raises(RuntimeError, match=message):
        t.mul_(3)
    assert t.tolist() == [6.0, 6.0]


def test_reductions_take_numpys_names_for_dim_and_keepdim():
    # torch 2.13.0: t = torch.ones(2, 3); t.mean(axis=0, keepdims=True).shape is [1, 3],
    # t.max(axis=0, keepdims=True).values.shape [1, 3], t.min(axis=0).values.shape [3],
    # t.argmax(axis=0).shape [3], t.all(axis=0).shape [3], t.any(axis=1).shape [2]
    t = mg.ones(2, 3)
    assert t.mean(axis=0, keepdims=True).shape == (1, 3)
    assert t.max(axis=0, keepdims=True).values.shape == (1, 3)
    assert t.min(axis=0).values.shape == (3,) and t.argmax(axis=0).shape == (3,)
    assert t.all(axis=0).shape == (3,) and t.any(axis=1).shape == (2,)


def test_shapes_and_dims_may_come_by_keyword_under_pytorchs_names():
    # torch 2.13.0: t = torch.ones(2, 3); t.view(size=[6]).shape is [6], t.permute(dims=[1,
    # 0]).shape [3, 2], t.expand(size=(2, 3)).shape [2, 3], t.squeeze(axis=0).shape [2, 3];
    # torch.cat([torch.ones(2)], axis=0).shape [2], torch.stack(..., axis=0).shape [1, 2]
    t = mg.ones(2, 3)
    assert t.view(size=[6]).shape == (6,) and t.permute(dims=[1, 0]).shape == (3, 2)
    assert t.expand(size=(2, 3)).shape == (2, 3) and t.squeeze(axis=0).shape == (2, 3)
    assert mg.cat([mg.ones(2)], axis=0).shape == (2,)
    assert mg.stack([mg.ones(2)], axis=0).shape == (1, 2)


def test_a_bool_tensor_to_a_power_takes_pytorchs_dtype():
    # torch 2.13.0: b = torch.tensor([True, False]); (b ** 2) is tensor([1, 0]) int64,
    # b ** 0 tensor([1, 1]) int64, b ** True tensor([True, False]), b ** False
    # tensor([True, True]) (bool), b ** torch.tensor(2) tensor([1, 0]) int64;
    # b ** torch.tensor([True, True]) raises NotImplementedError: "pow" not implemented for 'Bool'
    b = mg.tensor([True, False])
    assert (b**2).dtype == mg.int64 and (b**2).tolist() == [1, 0]
    assert (b**0).dtype == mg.int64 and (b**0).tolist() == [1, 1]
    assert (b**True).dtype == mg.bool and (b**True).tolist() == [True, False]
    assert (b**False).dtype == mg.bool and (b**False).tolist() == [True, True]
    assert (b ** mg.tensor(2)).dtype == mg.int64 and (b ** mg.tensor(2)).tolist() == [1, 0]
    with pytest.raises(NotImplementedError, match="^\"pow\" not implemented for 'Bool'$"):
        b ** mg.tensor([True, True])


def test_a_slice_step_of_zero_has_pythons_message():
    # torch 2.13.0: torch.ones(3)[::0] and torch.ones(3, 3)[:, ::0] raise ValueError:
    # slice step cannot be zero; torch.ones(3)[::-1]: step must be greater than zero
    with pytest.raises(ValueError, match="^slice step cannot be zero$"):
        mg.ones(3)[::0]
    with pytest.raises(ValueError, match="^slice step cannot be zero$"):
        mg.ones(3, 3)[:, ::0]
    with pytest.raises(ValueError, match="^step must be greater than zero$"):
        mg.ones(3)[::-1]


def test_unsqueeze_softmax_and_reshape_take_their_arguments_by_numpys_names_too():
    # torch 2.13.0: t = torch.ones(2, 3); t.unsqueeze(axis=0).shape and
    # torch.unsqueeze(t, axis=0).shape are [1, 2, 3]; t.softmax(axis=0).shape,
    # torch.softmax(t, axis=0).shape, t.log_softmax(axis=1).shape [2, 3];
    # t.reshape(shape=(3, 2)).shape and torch.reshape(t, shape=(3, 2)).shape [3, 2];
    # t.unsqueeze() raises TypeError: unsqueeze() missing 1 required positional arguments: "dim"
    t = mg.ones(2, 3)
    assert t.unsqueeze(axis=0).shape == (1, 2, 3) and mg.unsqueeze(t, axis=0).shape == (1, 2, 3)
    assert t.softmax(axis=0).shape == (2, 3) and mg.softmax(t, axis=0).shape == (2, 3)
    assert t.log_softmax(axis=1).shape == (2, 3)
    assert t.reshape(shape=(3, 2)).shape == (3, 2) and mg.reshape(t, shape=(3, 2)).shape == (3, 2)
    with pytest.raises(
        TypeError, match=r'^unsqueeze\(\) missing 1 required positional arguments: "dim"$'
    ):
        t.unsqueeze()


def test_softmax_with_a_dtype_converts_its_input_first():
    # torch 2.13.0: x = torch.ones(2, 3, requires_grad=True); y = x.softmax(0, dtype=torch.float64):
    # y.dtype float64, y.grad_fn SoftmaxBackward0 whose next is ToCopyBackward0;
    # x.log_softmax(0, torch.float64).dtype float64; F.softmax(x, dim=0, dtype=torch.float64)
    # and F.log_softmax(x, dim=0, dtype=torch.float64) float64; torch.ones(2, 3,
    # dtype=torch.int64).softmax(0, dtype=torch.float32).dtype float32
    x = mg.ones(2, 3, requires_grad=True)
    y = x.softmax(0, dtype=mg.float64)
    assert y.dtype == mg.float64 and y.grad_fn.name() == "SoftmaxBackward0"
    assert y.grad_fn.next_functions[0][0].name() == "ToCopyBackward0"
    assert x.log_softmax(0, mg.float64).dtype == mg.float64
    assert mg.nn.functional.softmax(x, dim=0, dtype=mg.float64).dtype == mg.float64
    assert mg.nn.functional.log_softmax(x, dim=0, dtype=mg.float64).dtype == mg.float64
    assert mg.ones(2, 3, dtype=mg.int64).softmax(0, dtype=mg.float32).dtype == mg.float32


def test_mT_refuses_a_vector_and_hands_a_0d_tensor_back():
    # torch 2.13.0: torch.ones(3).mT raises RuntimeError: tensor.mT is only supported on
    # matrices or batches of matrices. Got 1-D tensor.; a = torch.ones((), requires_grad=True):
    # a.mT is a (True), with the UserWarning "Tensor.mT is deprecated on 0-D tensors. This
    # function is the identity in these cases." (once per process: TORCH_WARN_ONCE)
    with pytest.raises(
        RuntimeError,
        match=r"^tensor\.mT is only supported on matrices or batches of matrices\. Got 1-D tensor\.$",
    ):
        _ = mg.ones(3).mT
    a = mg.ones((), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (it warns once per process: maybe not here)
        assert a.mT is a


def test_nll_loss_and_cross_entropy_take_one_sample_without_a_batch_dimension():
    # torch 2.13.0: x = torch.tensor([0.5, 1.0, 2.0], requires_grad=True);
    # F.nll_loss(x, torch.tensor(1), reduction=r) is tensor(-1., grad_fn=<NllLossBackward0>)
    # of shape [] for r in none, sum, mean; F.nll_loss(x, torch.tensor(2)).backward() gives
    # x.grad [0, 0, -1]; F.cross_entropy(x, torch.tensor(1)) is tensor(1.4644) (NllLossBackward0);
    # F.cross_entropy(x, torch.tensor(2)).backward() gives x.grad
    # [0.14024437963962555, 0.23122388124465942, -0.37146830558776855]
    # (minigrad's log_softmax backward differs from PyTorch's kernel in the last bit of the
    # third, batched or not: compared to 1e-6)
    F = mg.nn.functional
    x = mg.tensor([0.5, 1.0, 2.0], requires_grad=True)
    for reduction in ("none", "sum", "mean"):
        loss = F.nll_loss(x, mg.tensor(1), reduction=reduction)
        assert loss.shape == () and loss.item() == -1.0
        assert loss.grad_fn.name() == "NllLossBackward0"
    F.nll_loss(x, mg.tensor(2)).backward()
    assert x.grad.tolist() == [0.0, 0.0, -1.0]
    x.grad = None
    loss = F.cross_entropy(x, mg.tensor(1))
    assert loss.shape == () and loss.item() == pytest.approx(1.4644, abs=1e-4)
    F.cross_entropy(x, mg.tensor(2)).backward()
    expected = [0.14024437963962555, 0.23122388124465942, -0.37146830558776855]
    assert x.grad.tolist() == pytest.approx(expected, rel=1e-6)


def test_a_linear_layer_may_have_no_inputs():
    # torch 2.13.0: l = torch.nn.Linear(0, 2) warns "Initializing zero-element tensors is a
    # no-op" (kaiming_uniform_ of the (2, 0) weight, before it checks its mode); l.bias is
    # [0., 0.] (bound 0) and l(torch.ones(2, 0)) is [[0., 0.], [0., 0.]]
    with pytest.warns(UserWarning, match="^Initializing zero-element tensors is a no-op$"):
        layer = mg.nn.Linear(0, 2)
    assert layer.weight.shape == (2, 0) and layer.bias.tolist() == [0.0, 0.0]
    assert layer(mg.ones(2, 0)).tolist() == [[0.0, 0.0], [0.0, 0.0]]
    with pytest.warns(UserWarning, match="zero-element"):
        mg.nn.init.kaiming_uniform_(mg.ones(0, 3), mode="bad")


def test_the_squeeze_function_takes_several_dims_by_numpys_name():
    # torch 2.13.0: u = torch.ones(1, 1, 3); torch.squeeze(u, axis=(0, 1)).shape and
    # torch.squeeze(u, dim=(0, 1)).shape are [3]; torch.squeeze(u, axis=0).shape [1, 3]
    u = mg.ones(1, 1, 3)
    assert mg.squeeze(u, axis=(0, 1)).shape == (3,) and mg.squeeze(u, dim=(0, 1)).shape == (3,)
    assert mg.squeeze(u, axis=0).shape == (1, 3)


@pytest.mark.parametrize("shape", [(), (2,)])
def test_autograd_grad_hands_out_one_tensor_for_a_gradient_passed_on_unchanged(shape):
    # torch 2.13.0: t0 = torch.ones(shape, requires_grad=True); t2 = t0 + -2;
    # t6, t7 = torch.autograd.grad((t2 / torch.tensor(2.0)).sum(), [t2, t0]): t6 is t7 (add's
    # backward passes its gradient on as it is), so t7.mul_(3) makes t6 1.5 too, version 1;
    # with t2 = t0 * 1 instead, t6 is not t7
    t0 = mg.ones(shape, requires_grad=True)
    t2 = t0 + -2
    t6, t7 = mg.autograd.grad((t2 / mg.tensor(2.0)).sum(), [t2, t0])
    assert t6 is t7
    t7.mul_(mg.tensor(3.0))
    assert t6.reshape(-1).tolist()[0] == 1.5 and t6._version == 1
    t2 = t0 * 1
    t6, t7 = mg.autograd.grad((t2 / mg.tensor(2.0)).sum(), [t2, t0])
    assert t6 is not t7


def test_all_any_logical_not_reciprocal_and_t_are_module_functions_too():
    # torch 2.13.0: b = torch.tensor([[True, False], [True, True]]); torch.all(b) is
    # tensor(False), torch.all(b, 1) tensor([False, True]), torch.any(b, dim=0)
    # tensor([True, True]), torch.logical_not(b) tensor([[False, True], [False, False]]);
    # x = torch.tensor([[1.0, 2.0], [4.0, -0.5]], requires_grad=True): torch.reciprocal(x) is
    # [[1.0, 0.5], [0.25, -2.0]] (ReciprocalBackward0), torch.t(x) [[1.0, 4.0], [2.0, -0.5]]
    # (TBackward0)
    b = mg.tensor([[True, False], [True, True]])
    assert mg.all(b).item() is False and mg.all(b, 1).tolist() == [False, True]
    assert mg.any(b, dim=0).tolist() == [True, True]
    assert mg.logical_not(b).tolist() == [[False, True], [False, False]]
    x = mg.tensor([[1.0, 2.0], [4.0, -0.5]], requires_grad=True)
    r = mg.reciprocal(x)
    assert r.tolist() == [[1.0, 0.5], [0.25, -2.0]] and r.grad_fn.name() == "ReciprocalBackward0"
    assert mg.t(x).tolist() == [[1.0, 4.0], [2.0, -0.5]] and mg.t(x).grad_fn.name() == "TBackward0"


def test_numpys_names_beside_pytorchs_and_a_wrong_softmax_dtype_are_refused():
    # torch 2.13.0: t = torch.ones(2, 3); t.softmax(0, axis=0) raises TypeError: softmax() got
    # an unexpected keyword argument 'axis'; t.unsqueeze(0, axis=0): unsqueeze() got an
    # unexpected keyword argument 'axis'; t.reshape(6, shape=(6,)): reshape() got multiple
    # values for argument 'shape'; t.softmax(0, dtype="float"): softmax(): argument 'dtype'
    # must be torch.dtype, not str
    t = mg.ones(2, 3)
    with pytest.raises(TypeError, match=r"^softmax\(\) got an unexpected keyword argument 'axis'$"):
        t.softmax(0, axis=0)
    with pytest.raises(
        TypeError, match=r"^unsqueeze\(\) got an unexpected keyword argument 'axis'$"
    ):
        t.unsqueeze(0, axis=0)
    with pytest.raises(TypeError, match=r"^reshape\(\) got multiple values for argument 'shape'$"):
        t.reshape(6, shape=(6,))
    with pytest.raises(
        TypeError, match=r"^softmax\(\): argument 'dtype' must be torch\.dtype, not str$"
    ):
        t.softmax(0, dtype="float")


def test_nll_loss_checks_the_targets_size_against_the_inputs():
    # torch 2.13.0: F.nll_loss(torch.tensor([0.5, 1.0, 2.0]), torch.tensor([1, 2])) raises
    # ValueError: For 1D input, 1D target must have size 1, but got target size: 2;
    # F.nll_loss(torch.ones(2, 3), torch.tensor(1)): Expected input batch_size (2) to match
    # target batch_size (0).
    F = mg.nn.functional
    with pytest.raises(
        ValueError, match="^For 1D input, 1D target must have size 1, but got target size: 2$"
    ):
        F.nll_loss(mg.tensor([0.5, 1.0, 2.0]), mg.tensor([1, 2]))
    with pytest.raises(
        ValueError, match=r"^Expected input batch_size \(2\) to match target batch_size \(0\)\.$"
    ):
        F.nll_loss(mg.ones(2, 3), mg.tensor(1))
