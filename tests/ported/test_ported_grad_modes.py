"""Grad modes and inference mode, ported from PyTorch's test/test_autograd.py.

Each test names the PyTorch test it follows (TestAutograd,
TestAutogradInferenceMode, TestMultithreadAutograd); it runs on PyTorch 2.13
and on minigrad (see conftest.py).
"""

import threading

import numpy as np
import pytest
from ported_helpers import (
    assert_close,
    inference_cases,
    opposite_grad_modes,
    raises_if,
    tensor,
    value,
)

differs = pytest.mark.differs


def test_no_grad(lib):
    """test_no_grad: the context manager and both decorator forms."""
    x = lib.ones(5, 5, requires_grad=True)
    y = lib.ones(5, 5) * 4
    with lib.no_grad():
        w = x + y

    def adder(x, y):
        return x + y

    for decorated in (lib.no_grad()(adder), lib.no_grad(adder)):
        z = decorated(x, y)
        assert not w.requires_grad and w.grad_fn is None
        assert not z.requires_grad and z.grad_fn is None
        with pytest.raises(RuntimeError):
            w.backward(lib.ones(5, 5))
        with pytest.raises(RuntimeError):
            z.backward(lib.ones(5, 5))
    with lib.no_grad():
        assert not lib.is_grad_enabled()
        decorated(x, y)
        assert not lib.is_grad_enabled()


def test_enable_grad_decorator_no_paren(lib):
    """test_enable_grad_decorator_no_paren."""
    x = lib.ones(1, requires_grad=True)

    @lib.enable_grad
    def doubler(x):
        return x * 2

    with lib.no_grad():
        z = doubler(x)
    assert z.requires_grad


def test_set_grad_generator_functions(lib):
    """test_set_grad_generator_functions: a decorated generator's mode holds inside only."""

    @lib.no_grad()
    def gen_no_grad():
        for i in range(10):
            assert not lib.is_grad_enabled()
            yield i

    with lib.enable_grad():
        for _ in gen_no_grad():
            assert lib.is_grad_enabled()

    @lib.enable_grad()
    def gen_enable_grad():
        for i in range(10):
            assert lib.is_grad_enabled()
            yield i

    with lib.no_grad():
        for _ in gen_enable_grad():
            assert not lib.is_grad_enabled()


def test_set_grad_generator_functions_recursive(lib):
    """test_set_grad_generator_functions_recursive: decorators and managers calling each
    other keep the caller's mode."""

    @lib.enable_grad()
    def enable_grad_decorator_recursive(depth):
        assert lib.is_grad_enabled()
        if depth > 0:
            no_grad_decorator_recursive(depth - 1)
            assert lib.is_grad_enabled()

    @lib.no_grad()
    def no_grad_decorator_recursive(depth):
        assert not lib.is_grad_enabled()
        if depth > 0:
            enable_grad_decorator_recursive(depth - 1)
            assert not lib.is_grad_enabled()

    def enable_grad_context_manager_recursive(depth):
        with lib.enable_grad():
            assert lib.is_grad_enabled()
            if depth > 0:
                no_grad_context_manager_recursive(depth - 1)
                assert lib.is_grad_enabled()

    def no_grad_context_manager_recursive(depth):
        with lib.no_grad():
            assert not lib.is_grad_enabled()
            if depth > 0:
                enable_grad_context_manager_recursive(depth - 1)
                assert not lib.is_grad_enabled()

    for outer, expected in ((lib.enable_grad, True), (lib.no_grad, False)):
        with outer():
            assert lib.is_grad_enabled() == expected
            enable_grad_decorator_recursive(10)
            assert lib.is_grad_enabled() == expected
            enable_grad_context_manager_recursive(10)
            assert lib.is_grad_enabled() == expected


