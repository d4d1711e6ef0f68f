"""In-place ops, views, version counters, detach and requires_grad, ported from PyTorch's
test/test_autograd.py.

Each test names the PyTorch test it follows (TestAutograd, or
TestAutogradDeviceType on the CPU); it runs on PyTorch 2.13 and on minigrad
(see conftest.py). PyTorch's ``narrow``/``select`` are written as slices and
indices here, ``view_as(x)`` as ``view(x.shape)``.
"""

import numpy as np
import pytest
from ported_helpers import assert_close, leaves, tensor, value

differs = pytest.mark.differs


def test_inplace(lib):
    """test_inplace: which saved tensors an in-place op invalidates."""
    x = lib.ones(5, 5, dtype=lib.float64, requires_grad=True)
    y = (lib.ones(5, 5, dtype=lib.float64) * 4).requires_grad_()
    ones = lib.ones(5, 5, dtype=lib.float64)
    z = x * y
    q = z + y
    w = z * y
    z.add_(2)
    q.backward(ones, retain_graph=True)  # add saves nothing
    with pytest.raises(RuntimeError):
        w.backward(ones)  # mul saved z
    z = x * y
    q = z * y
    r = z + y
    w = z.add_(y)
    w.backward(ones, retain_graph=True)
    r.backward(ones, retain_graph=True)
    with pytest.raises(RuntimeError):
        q.backward(ones)
    leaf = lib.ones(5, 5, requires_grad=True)
    x = leaf.clone()
    x.add_(10)
    assert_close(x, np.full((5, 5), 11.0))
    y = x + 2
    y.backward(lib.ones(5, 5))
    assert_close(leaf.grad, np.ones((5, 5)))
    z = x * y
    x.add_(2)
    with pytest.raises(RuntimeError):
        z.backward(lib.ones(5, 5))


def test_requires_grad(lib):
    """test_requires_grad: requires_grad flows forward."""
    x = tensor(lib, 5, 5, seed=1)
    y = tensor(lib, 5, 5, seed=2)
    z = tensor(lib, 5, 5, seed=3, requires_grad=True)
    a = x + y
    assert not a.requires_grad
    b = a + z
    assert b.requires_grad
    b.backward(lib.ones(5, 5, dtype=lib.float64))
    assert x.grad is None and y.grad is None and a.grad is None


def test_requires_grad_(lib):
    """test_requires_grad_: returns self; a non-leaf can be asked again, not switched off."""
    x = tensor(lib, 5, 5, seed=1)
    y = tensor(lib, 5, 5, seed=2, requires_grad=True)
    assert x is x.requires_grad_() and x.requires_grad
    assert y is y.requires_grad_() and y.requires_grad
    assert x is x.requires_grad_(True) and x.requires_grad
    assert y is y.requires_grad_(True) and y.requires_grad
    z = x * y
    with pytest.raises(RuntimeError):
        z.requires_grad_(False)
    assert z is z.requires_grad_() and z.requires_grad
    assert z is z.requires_grad_(True) and z.requires_grad
    assert x is x.requires_grad_(False) and not x.requires_grad
    assert y is y.requires_grad_(False) and not y.requires_grad


def test_requires_grad_inplace(lib):
    """test_requires_grad_inplace: an in-place op with an operand that requires grad."""
    a = tensor(lib, 5, 5, seed=1)
    b = tensor(lib, 5, 5, seed=2, requires_grad=True)
    a += b
    assert a.requires_grad
    a = tensor(lib, 5, 5, seed=1) + 0
    a += b
    assert a.requires_grad


def test_no_requires_grad_inplace(lib):
    """test_no_requires_grad_inplace: in-place before requires_grad is fine, after is not."""
    a = tensor(lib, 2, 3)
    a.add_(5)
    a.requires_grad = True
    a.sum().backward()
    assert_close(a.grad, np.ones((2, 3)))
    a = tensor(lib, 2, 3)
    b = a[:]
    b.add_(5)
    a.requires_grad = True
    a.sum().backward()
    assert_close(a.grad, np.ones((2, 3)))


