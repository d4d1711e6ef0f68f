"""Checks for chapter 08, training (solutions/ch08_training.ipynb).

1. implement ``sgd_momentum_step(params, buffers, lr, momentum)``: SGD with
   momentum, in place under no_grad, compared with minigrad.optim.SGD
2. find the bug: a training loop without ``zero_grad()``
3. predict: a forward pass after a global ``set_grad_enabled(False)``
4. predict: ``eval()`` versus ``no_grad()`` with Dropout and BatchNorm

The truth is computed by running code with minigrad: the optimizer of
minigrad.optim for exercise 1, a correct loop for exercise 2, and the
exercise's own program for the predictions.
"""

import numpy as np

import minigrad as mg
from coursekit.checks import FIND_THE_BUG, IMPLEMENT, PREDICT, Check
from coursekit.checks.judges import arrays_close, prediction
from coursekit.checks.messages import describe
from coursekit.checks.piece import piece_check, with_piece

# -- 1. SGD with momentum ---------------------------------------------------------------


def momentum_cases(rng, hidden):
    # (rows of data, steps, lr, momentum, an unused parameter that gets no gradient)
    settings = [(4, 3, 0.1, 0.9, False), (6, 2, 0.05, 0.5, False), (5, 3, 0.1, 0.9, True)]
    if hidden:
        settings = [
            (5, 5, 0.1, 0.9, False),
            (3, 4, 0.2, 0.0, False),
            (7, 3, 0.05, 0.8, True),
            (1, 6, 0.1, 0.99, False),
        ]
    cases = []
    for n, steps, lr, momentum, unused in settings:
        label = f"{steps} steps on {n} rows with lr={lr}, momentum={momentum}"
        if unused:
            label += ", one parameter without a gradient"
        cases.append(
            {
                "weight": np.round(rng.normal(0, 0.5, (2, 3)), 3).tolist(),
                "bias": np.round(rng.normal(0, 0.1, 2), 3).tolist(),
                "X": np.round(rng.normal(size=(n, 3)), 3).tolist(),
                "Y": np.round(rng.normal(size=(n, 2)), 3).tolist(),
                "steps": steps,
                "lr": lr,
                "momentum": momentum,
                "unused": unused,
                "label": label,
            }
        )
    return cases


def momentum_probe(learner, case):
    if "piece" in case:  # the cases of the piece of your engine (coursekit/checks/piece.py)
        from coursekit.checks.piece import piece_probe

        return piece_probe(learner, case)
    import minigrad as mg
    from minigrad import grad_mode

    grad_mode.reset()
    layer = mg.nn.Linear(3, 2)
    with mg.no_grad():
        layer.weight.copy_(mg.tensor(case["weight"]))
        layer.bias.copy_(mg.tensor(case["bias"]))
    params = [layer.weight, layer.bias]
    if case["unused"]:
        params.append(mg.nn.Parameter(mg.ones(2)))  # never used: its .grad stays None
    buffers = [None] * len(params)
    X, Y = mg.tensor(case["X"]), mg.tensor(case["Y"])
    grads = []
    for _ in range(case["steps"]):
        for p in params:
            if p.grad is not None:
                p.grad.zero_()  # zero_grad(set_to_none=False): the same .grad tensor, zeroed
        loss = ((layer(X) - Y) ** 2).mean()
        loss.backward()
        grads.append([None if p.grad is None else p.grad.detach().numpy().copy() for p in params])
        learner["sgd_momentum_step"](params, buffers, case["lr"], case["momentum"])
        for p, g in zip(params, grads[-1]):
            if g is not None and not np.array_equal(p.grad.detach().numpy(), g):
                return {"grad changed": True}
    return {
        "params": [p.detach().numpy() for p in params],
        "leaves": [p.is_leaf and p.grad_fn is None for p in params],
    }


def momentum_reference(case):
    """The same training, with minigrad.optim.SGD doing the steps."""
    layer = mg.nn.Linear(3, 2)
    with mg.no_grad():
        layer.weight.copy_(mg.tensor(case["weight"]))
        layer.bias.copy_(mg.tensor(case["bias"]))
    params = [layer.weight, layer.bias]
    if case["unused"]:
        params.append(mg.nn.Parameter(mg.ones(2)))
    optimizer = mg.optim.SGD(params, lr=case["lr"], momentum=case["momentum"])
    X, Y = mg.tensor(case["X"]), mg.tensor(case["Y"])
    for _ in range(case["steps"]):
        for p in params:
            if p.grad is not None:
                p.grad.zero_()
        ((layer(X) - Y) ** 2).mean().backward()
        optimizer.step()
    return {"params": [p.detach().numpy() for p in params], "leaves": [True] * len(params)}