def test_set_grad_coroutines(lib):
    """test_set_grad_coroutines: send() into a decorated generator."""

    @lib.no_grad()
    def coro_no_grad(n=10):
        assert not lib.is_grad_enabled()
        for i in range(n):
            assert not lib.is_grad_enabled()
            r = yield i
            assert not lib.is_grad_enabled()
            assert i == r
        assert not lib.is_grad_enabled()

    @lib.enable_grad()
    def coro_enable_grad(n=10):
        assert lib.is_grad_enabled()
        for i in range(n):
            assert lib.is_grad_enabled()
            r = yield i
            assert lib.is_grad_enabled()
            assert i == r
        assert lib.is_grad_enabled()

    for outer, coro, mode in (
        (lib.enable_grad, coro_no_grad, True),
        (lib.no_grad, coro_enable_grad, False),
    ):
        with outer():
            c, r = coro(), None
            with pytest.raises(StopIteration):
                while True:
                    assert lib.is_grad_enabled() == mode
                    r = c.send(r)
                    assert lib.is_grad_enabled() == mode


def test_set_grad_coroutines_benign_exceptions(lib):
    """test_set_grad_coroutines_benign_exceptions: throw() into a decorated generator."""

    class RecoverableException(Exception):
        pass

    def make(decorator, inside):
        @decorator()
        def coro(n=10):
            has_raised = False
            for i in range(n):
                try:
                    assert lib.is_grad_enabled() == inside
                    yield (-i if has_raised else i)
                except RecoverableException:
                    assert lib.is_grad_enabled() == inside
                    has_raised = True

        return coro

    for outer, decorator, inside in opposite_grad_modes(lib):
        with outer():
            coro = make(decorator, inside)()
            assert next(coro) == 0
            with pytest.raises(StopIteration):
                while True:
                    assert coro.throw(RecoverableException) < 0


def test_set_grad_coroutines_critical_exceptions(lib):
    """test_set_grad_coroutines_critical_exceptions: an exception raised out of the
    generator."""

    class UnrecoverableException(Exception):
        pass

    class SecondaryException(Exception):
        pass

    def make(decorator, inside):
        @decorator()
        def coro(n=10):
            for i in range(n):
                try:
                    assert lib.is_grad_enabled() == inside
                    yield i
                except UnrecoverableException:
                    assert lib.is_grad_enabled() == inside
                    raise SecondaryException from None

        return coro

    for outer, decorator, inside in opposite_grad_modes(lib):
        with outer():
            coro = make(decorator, inside)()
            assert next(coro) == 0
            with pytest.raises(SecondaryException):
                coro.throw(UnrecoverableException)


def test_set_grad_coroutines_exit(lib):
    """test_set_grad_coroutines_exit: close() runs the generator's exit in its mode."""

    def make(decorator, inside, state):
        @decorator()
        def coro():
            for i in range(10):
                try:
                    assert lib.is_grad_enabled() == inside
                    yield i
                except GeneratorExit:
                    assert lib.is_grad_enabled() == inside
                    state.add("GeneratorExit")
                    raise

        return coro

    for outer, decorator, inside in opposite_grad_modes(lib):
        state = set()
        with outer():
            coro = make(decorator, inside, state)()
            for _ in range(5):
                next(coro)
            coro.close()
        assert "GeneratorExit" in state


def test_set_grad_enabled(lib):
    """test_set_grad_enabled: manager, and a plain call inside a manager."""
    x = lib.tensor([1.0], requires_grad=True)
    with lib.set_grad_enabled(False):
        y = x * 2
    assert not y.requires_grad
    with lib.set_grad_enabled(True):
        y = x * 2
    assert y.requires_grad
    with lib.set_grad_enabled(False):
        lib.set_grad_enabled(True)
        y = x * 2
    assert y.requires_grad


def test_set_grad_enabled_wraps(lib):
    """test_set_grad_enabled_wraps: the decorator does not change the caller's mode."""
    for decorator in (True, False):
        with lib.enable_grad():
            assert lib.is_grad_enabled()
            if decorator:

                @lib.set_grad_enabled(False)
                def inner_func(x):
                    return x.exp()

            else:

                def inner_func(x):
                    return x.exp()

                obj = lib.set_grad_enabled(False)
                assert not lib.is_grad_enabled()
                inner_func = obj(inner_func)
                assert lib.is_grad_enabled()
            assert lib.is_grad_enabled()
            x = lib.zeros(1, requires_grad=True)
            assert not inner_func(x).requires_grad