def test_no_requires_grad_inplace_view_of_new_leaf(lib):
    """test_no_requires_grad_inplace (the last part): a view taken before requires_grad
    was set is a view of a leaf that requires grad."""
    a = tensor(lib, 2, 3)
    b = a[:]
    a.requires_grad = True
    with pytest.raises(RuntimeError):
        a.add_(5)
    with pytest.raises(RuntimeError):
        b.add_(5)


def _setitem(lib, size, index):
    x = lib.ones(size, dtype=lib.float64, requires_grad=True)
    y = x + 2
    y_version = y._version
    y[index] = 2
    assert y._version != y_version
    y.backward(lib.ones(size, dtype=lib.float64))
    expected = np.ones(size)
    expected[index if not hasattr(index, "tolist") else value(index).astype(bool)] = 0
    assert_close(x.grad, expected)


def _setitem_tensor(lib, size, index):
    x = lib.ones(size, dtype=lib.float64, requires_grad=True)
    y = x + 2
    y_version = y._version
    value_ = lib.ones(tuple(y[index].shape), dtype=lib.float64) * 7
    value_.requires_grad = True
    y[index] = value_
    assert y._version != y_version
    y.backward(lib.ones(size, dtype=lib.float64))
    expected = np.ones(size)
    expected[index if not hasattr(index, "tolist") else value(index).astype(bool)] = 0
    assert_close(x.grad, expected)
    assert_close(value_.grad, np.ones(tuple(value_.shape)))


def test_setitem(lib):
    """test_setitem: basic and advanced indices, numbers and tensors."""
    _setitem(lib, (5, 5), 1)
    _setitem(lib, (5,), 1)
    _setitem(lib, (1,), 0)
    _setitem(lib, (10,), [0, 4, 2])
    _setitem(lib, (5, 5), ([0, 4], [2, 2]))
    _setitem(lib, (5, 5, 5), (slice(None), slice(None), [1, 3]))
    _setitem(lib, (5, 5, 5), (slice(None), [1, 3], slice(None)))
    _setitem(lib, (5, 5, 5), ([1, 3], slice(None), slice(None)))
    _setitem(lib, (5, 5, 5), (slice(None), [2, 4], [1, 3]))
    _setitem(lib, (5, 5, 5), ([1, 3], [2, 4], slice(None)))
    _setitem_tensor(lib, (5, 5), 3)
    _setitem_tensor(lib, (5, 5), ([0, 1], [1, 0]))
    _setitem_tensor(lib, (5,), 3)
    _setitem_tensor(lib, (5, 5, 5), (slice(None), slice(None), [1, 3]))
    _setitem_tensor(lib, (5, 5, 5), (slice(None), [1, 3], slice(None)))
    _setitem_tensor(lib, (5, 5, 5), ([1, 3], slice(None), slice(None)))
    _setitem_tensor(lib, (5, 5, 5), (slice(None), [2, 4], [1, 3]))
    _setitem_tensor(lib, (5, 5, 5), ([1, 3], [2, 4], slice(None)))


def test_setitem_broadcast_value(lib):
    """test_setitem (_test_setitem_tensor's last case): the value broadcasts into y[1]."""
    x = tensor(lib, 4, requires_grad=True)
    y = lib.zeros(2, 3, 4, dtype=lib.float64)
    y[1] = x
    y.backward(tensor(lib, 2, 3, 4, seed=1))
    assert tuple(x.grad.shape) == tuple(x.shape)


def test_setitem_mask(lib):
    """test_setitem_mask (a fixed mask for bernoulli)."""
    mask = lib.tensor(np.random.default_rng(0).integers(0, 2, (5, 5)).astype(bool).tolist())
    _setitem(lib, (5, 5), mask)
    _setitem(lib, (5,), mask[0])
    _setitem(lib, (1,), mask[0, 0:1])
    _setitem_tensor(lib, (5, 5), mask)
    _setitem_tensor(lib, (5,), mask[0])


