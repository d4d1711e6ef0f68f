"""Checks for chapter 07, grad modes and how they nest (solutions/ch07_grad_modes.ipynb).

1. implement ``GradMode(mode)``: a context manager that also decorates functions
   and generator functions, built on minigrad.grad_mode's state functions
2. predict ``is_grad_enabled()`` and ``requires_grad`` through two nestings
3. predict what threads see of grad modes
4. find the bug: an evaluation that leaves recording switched off
5. find the bug: two blocks nested in the wrong order

The truth of every check is computed by running code with minigrad: for the
implement and find-the-bug checks, ``reference`` runs the very same probe
with a correct implementation (minigrad's own ``no_grad``/``enable_grad``, or
a correct function written below), so learner and reference are observed
through identical code.
"""

import threading

import numpy as np

import minigrad as mg
from coursekit.checks import FIND_THE_BUG, IMPLEMENT, PREDICT, Check
from coursekit.checks.judges import arrays_close, prediction, same_answer
from coursekit.checks.messages import describe
from coursekit.checks.piece import piece_check, with_piece


def _observations_judge(got, expected, hints):
    """Compare two lists of ``[what, value]`` observations; name the first difference.

    ``hints(what, have, want)`` may return a hint for a typical mistake.
    """
    if not isinstance(got, list) or len(got) != len(expected):
        return False, "the observations do not have the expected form"
    for (what, want), item in zip(expected, got):
        if not isinstance(item, list) or len(item) != 2 or item[0] != what:
            return False, f"{what}: no observation came back (did your code stop early?)"
        have = item[1]
        if not same_answer(have, want):
            message = f"{what} is {describe(have)}, expected {describe(want)}"
            hint = hints(what, have, want)
            return False, message + (f". Hint: {hint}" if hint else "")
    return True, "ok"


# -- 1. GradMode: a context manager that also decorates ---------------------------

# Every requirement the exercise states has its case here, in the notebook's check: blocks
# entered with recording on, off and in inference mode, nesting, an exception, plain,
# recursive and generator functions, a generator closed early.  Nothing is random, so
# there are no hidden cases: a ✓ in the notebook is a full score.
GRAD_MODE_CASES = [
    {
        "kind": "block",
        "mode": False,
        "outer": "on",
        "label": "`with GradMode(False):` entered with recording on",
    },
    {
        "kind": "block",
        "mode": True,
        "outer": "off",
        "label": "`with GradMode(True):` entered inside no_grad()",
    },
    {
        "kind": "nested",
        "modes": [False, True, True],
        "outer": "on",
        "label": "three nested blocks: GradMode(False), in it GradMode(True), in it GradMode(True)",
    },
    {
        "kind": "nested",
        "modes": [True, False, False, True],
        "outer": "off",
        "label": "four GradMode blocks nested inside no_grad(): True, False, False, True",
    },
    {
        "kind": "exception",
        "mode": False,
        "outer": "on",
        "label": "a KeyError raised inside `with GradMode(False):`",
    },
    {
        "kind": "function",
        "mode": True,
        "outer": "off",
        "label": "a function decorated with `@GradMode(True)`, called inside no_grad()",
    },
    {
        "kind": "recursive",
        "mode": False,
        "outer": "on",
        "label": "a recursive function decorated with `@GradMode(False)`",
    },
    {
        "kind": "generator",
        "mode": False,
        "outer": "on",
        "steps": 2,
        "label": "a generator function decorated with `@GradMode(False)`, run with recording on",
    },
    {
        "kind": "generator",
        "mode": True,
        "outer": "off",
        "steps": 3,
        "label": "a generator function decorated with `@GradMode(True)`, run inside no_grad()",
    },
    {
        "kind": "generator-closed",
        "mode": False,
        "outer": "on",
        "steps": 3,
        "label": "a generator decorated with `@GradMode(False)`, closed after one step",
    },
    {
        "kind": "block",
        "mode": True,
        "outer": "inference",
        "label": "`with GradMode(True):` entered inside inference_mode()",
    },
]