def test_numpy_requires_grad(lib):
    """test_numpy_requires_grad: numpy() refuses a tensor that requires grad, except in
    no_grad()."""
    x = tensor(lib, 2, 2, requires_grad=True)
    with pytest.raises(
        RuntimeError,
        match=r"Can't call numpy\(\) on Tensor that requires grad. "
        r"Use tensor.detach\(\).numpy\(\) instead.",
    ):
        x.numpy()
    with lib.no_grad():
        x.numpy()
    x = tensor(lib, 2, 2)
    x.numpy()


def test_simple_backward_in_threads(lib):
    """TestMultithreadAutograd.test_simple_backward: independent backwards in 10 threads."""
    errors = []

    def train_fn():
        try:
            x = lib.ones(5, 5, requires_grad=True)
            y = (x + 3) * (x + 4) * 0.5
            y.sum().backward()
            assert_close(x.grad, np.full((5, 5), 4.5))
        except Exception as exc:  # noqa: BLE001 - collected and raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=train_fn) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_grad_in_threads_with_a_shared_input(lib):
    """TestMultithreadAutograd.test_simple_backward_same_input (the autograd.grad part)."""
    x = lib.ones(5, 5, requires_grad=True)
    errors = []

    def train_fn_grad():
        try:
            y = (x + 3) * (x + 4) * 0.5
            grads = lib.autograd.grad(y.sum(), x)
            assert len(grads) == 1
            assert_close(grads[0], np.full((5, 5), 4.5))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=train_fn_grad) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and x.grad is None


# --- TestAutogradInferenceMode ---------------------------------------------------------


def test_inference_mode_context_manager(lib):
    """test_inference_mode_context_manager."""
    assert not lib.is_inference_mode_enabled()
    with lib.inference_mode():
        assert lib.is_inference_mode_enabled()
        with lib.inference_mode(False):
            assert not lib.is_inference_mode_enabled()
        assert lib.is_inference_mode_enabled()
    assert not lib.is_inference_mode_enabled()


def test_inference_mode_decorator(lib):
    """test_inference_mode_decorator: with and without mode, keyword or not."""
    for mode, use_kwarg in ((True, True), (True, False), (False, True), (False, False)):

        def func(x, mode=mode):
            assert lib.is_inference_mode_enabled() == mode
            return x * x

        decorated = (
            lib.inference_mode(mode=mode)(func) if use_kwarg else lib.inference_mode(mode)(func)
        )
        for requires_grad in (True, False):
            c = lib.ones(1, 2, 3, requires_grad=requires_grad)
            d = decorated(c)
            assert not mode or d.is_inference()
            assert d.requires_grad == (requires_grad and not mode)


def test_inference_mode_tensor_creation(lib):
    """test_inference_mode_tensor_creation."""
    with lib.inference_mode():
        c = lib.ones(1, 2, 3)
        assert not c.requires_grad and c.is_inference()
        tmp = lib.ones(1, 2, 3, requires_grad=True)
        assert tmp.requires_grad and tmp.is_inference()
        tmp = lib.ones(1, 2, 3).requires_grad_(False)
        assert not tmp.requires_grad and tmp.is_inference()


def test_inference_mode_existing_autograd_session(lib):
    """test_inference_mode_existing_autograd_session: a version bump in inference mode
    still counts."""
    s = lib.ones(1, 2, 3, requires_grad=True)
    a = s.clone()
    out = a * a
    with lib.inference_mode():
        a.add_(2)
    assert not a.is_inference()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward(lib.ones_like(out))


