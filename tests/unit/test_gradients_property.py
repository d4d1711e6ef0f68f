"""Property-based gradient checks: random shapes, random programs, finite differences.

Every program here is written once against a small "backend" interface and
run twice: on minigrad (which also computes the gradients) and on a plain
numpy backend written below, independently of minigrad. The numpy run gives
the expected forward values, and central finite differences of it give the
expected gradients (and, for create_graph, the expected second derivatives).
Nothing expected comes from minigrad itself.

Hypothesis chooses shapes (broadcasting pairs included), operations and their
arguments; the numbers come from a seeded numpy generator, so they are generic
(no ties, no points exactly on a kink) and every run is the same
(``derandomize=True``). All in float64, where finite differences are accurate
to about 1e-9.
"""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg

SETTINGS = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "print_blob": False,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.filter_too_much],
}


# --- the two backends ---------------------------------------------------------------
class MinigradBackend:
    """The operations under test, called the way a learner would call them."""

    tensor = staticmethod(lambda a: mg.tensor(a, dtype=mg.float64))
    tanh, sigmoid, relu, exp = (staticmethod(f) for f in (mg.tanh, mg.sigmoid, mg.relu, mg.exp))
    log, sqrt, abs, maximum = (staticmethod(f) for f in (mg.log, mg.sqrt, mg.abs, mg.maximum))
    matmul, where = staticmethod(mg.matmul), staticmethod(mg.where)

    @staticmethod
    def sum(x, dim=None, keepdim=False):
        return x.sum() if dim is None else x.sum(dim=dim, keepdim=keepdim)

    @staticmethod
    def mean(x, dim=None, keepdim=False):
        return x.mean() if dim is None else x.mean(dim, keepdim=keepdim)

    @staticmethod
    def max(x, dim=None, keepdim=False):
        return x.max() if dim is None else x.max(dim, keepdim=keepdim)[0]

    softmax = staticmethod(lambda x, dim: x.softmax(dim))
    log_softmax = staticmethod(lambda x, dim: mg.log_softmax(x, dim))
    reshape = staticmethod(lambda x, shape: x.reshape(*shape))
    view = staticmethod(lambda x, shape: x.contiguous().view(*shape))
    transpose = staticmethod(lambda x, a, b: x.transpose(a, b))
    permute = staticmethod(lambda x, dims: x.permute(*dims))
    T = staticmethod(lambda x: x.T)
    unsqueeze = staticmethod(lambda x, d: x.unsqueeze(d))
    squeeze = staticmethod(lambda x, d: x.squeeze(d))
    expand = staticmethod(lambda x, shape: x.expand(*shape))
    flatten = staticmethod(lambda x: x.flatten())
    getitem = staticmethod(lambda x, key: x[key])
    take = staticmethod(lambda x, idx: x[mg.tensor(idx)])
    cat = staticmethod(lambda xs, dim: mg.cat(xs, dim))
    stack = staticmethod(lambda xs, dim: mg.stack(xs, dim))


def _softmax(x, dim):
    shifted = x - np.max(x, axis=dim, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=dim, keepdims=True)


def _log_softmax(x, dim):
    shifted = x - np.max(x, axis=dim, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True))


def _squeeze(x, d):
    return np.squeeze(x, axis=d) if x.shape[d] == 1 else x  # torch: no-op on a dim > 1