def grad_mode_cases(rng, hidden):
    return [dict(case) for case in GRAD_MODE_CASES]


def grad_mode_probe(learner, case):
    if "piece" in case:  # the cases of the piece of your engine (coursekit/checks/piece.py)
        from coursekit.checks.piece import piece_probe

        return piece_probe(learner, case)
    import contextlib

    import minigrad as mg
    from minigrad import grad_mode

    GradMode = learner["GradMode"]
    grad_mode.reset()  # every case starts from the defaults
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    inference = case["outer"] == "inference"

    def look(where):
        seen.append([f"{where}: is_grad_enabled()", mg.is_grad_enabled()])
        if inference:  # x * 2 would mix inference mode and autograd: look at the switches only
            seen.append([f"{where}: is_inference_mode_enabled()", mg.is_inference_mode_enabled()])
        else:
            seen.append([f"{where}: (x * 2).requires_grad", (x * 2).requires_grad])

    outer = {"on": contextlib.nullcontext, "off": mg.no_grad, "inference": mg.inference_mode}[
        case["outer"]
    ]
    kind, mode = case["kind"], case.get("mode")
    try:
        with outer():
            if kind == "block":
                with GradMode(mode):
                    look("inside the block")
                look("after the block")
            elif kind == "exception":
                caught = None
                try:
                    with GradMode(mode):
                        look("inside the block")
                        raise KeyError("raised inside the block")
                except KeyError as error:
                    caught = type(error).__name__
                seen.append(["the exception the code around the block caught", caught])
                look("after the block")
            elif kind == "nested":
                modes = case["modes"]

                def enter(level):
                    if level < len(modes):
                        with GradMode(modes[level]):
                            look(f"inside block {level + 1}, GradMode({modes[level]})")
                            enter(level + 1)
                        look(f"after block {level + 1} ended")

                enter(0)
            elif kind == "function":

                @GradMode(mode)
                def double(t):
                    look("inside the decorated function")
                    return t * 2

                y = double(x)
                seen.append(["the type of what the decorated function returned", type(y).__name__])
                if isinstance(y, mg.Tensor):
                    seen.append(["its result's requires_grad", y.requires_grad])
                look("after the call")
            elif kind == "recursive":

                @GradMode(mode)
                def countdown(n):
                    look(f"inside the call countdown({n})")
                    if n > 0:
                        countdown(n - 1)
                    return n

                countdown(2)
                look("after the outermost call countdown(2) returned")
            else:  # a generator, run to the end or closed early

                @GradMode(mode)
                def numbers(n):
                    for i in range(n):
                        look(f"inside the generator at step {i}")
                        yield i

                gen = numbers(case["steps"])
                look("after creating the generator, before next()")
                if kind == "generator-closed":
                    next(gen)
                    look("in the caller after the first next()")
                    gen.close()
                    look("after gen.close()")
                else:
                    values = []
                    for value in gen:
                        values.append(value)
                        look(f"in the caller after step {value}")
                    seen.append(["the values the generator yielded", values])
                    look("after the generator finished")
    finally:
        grad_mode.reset()  # never leave the notebook with recording off
    return seen


def _reference_grad_mode(mode):
    """What GradMode(mode) must behave like: minigrad's own enable_grad() / no_grad()."""
    return mg.enable_grad() if mode else mg.no_grad()


def grad_mode_reference(case):
    return grad_mode_probe({"GradMode": _reference_grad_mode}, case)