def test_index_backward_does_not_save_tensor(lib):
    """test_index_backward_does_not_save_tensor: t[mask] = t[mask] on a non-leaf."""
    a = lib.tensor([1.0, 0, 0], dtype=lib.float64)
    b = lib.zeros(3, dtype=lib.float64, requires_grad=True)
    t = b + 0
    t[a != 0] = t[a != 0]
    t.backward(lib.zeros_like(t))


def test_indexing(lib):
    """test_indexing: the gradient of every kind of index is 1 where it reads."""
    x = np.arange(1.0, 17).reshape(4, 4)
    y = lib.tensor(x.tolist(), dtype=lib.float64, requires_grad=True)
    mask = np.random.default_rng(0).integers(0, 2, (4, 4)).astype(bool)
    for idx in (
        1,
        (1, 1),
        slice(1, None),
        slice(None, 2),
        (slice(None, 2), 2),
        (slice(1, 2), 2),
        (1, slice(2, None)),
        (slice(None, None), slice(2, None)),
        [0, 2],
        (Ellipsis, slice(2, None)),
        ([0], [0]),
        ([1, 2, 3], [0]),
        ([1, 2], [2, 1]),
        ([[1, 2], [3, 0]], [[0, 1], [2, 3]]),
        (slice(None), [2, 3]),
        ([2, 3], slice(None)),
        [0],
        ([0],),
        "mask",
    ):
        if y.grad is not None:
            with lib.no_grad():
                y.grad.zero_()
        index = lib.tensor(mask.tolist()) if idx == "mask" else idx
        np_index = mask if idx == "mask" else idx
        assert_close(y[index], x[np_index])
        y[index].sum().backward()
        expected = np.zeros((4, 4))
        expected[np_index] = 1
        assert_close(y.grad, expected)


def test_indexing_duplicates(lib):
    """test_indexing_duplicates: repeated indices add up."""
    x = np.arange(1.0, 17).reshape(4, 4)
    idx = [1, 1, 3, 2, 1, 2]
    y = lib.tensor(x.tolist(), requires_grad=True)
    y[lib.tensor(idx)].sum().backward()
    expected = np.zeros((4, 4))
    for i in idx:
        expected[i] += 1
    assert_close(y.grad, expected)
    y = lib.tensor(x.tolist(), requires_grad=True)
    y[[[1, 2], [0, 0]], [[0, 1], [1, 1]]].sum().backward()
    assert_close(y.grad, [[0, 2, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0]])
    y = lib.tensor(np.arange(1.0, 65).reshape(4, 4, 4).tolist(), requires_grad=True)
    y[[1, 1, 1], :, :].sum().backward()
    expected = np.zeros((4, 4, 4))
    expected[1] = 3
    assert_close(y.grad, expected)


def test_leaf_assignment(lib):
    """test_leaf_assignment: writing tensors that require grad into one that doesn't."""
    x = tensor(lib, 5, 5)
    y, z = leaves(lib, 5)
    x[0] = y
    x[1] = 2 * z
    assert x.requires_grad and x.grad_fn is not None
    x.sum().backward()
    assert_close(y.grad, np.ones(5))
    assert_close(z.grad, np.full(5, 2.0))


def test_no_grad_assignment(lib):
    """test_no_grad_assignment: a leaf written under no_grad stays a leaf."""
    x = tensor(lib, 5, 5, requires_grad=True)
    y = tensor(lib, 5, seed=1)
    with lib.no_grad():
        x[0] = y
    assert x.requires_grad and x.grad_fn is None


def test_no_grad_modifies_version(lib):
    """test_no_grad_modifies_version: a change under no_grad still bumps the version."""
    x, y = leaves(lib, 5)
    z = (x * y).sum()
    with lib.no_grad():
        x *= 2
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()


