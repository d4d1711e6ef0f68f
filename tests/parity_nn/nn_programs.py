"""Training-layer programs that run unchanged on PyTorch and on minigrad.

Each program takes `lib` (the torch module or the minigrad module) and the
initial weights, and returns its observations as plain lists and numbers.
record.py runs them on PyTorch and stores the results (with PyTorch's own
initial weights) in recordings/; the tests run them on minigrad, starting
from those same weights, and compare.

Inputs come from numpy with fixed seeds, so both libraries see the same data.
"""

import numpy as np


def values(tensor):
    """A tensor's values as nested Python lists (works for both libraries)."""
    return tensor.detach().numpy().tolist()


def state_values(module):
    return {name: values(t) for name, t in module.state_dict().items()}


def load_state(lib, module, state):
    """Load lists of numbers into `module`, keeping each tensor's own dtype."""
    current = module.state_dict()
    module.load_state_dict(
        {name: lib.tensor(state[name], dtype=current[name].dtype) for name in current}
    )


def _data(seed, *shape):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _labels(seed, n, classes):
    return np.random.default_rng(seed).integers(0, classes, size=n).astype(np.int64)


# ----------------------------------------------------------------------
# models
# ----------------------------------------------------------------------
def build_linear(lib):
    return lib.nn.Linear(4, 3)


def build_tanh_mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))


def build_sigmoid_mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(5, 8), nn.Sigmoid(), nn.Linear(8, 3))


def build_digits_mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


def build_batchnorm(lib):
    return lib.nn.BatchNorm1d(4)


# ----------------------------------------------------------------------
# the optimizer loop shared by the optimizer programs
# ----------------------------------------------------------------------
def _train_steps(lib, model, loss_fn, optimizer, batches):
    """Run one optimizer step per (x, y) batch; record loss, grads and params each step."""
    losses, grads, params = [], [], []
    for x, y in batches:
        optimizer.zero_grad()
        loss = loss_fn(model(lib.tensor(x)), lib.tensor(y))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        grads.append({n: values(p.grad) for n, p in model.named_parameters()})
        params.append({n: values(p) for n, p in model.named_parameters()})
    return {"losses": losses, "grads": grads, "params": params}


def _regression_batches(steps):
    return [(_data(10 + s, 6, 4), _data(100 + s, 6, 3)) for s in range(steps)]


def _class_batches(steps, features=5, classes=3):
    return [(_data(20 + s, 7, features), _labels(200 + s, 7, classes)) for s in range(steps)]


def sgd_linear_mse(lib, init):
    model = build_linear(lib)
    load_state(lib, model, init)
    optimizer = lib.optim.SGD(model.parameters(), lr=0.1)
    return _train_steps(lib, model, lib.nn.MSELoss(), optimizer, _regression_batches(5))


def sgd_momentum_weight_decay(lib, init):
    model = build_tanh_mlp(lib)
    load_state(lib, model, init)
    optimizer = lib.optim.SGD(
        model.parameters(), lr=0.05, momentum=0.9, weight_decay=0.01, dampening=0.1
    )
    return _train_steps(lib, model, lib.nn.CrossEntropyLoss(), optimizer, _class_batches(6))


def sgd_nesterov(lib, init):
    model = build_tanh_mlp(lib)
    load_state(lib, model, init)
    optimizer = lib.optim.SGD(model.parameters(), lr=0.05, momentum=0.8, nesterov=True)
    return _train_steps(lib, model, lib.nn.CrossEntropyLoss(), optimizer, _class_batches(6))


def adam_default(lib, init):
    model = build_sigmoid_mlp(lib)
    load_state(lib, model, init)
    optimizer = lib.optim.Adam(model.parameters(), lr=0.01)
    return _train_steps(lib, model, lib.nn.CrossEntropyLoss(), optimizer, _class_batches(6))


def adam_betas_weight_decay(lib, init):
    model = build_sigmoid_mlp(lib)
    load_state(lib, model, init)
    optimizer = lib.optim.Adam(
        model.parameters(), lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05
    )
    return _train_steps(lib, model, lib.nn.CrossEntropyLoss(), optimizer, _class_batches(6))