def _grad_mode_hints(what, have, want):
    if what.startswith("the exception the code around"):
        return "__exit__ must return False (or None), so that an exception goes on to the caller"
    if what.startswith("the type of what the decorated"):
        return "the decorated function must return what func returns"
    if "inference_mode" in what:
        return "leave inference mode as you found it: save and restore both switches"
    if what.startswith("after the outermost call"):
        return (
            "each call must save its own previous state: enter a fresh GradMode(self.mode) "
            "per call, not self, whose saved state the inner call overwrites"
        )
    if what.startswith("after creating the generator"):
        return "calling a generator function runs none of its code: the caller's mode is unchanged"
    if what.startswith("inside the generator"):
        return (
            "a generator's body runs at each next(), after the decorated call has returned: "
            "enter the mode around every resume of the generator"
        )
    if what.startswith(("in the caller", "after gen.close")):
        return (
            "the mode leaked into the caller while the generator was paused: leave the mode "
            "before each yield hands control back"
        )
    if what.startswith("after") and "enabled" in what:
        return "__exit__ must put back the state __enter__ found, not switch recording on or off"
    if what.startswith("inside"):
        return "__enter__ (and each decorated call) must set the switch to self.mode"
    return None


def grad_mode_judge(got, expected, case):
    return _observations_judge(got, expected, _grad_mode_hints)


GRAD_MODE = Check(
    id="ch07.grad_mode",
    kind=IMPLEMENT,
    points=4,
    reads=("GradMode",),
    title="GradMode(mode)",
    cases=grad_mode_cases,
    probe=grad_mode_probe,
    reference=grad_mode_reference,
    judge=grad_mode_judge,
    rule="a mode saves the state it finds on entry and restores exactly that on exit, so the "
    "innermost setting wins; a decorated function or generator runs in the mode only while "
    "its own code runs",
    hint="__exit__ puts back both switches as __enter__ found them, and lets exceptions through; "
    "every decorated call, and every resume of a generator, needs a block of its own",
)


# -- 2. predict: two nestings -----------------------------------------------------------


def program_a(lib):
    """Exercise 2's program A: is_grad_enabled() at five points."""
    seen = []
    try:
        with lib.no_grad():
            seen.append(lib.is_grad_enabled())  # A1
            with lib.enable_grad():
                lib.set_grad_enabled(False)
                seen.append(lib.is_grad_enabled())  # A2
            seen.append(lib.is_grad_enabled())  # A3
            lib.set_grad_enabled(True)
            seen.append(lib.is_grad_enabled())  # A4
        seen.append(lib.is_grad_enabled())  # A5
    finally:
        lib.set_grad_enabled(True)
    return seen


def program_b(lib):
    """Exercise 2's program B: requires_grad of y1..y6."""
    x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    w = lib.ones(2, 2)
    try:
        with lib.no_grad():
            y1 = lib.mm(w, x).sum()
        lib.set_grad_enabled(False)
        y2 = x * 2
        with lib.enable_grad():
            y3 = x * 2
            with lib.set_grad_enabled(False):
                y4 = y3 * 2
            y5 = y4 * x
        y6 = y5 * 2
    finally:
        lib.set_grad_enabled(True)
    return [y.requires_grad for y in (y1, y2, y3, y4, y5, y6)]


def _bool_list_judge(got, expected, name, program, names):
    if (
        not isinstance(got, list)
        or len(got) != len(expected)
        or not all(isinstance(v, bool) for v in got)
    ):
        return False, (
            f"`{name}` should be a list of {len(expected)} values, each True or "
            f"False; it is {describe(got)}"
        )
    return prediction(got, expected, what=f"`{name}`", program=program, names=names)


def nesting_cases(rng, hidden):
    return [{"label": "programs A and B"}]


def nesting_probe(learner, case):
    return [learner["answer_a"], learner["answer_b"]]


def nesting_reference(case):
    return [program_a(mg), program_b(mg)]


def nesting_judge(got, expected, case):
    points = ([f"A{i}" for i in range(1, 6)], [f"y{i}.requires_grad" for i in range(1, 7)])
    for have, want, name, program, names in zip(
        got, expected, ("answer_a", "answer_b"), ("program A", "program B"), points
    ):
        passed, message = _bool_list_judge(have, want, name, program, names)
        if not passed:
            return False, message
    return True, "ok"