# Plausible wrong steps, run through the same probe to recognise a learner's mistake.


def _plain_sgd(params, buffers, lr, momentum):
    with mg.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * p.grad


def _dampened(params, buffers, lr, momentum):
    with mg.no_grad():
        for i, p in enumerate(params):
            if p.grad is not None:
                if buffers[i] is None:
                    buffers[i] = p.grad.clone()
                else:
                    buffers[i] = momentum * buffers[i] + (1 - momentum) * p.grad
                p -= lr * buffers[i]


MOMENTUM_MISTAKES = [
    (_plain_sgd, "this is plain SGD: keep each parameter's buffer in `buffers` and use it"),
    (
        _dampened,
        (
            "that is buf = momentum * buf + (1 - momentum) * grad; PyTorch's SGD adds "
            "the whole gradient (dampening=0): buf = momentum * buf + grad"
        ),
    ),
]


def momentum_judge(got, expected, case):
    if not isinstance(got, dict):
        return False, "the check could not read the result"
    if got.get("grad changed"):
        return False, (
            "a parameter's .grad changed during your step. Hint: your buffer is "
            "probably the .grad tensor itself; keep a copy of the gradient, or "
            "zeroing the gradient zeroes your buffer"
        )
    if not all(got["leaves"]):
        return False, (
            "a parameter is no longer a leaf without grad_fn: the update was "
            "recorded. Hint: update inside `with mg.no_grad():`"
        )
    names = ["weight", "bias", "unused parameter"]
    start = [case["weight"], case["bias"], [1.0, 1.0]]
    for i, (have, want) in enumerate(zip(got["params"], expected["params"])):
        passed, message = arrays_close(
            have, want, what=f"the {names[i]} after {case['steps']} steps", rtol=1e-5, atol=1e-6
        )
        if passed:
            continue
        if arrays_close(have, start[i])[0]:
            return False, (
                message + ". Hint: the parameter never changed; `p = p - lr * buf` "
                "makes a new tensor, change p in place (p -= ..., p.sub_(...))"
            )
        for mistake, hint in MOMENTUM_MISTAKES:
            wrong = momentum_probe({"sgd_momentum_step": mistake}, case)
            if arrays_close(have, wrong["params"][i], rtol=1e-5, atol=1e-6)[0]:
                return False, f"{message}. Hint: {hint}"
        return False, message
    return True, "ok"


MOMENTUM = Check(
    id="ch08.sgd_momentum_step",
    kind=IMPLEMENT,
    points=4,
    reads=("sgd_momentum_step",),
    title="sgd_momentum_step(params, buffers, lr, momentum)",
    cases=momentum_cases,
    probe=momentum_probe,
    reference=momentum_reference,
    judge=momentum_judge,
    rule="an optimizer step changes each parameter in place, under no_grad(), from its .grad; "
    "with momentum, buf = grad on the first step, then buf = momentum * buf + grad, and "
    "p -= lr * buf",
    hint="inside `with mg.no_grad():`, for each parameter whose .grad is not None: update its "
    "buffer (a copy of the gradient on the first step), then subtract lr * buffer in place",
)


# -- 2. find the bug: no zero_grad -------------------------------------------------------


def train_cases(rng, hidden):
    settings = [(6, 4, 0.1)] if not hidden else [(8, 6, 0.05), (3, 2, 0.2), (5, 1, 0.1)]
    cases = []
    for n, steps, lr in settings:
        cases.append(
            {
                "w1": np.round(rng.normal(0, 0.7, (4, 2)), 3).tolist(),
                "b1": np.round(rng.normal(0, 0.2, 4), 3).tolist(),
                "w2": np.round(rng.normal(0, 0.7, (1, 4)), 3).tolist(),
                "b2": np.round(rng.normal(0, 0.2, 1), 3).tolist(),
                "X": np.round(rng.normal(size=(n, 2)), 3).tolist(),
                "y": np.round(rng.normal(size=(n, 1)), 3).tolist(),
                "steps": steps,
                "lr": lr,
                "label": f"{steps} steps on {n} rows with lr={lr}",
            }
        )
    return cases