def test_version_counter(lib):
    """test_version_counter: views share the counter; .data = keeps it."""
    x = tensor(lib, 1, 2)
    v = x._version
    x.add_(1).add_(1)
    assert x._version > v
    xz = x[:]
    assert x._version == xz._version
    xz.add_(1)
    assert x._version == xz._version
    v = x._version
    x.data = tensor(lib, 2, 3, seed=1)
    assert x._version == v
    x.add_(1)
    assert x._version > v
    assert x._version == xz._version
    xz.add_(1)
    assert x._version == xz._version


def test_set_data_self_requires_grad(lib):
    """test_set_data_self_requires_grad."""
    a = lib.tensor(1.0, requires_grad=True)
    a.data = lib.tensor(2.0)
    with pytest.raises(RuntimeError, match="must be floating point or complex dtype"):
        a.data = lib.tensor(3, dtype=lib.int64)


def test_detach(lib):
    """test_detach: detach(), detach_()."""
    x = tensor(lib, 10, 10, requires_grad=True)
    y = (x + 2).detach()
    z = y * 4 + 2
    assert not y.requires_grad and not z.requires_grad
    x = tensor(lib, 10, 10, requires_grad=True)
    y = (x * 2).detach()
    assert not y.requires_grad and y.grad_fn is None
    (x + y).sum().backward()
    assert_close(x.grad, np.ones((10, 10)))
    x, y = leaves(lib, 10, 10)
    a = x * 2
    (y + a).sum().backward(retain_graph=True)
    a.detach_()
    assert not a.requires_grad
    (y + a).sum().backward()
    assert_close(x.grad, np.full((10, 10), 2.0))
    assert_close(y.grad, np.full((10, 10), 2.0))
    view = x[1:5]
    with pytest.raises(RuntimeError, match="view"):
        view.detach_()


def test_detach_base(lib):
    """test_detach_base: detaching the base does not detach a view."""
    x = tensor(lib, 10, 10, requires_grad=True)
    view = x[1:5]
    x.detach_()
    assert not x.requires_grad
    assert view.requires_grad and view.grad_fn is not None
    assert view._base is x


def test_detach_then_inplace_raises_in_autograd(lib):
    """test_detach_then_inplace_raises_in_autograd: detach() shares the version counter."""
    x = lib.tensor(0.5, dtype=lib.float64, requires_grad=True)
    y = x**2
    z = x.detach()
    z.zero_()
    with pytest.raises(RuntimeError, match="has been modified by an inplace"):
        y.backward()


def test_saved_variable_saved_original_inplace_detach(lib):
    """test_saved_variable_saved_original_inplace_detach (a ** 2 for sin)."""
    a = lib.tensor(1.0, requires_grad=True).clone()
    b = a**2
    a.detach_()
    with pytest.raises(RuntimeError, match="Trying to use a saved tensor that has been detached"):
        b.backward()
    a = lib.tensor(1.0, requires_grad=True).clone()
    b = a.exp()
    a.detach_()
    b.backward()


def test_type_conversion_backward(lib):
    """test_type_conversions (_test_type_conversion_backward): the grad has the leaf's dtype."""
    fvar = tensor(lib, 5, 5, dtype="float32", requires_grad=True)
    fvar.double().sum().backward()
    assert fvar.grad.dtype == lib.float32
    assert_close(fvar.grad, np.ones((5, 5)))
    dvar = tensor(lib, 5, 5, requires_grad=True)
    dvar.float().sum().backward()
    assert dvar.grad.dtype == lib.float64
    assert_close(dvar.grad, np.ones((5, 5)))


def test_no_unnecessary_save(lib):
    """test_no_unnecessary_save: x * constant does not save x."""
    mu = lib.ones(1, requires_grad=True)
    x = lib.empty(1)
    loss = 0
    for i in range(3):
        x.detach_()
        x.copy_(mu + i)
        ft = lib.tensor([float(i)])
        loss += (x * ft).sum()
    loss.backward()