NESTING = Check(
    id="ch07.nesting",
    kind=PREDICT,
    points=2,
    reads=("answer_a", "answer_b"),
    title="predict: two nestings",
    cases=nesting_cases,
    probe=nesting_probe,
    reference=nesting_reference,
    judge=nesting_judge,
    rule="the last setting before a line decides it; a block's exit restores what its entry "
    "found, and a plain set_grad_enabled(...) call lasts until the next change",
    hint="go line by line and keep a stack of saved states: push on `with`, pop and restore "
    "at the end of the block",
)


# -- 3. predict: threads ---------------------------------------------------------------


def threads_program(lib):
    """Exercise 3's program, run for real with threads."""
    x = lib.tensor([1.0], requires_grad=True)
    seen = {}

    def run(fn):
        worker = threading.Thread(target=fn)
        worker.start()
        worker.join()

    def worker_1():
        seen["t1"] = lib.is_grad_enabled()

    def worker_2():
        seen["t2"] = (x * 2).requires_grad

    @lib.no_grad()
    def worker_3():
        seen["t3"] = (x * 2).requires_grad

    def worker_4():
        lib.set_grad_enabled(False)

    try:
        with lib.no_grad():
            run(worker_1)
        lib.set_grad_enabled(False)
        run(worker_2)
        lib.set_grad_enabled(True)
        run(worker_3)
        run(worker_4)
        seen["main"] = lib.is_grad_enabled()
    finally:
        lib.set_grad_enabled(True)
    return [seen["t1"], seen["t2"], seen["t3"], seen["main"]]


THREAD_ANSWERS = ("answer_t1", "answer_t2", "answer_t3", "answer_main")


def threads_cases(rng, hidden):
    return [{"label": "the program with four threads"}]


def threads_probe(learner, case):
    return [
        learner["answer_t1"],
        learner["answer_t2"],
        learner["answer_t3"],
        learner["answer_main"],
    ]


def threads_reference(case):
    return threads_program(mg)


def threads_judge(got, expected, case):
    for name, have, want in zip(THREAD_ANSWERS, got, expected):
        if not isinstance(have, bool):
            return False, f"`{name}` should be True or False; it is {describe(have)}"
        passed, message = prediction(have, want, what=f"`{name}`", program="the program")
        if not passed:
            return False, message
    return True, "ok"


THREADS = Check(
    id="ch07.threads",
    kind=PREDICT,
    points=2,
    reads=THREAD_ANSWERS,
    title="predict: grad modes and threads",
    cases=threads_cases,
    probe=threads_probe,
    reference=threads_reference,
    judge=threads_judge,
    rule="grad mode is per thread: a new thread starts with recording on, whatever the thread "
    "that started it did, and its own changes stay in it",
    hint="for each line, ask which thread runs it and what that thread's switch was set to "
    "(a decorator runs in the thread that calls the function)",
)


# -- 4. find the bug: an evaluation that leaves recording off ---------------------------


def _model_weights(rng):
    return {
        "w1": np.round(rng.normal(0, 0.8, (4, 3)), 3).tolist(),
        "b1": np.round(rng.normal(0, 0.2, 4), 3).tolist(),
        "w2": np.round(rng.normal(0, 0.8, (2, 4)), 3).tolist(),
        "b2": np.round(rng.normal(0, 0.2, 2), 3).tolist(),
    }


def accuracy_cases(rng, hidden):
    # Both callers the exercise names, in the notebook too: recording on, and inside no_grad().
    outers = ["on", "off"] if not hidden else ["off", "on", "off"]
    sizes = [8, 5] if not hidden else [6, 11, 1]
    cases = []
    for outer, n in zip(outers, sizes):
        case = _model_weights(rng)
        case.update(
            {
                "X": np.round(rng.normal(size=(n, 3)), 3).tolist(),
                "y": rng.integers(0, 2, size=n).tolist(),
                "outer": outer,
                "label": f"a batch of {n} rows, accuracy called with recording "
                + ("on" if outer == "on" else "off (inside no_grad())"),
            }
        )
        cases.append(case)
    return cases