def train_probe(learner, case):
    import minigrad as mg
    from minigrad import grad_mode

    grad_mode.reset()
    model = mg.nn.Sequential(mg.nn.Linear(2, 4), mg.nn.Tanh(), mg.nn.Linear(4, 1))
    with mg.no_grad():
        for p, key in zip(model.parameters(), ("w1", "b1", "w2", "b2")):
            p.copy_(mg.tensor(case[key]))
    losses = learner["train"](
        model, mg.tensor(case["X"]), mg.tensor(case["y"]), case["steps"], case["lr"]
    )
    return {"losses": losses, "params": [p.detach().numpy() for p in model.parameters()]}


def _train_right(model, X, y, steps, lr):
    optimizer = mg.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = ((model(X) - y) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def _train_without_zero_grad(model, X, y, steps, lr):
    optimizer = mg.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = ((model(X) - y) ** 2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def train_reference(case):
    return train_probe({"train": _train_right}, case)


def train_judge(got, expected, case):
    if not isinstance(got, dict):
        return False, "the check could not read the result"
    passed, message = arrays_close(
        got["losses"], expected["losses"], what="your list of losses", rtol=1e-5, atol=1e-7
    )
    if passed:
        for have, want in zip(got["params"], expected["params"]):
            passed, message = arrays_close(
                have, want, what="the trained parameters", rtol=1e-5, atol=1e-7
            )
            if not passed:
                break
    if passed:
        return True, "ok"
    buggy = train_probe({"train": _train_without_zero_grad}, case)
    if arrays_close(got["losses"], buggy["losses"], rtol=1e-5, atol=1e-7)[0]:
        return False, (
            message + ". Hint: these are the losses of the buggy loop: each "
            "backward() adds to .grad, so every step uses the sum of all gradients so far"
        )
    losses = got["losses"]
    if isinstance(losses, list) and len(losses) > 1 and len(set(map(str, losses))) == 1:
        return False, (
            message + ". Hint: the loss never changes: the gradients are reset after "
            "backward() and before step(), or step() is missing"
        )
    if _one_step_late(losses, expected["losses"]):
        return False, (
            message + ". Hint: each of your losses is the next step's: append the loss "
            "that step computed (before its update), not one computed after step()"
        )
    return False, message


def _one_step_late(losses, expected):
    """The expected losses shifted by one: each recorded after its step's update."""
    if not isinstance(losses, list) or len(losses) != len(expected) or len(losses) < 2:
        return False
    return arrays_close(losses[:-1], list(expected[1:]), rtol=1e-5, atol=1e-7)[0]


TRAIN = Check(
    id="ch08.train",
    kind=FIND_THE_BUG,
    points=3,
    reads=("train",),
    title="find the bug: train(model, X, y, steps, lr)",
    cases=train_cases,
    probe=train_probe,
    reference=train_reference,
    judge=train_judge,
    rule="backward() adds into .grad; each step must start from zero gradients, so zero_grad() "
    "comes before backward() (or after step())",
    hint="print model[0].bias.grad after the first and the second backward() of the buggy loop",
)


# -- 3. predict: a global switch left off -------------------------------------------------


def switch_program(lib):
    """Exercise 3's program, run for real."""
    lib.manual_seed(0)
    model = lib.nn.Linear(3, 1)
    X, y = lib.randn(4, 3), lib.randn(4, 1)

    def evaluate(model, X, y):
        lib.set_grad_enabled(False)
        return ((model(X) - y) ** 2).mean().item()

    try:
        evaluate(model, X, y)
        loss = ((model(X) - y) ** 2).mean()
        answers = [loss.requires_grad, None if loss.grad_fn is None else loss.grad_fn.name()]
        try:
            loss.backward()
            answers.append(None)
        except Exception as error:  # noqa: BLE001 - the type is the answer
            answers.append(type(error).__name__)
        lib.set_grad_enabled(True)
        loss = ((model(X) - y) ** 2).mean()
        answers.append(loss.grad_fn.name())
    finally:
        lib.set_grad_enabled(True)
    return answers


SWITCH_ANSWERS = (
    "answer_requires_grad",
    "answer_grad_fn",
    "answer_backward",
    "answer_grad_fn_after",
)


def switch_cases(rng, hidden):
    return [{"label": "the program"}]


def switch_probe(learner, case):
    return [
        learner["answer_requires_grad"],
        learner["answer_grad_fn"],
        learner["answer_backward"],
        learner["answer_grad_fn_after"],
    ]


def switch_reference(case):
    return switch_program(mg)


def switch_judge(got, expected, case):
    forms = [(bool,), (str, type(None)), (str, type(None)), (str,)]
    what = ["True or False", "a string or None", "a string or None", "a string"]
    for name, have, want, form, text in zip(SWITCH_ANSWERS, got, expected, forms, what):
        if not isinstance(have, form):
            return False, f"`{name}` should be {text}; it is {describe(have)}"
        passed, message = prediction(have, want, what=f"`{name}`", program="the program")
        if not passed:
            if (
                name == "answer_backward"
                and isinstance(have, str)
                and any(c in have for c in ":( ")
            ):
                message += " (write the exception's type name only, e.g. 'TypeError')"
            return False, message
    return True, "ok"


SWITCH = Check(
    id="ch08.global_switch",
    kind=PREDICT,
    points=2,
    reads=SWITCH_ANSWERS,
    title="predict: a global switch left off",
    cases=switch_cases,
    probe=switch_probe,
    reference=switch_reference,
    judge=switch_judge,
    rule="a plain set_grad_enabled(False) lasts until switched back; a forward pass without "
    "recording leaves backward() no graph to walk",
    hint="after evaluate() returns, is recording on? Then: which node would the last operation "
    "of the loss have recorded?",
)


# -- 4. predict: eval() versus no_grad() ---------------------------------------------------


def modes_program(lib):
    """Exercise 4's program, run for real."""
    lib.manual_seed(0)
    bn, drop = lib.nn.BatchNorm1d(3), lib.nn.Dropout(0.5)
    x = lib.randn(8, 3, requires_grad=True)

    def same(a, b):
        return bool((a == b).all().item())

    with lib.no_grad():
        a = drop(x)
    drop.eval()
    b = drop(x)
    before = bn.running_mean.clone()
    with lib.no_grad():
        bn(x)
    p3 = [not same(bn.running_mean, before), int(bn.num_batches_tracked.item())]
    bn.eval()
    before = bn.running_mean.clone()
    c = bn(x)
    p4 = [not same(bn.running_mean, before), c.requires_grad]
    return [[same(a, x), a.requires_grad], [same(b, x), b.requires_grad], p3, p4]


MODES_ANSWERS = ("answer_p1", "answer_p2", "answer_p3", "answer_p4")
MODES_FORMS = {
    "answer_p1": "(a equals x everywhere, a.requires_grad)",
    "answer_p2": "(b equals x everywhere, b.requires_grad)",
    "answer_p3": "(running_mean moved, num_batches_tracked as an int)",
    "answer_p4": "(running_mean moved, c.requires_grad)",
}


def modes_cases(rng, hidden):
    return [{"label": "the program with Dropout and BatchNorm1d"}]


def modes_probe(learner, case):
    return [learner["answer_p1"], learner["answer_p2"], learner["answer_p3"], learner["answer_p4"]]


def modes_reference(case):
    return modes_program(mg)


def modes_judge(got, expected, case):
    for name, have, want in zip(MODES_ANSWERS, got, expected):
        if not isinstance(have, list) or len(have) != 2:
            return False, f"`{name}` should be a pair {MODES_FORMS[name]}; it is {describe(have)}"
        passed, message = prediction(have, want, what=f"`{name}`", program="the program")
        if not passed:
            return False, message
    return True, "ok"


MODES = Check(
    id="ch08.eval_vs_no_grad",
    kind=PREDICT,
    points=2,
    reads=MODES_ANSWERS,
    title="predict: eval() versus no_grad()",
    cases=modes_cases,
    probe=modes_probe,
    reference=modes_reference,
    judge=modes_judge,
    rule="eval()/train() decide what Dropout and BatchNorm compute (and whether BatchNorm "
    "updates its running statistics); no_grad() decides only whether anything is recorded",
    hint="for each line, ask two separate questions: is the module in training mode? is "
    "recording on?",
)

# -- 5. Module.parameters, a piece of your engine ----------------------------------------

MOMENTUM = with_piece(MOMENTUM, "ch08.sgd_momentum_step")
PARAMETERS = piece_check(
    "ch08.parameters", 3, hint="a layer shared by two parents is visited twice: list it once"
)

CHECKS = [MOMENTUM, TRAIN, SWITCH, MODES, PARAMETERS]
