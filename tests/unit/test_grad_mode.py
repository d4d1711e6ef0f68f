"""Grad modes: whether operations are recorded, and how the modes nest.

The rules are PyTorch's (torch/autograd/grad_mode.py): the mode is
thread-local and each new thread starts with grad enabled; the innermost
setting wins and the previous one comes back on exit; set_grad_enabled also
works as a plain call; the modes decorate functions and generator functions.
"""

import threading

import pytest

import minigrad as mg
from minigrad import grad_mode


@pytest.fixture(autouse=True)
def grad_mode_is_restored_after_each_test():
    yield
    mg.set_grad_enabled(True)
    assert not mg.is_inference_mode_enabled()


def _records():
    """Whether an operation on a tensor that requires grad is recorded right now."""
    return (mg.tensor([1.0], requires_grad=True) * 2).requires_grad


def test_grad_is_enabled_by_default():
    assert mg.is_grad_enabled() is True
    assert _records()


def test_no_grad_results_do_not_require_grad_and_are_leaves():
    x = mg.tensor([1.0], requires_grad=True)
    with mg.no_grad():
        assert mg.is_grad_enabled() is False
        y = x * 2
    assert y.requires_grad is False and y.is_leaf and y.grad_fn is None
    assert mg.is_grad_enabled() is True


def test_no_grad_restores_the_previous_mode_when_the_block_raises():
    with pytest.raises(ValueError), mg.no_grad():
        raise ValueError("boom")
    assert mg.is_grad_enabled() is True


def test_enable_grad_inside_no_grad_records():
    with mg.no_grad():
        with mg.enable_grad():
            assert _records()
        assert not _records()


def test_innermost_mode_wins():
    with mg.enable_grad():
        with mg.no_grad():
            assert not _records()
            with mg.set_grad_enabled(True):
                assert _records()
                with mg.set_grad_enabled(False):
                    assert not _records()
                assert _records()
            assert not _records()
        assert _records()


def test_set_grad_enabled_plain_call_lasts_until_changed():
    mg.set_grad_enabled(False)
    assert mg.is_grad_enabled() is False
    assert not _records()
    assert not _records()  # still off: nothing switched it back
    mg.set_grad_enabled(True)
    assert _records()


def test_set_grad_enabled_as_a_context_restores_the_mode_from_before():
    with mg.no_grad():
        with mg.set_grad_enabled(True):
            assert mg.is_grad_enabled()
        assert mg.is_grad_enabled() is False
    with mg.set_grad_enabled(False):
        assert not mg.is_grad_enabled()
    assert mg.is_grad_enabled()


def test_set_grad_enabled_refuses_a_non_bool():
    with pytest.raises(TypeError):
        mg.set_grad_enabled("yes")


def test_no_grad_decorator_turns_recording_off_only_during_the_call():
    x = mg.tensor([1.0], requires_grad=True)

    @mg.no_grad()
    def double(t):
        return t * 2, mg.is_grad_enabled()

    y, enabled_inside = double(x)
    assert enabled_inside is False and y.requires_grad is False
    assert mg.is_grad_enabled() is True


def test_no_grad_decorator_works_without_parentheses_and_keeps_the_name():
    @mg.no_grad
    def evaluate():
        """Docstring."""
        return mg.is_grad_enabled()

    assert evaluate() is False
    assert evaluate.__name__ == "evaluate" and evaluate.__doc__ == "Docstring."


def test_enable_grad_decorator_records_when_called_under_no_grad():
    @mg.enable_grad()
    def inner():
        return _records()

    with mg.no_grad():
        assert inner() is True
        assert mg.is_grad_enabled() is False


def test_set_grad_enabled_decorator_does_not_switch_the_mode_when_decorating():
    @mg.set_grad_enabled(False)
    def evaluate():
        return mg.is_grad_enabled()

    assert mg.is_grad_enabled() is True  # decorating changed nothing
    assert evaluate() is False
    assert mg.is_grad_enabled() is True


