"""In-place operations and version counters.

PyTorch's rules: every in-place change adds one to the tensor's ``_version``,
a counter shared with ``detach()``-ed copies and views (they share the memory);
a node that saved a tensor compares its version at backward time and raises
if it changed; ops that saved nothing (add) cannot be broken that way; a leaf
that requires grad may be changed in place only under ``no_grad``. Expected
gradients are derived by hand beside each test.
"""

import pytest

import minigrad as mg

MODIFIED = (
    "one of the variables needed for gradient computation has been modified by an inplace operation"
)
LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."


def _setitem(t, value):
    t[0] = value


def _iadd(t, value):
    t += value


def _isub(t, value):
    t -= value


def _imul(t, value):
    t *= value


def _idiv(t, value):
    t /= value


INPLACE_CHANGES = {
    "add_": lambda t: t.add_(1.0),
    "sub_": lambda t: t.sub_(1.0),
    "mul_": lambda t: t.mul_(2.0),
    "div_": lambda t: t.div_(2.0),
    "zero_": lambda t: t.zero_(),
    "fill_": lambda t: t.fill_(3.0),
    "copy_": lambda t: t.copy_(mg.tensor([5.0, 6.0])),
    "+=": lambda t: _iadd(t, 1.0),
    "-=": lambda t: _isub(t, 1.0),
    "*=": lambda t: _imul(t, 2.0),
    "/=": lambda t: _idiv(t, 2.0),
    "t[0] = v": lambda t: _setitem(t, 9.0),
}


@pytest.mark.parametrize("change", INPLACE_CHANGES.values(), ids=INPLACE_CHANGES.keys())
def test_every_inplace_op_bumps_the_version_by_one(change):
    t = mg.tensor([1.0, 2.0])
    assert t._version == 0
    change(t)
    assert t._version == 1
    change(t)
    assert t._version == 2


def test_inplace_ops_return_the_tensor_itself_with_new_values():
    t = mg.tensor([1.0, 2.0])
    assert t.add_(1.0) is t and t.tolist() == [2.0, 3.0]
    assert t.mul_(mg.tensor([2.0, 3.0])) is t and t.tolist() == [4.0, 9.0]


def test_out_of_place_ops_do_not_bump_the_version():
    t = mg.tensor([1.0, 2.0])
    _ = t + 1, t * 2, t.exp(), t.sum(), t.clone(), t.reshape(2, 1)
    assert t._version == 0


def test_inplace_on_saved_input_raises_at_backward():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y * y  # mul saves y
    y.add_(1)  # no error yet: the change itself is legal
    assert y._version == 1
    with pytest.raises(RuntimeError, match=MODIFIED) as error:
        z.sum().backward()
    assert "is at version 1; expected version 0 instead" in str(error.value)


def test_version_error_reports_how_many_changes_happened():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y * y
    y.mul_(1)
    y.add_(0)
    with pytest.raises(RuntimeError, match="is at version 2; expected version 0 instead"):
        z.sum().backward()


def test_add_saves_nothing_so_inplace_change_of_its_input_is_fine():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y + y
    y.add_(1)
    z.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]  # z = 2y, y = x: dz/dx = 2, whatever y holds now


def test_inplace_change_of_a_saved_output_raises_at_backward():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()  # exp saves its output y
    z = y.sum()
    y.mul_(2)
    with pytest.raises(RuntimeError, match=MODIFIED):
        z.backward()


def test_inplace_change_after_backward_is_harmless():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = (y * y).sum()
    z.backward()
    y.add_(1)
    assert x.grad.tolist() == [2.0, 4.0]  # 2x, computed before the change


@pytest.mark.parametrize("change", INPLACE_CHANGES.values(), ids=INPLACE_CHANGES.keys())
def test_inplace_on_a_leaf_that_requires_grad_raises(change):
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(
        RuntimeError,
        match="leaf Variable that requires grad is being used in an in-place operation",
    ):
        change(x)
    assert x._version == 0 and x.tolist() == [1.0, 2.0]


def test_inplace_on_a_leaf_is_allowed_under_no_grad_and_bumps_the_version():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with mg.no_grad():
        x.add_(1)
        x *= 2
    assert x.tolist() == [4.0, 6.0] and x._version == 2
    assert x.is_leaf and x.requires_grad and x.grad_fn is None


def test_inplace_on_a_leaf_that_does_not_require_grad_is_allowed():
    c = mg.tensor([1.0, 2.0])
    c.add_(1)
    assert c.tolist() == [2.0, 3.0] and not c.requires_grad