def test_saved_tensors_of_nodes(lib):
    """test_no_unnecessary_unwrapping and test_grad_fn_attr_bindings: _saved_self,
    _saved_other, _saved_result, and their freeing."""
    a = tensor(lib, 5, requires_grad=True)
    a_orig = value(a)
    b = a * a
    c = a * b
    d = lib.exp(a)
    assert b.grad_fn._saved_self is a and b.grad_fn._saved_other is a
    assert c.grad_fn._saved_self is a and c.grad_fn._saved_other is b
    assert_close(d.grad_fn._saved_result, value(d))
    assert d.grad_fn._saved_result is not d
    c.sum().backward()
    with pytest.raises(RuntimeError, match="after they have already been freed"):
        c.grad_fn._saved_self  # noqa: B018 - reading it is the point
    assert_close(a, a_orig)
    t = lib.tanh(lib.ones(2, requires_grad=True))
    assert_close(t.grad_fn._saved_result, value(t))


def test_saved_variable_version_counter(lib):
    """test_saved_variable_version_counter: a saved result shares the version counter."""
    a = tensor(lib, 2, requires_grad=True)
    b = lib.exp(a)
    b_unpacked = b.grad_fn._saved_result
    assert_close(b, value(b_unpacked))
    assert b._version == b_unpacked._version
    with lib.no_grad():
        b += 1
    assert_close(b, value(b_unpacked))
    assert b._version == b_unpacked._version


def test_copy_(lib):
    """TestAutogradDeviceType.test_copy_: copying a tensor that requires grad records."""
    x = tensor(lib, 10, dtype="float32", requires_grad=True)
    for dtype in (lib.float32, lib.float64):
        y = lib.zeros(10, dtype=dtype)
        y.copy_(x)
        assert y.requires_grad


def test_requires_grad_factory(lib):
    """TestAutogradDeviceType.test_requires_grad_factory (ones_like)."""
    for dtype in (lib.float32, lib.float64):
        x = tensor(lib, 2, 3, dtype="float64")
        for requires_grad in (True, False):
            output = lib.ones_like(x, dtype=dtype, requires_grad=requires_grad)
            assert output.requires_grad == requires_grad and output.dtype is dtype


def test_set_requires_grad_only_for_floats(lib):
    """TestAutogradDeviceType.test_set_requires_grad_only_for_floats."""
    for dtype in (lib.float32, lib.float64, lib.int32, lib.int64):
        a = lib.ones(1, dtype=dtype)
        a.requires_grad = False
        a.requires_grad_(False)

        def f1(dtype=dtype):
            lib.ones(1, dtype=dtype).requires_grad_()

        def f2(dtype=dtype):
            lib.ones(1, dtype=dtype).requires_grad = True

        def f3(dtype=dtype):
            lib.ones(1, dtype=dtype, requires_grad=True)

        for f in (f1, f2, f3):
            if dtype.is_floating_point:
                f()
            else:
                with pytest.raises(RuntimeError, match="floating point"):
                    f()


def test_pyscalar_conversions(lib):
    """TestAutogradDeviceType.test_pyscalar_conversions: int(), float(), bool()."""
    l_ = lib.zeros(1, 1, 1, dtype=lib.int64)
    l_[0] = -12345
    assert int(l_) == -12345
    f = tensor(lib, 1, 1)
    f[0] = -12345.1
    assert float(f) == -12345.1
    f[0] = float("nan")
    assert np.isnan(float(f))
    f[0] = float("inf")
    assert float(f) == float("inf")
    f[0] = -float("inf")
    assert float(f) == -float("inf")
    l_[0] = 1234567890123456789
    assert float(l_) == float(1234567890123456789)
    f[0] = float("nan")
    with pytest.raises(ValueError):
        int(f[0])
    f[0] = float("inf")
    with pytest.raises(OverflowError):
        int(f[0])
    for t, v, expected in ((l_, 0, False), (l_, -2, True), (f, 0.0, False), (f, 1e-300, True)):
        t[0] = v
        assert bool(t) is expected