def test_inference_mode_inf_tensor_in_inf_mode_functional_op(lib):
    """test_inference_mode_inf_tensor_in_inf_mode_functional_op."""
    with lib.inference_mode():
        for requires_grad in (True, False):
            c = lib.ones(1, 2, 3, requires_grad=requires_grad)
            out = c * c
            assert out.is_inference() and not out.requires_grad


def test_inference_mode_inf_tensor_in_inf_mode_inplace_op(lib):
    """test_inference_mode_inf_tensor_in_inf_mode_inplace_op (add_, copy_)."""
    for fn in (lambda x: x.add_(2), lambda x: x.copy_(lib.ones(1, 2, 3))):

        @lib.inference_mode()
        def run_test(fn=fn):
            for requires_grad in (True, False):
                c = lib.ones(1, 2, 3, requires_grad=requires_grad)
                fn(c)
                assert c.is_inference() and c.requires_grad == requires_grad

        run_test()


def test_inference_mode_inf_tensor_in_inf_mode_view_op(lib):
    """test_inference_mode_inf_tensor_in_inf_mode_view_op."""
    with lib.inference_mode():
        for requires_grad in (True, False):
            c = lib.ones(1, 2, 3, requires_grad=requires_grad)
            view_out = c.view(-1)
            assert view_out.is_inference() and not view_out.requires_grad


def test_inference_mode_inf_tensor_in_normal_mode_functional_op(lib):
    """test_inference_mode_inf_tensor_in_normal_mode_functional_op (requires_grad=False)."""
    for requires_grad in (False,):
        with lib.inference_mode():
            c = lib.ones(1, 2, 3, requires_grad=requires_grad)
        out = c * c
        assert not out.is_inference() and not out.requires_grad and out.is_leaf


def test_inference_mode_inf_tensor_in_normal_mode_functional_op_requires_grad(lib):
    """test_inference_mode_inf_tensor_in_normal_mode_functional_op (requires_grad=True)."""
    with lib.inference_mode():
        c = lib.ones(1, 2, 3, requires_grad=True)
    out = c * c
    assert not out.is_inference() and not out.requires_grad and out.is_leaf


def test_inference_mode_inf_tensor_in_normal_mode_inplace_op(lib):
    """test_inference_mode_inf_tensor_in_normal_mode_inplace_op."""
    with lib.inference_mode():
        c = lib.ones(1, 2, 3)
    with pytest.raises(
        RuntimeError, match="Inplace update to inference tensor outside InferenceMode"
    ):
        c.add_(2)


def test_inference_mode_inf_tensor_in_normal_mode_view_op(lib):
    """test_inference_mode_inf_tensor_in_normal_mode_view_op."""
    for requires_grad in (True, False):
        with lib.inference_mode():
            c = lib.ones(1, 2, 3, requires_grad=requires_grad)
        out = c.view(-1)
        assert out.is_inference() and not out.requires_grad
        assert not out._is_view() and out.is_leaf


def test_normal_tensor_inplace_output_in_inference_mode(lib):
    """test_normal_tensor_inplace_output_in_inference_mode (add_)."""
    for requires_grad, s in inference_cases(lib):
        a = s.clone()
        with lib.inference_mode():
            a.add_(2)
            assert not a.is_inference() and a.requires_grad == requires_grad
            a.add_(2)
            assert not a.is_inference() and a.requires_grad == requires_grad
            view_out = a.view(-1)
            assert not view_out.is_inference() and view_out.requires_grad == requires_grad


def test_normal_tensor_inplace_output_in_normal_mode(lib):
    """test_normal_tensor_inplace_output_in_normal_mode (add_)."""
    for requires_grad, s in inference_cases(lib):
        a = s.clone()
        with lib.inference_mode():
            a.add_(2)
        a.add_(2)
        a.add_(2)
        assert not a.is_inference() and a.requires_grad == requires_grad
        view_out = a.view(-1)
        assert not view_out.is_inference() and view_out.requires_grad == requires_grad


