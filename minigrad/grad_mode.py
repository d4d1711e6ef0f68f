"""Grad modes: whether operations are recorded into the graph.

Every mode is one small class that is a context manager *and* a decorator.
``__enter__`` remembers the previous state and sets the new one; ``__exit__``
puts the previous one back, which is why the innermost setting always wins.
The state is thread-local (``threading.local``): a new thread starts with
grad enabled and does not see the modes of the thread that started it.
"""

import functools
import inspect
import threading
import warnings


class _GradState(threading.local):
    """Per-thread switches; every thread starts with PyTorch's defaults."""

    def __init__(self):
        self.grad_enabled = True
        self.inference_mode = False


_state = _GradState()


def is_grad_enabled():
    """True when new operations are recorded into the graph (the default)."""
    return _state.grad_enabled


def is_inference_mode_enabled():
    """True inside ``inference_mode()``."""
    return _state.inference_mode


def is_recording_enabled():
    """True when autograd is at work: grad mode on and inference mode off.

    Inside ``inference_mode()`` nothing is recorded and no autograd check runs,
    even where ``enable_grad()`` or ``set_grad_enabled(True)`` switched grad mode
    back on: inference mode wins.
    """
    return _state.grad_enabled and not _state.inference_mode


def set_modes(grad_enabled, inference_mode):
    """Set both switches of this thread: recording (grad mode) and inference mode.

    The one function that writes the state: every mode below saves the two
    switches it finds, calls this with the ones it wants, and calls it again
    with the saved ones on exit. It is not PyTorch API (there the switches are
    C++ thread-local state); the course's chapter 7 exercise builds a mode on it.
    """
    _state.grad_enabled = grad_enabled
    _state.inference_mode = inference_mode


def reset():
    """Put this thread back to the defaults: grad on, inference mode off.

    For tools that run someone else's code (the course's checks): whatever
    mode that code left switched on, the next case starts from the defaults.
    """
    set_modes(True, False)


_DECORATED_CLASS = (
    "Decorating classes is deprecated and will be disabled in future versions. You should "
    "only decorate functions or methods. To preserve the current behavior of class "
    "decoration, you can directly decorate the `__init__` method and nothing else."
)


class _GradModeContext:
    """What all modes share: the decorator and the save/restore of the state.

    Subclasses only say which state they set (``_new_state``). Used as a
    decorator, the mode wraps the function so its body runs inside a fresh copy
    of the context; for a generator function the mode is entered around every
    resume, so it holds only while the generator's own code runs.
    """

    def _new_state(self):
        raise NotImplementedError

    def clone(self):
        return type(self)()

    def __enter__(self):
        self._previous = (_state.grad_enabled, _state.inference_mode)
        set_modes(*self._new_state())

    def __exit__(self, exc_type, exc_value, traceback):
        set_modes(*self._previous)
        return False

    def __call__(self, func):
        if inspect.isclass(func):  # PyTorch still allows it: the class is called in the mode
            warnings.warn(_DECORATED_CLASS, FutureWarning, stacklevel=2)
            cls = func
            func = lambda *args, **kwargs: cls(*args, **kwargs)  # noqa: E731 - as PyTorch
        if inspect.isgeneratorfunction(func):
            return self._wrap_generator(func)

        @functools.wraps(func)
        def decorated(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)

        return decorated

    def _wrap_generator(self, func):
        @functools.wraps(func)
        def decorated(*args, **kwargs):
            gen = func(*args, **kwargs)
            # Run each step of the generator inside the mode, and hand values
            # sent in (and exceptions thrown in) on to it, like `yield from`.
            try:
                with self.clone():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with self.clone():
                            gen.close()
                        raise
                    except BaseException as error:  # noqa: BLE001 - forwarded to the generator
                        with self.clone():
                            response = gen.throw(error)
                    else:
                        with self.clone():
                            response = gen.send(request)
            except StopIteration as stop:
                return stop.value

        return decorated


class _NoParenthesesDecorator(_GradModeContext):
    """Lets ``@no_grad`` be written without parentheses, as PyTorch allows."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParenthesesDecorator):
    """Turn recording off: results of operations have ``requires_grad=False``.

    Use it for evaluation and for updates of parameters: nothing is saved for
    backward, which saves memory and time. Inference mode is left as it is.
    """

    def _new_state(self):
        return False, _state.inference_mode


class enable_grad(_NoParenthesesDecorator):
    """Turn recording back on, e.g. inside a ``no_grad()`` block.

    Outside ``no_grad()`` it changes nothing, since recording is on by default.
    """

    def _new_state(self):
        return True, _state.inference_mode


class set_grad_enabled(_GradModeContext):
    """Set recording on or off from a boolean, for code that does both.

    Unlike the other modes it acts at once, in ``__init__``: so
    ``set_grad_enabled(False)`` works as a plain call too, and stays in force
    until changed again. Used with ``with``, the state before the call comes
    back at the end of the block.
    """

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(
                "set_grad_enabled(): argument 'enabled' (position 1) must be bool, "
                f"not {type(mode).__name__}"
            )
        self.mode = mode
        self._previous = (_state.grad_enabled, _state.inference_mode)
        set_modes(mode, _state.inference_mode)

    def clone(self):
        return set_grad_enabled(self.mode)  # it switches too, and saves what it found

    def __enter__(self):
        set_modes(self.mode, _state.inference_mode)  # (__init__ saved what to restore)

    def __call__(self, func):
        # Used as a decorator, the switch made in __init__ must not leak out.
        set_modes(*self._previous)
        return super().__call__(func)

    def __repr__(self):
        return f"<minigrad.set_grad_enabled(mode={self.mode})>"


class inference_mode(_GradModeContext):
    """Like ``no_grad()``, and stricter: tensors made inside are *inference tensors*.

    Inference tensors can never join a graph later (they cannot be saved for
    backward, nor changed in place outside inference mode), which lets PyTorch
    skip even the version-counter bookkeeping. ``inference_mode(False)`` turns
    it off again inside, and turns recording back on.
    """

    def __new__(cls, mode=True):
        if not isinstance(mode, bool):
            return cls()(mode)  # used as @inference_mode without parentheses
        return super().__new__(cls)

    def __init__(self, mode=True):
        self.mode = mode

    def clone(self):
        return inference_mode(self.mode)

    def _new_state(self):
        return (not self.mode), self.mode