class NumpyBackend:
    """The same operations in plain numpy: the reference."""

    tensor = staticmethod(lambda a: np.asarray(a, dtype=np.float64))
    tanh = staticmethod(np.tanh)
    sigmoid = staticmethod(lambda x: 1.0 / (1.0 + np.exp(-x)))
    relu = staticmethod(lambda x: np.maximum(x, 0.0))
    exp, log, sqrt, abs = np.exp, np.log, np.sqrt, np.abs
    maximum, matmul, where = np.maximum, np.matmul, np.where
    sum = staticmethod(lambda x, dim=None, keepdim=False: np.sum(x, axis=dim, keepdims=keepdim))
    mean = staticmethod(lambda x, dim=None, keepdim=False: np.mean(x, axis=dim, keepdims=keepdim))
    max = staticmethod(lambda x, dim=None, keepdim=False: np.max(x, axis=dim, keepdims=keepdim))
    softmax = staticmethod(_softmax)
    log_softmax = staticmethod(_log_softmax)
    reshape = staticmethod(np.reshape)
    view = staticmethod(np.reshape)
    transpose = staticmethod(np.swapaxes)
    permute = staticmethod(np.transpose)
    T = staticmethod(lambda x: np.transpose(x))
    unsqueeze = staticmethod(np.expand_dims)
    squeeze = staticmethod(_squeeze)
    expand = staticmethod(np.broadcast_to)
    flatten = staticmethod(lambda x: np.reshape(x, -1))
    getitem = staticmethod(lambda x, key: x[key])
    take = staticmethod(lambda x, idx: x[np.asarray(idx)])
    cat = staticmethod(lambda xs, dim: np.concatenate(xs, axis=dim))
    stack = staticmethod(lambda xs, dim: np.stack(xs, axis=dim))


MG, NP = MinigradBackend, NumpyBackend


# --- finite differences ---------------------------------------------------------------
def finite_difference_gradients(f, arrays, eps=1e-6):
    """Central differences of the scalar ``f(*arrays)`` for every element of every array."""
    grads = []
    for a in arrays:
        g = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            original = a[i]
            a[i] = original + eps
            plus = f(*arrays)
            a[i] = original - eps
            minus = f(*arrays)
            a[i] = original
            g[i] = (plus - minus) / (2 * eps)
        grads.append(g)
    return grads


def finite_difference_hessian(f, x, h=1e-4):
    """Second derivatives of the scalar ``f(x)`` by central differences, flattened."""
    flat = x.reshape(-1)  # a view: writing to it perturbs x
    n = flat.size
    hessian = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            values = []
            for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                saved = flat.copy()
                flat[i] += si * h
                flat[j] += sj * h
                values.append(f(x))
                flat[:] = saved
            hessian[i, j] = (values[0] - values[1] - values[2] + values[3]) / (4 * h * h)
    return hessian


def check_gradients(program, arrays, seed, what):
    """Run ``program`` on both backends; compare values, then gradients with finite differences.

    The loss is ``sum(program(...) * weights)`` with fixed random weights, so every
    output element counts differently (a plain sum could hide a permuted gradient).
    ``what`` describes the program in failure messages.
    """
    shapes = [a.shape for a in arrays]
    expected_out = np.asarray(program(NP, *[NP.tensor(a) for a in arrays]))
    if not (np.all(np.isfinite(expected_out)) and np.abs(expected_out).max() < 1e6):
        return  # numbers too big for finite differences to be precise: nothing to compare
    weights = np.random.default_rng(seed + 1).uniform(0.5, 1.5, expected_out.shape)

    def loss(*xs):
        return float(np.sum(np.asarray(program(NP, *[NP.tensor(a) for a in xs])) * weights))

    leaves = [mg.tensor(a.copy(), dtype=mg.float64, requires_grad=True) for a in arrays]
    out = program(MG, *leaves)
    context = f"{what} on input shapes {shapes}"
    assert out.shape == expected_out.shape, context
    assert out.dtype is mg.float64, context
    np.testing.assert_allclose(
        out.detach().numpy(),
        expected_out,
        rtol=1e-10,
        atol=1e-9,
        err_msg=f"forward values of {context}",
    )

    (out * mg.tensor(weights, dtype=mg.float64)).sum().backward()
    expected_grads = finite_difference_gradients(loss, [a.copy() for a in arrays])
    for i, (leaf, expected) in enumerate(zip(leaves, expected_grads)):
        got = np.zeros_like(expected) if leaf.grad is None else leaf.grad.numpy()
        assert got.shape == expected.shape, f"gradient {i} has shape {got.shape}: {context}"
        scale = 1.0 + np.abs(expected).max()
        np.testing.assert_allclose(
            got,
            expected,
            rtol=1e-5,
            atol=1e-6 * scale,
            err_msg=f"gradient of input {i} of {context}",
        )