def test_shape(lib):
    """test_shape."""
    x = tensor(lib, 3, 4)
    assert len(x.shape) == 2 and x.shape[0] == 3 and x.shape[1] == 4


# --- in-place ops on views (TestAutogradDeviceType) -------------------------------------


def test_inplace_on_view_leaf_errors(lib):
    """test_inplace_on_view_leaf_errors: fail when the view is changed, not at backward."""
    x = lib.zeros(1, requires_grad=True)
    y = x.view(1)
    with pytest.raises(
        RuntimeError,
        match="a view of a leaf Variable that requires grad is being used in an in-place "
        "operation.",
    ):
        y.add_(1)


@pytest.mark.filterwarnings("ignore:The .grad attribute of a Tensor that is not a leaf")
def test_inplace_on_view_view(lib):
    """test_inplace_on_view_view: modify a view and backprop through the view."""
    a = lib.tensor([2.0, 5.0])
    b = lib.tensor([3.0], requires_grad=True)
    res = a[1:2].mul_(b)
    res.sum().backward()
    assert b.grad.tolist() == [5.0] and a.grad is None


def test_inplace_on_view_backprop_base(lib):
    """test_inplace_on_view_backprop_base."""
    root = tensor(lib, 2, 2, requires_grad=True)
    x = root.clone()
    x[0:1].mul_(2)
    x.sum().backward()
    assert root.grad.tolist() == [[2, 2], [1, 1]]


def test_inplace_on_view_backprop_view_of_view(lib):
    """test_inplace_on_view_backprop_view_of_view."""
    root = tensor(lib, 2, 2, requires_grad=True)
    x = root.clone()
    v1 = x[0:1]
    v2 = x[0:1]
    v1.mul_(2)
    v2.sum().backward()
    assert root.grad.tolist() == [[2, 2], [0, 0]]


def test_inplace_on_view_of_view(lib):
    """test_inplace_on_view_of_view."""
    root = tensor(lib, 2, 2, requires_grad=True)
    x = root.clone()
    v2 = x[0:1][:, 1:2]
    v2.mul_(2)
    x.sum().backward()
    assert root.grad.tolist() == [[1, 2], [1, 1]]


def test_inplace_on_view_then_no_grad(lib):
    """test_inplace_on_view_then_no_grad."""
    a = lib.ones(3, 1, dtype=lib.float64, requires_grad=True)
    b = a * 2
    c = b.view(b.shape)
    c[0][0] = 3
    with lib.no_grad():
        c.grad_fn  # noqa: B018 - a graph update with grad disabled
    c.sum().backward()


def test_inplace_on_view_gradcheck(lib):
    """test_inplace_on_view_gradcheck."""
    a = tensor(lib, 4, 4, seed=1, requires_grad=True)
    b = tensor(lib, 2, 2, seed=2, requires_grad=True)

    def func(root, b):
        x = root.clone()
        x[1:3, 2:4].mul_(b)
        x[1:3, 0:2].mul_(b)
        return x

    assert lib.autograd.gradcheck(func, [a, b])


def test_inplace_on_view_makes_base_require_grad(lib):
    """test_inplace_on_view_makes_base_require_grad."""
    a = tensor(lib, 4, 4, seed=1)
    b = tensor(lib, 4, 2, seed=2, requires_grad=True)

    def func(root, b):
        x = root.clone()
        assert not x.requires_grad
        x[:, 2:4].mul_(b)
        assert x.requires_grad
        return x

    assert lib.autograd.gradcheck(func, [a, b])


