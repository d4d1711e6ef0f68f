"""The checks of chapters 07 to 10: grad modes, Module and optimizer, a custom Function."""

from __future__ import annotations

import inspect
import threading

import minigrad as mg
from minigrad import grad_mode

from .observe import Mismatch, case, error, facts, grad, leaf

# === chapter 07: grad modes ===================================================================


def _in_thread(fn):
    """``fn()`` run in a new thread; what it raises there is raised here (a thread's own
    error would print its traceback, through the check's code, and be lost)."""
    out = []

    def run():
        try:
            out.append((fn(), None))
        except Exception as exc:  # noqa: BLE001 - handed to the caller's thread
            out.append((None, exc))

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    result, exc = out[0]
    if exc is not None:
        raise exc
    return result


@case("ch07.GradState", "a new GradState, and one read in a new thread", direct=True)
def _(piece):
    state = piece()
    if (state.grad_enabled, state.inference_mode) != (True, False):
        raise Mismatch(
            "a new GradState must start with grad_enabled=True and inference_mode=False, got "
            f"{(state.grad_enabled, state.inference_mode)}"
        )
    state.grad_enabled, state.inference_mode = False, True
    there = _in_thread(lambda: (state.grad_enabled, state.inference_mode))
    if there != (True, False):
        raise Mismatch(
            f"another thread sees {there} after this thread set (False, True): each thread "
            "must have its own switches (threading.local), starting with (True, False)"
        )
    _in_thread(lambda: setattr(state, "grad_enabled", True))
    if state.grad_enabled is not False:
        raise Mismatch("a change made in another thread reached this one")


@case("ch07.GradState", "the engine keeps its switches in it: modes and threads")
def _(piece):
    seen = [mg.is_grad_enabled()]
    with mg.no_grad():
        seen.append(_in_thread(mg.is_grad_enabled))
        seen.append(mg.is_grad_enabled())
        x = leaf([1.0]) * 2.0
    mg.set_grad_enabled(False)
    seen.append(_in_thread(lambda: (leaf([1.0]) * 2.0).requires_grad))
    mg.set_grad_enabled(True)
    with mg.inference_mode():
        seen.append([mg.is_grad_enabled(), mg.is_inference_mode_enabled()])
    return {"seen": seen, "x": facts(x)}


def _modes_program():
    """is_grad_enabled() at each point of nested blocks, decorators and a generator."""
    seen = {}
    with mg.no_grad():
        seen["in no_grad()"] = mg.is_grad_enabled()
        with mg.enable_grad():
            seen["in enable_grad() in no_grad()"] = mg.is_grad_enabled()
        seen["back in no_grad()"] = mg.is_grad_enabled()
    seen["after no_grad()"] = mg.is_grad_enabled()
    with mg.no_grad() as entered:  # PyTorch's __enter__ returns None
        seen["x in `with no_grad() as x:` (what __enter__ returns)"] = (
            None if entered is None else type(entered).__name__
        )
    try:
        with mg.no_grad():
            raise KeyError("inside")
    except KeyError:
        seen["after an exception in no_grad()"] = mg.is_grad_enabled()

    @mg.no_grad()
    def f(n):
        return [mg.is_grad_enabled()] + (f(n - 1) if n else [])

    @mg.no_grad
    def g():
        return mg.is_grad_enabled()

    @mg.no_grad()
    def gen():
        for _ in range(2):
            yield mg.is_grad_enabled()

    seen["in a recursive @no_grad() function, at each depth"] = f(2)
    seen["in a @no_grad function (no parentheses)"] = g()
    seen["after calling them"] = mg.is_grad_enabled()
    seen["in a @no_grad() generator, then in its caller, at each step"] = [
        [value, mg.is_grad_enabled()] for value in gen()
    ]
    with mg.no_grad():
        inner = mg.enable_grad()(lambda: mg.is_grad_enabled())()
        seen["in an @enable_grad() function called in no_grad(), then after it"] = [
            inner,
            mg.is_grad_enabled(),
        ]
    seen["the name of a function decorated with @no_grad (functools.wraps keeps it)"] = g.__name__
    return seen