# ----------------------------------------------------------------------
# layers
# ----------------------------------------------------------------------
def batchnorm_running_stats(lib, init):
    """Three training batches (forward + backward), then eval on fresh data."""
    bn = build_batchnorm(lib)
    load_state(lib, bn, init)
    with lib.no_grad():  # a non-trivial affine part, so weight and bias matter
        bn.weight.copy_(lib.tensor([0.5, 1.5, -1.0, 2.0]))
        bn.bias.copy_(lib.tensor([0.1, -0.2, 0.3, 0.0]))
    observed = {
        "train_outputs": [],
        "input_grads": [],
        "weight_grads": [],
        "bias_grads": [],
        "running_mean": [],
        "running_var": [],
        "num_batches_tracked": [],
    }
    for step in range(3):
        x = lib.tensor(_data(30 + step, 5, 4) * (step + 1) + step, requires_grad=True)
        target = lib.tensor(_data(300 + step, 5, 4))
        bn.zero_grad()
        out = bn(x)
        ((out - target) ** 2).mean().backward()
        observed["train_outputs"].append(values(out))
        observed["input_grads"].append(values(x.grad))
        observed["weight_grads"].append(values(bn.weight.grad))
        observed["bias_grads"].append(values(bn.bias.grad))
        observed["running_mean"].append(values(bn.running_mean))
        observed["running_var"].append(values(bn.running_var))
        observed["num_batches_tracked"].append(bn.num_batches_tracked.item())
    bn.eval()
    x = lib.tensor(_data(40, 3, 4))
    observed["eval_output"] = values(bn(x))
    with lib.no_grad():
        observed["eval_output_no_grad"] = values(bn(x))
    observed["state_dict_keys"] = list(bn.state_dict().keys())
    return observed


def batchnorm_3d_and_cumulative(lib, init):
    """(N, C, L) inputs, and momentum=None (a cumulative average of batch statistics)."""
    bn = lib.nn.BatchNorm1d(3, momentum=None)
    outputs = []
    for step in range(3):
        outputs.append(values(bn(lib.tensor(_data(50 + step, 4, 3, 2) + step))))
    bn.eval()
    return {
        "train_outputs": outputs,
        "running_mean": values(bn.running_mean),
        "running_var": values(bn.running_var),
        "eval_output": values(bn(lib.tensor(_data(60, 2, 3, 2)))),
    }


def dropout_eval_identity(lib, init):
    drop = lib.nn.Dropout(p=0.4)
    x = lib.tensor(_data(70, 3, 5), requires_grad=True)
    drop.eval()
    out = drop(x)
    return {
        "eval_returns_input": out is x,
        "eval_output": values(out),
        "repr": repr(drop),
        "training_after_eval": drop.training,
    }


def cross_entropy_values(lib, init):
    """Losses and logit gradients for ordinary and huge logits, in every reduction."""
    F = lib.nn.functional
    cases = {
        "ordinary": _data(80, 4, 5) * 2,
        "large": np.array(
            [[1000.0, 0.0, -1000.0], [50.0, 50.0, -50.0], [-800.0, 800.0, 799.0]], dtype=np.float32
        ),
    }
    targets = {"ordinary": [0, 4, 2, 2], "large": [0, 2, 1]}
    observed = {}
    for name, logits in cases.items():
        for reduction in ("mean", "sum", "none"):
            x = lib.tensor(logits, requires_grad=True)
            loss = F.cross_entropy(x, lib.tensor(targets[name]), reduction=reduction)
            loss.sum().backward()
            observed[f"{name}_{reduction}"] = {"loss": values(loss), "grad": values(x.grad)}
    x = lib.tensor(cases["ordinary"], requires_grad=True)
    probabilities = np.random.default_rng(81).dirichlet(np.ones(5), size=4).astype(np.float32)
    loss = lib.nn.CrossEntropyLoss()(x, lib.tensor(probabilities))
    loss.backward()
    observed["soft_targets"] = {"loss": values(loss), "grad": values(x.grad)}
    x = lib.tensor(cases["large"])
    observed["log_softmax_large"] = values(F.log_softmax(x, dim=1))
    observed["softmax_large"] = values(F.softmax(x, dim=1))
    return observed