def accuracy_probe(learner, case):
    import contextlib

    import minigrad as mg
    from minigrad import grad_mode

    class Watched(mg.nn.Module):
        """Linear, ReLU, Dropout, Linear; remembers the modes of each forward pass."""

        def __init__(self):
            super().__init__()
            self.net = mg.nn.Sequential(
                mg.nn.Linear(3, 4), mg.nn.ReLU(), mg.nn.Dropout(0.5), mg.nn.Linear(4, 2)
            )
            self.seen = []

        def forward(self, X):
            self.seen.append((mg.is_grad_enabled(), self.training))
            return self.net(X)

    grad_mode.reset()
    mg.manual_seed(0)
    model = Watched()
    with mg.no_grad():
        for name, key in (
            ("0.weight", "w1"),
            ("0.bias", "b1"),
            ("3.weight", "w2"),
            ("3.bias", "b2"),
        ):
            dict(model.net.named_parameters())[name].copy_(mg.tensor(case[key]))
    X, y = mg.tensor(case["X"]), mg.tensor(case["y"])
    outer = mg.no_grad if case["outer"] == "off" else contextlib.nullcontext
    try:
        with outer():
            result = learner["accuracy"](model, X, y)
            after = mg.is_grad_enabled()
    finally:
        grad_mode.reset()
    return {
        "accuracy": result,
        "forward recorded": any(grad for grad, _ in model.seen),
        "forward in training mode": any(training for _, training in model.seen),
        "is_grad_enabled() after": after,
        "model.training after": model.training,
    }


def _reference_accuracy(model, X, y):
    model.eval()
    with mg.no_grad():
        correct = (model(X).argmax(dim=1) == y).float().mean().item()
    model.train()
    return correct


def accuracy_reference(case):
    return accuracy_probe({"accuracy": _reference_accuracy}, case)


def accuracy_judge(got, expected, case):
    if not isinstance(got, dict):
        return False, "the check could not read the result"
    passed, message = arrays_close(got["accuracy"], expected["accuracy"], what="the accuracy")
    if not passed:
        if got["forward in training mode"]:
            message += (
                ". Hint: the model ran in training mode (Dropout active): call model.eval() first"
            )
        return False, message
    if got["is_grad_enabled() after"] != expected["is_grad_enabled() after"]:
        if expected["is_grad_enabled() after"]:
            return False, (
                "recording is still off after accuracy() returns, so the next training "
                "step records nothing. Hint: the plain call set_grad_enabled(False) "
                "lasts until changed; a `with` block restores the state it found"
            )
        return False, (
            "recording is on after accuracy() returns, but it was off when it was "
            "called. Hint: restore the state you found (a `with` block does), don't "
            "switch recording on"
        )
    if got["forward recorded"]:
        return False, (
            "the forward pass ran with recording on: evaluation builds a graph for "
            "nothing. Hint: run the forward pass in a block that switches recording off"
        )
    if got["forward in training mode"]:
        return False, "the forward pass ran in training mode. Hint: call model.eval() before it"
    if got["model.training after"] != expected["model.training after"]:
        return False, "the model is left in evaluation mode. Hint: call model.train() at the end"
    return True, "ok"


ACCURACY = Check(
    id="ch07.accuracy",
    kind=FIND_THE_BUG,
    points=3,
    reads=("accuracy",),
    title="find the bug: accuracy(model, X, y)",
    cases=accuracy_cases,
    probe=accuracy_probe,
    reference=accuracy_reference,
    judge=accuracy_judge,
    rule="a plain set_grad_enabled(False) lasts until something switches it back; a `with` "
    "block restores the state it found, also when it was already off",
    hint="a plain call leaves its setting behind; a `with` block puts back what it found",
)


# -- 5. find the bug: the wrong nesting order --------------------------------------------