@case("ch07.GradMode", "blocks, nesting, an exception, decorators, a generator")
def _(piece):
    return _modes_program()


@case("ch07.GradMode", "the same, started with recording off and inside inference_mode()")
def _(piece):
    state = grad_mode._state
    previous = (state.grad_enabled, state.inference_mode)
    results = {}
    try:
        for start, name in (
            ((False, False), "started with recording off"),
            ((False, True), "started in inference_mode()"),
        ):
            grad_mode.set_modes(*start)
            seen = _modes_program()
            seen["inference mode at the end"] = mg.is_inference_mode_enabled()
            results[name] = seen
    finally:
        grad_mode.set_modes(*previous)
    return results


@case("ch07.GradMode", "GradMode(False) used by hand: a result records nothing", direct=True)
def _(piece):
    x = leaf([1.0, 2.0])
    with piece(False):
        y = x * 2.0
    if y.requires_grad:
        raise Mismatch("inside `with GradMode(False):`, x * 2 still requires grad")
    if not mg.is_grad_enabled():
        raise Mismatch("after the block, recording is still off: __exit__ must restore it")


# === chapter 08: training =====================================================================


class _Shared(mg.nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = mg.nn.Parameter(mg.tensor([2.0]))
        self.body = mg.nn.Sequential(mg.nn.Linear(3, 2), mg.nn.ReLU(), mg.nn.Linear(2, 2))
        self.again = self.body[0]  # the same layer twice: its parameters are listed once


@case(
    "ch08.parameters",
    "parameters(model) by hand: its own Parameter, a shared layer, a layer without bias",
    direct=True,
)
def _(piece):
    mg.manual_seed(0)
    model = _Shared()
    model.head = mg.nn.Linear(2, 1, bias=False)  # its _parameters hold 'bias': None
    named = {
        "model.scale": model.scale,
        "body[0].weight": model.body[0].weight,
        "body[0].bias": model.body[0].bias,
        "body[2].weight": model.body[2].weight,
        "body[2].bias": model.body[2].bias,
        "head.weight": model.head.weight,
    }
    got = piece(model)
    if not isinstance(got, (list, tuple)) and not inspect.isgenerator(got):
        raise Mismatch(
            f"parameters must return a list of Parameters, it returned {type(got).__name__}"
        )
    got = list(got)
    name_of = {id(p): name for name, p in named.items()}
    if any(p is None for p in got):
        raise Mismatch(
            "your list holds None: a layer built with bias=False keeps None under 'bias' in its "
            "_parameters, and None is not a parameter: skip it"
        )
    unknown = [p for p in got if id(p) not in name_of]
    if unknown:
        raise Mismatch(
            f"your list holds {type(unknown[0]).__name__}s that are not the model's parameters"
        )
    names = [name_of[id(p)] for p in got]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise Mismatch(
            f"{', '.join(twice)} appear(s) more than once: model.again is model.body[0], one "
            "layer reached along two paths; list each Parameter once (keep a set of the ids seen)"
        )
    missing = [n for n in named if n not in names]
    if missing:
        raise Mismatch(f"{', '.join(missing)} missing: walk every sub-module, and theirs")
    if names != list(named):
        raise Mismatch(
            f"the order is {', '.join(names)}; PyTorch's is {', '.join(named)}: the module's own "
            "parameters first, then each child's, in the order they were assigned"
        )


@case("ch08.parameters", "Sequential, a module with its own Parameter, a shared layer")
def _(piece):
    mg.manual_seed(0)
    models = [mg.nn.Sequential(mg.nn.Linear(3, 4), mg.nn.Tanh(), mg.nn.Linear(4, 1)), _Shared()]
    return {
        "shapes": [[list(p.shape) for p in model.parameters()] for model in models],
        "values": [[p.tolist() for p in model.parameters()] for model in models],
    }


@case("ch08.parameters", "an optimizer built from model.parameters() trains the model")
def _(piece):
    mg.manual_seed(1)
    model = mg.nn.Sequential(mg.nn.Linear(2, 3), mg.nn.Tanh(), mg.nn.Linear(3, 1))
    optimizer = mg.optim.SGD(model.parameters(), lr=0.1)
    x, y = mg.tensor([[1.0, 2.0], [0.0, -1.0]]), mg.tensor([[1.0], [0.0]])
    for _ in range(3):
        optimizer.zero_grad()
        ((model(x) - y) * (model(x) - y)).mean().backward()
        optimizer.step()
    return [p.tolist() for p in model.parameters()]


def _sgd_run(momentum, steps=3):
    mg.manual_seed(2)
    layer = mg.nn.Linear(3, 2)
    extra = mg.nn.Parameter(mg.tensor([1.0, 1.0]))  # gets no gradient: skipped
    optimizer = mg.optim.SGD([*layer.parameters(), extra], lr=0.05, momentum=momentum)
    x = mg.tensor([[1.0, -1.0, 2.0], [0.5, 0.0, 1.0]])
    for _ in range(steps):
        optimizer.zero_grad(set_to_none=False)
        (layer(x) * layer(x)).sum().backward()
        optimizer.step()
    return {
        "params": [p.tolist() for p in layer.parameters()],
        "extra": extra.tolist(),
        "the parameters' _version (one more per in-place update)": [
            p._version for p in layer.parameters()
        ],
        "requires_grad": [p.requires_grad for p in layer.parameters()],
    }


@case("ch08.sgd_momentum_step", "SGD(momentum=0.9): three steps of a linear layer")
def _(piece):
    return _sgd_run(0.9)


@case("ch08.sgd_momentum_step", "SGD without momentum; a parameter with no gradient")
def _(piece):
    return _sgd_run(0.0)


# === chapter 10: your own Function ============================================================


@case(
    "ch10.ReLU",
    "x.relu(), mg.relu(x) and F.relu(x), each times [1, 2, 3, 4, 5] (the gradient arriving "
    "at each): values, gradients, the node",
)
def _(piece):
    x = leaf([-2.0, -0.5, 0.0, 0.5, 3.0])
    outs = [x.relu(), mg.relu(x), mg.nn.functional.relu(x)]
    sum(((o * mg.tensor([1.0, 2.0, 3.0, 4.0, 5.0])).sum() for o in outs), mg.tensor(0.0)).backward()
    return {
        "outs": [facts(o) for o in outs],
        "x.grad": grad(x),
        "repr(x.relu())": repr(outs[0]),  # 0., not -0., where x is negative
    }


@case("ch10.ReLU", "an integer tensor; a tensor that does not require grad")
def _(piece):
    return [facts(mg.tensor([-1, 0, 2]).relu()), facts(mg.tensor([[-1.0, 2.0]]).relu())]


@case("ch10.ReLU", "nn.ReLU inside a model: the model's gradients")
def _(piece):
    mg.manual_seed(4)
    model = mg.nn.Sequential(mg.nn.Linear(3, 4), mg.nn.ReLU(), mg.nn.Linear(4, 1))
    model(mg.tensor([[1.0, -2.0, 0.5], [0.0, 1.0, 1.0]])).sum().backward()
    return [p.grad.tolist() for p in model.parameters()]


@case("ch10.ReLU", "the result changed in place before backward: ReLU saves its result")
def _(piece):
    x = leaf([-1.0, 2.0])
    r = x.relu()
    y = r * 1.0
    r.add_(1.0)
    z = x.relu()
    x2 = x * 1.0
    w = x2.relu()
    x2.add_(5.0)  # the input changed, not the result: no error
    return {
        "backward after the result r = x.relu() changed": error(lambda: y.sum().backward()),
        "backward after the input x2 of x2.relu() changed": error(lambda: (w * z).sum().backward()),
    }
