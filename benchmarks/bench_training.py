"""Training step: an MLP 64-128-10 on the digits, forward + backward + SGD step.

The step every chapter-08 learner runs: ``zero_grad``, cross-entropy of the
logits, ``backward``, ``SGD.step``, with batches of 64 and 512 digits. Three
versions do the same arithmetic in float32: minigrad, PyTorch, and a numpy
step written by hand (:class:`NumpyMLP`), which is the floor for any engine
built on numpy: the same array operations with no engine around them. A
fourth, "bare", runs the step on ``bare_autograd.py`` (the engine with
nothing but parents and backward functions, one op per node as in minigrad):
the floor for an autograd engine in Python, as in the ops benchmark.
Targets (issue 7): minigrad within 1.5x of PyTorch and within 1.2x of numpy.
"""

from __future__ import annotations

import numpy as np
from harness import (
    Section,
    Target,
    fmt_ratio,
    fmt_seconds,
    heading,
    interleaved,
    not_installed,
    optional,
    print_table,
    spread,
)

NAME = "training"
TITLE = "training step: MLP 64-128-10 on the digits, forward + backward + SGD"
BATCHES = (64, 512)
LR = 0.1


class NumpyMLP:
    """The same MLP and SGD step written directly in numpy, gradients derived by hand.

    Forward: h = x W1^T + b1, a = relu(h), z = a W2^T + b2, p = softmax(z),
    loss = mean_i -log p[i, y_i]. Backward (the chain rule, by hand):
    dz = (p - onehot(y)) / n, dW2 = dz^T a, db2 = sum_i dz,
    da = dz W2, dh = da * (h > 0), dW1 = dh^T x, db1 = sum_i dh.
    Five matrix products and no gradient for x (it needs none).
    """

    def __init__(self, w1, b1, w2, b2):
        self.w1, self.b1, self.w2, self.b2 = (
            np.array(a, dtype=np.float32) for a in (w1, b1, w2, b2)
        )

    def gradients(self, x, y):
        """(loss, [dW1, db1, dW2, db2]) for a batch x (n, 64), labels y (n,)."""
        n = x.shape[0]
        h = x @ self.w1.T
        h += self.b1
        a = np.maximum(h, 0)
        z = a @ self.w2.T
        z += self.b2
        z -= z.max(axis=1, keepdims=True)  # stable softmax: exp(z) <= 1
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        rows = np.arange(n)
        loss = -np.log(p[rows, y]).mean()
        dz = p  # p is not needed any more: turn it into dloss/dz in place
        dz[rows, y] -= 1
        dz /= n
        dw2 = dz.T @ a
        db2 = dz.sum(axis=0)
        dh = dz @ self.w2
        dh *= h > 0  # relu's gradient: pass where the input was positive
        dw1 = dh.T @ x
        db1 = dh.sum(axis=0)
        return loss, [dw1, db1, dw2, db2]

    def step(self, x, y):
        loss, grads = self.gradients(x, y)
        for param, grad in zip((self.w1, self.b1, self.w2, self.b2), grads):
            param -= LR * grad
        return loss


def _minigrad_step(model, x, y):
    import minigrad as mg
    from minigrad.nn import functional as F

    optimizer = mg.optim.SGD(model.parameters(), lr=LR)

    def step():
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()

    return step


def _torch_step(model, x, y):
    import torch
    import torch.nn.functional as F

    optimizer = torch.optim.SGD(model.parameters(), lr=LR)

    def step():
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()

    return step


def _build(backend, weights):
    """A model of ``backend`` holding copies of the same initial weights."""
    if backend == "minigrad":
        import minigrad as mg

        lib = mg
    else:
        import torch as lib
    model = lib.nn.Sequential(lib.nn.Linear(64, 128), lib.nn.ReLU(), lib.nn.Linear(128, 10))
    with lib.no_grad():
        for param, value in zip(model.parameters(), weights):
            param.copy_(lib.tensor(value.copy()))
    return model


def _bare_step(weights, x, y):
    """(step, parameters, loss function) of the same MLP on the bare engine."""
    import bare_autograd as bare

    params = [bare.Bare(np.array(a, dtype=np.float32)) for a in weights]
    w1, b1, w2, b2 = params

    def loss():
        hidden = bare.relu(bare.linear(x, w1, b1))
        return bare.nll_loss(bare.log_softmax(bare.linear(hidden, w2, b2)), y)

    def step():
        for param in params:
            param.grad = None
        loss().backward()
        for param in params:
            param.data -= LR * param.grad

    return step, params, loss