def input_gradient_cases(rng, hidden):
    outers = ["off", "on"] if not hidden else ["on", "off", "off"]
    rows = [3, 2] if not hidden else [1, 5, 4]
    cases = []
    for outer, n in zip(outers, rows):
        case = {
            "w1": np.round(rng.normal(0, 0.8, (4, 3)), 3).tolist(),
            "b1": np.round(rng.normal(0, 0.2, 4), 3).tolist(),
            "w2": np.round(rng.normal(0, 0.8, (1, 4)), 3).tolist(),
            "b2": np.round(rng.normal(0, 0.2, 1), 3).tolist(),
            "x": np.round(rng.normal(size=(n, 3)), 3).tolist(),
            "outer": outer,
            "label": f"an input of {n} rows, called with recording "
            + ("on" if outer == "on" else "off (inside no_grad())"),
        }
        cases.append(case)
    return cases


def input_gradient_probe(learner, case):
    import contextlib

    import minigrad as mg
    from minigrad import grad_mode

    grad_mode.reset()
    model = mg.nn.Sequential(mg.nn.Linear(3, 4), mg.nn.Tanh(), mg.nn.Linear(4, 1))
    with mg.no_grad():
        for p, key in zip(model.parameters(), ("w1", "b1", "w2", "b2")):
            p.copy_(mg.tensor(case[key]))
    x = mg.tensor(case["x"])
    outer = mg.no_grad if case["outer"] == "off" else contextlib.nullcontext
    try:
        with outer():
            grad = learner["input_gradient"](model, x)
            after = mg.is_grad_enabled()
    finally:
        grad_mode.reset()
    return {"gradient": grad, "is_grad_enabled() after": after, "x changed": x.requires_grad}


def _reference_input_gradient(model, x):
    x = x.detach().requires_grad_()
    with mg.enable_grad():
        out = model(x).sum()
    out.backward()
    return x.grad


def input_gradient_reference(case):
    return input_gradient_probe({"input_gradient": _reference_input_gradient}, case)


def input_gradient_judge(got, expected, case):
    if not isinstance(got, dict):
        return False, "the check could not read the result"
    if got["gradient"] is None:
        return False, (
            "the gradient is None: nothing was recorded from x to the output. "
            "Hint: the innermost block wins; the forward pass must run where "
            "recording is on"
        )
    passed, message = arrays_close(
        got["gradient"], expected["gradient"], what="the gradient with respect to x"
    )
    if not passed:
        return False, message
    if got["is_grad_enabled() after"] != expected["is_grad_enabled() after"]:
        return False, (
            f"is_grad_enabled() is {got['is_grad_enabled() after']} after the call, "
            f"expected {expected['is_grad_enabled() after']}: leave the mode as you "
            "found it (use `with` blocks, not plain calls)"
        )
    if got.get("x changed") and not expected.get("x changed"):
        return False, (
            "x.requires_grad is True after input_gradient(model, x): it changed the caller's "
            "x, and a second call on the same x would add into its .grad. Hint: take the "
            "gradient with respect to a leaf of your own, x.detach().requires_grad_()"
        )
    return True, "ok"


INPUT_GRADIENT = Check(
    id="ch07.input_gradient",
    kind=FIND_THE_BUG,
    points=3,
    reads=("input_gradient",),
    title="find the bug: input_gradient(model, x)",
    cases=input_gradient_cases,
    probe=input_gradient_probe,
    reference=input_gradient_reference,
    judge=input_gradient_judge,
    rule="the innermost block wins: a no_grad() inside enable_grad() turns recording off, "
    "whatever the outer block says",
    hint="the forward pass must be in a block where recording is on, even when the caller "
    "runs under no_grad()",
)

# -- 6. the grad-mode state, a piece of your engine -------------------------------------

GRAD_MODE = with_piece(GRAD_MODE, "ch07.GradMode")
GRAD_STATE = piece_check(
    "ch07.GradState", 2, hint="threading.local runs __init__ again in every thread"
)

CHECKS = [GRAD_MODE, NESTING, THREADS, ACCURACY, INPUT_GRADIENT, GRAD_STATE]