# --- strategies and random choices -----------------------------------------------------
SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
SEEDS = st.integers(0, 2**32 - 1)


def _values(seed, *shapes, low=-2.0, high=2.0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(low, high, shape) for shape in shapes]


class Chooser:
    """Uniform random choices from a seed. Hypothesis draws the seed; drawing each choice
    through Hypothesis instead would favour the first options of every list."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def choice(self, options):
        return options[int(self.rng.integers(len(options)))]

    def integer(self, low, high):  # both ends included
        return int(self.rng.integers(low, high + 1))

    def dim(self, ndim):
        return self.integer(-ndim, ndim - 1)


def _broadcastable_shape(choose, shape):
    """A random shape that broadcasts with ``shape`` (either may be the bigger one)."""
    lead = choose.integer(0, max(0, 3 - len(shape)))
    out = [choose.integer(1, 3) for _ in range(lead)]
    for n in shape:
        out.append(choose.choice([n, 1, n] if n > 1 else [1, 1, choose.integer(1, 3)]))
    while out and len(out) > len(shape) and choose.choice([True, False]):
        out.pop(0)
    return tuple(out)


# --- elementwise operations, broadcasting ------------------------------------------------
BINARY = {
    "x + y": lambda B, x, y: x + y,
    "x - y": lambda B, x, y: x - y,
    "x * y": lambda B, x, y: x * y,
    "x / (y*y + 0.5)": lambda B, x, y: x / (y * y + 0.5),
    "(|x| + 0.5) ** y": lambda B, x, y: (B.abs(x) + 0.5) ** y,
    "maximum(x, y)": lambda B, x, y: B.maximum(x, y),
    "where(x > y, 2x, 3y)": lambda B, x, y: B.where(x > y, x * 2.0, y * 3.0),
    "(x - 2y) * tanh(y) + x/3": lambda B, x, y: (x - 2.0 * y) * B.tanh(y) + x / 3.0,
}


@settings(max_examples=80, **SETTINGS)
@given(
    shapes=hnp.mutually_broadcastable_shapes(
        num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=4
    ),
    seed=SEEDS,
)
def test_binary_ops_with_broadcasting_match_finite_differences(shapes, seed):
    a, b = _values(seed, *shapes.input_shapes)
    for what, program in BINARY.items():
        check_gradients(program, [a, b], seed, what)


UNARY = {
    "-x": lambda B, x: -x,
    "tanh": lambda B, x: B.tanh(x),
    "sigmoid": lambda B, x: B.sigmoid(x),
    "relu": lambda B, x: B.relu(x),
    "abs": lambda B, x: B.abs(x),
    "exp": lambda B, x: B.exp(x),
    "log(x*x + 1)": lambda B, x: B.log(x * x + 1.0),
    "sqrt(x*x + 1)": lambda B, x: B.sqrt(x * x + 1.0),
    "x ** 2": lambda B, x: x**2,
    "x ** 3": lambda B, x: x**3,
    "1 / (x*x + 1)": lambda B, x: 1.0 / (x * x + 1.0),
    "0.5 - x": lambda B, x: 0.5 - x,
    "2 ** x": lambda B, x: 2.0**x,
    "1.5x + 0.25": lambda B, x: x * 1.5 + 0.25,
}
SMOOTH_UNARY = [k for k in UNARY if k not in ("relu", "abs")]


@settings(max_examples=50, **SETTINGS)
@given(shape=SHAPES, seed=SEEDS)
def test_unary_ops_match_finite_differences(shape, seed):
    (x,) = _values(seed, shape)
    for what, program in UNARY.items():
        check_gradients(program, [x], seed, what)


# --- reductions -----------------------------------------------------------------------
def _method(name, *args):
    """The program ``x.<name>(*args)`` on either backend."""
    return lambda B, x: getattr(B, name)(x, *args)


def _reductions(dim):
    programs = {f"{name}()": _method(name) for name in ("sum", "mean", "max")}
    for name in ("sum", "mean", "max"):
        for keepdim in (False, True):
            programs[f"{name}({dim}, keepdim={keepdim})"] = _method(name, dim, keepdim)
    for name in ("softmax", "log_softmax"):
        programs[f"{name}({dim})"] = _method(name, dim)
    return programs


@settings(max_examples=80, **SETTINGS)
@given(
    shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
    seed=SEEDS,
    data=st.data(),
)
def test_reductions_with_dim_and_keepdim_match_finite_differences(shape, seed, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    (x,) = _values(seed, shape)
    for what, program in _reductions(dim).items():
        check_gradients(program, [x], seed, what)


# --- matrix products ---------------------------------------------------------------------
@settings(max_examples=50, **SETTINGS)
@given(
    m=st.integers(1, 4), n=st.integers(1, 4), k=st.integers(1, 4), b=st.integers(1, 3), seed=SEEDS
)
def test_matmul_of_every_rank_matches_finite_differences(m, n, k, b, seed):
    kinds = {
        "matrix @ matrix": ((m, n), (n, k)),
        "matrix @ vector": ((m, n), (n,)),
        "vector @ matrix": ((n,), (n, k)),
        "vector @ vector": ((n,), (n,)),
        "batch @ batch": ((b, m, n), (b, n, k)),
        "batch @ matrix": ((b, m, n), (n, k)),
        "matrix @ batch": ((m, n), (b, n, k)),
        "vector @ batch": ((n,), (b, n, k)),
        "batch @ vector": ((b, m, n), (n,)),
        "broadcast batches": ((b, 1, m, n), (2, n, k)),
    }
    for what, shapes in kinds.items():
        check_gradients(lambda B, x, y: B.matmul(x, y), _values(seed, *shapes), seed, what)


# --- moving elements around ----------------------------------------------------------------
def _shape_programs(choose, shape):
    """Every shape operation that applies to ``shape``, with random arguments."""
    ndim = len(shape)
    new = tuple(reversed(shape)) if ndim else (1,)
    d = choose.integer(-ndim - 1, ndim)
    copies = choose.integer(1, 3)
    programs = {
        f"reshape{new}": lambda B, x: B.reshape(x, new),
        f"view{new}": lambda B, x: B.view(x, new),
        "flatten()": lambda B, x: B.flatten(x),
        f"unsqueeze({d})": lambda B, x: B.unsqueeze(x, d),
        f"unsqueeze(0).expand({copies}, ...)": lambda B, x: B.expand(
            B.unsqueeze(x, 0), (copies,) + tuple(shape)
        ),
    }
    if ndim >= 1:
        i = choose.integer(-shape[0], shape[0] - 1)
        start, step = choose.integer(0, shape[0] - 1), choose.integer(1, 2)
        idx = [choose.integer(0, shape[0] - 1) for _ in range(choose.integer(1, 5))]
        sd = choose.dim(ndim)
        programs.update(
            {
                f"x[{i}]": lambda B, x: B.getitem(x, i),
                f"x[{start}::{step}]": lambda B, x: B.getitem(x, slice(start, None, step)),
                f"x[tensor({idx})]": lambda B, x: B.take(x, idx),
                f"squeeze({sd})": lambda B, x: B.squeeze(x, sd),
            }
        )
    if ndim >= 2:
        a, b = choose.dim(ndim), choose.dim(ndim)
        dims = tuple(int(p) for p in choose.rng.permutation(ndim))
        last = choose.integer(0, shape[-1] - 1)
        programs.update(
            {
                f"transpose({a}, {b})": lambda B, x: B.transpose(x, a, b),
                f"permute{dims}": lambda B, x: B.permute(x, dims),
                f"x[..., {last}]": lambda B, x: B.getitem(x, (Ellipsis, last)),
                f"x[:, None, 0:{last + 1}]": lambda B, x: B.getitem(
                    x, (slice(None), None, slice(0, last + 1))
                ),
            }
        )
    if ndim == 2:
        programs[".T"] = lambda B, x: B.T(x)
    return programs


@settings(max_examples=80, **SETTINGS)
@given(shape=SHAPES, seed=SEEDS)
def test_shape_ops_and_indexing_match_finite_differences(shape, seed):
    (x,) = _values(seed, shape)
    for what, program in _shape_programs(Chooser(seed), shape).items():
        check_gradients(program, [x], seed, what)


@settings(max_examples=60, **SETTINGS)
@given(
    shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3),
    count=st.integers(1, 3),
    seed=SEEDS,
)
def test_cat_and_stack_match_finite_differences(shape, count, seed):
    choose = Chooser(seed)
    ndim = len(shape)

    def joined(how, dim):
        # The first input is used twice: gradients from both copies must add up.
        return lambda B, *xs: getattr(B, how)([B.tanh(x) for x in xs] + [xs[0] * 2.0], dim)

    dim = choose.dim(ndim)
    d = dim % ndim
    shapes = [shape[:d] + (choose.integer(1, 3),) + shape[d + 1 :] for _ in range(count)]
    shapes[0] = shape
    check_gradients(joined("cat", dim), _values(seed, *shapes), seed, f"cat(dim={dim})")
    dim = choose.integer(-ndim - 1, ndim)
    check_gradients(
        joined("stack", dim), _values(seed, *[shape] * count), seed, f"stack(dim={dim})"
    )


# --- random programs ------------------------------------------------------------------------
# Steps of a random program: each gets the current tensor and the extra inputs.
def _step(fn):
    return lambda B, x, extra: fn(B, x)


def _step_with(fn, i):
    return lambda B, x, extra: fn(B, x, extra[i])


def _matmul_step(i):
    return lambda B, x, extra: B.matmul(x, extra[i])


def _cat_step(i, dim):
    return lambda B, x, extra: B.cat([x, extra[i]], dim)


def _random_program(choose, shape, max_steps, smooth_only=False):
    """A random chain of operations: (program, shapes of its extra inputs, description).

    Each step is a unary elementwise op, a reduction, a shape op (linear, so smooth
    too), a binary op with a new input of a broadcast-compatible shape (so gradients
    must be unbroadcast), a matrix product with a new input, or a cat with a new input.
    """
    steps, names, extra_shapes = [], [], []
    for _ in range(choose.integer(1, max_steps)):
        ndim = len(shape)
        kinds = ["unary", "binary", "shape"] + (["reduce", "matmul", "cat"] if ndim else [])
        if ndim >= 3:  # keep the tensors small
            kinds = ["unary", "reduce", "reduce", "matmul", "cat"]
        kind = choose.choice(kinds)
        if kind == "unary":
            name = choose.choice(SMOOTH_UNARY if smooth_only else list(UNARY))
            step = _step(UNARY[name])
        elif kind == "binary":
            options = [k for k in BINARY if not smooth_only or k[0] in "x(" and "|" not in k]
            op = choose.choice(options)
            other = _broadcastable_shape(choose, shape)
            i = len(extra_shapes)
            extra_shapes.append(other)
            name = f"{op} with y = y{i}{other}"
            step = _step_with(BINARY[op], i)
        elif kind == "reduce":
            programs = _reductions(choose.dim(ndim))
            if smooth_only:
                programs = {k: v for k, v in programs.items() if not k.startswith("max")}
            name = choose.choice(list(programs))
            step = _step(programs[name])
        elif kind == "matmul":
            i = len(extra_shapes)
            extra_shapes.append((shape[-1], choose.integer(1, 3)))
            name = f"@ y{i}{extra_shapes[-1]}"
            step = _matmul_step(i)
        elif kind == "cat":
            dim, i = choose.dim(ndim), len(extra_shapes)
            extra_shapes.append(shape[: dim % ndim] + (2,) + shape[dim % ndim + 1 :])
            name = f"cat([x, y{i}{extra_shapes[-1]}], {dim})"
            step = _cat_step(i, dim)
        else:
            programs = _shape_programs(choose, shape)
            name = choose.choice(list(programs))
            step = _step(programs[name])
        steps.append(step)
        names.append(name)
        # Follow the shape on zeros (shapes do not depend on the values).
        shape = np.shape(step(NP, np.zeros(shape), [np.zeros(s) for s in extra_shapes]))

    def program(B, x, *extra):
        for step in steps:
            x = step(B, x, extra)
        return x

    return program, extra_shapes, " -> ".join(names)


@settings(max_examples=300, **SETTINGS)
@given(shape=SHAPES, seed=SEEDS)
def test_random_op_chains_match_finite_differences(shape, seed):
    program, extra_shapes, what = _random_program(Chooser(seed), shape, max_steps=5)
    check_gradients(program, _values(seed, shape, *extra_shapes), seed, what)


# --- second derivatives ---------------------------------------------------------------------
@settings(max_examples=150, **SETTINGS)
@given(shape=hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=2), seed=SEEDS)
def test_create_graph_second_derivatives_match_finite_differences(shape, seed):
    choose = Chooser(seed)
    chain, extra_shapes, what = _random_program(choose, shape, max_steps=3, smooth_only=True)
    # End on a curved function, so that the second derivatives are rarely all zero.
    last = choose.choice([k for k in SMOOTH_UNARY if k not in ("-x", "0.5 - x", "1.5x + 0.25")])
    what = f"{what} -> {last}"

    def program(B, x, *extra):
        return UNARY[last](B, chain(B, x, *extra))

    x0, *extras = _values(seed, shape, *extra_shapes, low=-1.0, high=1.0)
    out0 = np.asarray(program(NP, x0.copy(), *extras))
    weights = np.random.default_rng(seed + 1).uniform(0.5, 1.5, out0.shape)

    def loss_np(x):
        return float(np.sum(np.asarray(program(NP, x, *extras)) * weights))

    if not abs(loss_np(x0.copy())) < 1e3:
        return  # too big for the four-point formula to be precise
    expected = finite_difference_hessian(loss_np, x0.copy())

    x = mg.tensor(x0.copy(), dtype=mg.float64, requires_grad=True)
    constants = [mg.tensor(e, dtype=mg.float64) for e in extras]
    loss = (program(MG, x, *constants) * mg.tensor(weights, dtype=mg.float64)).sum()
    (g,) = mg.autograd.grad(loss, x, create_graph=True)
    flat = g.reshape(-1)
    rows = []
    for i in range(x0.size):
        if not flat.requires_grad:  # the loss was linear in x: its gradient is a constant
            rows.append(np.zeros(x0.size))
            continue
        (row,) = mg.autograd.grad(flat[i], x, retain_graph=True, allow_unused=True)
        rows.append(np.zeros(x0.size) if row is None else row.numpy().reshape(-1))
    got = np.array(rows).reshape(x0.size, x0.size)
    scale = 1.0 + np.abs(expected).max()
    # Rounding in the four-point formula is about 1e-16 * |loss| / h^2 = 1e-8 * |loss|.
    np.testing.assert_allclose(
        got,
        expected,
        rtol=1e-4,
        atol=1e-5 * scale + 1e-7 * abs(loss.item()),
        err_msg=f"second derivatives of {what} on shape {shape}",
    )