def test_no_grad_decorator_on_generator_holds_only_inside_generator():
    seen_inside = []

    @mg.no_grad()
    def numbers():
        received = None
        for i in range(3):
            seen_inside.append((mg.is_grad_enabled(), received))
            received = yield i

    gen = numbers()
    assert next(gen) == 0
    assert mg.is_grad_enabled() is True  # the caller, between resumes, is not affected
    assert _records()
    assert gen.send("a") == 1
    assert mg.is_grad_enabled() is True
    assert gen.send("b") == 2
    with pytest.raises(StopIteration):
        gen.send("c")
    # Inside, every resume ran with grad off, and the sent values arrived.
    assert seen_inside == [(False, None), (False, "a"), (False, "b")]
    assert mg.is_grad_enabled() is True


def test_decorated_generator_keeps_its_own_mode_whatever_the_callers_mode():
    @mg.no_grad()
    def gen():
        yield mg.is_grad_enabled()

    with mg.no_grad():
        g = gen()
    with mg.enable_grad():
        assert next(g) is False  # the generator's own mode, whatever the caller's


def test_grad_mode_is_thread_local_new_thread_starts_enabled():
    results = {}

    def worker():
        results["enabled"] = mg.is_grad_enabled()
        results["records"] = _records()

    with mg.no_grad():
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        assert mg.is_grad_enabled() is False  # the main thread's mode is untouched
    assert results == {"enabled": True, "records": True}


def test_grad_mode_set_in_one_thread_does_not_leak_into_another_running_at_the_same_time():
    switched_off = threading.Event()
    main_checked = threading.Event()
    results = {}

    def worker():
        mg.set_grad_enabled(False)  # plain call, lasts in this thread
        switched_off.set()
        main_checked.wait(timeout=10)
        results["worker_still_off"] = not mg.is_grad_enabled()

    thread = threading.Thread(target=worker)
    thread.start()
    assert switched_off.wait(timeout=10)
    results["main_enabled"] = mg.is_grad_enabled()
    results["main_records"] = _records()
    main_checked.set()
    thread.join()
    assert results == {"worker_still_off": True, "main_enabled": True, "main_records": True}


def test_inference_mode_disables_recording_and_marks_new_tensors():
    x = mg.tensor([1.0], requires_grad=True)
    outside = mg.ones(2)
    with mg.inference_mode():
        assert mg.is_inference_mode_enabled() and not mg.is_grad_enabled()
        inside = mg.ones(2)
        y = x * 2
    assert not mg.is_inference_mode_enabled() and mg.is_grad_enabled()
    assert inside.is_inference() and not outside.is_inference()
    assert y.requires_grad is False and y.is_inference()


def test_inference_mode_false_inside_turns_it_off_again():
    with mg.inference_mode():
        with mg.inference_mode(False):
            assert not mg.is_inference_mode_enabled()
            assert mg.is_grad_enabled()
        assert mg.is_inference_mode_enabled()


def test_inference_mode_works_as_a_decorator():
    @mg.inference_mode()
    def predict():
        return mg.is_inference_mode_enabled(), mg.ones(1).is_inference()

    assert predict() == (True, True)
    assert not mg.is_inference_mode_enabled()


def test_inference_tensor_cannot_be_changed_in_place_outside_inference_mode():
    with mg.inference_mode():
        t = mg.ones(2)
        t.add_(1)  # allowed inside
    with pytest.raises(
        RuntimeError,
        match="Inplace update to inference tensor outside InferenceMode is not allowed",
    ):
        t.add_(1)


def test_inference_tensor_cannot_be_saved_for_backward():
    with mg.inference_mode():
        t = mg.ones(2)
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="Inference tensors cannot be saved for backward"):
        x * t  # mul saves its inputs


def test_inference_tensor_cannot_require_grad_outside_inference_mode():
    with mg.inference_mode():
        t = mg.ones(2)
    with pytest.raises(
        RuntimeError,
        match="Setting requires_grad=True on inference tensor outside InferenceMode is not allowed",
    ):
        t.requires_grad_()


def test_no_grad_tensors_are_not_inference_tensors():
    with mg.no_grad():
        t = mg.ones(2)
    assert not t.is_inference()
    t.add_(1)
    assert t.tolist() == [2.0, 2.0]


def test_reset_puts_a_thread_back_to_the_defaults():
    mg.set_grad_enabled(False)  # a plain call: stays off until changed
    grad_mode.set_modes(False, True)  # as if inside inference_mode()
    grad_mode.reset()
    assert mg.is_grad_enabled() and not mg.is_inference_mode_enabled()