def test_normal_tensor_view_output_in_inference_mode(lib):
    """test_normal_tensor_view_output_in_inference_mode."""
    for requires_grad, s in inference_cases(lib):
        a = s.clone()
        with lib.inference_mode():
            out = a.view(-1)
            assert not out.is_inference() and out.requires_grad == requires_grad
            assert out._is_view()
            tmp = out.view(-1)
            assert not tmp.is_inference() and tmp.requires_grad == requires_grad
            assert tmp._is_view() and tmp.is_leaf
            tmp.add_(2)
            assert not tmp.is_inference() and tmp.requires_grad == requires_grad
            assert a._version == tmp._version


def test_normal_tensor_view_output_in_normal_mode(lib):
    """test_normal_tensor_view_output_in_normal_mode."""
    for requires_grad, s in inference_cases(lib):
        a = s.clone()
        with lib.inference_mode():
            out = a.view(-1)
            assert not out.is_inference() and out.requires_grad == requires_grad
            assert out._is_view() and out.is_leaf
        tmp = out * out
        assert not tmp.is_inference() and tmp.requires_grad == requires_grad
        with raises_if(requires_grad, "A view was created in inference mode and is being modified"):
            out.add_(2)
        tmp = out.view(2, 3)
        assert not tmp.is_inference() and tmp.requires_grad == requires_grad


def test_mix_inference_and_normal_tensor_functional_op(lib):
    """test_mix_inference_and_normal_tensor_functional_op."""
    for requires_grad, s in inference_cases(lib):
        with lib.inference_mode():
            c = lib.ones(1, 2, 3, requires_grad=requires_grad)
        out = c.add(s)
        assert not out.is_inference() and out.requires_grad == requires_grad
        if requires_grad:
            out.backward(lib.ones_like(out))
            assert_close(c.grad, np.ones((1, 2, 3)))
            with pytest.raises(
                RuntimeError, match="Inference tensors cannot be saved for backward"
            ):
                c * s


def test_mix_inference_and_normal_tensor_inplace_op(lib):
    """test_mix_inference_and_normal_tensor_inplace_op (mul_)."""
    for requires_grad, s in inference_cases(lib):
        a = s.clone()
        with lib.inference_mode():
            c = lib.ones(1, 2, 3)
        assert c.is_inference()
        with raises_if(requires_grad, "Inference tensors cannot be saved for backward"):
            a.mul_(c)


def test_mix_inference_and_normal_tensor_view_op(lib):
    """test_mix_inference_and_normal_tensor_view_op (view with the other's shape)."""
    for requires_grad, s in inference_cases(lib):
        with lib.inference_mode():
            c = lib.ones(1, 2, 3)
        tmp1 = c.view(s.shape)
        assert tmp1.is_inference() and not tmp1.requires_grad
        tmp2 = s.view(c.shape)
        assert not tmp2.is_inference() and tmp2.requires_grad == requires_grad


def test_inference_mode_handle_direct_view_on_rebase(lib):
    """test_inference_mode_handle_direct_view_on_rebase (add_)."""
    for requires_grad, s in inference_cases(lib):
        a = s.clone()
        with lib.inference_mode():
            view_out = a.view(1, 2, 3)
        with raises_if(requires_grad, "A view was created in inference mode and is being modified"):
            view_out.add_(2)


def test_inference_mode_handle_indirect_view_on_rebase(lib):
    """test_inference_mode_handle_indirect_view_on_rebase (add_)."""
    for requires_grad, s in inference_cases(lib):
        a = s.clone()
        with lib.inference_mode():
            view_out = a.view(-1)
        a.add_(2)
        with raises_if(
            requires_grad, "A view was created in inference mode and its base or another view "
        ):
            view_out.grad_fn  # noqa: B018


def test_values_are_kept_in_inference_mode(lib):
    """test_inference_mode_inf_tensor_in_inf_mode_functional_op, the values: inference mode
    computes the same numbers."""
    x = tensor(lib, 2, 3)
    with lib.inference_mode():
        y = x * x + 1
    assert_close(y, value(x) ** 2 + 1)