def test_updating_a_leaf_under_no_grad_breaks_a_graph_that_saved_it():
    """The optimizer-step mistake: update a weight, then backward through the old graph."""
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    with mg.no_grad():
        w.sub_(0.1)
    with pytest.raises(RuntimeError, match=MODIFIED):
        loss.backward()


def test_detach_shares_memory_and_version_counter():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.is_leaf
    d.add_(1)
    assert x.tolist() == [2.0, 3.0]  # same memory
    assert x._version == 1 and d._version == 1  # same counter


def test_inplace_change_through_detach_is_caught_at_backward():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * x  # saves x
    x.detach().add_(1)
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.sum().backward()


def test_data_shares_memory_but_not_the_version_counter():
    """Changes made through .data are invisible to autograd: backward then uses the
    changed numbers silently (why PyTorch recommends detach() instead)."""
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    x.data.add_(1)
    assert x._version == 0 and x.tolist() == [2.0, 3.0]
    y.sum().backward()
    assert x.grad.tolist() == [4.0, 6.0]  # 2 * (new x): no error raised


def test_detach_in_place_turns_a_result_into_a_leaf():
    x = mg.tensor([1.0], requires_grad=True)
    y = x * 2
    assert y.detach_() is y
    assert y.is_leaf and not y.requires_grad and y.grad_fn is None


@pytest.mark.parametrize(
    "make_view",
    [
        lambda t: t.view(2, 2),
        lambda t: t.reshape(2, 2),
        lambda t: t[1:],
        lambda t: t[0],
        lambda t: t.unsqueeze(0),
        lambda t: t.view(2, 2).transpose(0, 1),
        lambda t: t.detach(),
    ],
    ids=["view", "reshape", "slice", "select", "unsqueeze", "transpose", "detach"],
)
def test_views_share_memory_and_version_counter_with_their_base(make_view):
    base = mg.tensor([1.0, 2.0, 3.0, 4.0])
    view = make_view(base)
    view.mul_(10)
    assert base._version == 1 and view._version == 1
    assert base.tolist() != [1.0, 2.0, 3.0, 4.0]  # the change is visible in the base
    base.add_(1)
    assert view._version == 2


def test_indexing_with_a_tensor_copies_and_has_its_own_counter():
    base = mg.tensor([1.0, 2.0, 3.0])
    picked = base[mg.tensor([0, 2])]
    picked.add_(1)
    assert base._version == 0 and base.tolist() == [1.0, 2.0, 3.0]


def test_clone_has_its_own_memory_and_version_counter():
    x = mg.tensor([1.0, 2.0])
    c = x.clone()
    c.add_(1)
    assert x._version == 0 and c._version == 1 and x.tolist() == [1.0, 2.0]


def test_inplace_on_a_non_leaf_rewrites_its_grad_fn():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    old = y.grad_fn
    y.add_(1)
    assert y.grad_fn.name() == "AddBackward0"
    assert y.grad_fn.next_functions[0][0] is old  # the history continues through it
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]  # d(2x + 1)/dx


def test_inplace_multiply_of_a_non_leaf_gives_the_right_gradients():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    w = mg.tensor([3.0, 5.0], requires_grad=True)
    y = x * 2
    y.mul_(w)  # y = 2x * w
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 10.0]  # 2w
    assert w.grad.tolist() == [2.0, 4.0]  # 2x: the value y had before the change


def test_assigning_into_a_non_leaf_routes_gradients_to_the_assigned_value():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = mg.tensor(4.0, requires_grad=True)
    y = x * 1
    y[0] = w * 5
    (y * mg.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [0.0, 2.0, 3.0]  # position 0 no longer comes from x
    assert w.grad.item() == 5.0  # y[0] = 5w, weighted by 1


def test_zero_and_fill_cut_the_gradient_to_the_old_values():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.zero_()
    (y + x).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]  # only the "+ x" path is left


def test_copy_sends_the_gradient_to_the_source():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    src = mg.tensor([5.0, 6.0], requires_grad=True)
    y = x * 1
    y.copy_(src * 2)
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0] and src.grad.tolist() == [2.0, 2.0]


def test_an_empty_tensor_may_be_written_with_itself():
    """numpy gives a [2, 0] array a stride of 0, yet no two positions share an element:
    PyTorch 2.13 runs ``t.div_(t)`` here without error (the fuzzer's program lead1:67,
    where minigrad raised "more than one element ... refers to a single memory location")."""
    t = mg.tensor([[], []])
    t.div_(t)
    assert t.shape == (2, 0) and t._version == 1