def check_bare_gradients(weights, x, y):
    """The bare engine's gradients equal minigrad's (float32 rounding)."""
    import minigrad as mg
    from minigrad.nn import functional as F

    model = _build("minigrad", weights)
    F.cross_entropy(model(mg.tensor(x)), mg.tensor(y)).backward()
    _step, params, loss = _bare_step(weights, x, y)
    loss().backward()
    for ours, bare in zip(model.parameters(), params):
        np.testing.assert_allclose(bare.grad, ours.grad.numpy(), rtol=1e-4, atol=1e-6)


def check_numpy_gradients(weights, x, y):
    """The hand-written numpy gradients equal minigrad's autograd ones (float32 rounding)."""
    import minigrad as mg
    from minigrad.nn import functional as F

    model = _build("minigrad", weights)
    loss = F.cross_entropy(model(mg.tensor(x)), mg.tensor(y))
    loss.backward()
    numpy_loss, grads = NumpyMLP(*weights).gradients(x, y)
    worst = 0.0
    for param, grad in zip(model.parameters(), grads):
        expected = param.grad.numpy()
        np.testing.assert_allclose(grad, expected, rtol=1e-4, atol=1e-6)
        worst = max(worst, float(np.max(np.abs(grad - expected))))
    np.testing.assert_allclose(numpy_loss, loss.item(), rtol=1e-5)
    return worst


def run(settings):
    heading(TITLE)
    section = Section(NAME, TITLE)
    from coursekit.data import load_digits

    X, y = load_digits()
    X, y = X.numpy(), y.numpy()
    import minigrad as mg

    mg.manual_seed(0)
    reference = mg.nn.Sequential(mg.nn.Linear(64, 128), mg.nn.ReLU(), mg.nn.Linear(128, 10))
    weights = [p.detach().numpy().copy() for p in reference.parameters()]
    worst = check_numpy_gradients(weights, X[:64], y[:64])
    section.note(f"the numpy step's gradients equal minigrad's (largest difference {worst:.1e})")
    check_bare_gradients(weights, X[:64], y[:64])
    section.note("the bare engine's gradients equal minigrad's too")

    backends = ["minigrad"] + (["torch"] if optional("torch") is not None else [])
    backends += ["numpy", "bare"]
    if "torch" not in backends:
        section.note(not_installed("torch"))
    compared = [b for b in backends if b not in ("minigrad", "bare")]
    header = ["batch"] + backends + [f"minigrad/{b}" for b in compared] + ["bare/numpy"]
    rows, ratios = [], {}
    for batch in BATCHES:
        xb, yb = X[:batch].copy(), y[:batch].copy()
        fns = {
            "minigrad": _minigrad_step(_build("minigrad", weights), mg.tensor(xb), mg.tensor(yb))
        }
        if "torch" in backends:
            import torch

            fns["torch"] = _torch_step(_build("torch", weights), torch.tensor(xb), torch.tensor(yb))
        numpy_model = NumpyMLP(*weights)
        fns["numpy"] = lambda m=numpy_model, xb=xb, yb=yb: m.step(xb, yb)
        fns["bare"] = _bare_step(weights, xb, yb)[0]
        timings = interleaved({b: fns[b] for b in backends}, settings)
        row = [batch] + [fmt_seconds(timings[b].median) for b in backends]
        record = {"batch": batch}
        for b in backends:
            record[b] = timings[b].as_dict() | {"iqr_over_median": spread(timings[b])}
        for b in compared:
            ratio = timings["minigrad"].median / timings[b].median
            ratios[(batch, b)] = ratio
            record[f"minigrad/{b}"] = ratio
            row.append(fmt_ratio(ratio))
        record["bare/numpy"] = timings["bare"].median / timings["numpy"].median
        row.append(fmt_ratio(record["bare/numpy"]))
        rows.append(row)
        section.rows.append(record)
    print_table(header, rows)
    for batch in BATCHES:
        section.check(
            Target(
                f"MLP training step (batch {batch}) within 1.5x of PyTorch",
                "minigrad/torch",
                ratios.get((batch, "torch")),
                1.5,
                why_missing="torch not installed",
            )
        )
        section.check(
            Target(
                f"MLP training step (batch {batch}) within 1.2x of hand-written numpy",
                "minigrad/numpy",
                ratios[(batch, "numpy")],
                1.2,
            )
        )
    return section