def test_inplace_on_view_non_contig(lib):
    """test_inplace_on_view_non_contig."""
    root = lib.ones(2, 3, 2)[:, :, 1].t().requires_grad_(True)
    x = root.clone()
    v2 = x[0:1][:, 1:2]
    v2.mul_(2)
    x.sum().backward()
    assert root.grad.tolist() == [[1, 2], [1, 1], [1, 1]]


def test_inplace_on_view_modify_base(lib):
    """test_inplace_on_view_modify_base: an in-place op on the base makes earlier views
    require grad."""
    r = lib.ones(1, dtype=lib.float64, requires_grad=True)

    def fn(r):
        x = lib.ones(5, dtype=lib.float64)
        v = x[1]
        assert not v.requires_grad and v.grad_fn is None
        x.add_(r)
        assert v.requires_grad
        return v

    assert lib.autograd.gradcheck(fn, [r])


def test_view_replay_default(lib):
    """test_view_replay_enabled (the default): after an in-place op, a view's grad_fn is
    AsStridedBackward0."""
    x = lib.ones(2, 2, requires_grad=True)
    out = x.clone().view(-1)
    out.add_(1)
    assert "AsStridedBackward" in str(out.grad_fn)


def test_autograd_views_codegen(lib):
    """test_autograd_views_codegen (view part): which in-place ops on views raise."""
    for grad_mode, requires_grad, should_raise in (
        (True, False, None),
        (True, True, None),
        (False, True, "A view was created in no_grad mode and is being modified inplace"),
        (False, False, None),
    ):
        inp = tensor(lib, 2, requires_grad=requires_grad).clone()
        with lib.set_grad_enabled(grad_mode):
            out = inp.view(inp.shape)
        assert out._is_view()
        if should_raise:
            with pytest.raises(RuntimeError, match=should_raise):
                out.add_(1)
        else:
            out.add_(1)


def test_autograd_print_tensor(lib):
    """test_autograd_print_tensor: reprs, and grad_fn=<Invalid> for a view changed under
    no_grad."""
    a = lib.ones(1, requires_grad=True)
    assert repr(a) == "tensor([1.], requires_grad=True)"
    assert repr(a.clone()) == "tensor([1.], grad_fn=<CloneBackward0>)"
    with lib.no_grad():
        b = a[:]
        b *= 2
    assert repr(b) == "tensor([2.], grad_fn=<Invalid>)"


def test_autograd_inplace_view_of_view(lib):
    """test_autograd_inplace_view_of_view."""
    x = lib.zeros(2)
    with lib.no_grad():
        y = x.view(2)
    y.requires_grad_(True)
    z = y.view(2)
    with pytest.raises(RuntimeError, match="a view of a view .* is being .* inside the no_grad"):
        z /= 2
    x = lib.zeros(2)
    with lib.inference_mode():
        y = x.view(2)
    y.requires_grad_(True)
    z = y.view(2)
    with pytest.raises(
        RuntimeError, match="a view of a view .* is being .* inside the inference_mode"
    ):
        z /= 2


def test_inplace_not_requires_grad(lib):
    """test_inplace_not_requires_grad: a view made inside a custom Function."""

    class MyFn(lib.autograd.Function):
        @staticmethod
        def forward(ctx, inp):
            return inp.view(inp.shape)

        @staticmethod
        def backward(ctx, grad):
            return grad

    for write in (lambda v, b: v.__iadd__(b), lambda v, b: v.copy_(b)):
        a = tensor(lib, 1, 2, dtype="float32")
        b = tensor(lib, 1, seed=1, dtype="float32", requires_grad=True)
        view_a = MyFn.apply(a)
        with pytest.raises(RuntimeError, match="This view was created inside a custom Function"):
            write(view_a, b)
    a = tensor(lib, 1, 2, dtype="float32")
    b = tensor(lib, 1, seed=1, dtype="float32", requires_grad=True)
    a[:, 0].copy_(b)