def mse_values(lib, init):
    observed = {}
    for reduction in ("mean", "sum", "none"):
        x = lib.tensor(_data(90, 3, 4), requires_grad=True)
        loss = lib.nn.MSELoss(reduction=reduction)(x, lib.tensor(_data(91, 3, 4)))
        loss.sum().backward()
        observed[reduction] = {"loss": values(loss), "grad": values(x.grad)}
    return observed


def grad_fn_names(lib, init):
    """The name of the backward node at the output of each layer and loss."""
    F = lib.nn.functional
    x = lib.tensor(_data(95, 4, 3), requires_grad=True)
    weight = lib.tensor(_data(96, 2, 3), requires_grad=True)
    bias = lib.tensor(_data(97, 2), requires_grad=True)
    outputs = {
        "linear": F.linear(x, weight, bias),
        "linear_no_bias": F.linear(x, weight),
        "relu": F.relu(x),
        "tanh": lib.nn.Tanh()(x),
        "sigmoid": lib.nn.Sigmoid()(x),
        "dropout_train": F.dropout(x, 0.5, training=True),
        "log_softmax": F.log_softmax(x, dim=1),
        "softmax": F.softmax(x, dim=1),
        "cross_entropy": F.cross_entropy(x, lib.tensor([0, 1, 2, 0])),
        "mse_loss": F.mse_loss(x, x.detach() * 2),
        "batch_norm_train": lib.nn.BatchNorm1d(3)(x),
        "batch_norm_eval": lib.nn.BatchNorm1d(3).eval()(x),
    }
    return {name: out.grad_fn.name() for name, out in outputs.items()}


# ----------------------------------------------------------------------
# the done criterion: a 64-128-10 MLP on the digits
# ----------------------------------------------------------------------
DIGITS_STEPS = 20
DIGITS_BATCH = 32


def digits_arrays():
    """The course's digits split as numpy arrays (float32 features, int64 labels)."""
    from coursekit.data import load_digits, train_test_split

    X_train, X_test, y_train, y_test = train_test_split(*load_digits(), seed=0)
    return [t.numpy() for t in (X_train, X_test, y_train, y_test)]


def digits_mlp_sgd(lib, init):
    """The first DIGITS_STEPS mini-batch steps of SGD with momentum on the digits."""
    X_train, _, y_train, _ = digits_arrays()
    model = build_digits_mlp(lib)
    load_state(lib, model, init)
    order = np.random.default_rng(0).permutation(len(X_train))
    batches = [
        (X_train[order[i : i + DIGITS_BATCH]], y_train[order[i : i + DIGITS_BATCH]])
        for i in range(0, DIGITS_STEPS * DIGITS_BATCH, DIGITS_BATCH)
    ]
    optimizer = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    observed = _train_steps(lib, model, lib.nn.CrossEntropyLoss(), optimizer, batches)
    # Every parameter at every step would be 20 x 9,610 numbers: keep the gradients
    # of the first step and the parameters after the last, of the output layer and
    # of the hidden layer's bias (1,418 numbers each).
    kept = ("0.bias", "2.weight", "2.bias")
    observed["grads"] = [{k: observed["grads"][0][k] for k in kept}]
    observed["params"] = [{k: observed["params"][-1][k] for k in kept}]
    return observed


# name -> (program, model builder whose default init is recorded, or None)
PROGRAMS = {
    "sgd_linear_mse": (sgd_linear_mse, build_linear),
    "sgd_momentum_weight_decay": (sgd_momentum_weight_decay, build_tanh_mlp),
    "sgd_nesterov": (sgd_nesterov, build_tanh_mlp),
    "adam_default": (adam_default, build_sigmoid_mlp),
    "adam_betas_weight_decay": (adam_betas_weight_decay, build_sigmoid_mlp),
    "batchnorm_running_stats": (batchnorm_running_stats, build_batchnorm),
    "batchnorm_3d_and_cumulative": (batchnorm_3d_and_cumulative, None),
    "dropout_eval_identity": (dropout_eval_identity, None),
    "cross_entropy_values": (cross_entropy_values, None),
    "mse_values": (mse_values, None),
    "grad_fn_names": (grad_fn_names, None),
    "digits_mlp_sgd": (digits_mlp_sgd, build_digits_mlp),
}
