"""Parity programs: the same small programs, run on PyTorch and on minigrad.

Each program is a function ``name(lib, obs)``: ``lib`` is the module
(``torch`` or ``minigrad``), ``obs`` an :class:`observe.Observer` that writes
down what the program sees. Programs use only the public API of the contract
(the names and rules listed in COVERAGE.md) and explicit data (no random values: where a seed
post used ``randn``/``rand``, the program uses the numbers the post printed).
A program that changes grad mode puts it back in ``finally``.

Programs named ``seed_<file prefix>_<what>`` are the runnable examples of the
seed posts, in the posts' order; the others cover the contract item by item
(see COVERAGE.md).
"""

import threading
import warnings

PROGRAMS = {}


def program(fn):
    """Register a parity program under its function name."""
    if fn.__name__ in PROGRAMS:
        raise ValueError(f"two programs named {fn.__name__}")
    PROGRAMS[fn.__name__] = fn
    return fn


# --- helpers -------------------------------------------------------------


def _weights(shape, start=1.0):
    """Nested lists 1, 2, 3, ... of the given shape (a distinct weight per element)."""
    count = 1
    for n in shape:
        count *= n
    flat = [start + i for i in range(count)]

    def build(dims, values):
        if not dims:
            return values[0]
        step = len(values) // dims[0] if dims[0] else 0
        return [build(dims[1:], values[i * step : (i + 1) * step]) for i in range(dims[0])]

    return build(list(shape), flat)


def _weighted_backward(lib, out):
    """Backward from ``sum(out * w)`` with distinct weights w, so a wrong
    transpose or a mixed-up element in a gradient formula shows in the values."""
    (out * lib.tensor(_weights(list(out.shape)))).sum().backward()


def _op_case(lib, obs, label, fn, *inputs):
    """Run ``fn`` on fresh leaves made from ``inputs``, observe the result and
    each input's gradient after a weighted backward."""
    leaves = [lib.tensor(data, requires_grad=True) for data in inputs]
    out = fn(*leaves)
    obs.tensor(label, out)
    _weighted_backward(lib, out)
    for i, leaf in enumerate(leaves):
        obs.tensor(f"{label} | input {i} after backward", leaf)


# Values printed by the seed posts (their tensors came from rand/randn).
SEED001_Y = [[-0.2810, -2.7142, 1.8053], [-0.6549, 1.0730, -1.9470], [0.5629, -0.0692, -0.7376]]
SEED001_X = [[0.8037, 0.2443, 0.3994], [0.9879, 0.9484, 0.4035], [0.3057, 0.6682, 0.4186]]
SEED002_A = [
    [0.2824, -0.3715, 0.9088, -1.7601],
    [-0.1806, 2.0937, 1.0406, -1.7651],
    [1.1216, 0.8440, 0.1783, 0.6859],
]


# =========================================================================
# Seed 000: the three grad-mode context managers
# =========================================================================


@program
def seed_000_no_grad_pow(lib, obs):
    x = lib.tensor(3.0, requires_grad=True)
    with lib.no_grad():
        y = x**2
    obs.value("y.requires_grad", y.requires_grad)
    obs.tensor("y", y)
    obs.tensor("x", x)


@program
def seed_000_enable_grad_inside_no_grad(lib, obs):
    with lib.no_grad():
        obs.value("is_grad_enabled() in no_grad", lib.is_grad_enabled())
        with lib.enable_grad():
            obs.value("is_grad_enabled() in enable_grad in no_grad", lib.is_grad_enabled())
        obs.value("is_grad_enabled() back in no_grad", lib.is_grad_enabled())
    obs.value("is_grad_enabled() after", lib.is_grad_enabled())


@program
def seed_000_set_grad_enabled_mode_false(lib, obs):
    mode = False
    with lib.set_grad_enabled(mode):
        x = lib.tensor(2.0, requires_grad=True)
        y = x**2
    obs.value("y.requires_grad", y.requires_grad)
    obs.tensor("x made inside", x)
    obs.tensor("y", y)


@program
def seed_000_is_grad_enabled_inside_outside(lib, obs):
    with lib.no_grad():
        obs.value("inside no_grad", lib.is_grad_enabled())
    obs.value("outside", lib.is_grad_enabled())


@program
def seed_000_optimizer_step_needs_no_grad_mode(lib, obs):
    # Seed 000 says grad mode must be on "when the optimizer updates the parameters".
    # It must be on for the forward pass that records the graph; backward() works
    # inside no_grad(), and step() turns recording off itself.
    w = lib.tensor([[1.0], [-2.0]], requires_grad=True)
    x = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
    optimizer = lib.optim.SGD([w], lr=0.1)
    loss = (lib.mm(x, w) ** 2).sum()  # recorded: grad mode is on
    with lib.no_grad():
        loss.backward()  # backward() inside no_grad(): still fills .grad
    obs.grad("w.grad after backward() inside no_grad()", w.grad)
    obs.raises("w.sub_(0.1 * w.grad) by hand, grad mode on", lambda: w.sub_(0.1 * w.grad))
    obs.value("is_grad_enabled() when step() is called", lib.is_grad_enabled())
    optimizer.step()  # grad mode on outside: step() turns recording off inside
    obs.tensor("w after step()", w)
    with lib.no_grad():
        optimizer.step()  # the same update, with grad mode off: it needs none
    obs.tensor("w after a second step() inside no_grad()", w)
    with lib.no_grad():
        unrecorded = (lib.mm(x, w) ** 2).sum()
    obs.raises("backward() of a loss computed inside no_grad()", unrecorded.backward)


# =========================================================================
# Seed 001: the graph, .grad, detach, no_grad
# =========================================================================


@program
def seed_001_mm_sum_grad(lib, obs):
    x = lib.arange(9, dtype=lib.float).view(3, 3)
    obs.tensor("x", x)
    obs.value("x.requires_grad", x.requires_grad)
    y = lib.tensor(SEED001_Y, requires_grad=True)
    obs.tensor("y", y)
    z = lib.sum(lib.mm(x, y))
    z.backward()
    obs.tensor("z", z)
    obs.value("z.requires_grad", z.requires_grad)
    obs.value("x.grad is None", x.grad is None)
    obs.grad("y.grad", y.grad)
    obs.tensor("y after backward", y)


@program
def seed_001_attribute_table(lib, obs):
    t = lib.tensor([1.0, 2.0])
    obs.value("requires_grad default", t.requires_grad)
    obs.value("grad default is None", t.grad is None)
    obs.value("grad_fn of a leaf is None", t.grad_fn is None)
    obs.value("is_leaf", t.is_leaf)
    w = lib.tensor([1.0, 2.0], requires_grad=True)
    out = w * 2
    obs.value("grad_fn of a result", out.grad_fn.name())
    obs.value("is_leaf of a result", out.is_leaf)
    obs.value("str(device)", str(t.device))


@program
def seed_001_detach_metrics(lib, obs):
    x = lib.tensor(SEED001_X, requires_grad=True)
    w = lib.ones(3, 3, requires_grad=True)
    obs.tensor("x", x)
    obs.tensor("w", w)
    yy = lib.mm(w, x)
    obs.value("yy.requires_grad", yy.requires_grad)
    detach_yy = yy.detach()
    y = lib.sum(yy)
    y.backward()
    obs.tensor("detach_yy", detach_yy)
    obs.value("detach_yy.grad is None", detach_yy.grad is None)
    obs.grad("x.grad", x.grad)
    obs.grad("w.grad", w.grad)


@program
def seed_001_no_grad_mm_sum(lib, obs):
    x = lib.tensor(SEED001_X, requires_grad=True)
    w = lib.ones(3, 3, requires_grad=True)
    y = lib.sum(lib.mm(w, x))
    obs.value("normal: y.requires_grad", y.requires_grad)
    with lib.no_grad():
        y = lib.sum(lib.mm(w, x))
        obs.value("in no_grad: y.requires_grad", y.requires_grad)
    obs.tensor("y made in no_grad", y)


@program
def seed_001_intermediate_grad_is_not_kept(lib, obs):
    # Seed 001 says backward() keeps the gradient of every intermediate node in its
    # .grad. Only leaves keep one (and non-leaves that called retain_grad()).
    x = lib.arange(9, dtype=lib.float).view(3, 3)
    y = lib.tensor(SEED001_Y, requires_grad=True)
    xy = lib.mm(x, y)  # an intermediate node of the seed's z = sum(mm(x, y))
    z = lib.sum(xy)
    z.backward()
    obs.value("xy.is_leaf", xy.is_leaf)
    obs.value("xy.grad is None", obs.warns("reading xy.grad", lambda: xy.grad) is None)
    obs.grad("y.grad (a leaf)", y.grad)
    y2 = lib.tensor(SEED001_Y, requires_grad=True)
    xy2 = lib.mm(x, y2)
    xy2.retain_grad()
    lib.sum(xy2).backward()
    obs.grad("xy.grad after xy.retain_grad()", xy2.grad)


@program
def seed_001_evaluation_without_no_grad_changes_no_parameter(lib, obs):
    # Seed 001 says that without no_grad() at test time "the model would learn the
    # test set". A forward pass changes no parameter; it only records a graph.
    w = lib.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
    b = lib.tensor([0.1, -0.2], requires_grad=True)
    test_x = lib.tensor([[1.0, 2.0], [3.0, -1.0], [0.0, 4.0]])
    out = lib.mm(test_x, w) + b  # evaluated with grad mode on
    obs.tensor("output evaluated with recording on", out)
    obs.tensor("w after the evaluation", w)
    obs.tensor("b after the evaluation", b)
    with lib.no_grad():
        out_no_grad = lib.mm(test_x, w) + b
    obs.tensor("output under no_grad()", out_no_grad)
    obs.value("same numbers", (out.detach() == out_no_grad).all().item())


# =========================================================================
# Seed 002: enabling and disabling locally, nesting
# =========================================================================


@program
def seed_002_no_grad_context(lib, obs):
    x = lib.tensor([1.0], requires_grad=True)
    with lib.no_grad():
        y = x * 2
    obs.value("y.requires_grad", y.requires_grad)
    obs.tensor("y", y)


@program
def seed_002_no_grad_decorator(lib, obs):
    x = lib.tensor([1.0], requires_grad=True)

    @lib.no_grad()
    def doubler(x):
        return x * 2

    z = doubler(x)
    obs.value("z.requires_grad", z.requires_grad)
    obs.value("is_grad_enabled() after the call", lib.is_grad_enabled())


@program
def seed_002_enable_grad_context_in_no_grad(lib, obs):
    x = lib.tensor([1.0], requires_grad=True)
    with lib.no_grad():  # noqa: SIM117 - nested as in the seed post
        with lib.enable_grad():
            y = x * 2
    obs.value("y.requires_grad", y.requires_grad)
    obs.tensor("y", y)
    y.backward()
    obs.grad("x.grad", x.grad)


@program
def seed_002_enable_grad_decorator(lib, obs):
    x = lib.tensor([1.0], requires_grad=True)

    @lib.enable_grad()
    def doubler(x):
        return x * 2

    with lib.no_grad():
        z = doubler(x)
        obs.value("is_grad_enabled() in no_grad after the call", lib.is_grad_enabled())
    obs.value("z.requires_grad (called in no_grad)", z.requires_grad)
    outside = doubler(x)
    obs.value("called outside no_grad: requires_grad", outside.requires_grad)
    obs.value("is_grad_enabled() after the outside call", lib.is_grad_enabled())
    z.backward()
    obs.grad("x.grad", x.grad)


@program
def seed_002_set_grad_enabled_context(lib, obs):
    x = lib.tensor([1.0], requires_grad=True)
    is_train = False
    with lib.set_grad_enabled(is_train):
        y = x * 2
    obs.value("y.requires_grad", y.requires_grad)
    obs.value("is_grad_enabled() after the block", lib.is_grad_enabled())


@program
def seed_002_set_grad_enabled_plain_call(lib, obs):
    x = lib.tensor([1.0], requires_grad=True)
    try:
        lib.set_grad_enabled(True)
        y = x * 2
        obs.value("after set_grad_enabled(True): y.requires_grad", y.requires_grad)
        lib.set_grad_enabled(False)
        obs.value("is_grad_enabled() after set_grad_enabled(False)", lib.is_grad_enabled())
        y = x * 2
        obs.value("after set_grad_enabled(False): y.requires_grad", y.requires_grad)
        y = x * 3
        obs.value("still off for the next statement", y.requires_grad)
    finally:
        lib.set_grad_enabled(True)


@program
def seed_002_nesting_innermost_wins(lib, obs):
    x = lib.tensor([1.0], requires_grad=True)
    try:
        with lib.enable_grad():
            lib.set_grad_enabled(False)
            y = x * 2
            obs.value("enable_grad then set_grad_enabled(False): y.requires_grad", y.requires_grad)
        obs.value("is_grad_enabled() after leaving enable_grad", lib.is_grad_enabled())
        lib.set_grad_enabled(True)
        with lib.no_grad():
            z = x * 2
            obs.value("set_grad_enabled(True) then no_grad: z.requires_grad", z.requires_grad)
        obs.value("is_grad_enabled() after leaving no_grad", lib.is_grad_enabled())
    finally:
        lib.set_grad_enabled(True)


@program
def seed_002_thread_local(lib, obs):
    x = lib.tensor([1.0], requires_grad=True)
    seen = {}

    def worker():
        seen["enabled"] = lib.is_grad_enabled()
        seen["requires_grad"] = (x * 2).requires_grad

    with lib.no_grad():
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        obs.value("main thread in no_grad", lib.is_grad_enabled())
    obs.value("worker thread: is_grad_enabled()", seen["enabled"])
    obs.value("worker thread: (x * 2).requires_grad", seen["requires_grad"])


@program
def seed_002_example1_non_leaf_grad(lib, obs):
    a = lib.tensor(SEED002_A, requires_grad=True)
    obs.tensor("a", a)
    b = a * 2
    obs.tensor("b", b)
    obs.value("b.requires_grad", b.requires_grad)
    obs.warns("reading b.grad", lambda: b.grad)
    obs.value("b.grad is None", obs.warns("reading b.grad again", lambda: b.grad) is None)
    obs.value("a.requires_grad", a.requires_grad)
    obs.value("a.grad is None", a.grad is None)
    with lib.no_grad():
        c = a * 2
    obs.tensor("c", c)
    obs.value("c.requires_grad", c.requires_grad)
    obs.value("c.grad is None", c.grad is None)
    obs.tensor("c.sum()", c.sum())
    obs.raises("c.sum().backward()", lambda: c.sum().backward())
    obs.tensor("b.sum()", b.sum())
    b.sum().backward()
    obs.grad("a.grad", a.grad)
    obs.value("a.requires_grad at the end", a.requires_grad)


@program
def seed_002_example2_set_grad_enabled(lib, obs):
    a = lib.tensor(SEED002_A, requires_grad=True)
    try:
        with lib.set_grad_enabled(False):
            b = a * 2
        obs.tensor("b", b)
        with lib.set_grad_enabled(True):
            c = a * 3
        obs.tensor("c", c)
        d = a * 4
        obs.value("d.requires_grad", d.requires_grad)
        returned = lib.set_grad_enabled(True)
        obs.value("set_grad_enabled(True) returns a", type(returned).__name__)
        e = a * 5
        obs.tensor("e", e)
        obs.tensor("d", d)
        lib.set_grad_enabled(False)
        f = a * 6
        obs.tensor("f", f)
        obs.value("f.requires_grad", f.requires_grad)
    finally:
        lib.set_grad_enabled(True)


# =========================================================================
# Seed 003: no_grad in evaluation; set_grad_enabled(False) as a global switch
# =========================================================================


@program
def seed_003_basic_no_grad(lib, obs):
    x = lib.tensor([3.0], requires_grad=True)
    y = lib.tensor([2.0], requires_grad=True)
    z = x * y
    z.backward()
    obs.grad("x.grad", x.grad)
    obs.grad("y.grad", y.grad)
    with lib.no_grad():
        z = x * y
    obs.value("z.requires_grad", z.requires_grad)


@program
def seed_003_x_times_y_gradients(lib, obs):
    # Seed 003's first example: z = x * y, z.backward(), x.grad is y and y.grad is x.
    x = lib.tensor([3.0], requires_grad=True)
    y = lib.tensor([2.0], requires_grad=True)
    z = x * y
    obs.tensor("z", z)
    obs.value("z.grad_fn", z.grad_fn.name())
    z.backward()
    obs.grad("x.grad", x.grad)
    obs.grad("y.grad", y.grad)
    with lib.no_grad():
        z2 = x * y
    obs.tensor("z computed in no_grad()", z2)


def _tiny_model(lib, w, inputs):
    """A stand-in for the posts' ``model(inputs)``: one linear map and tanh."""
    return lib.tanh(lib.mm(inputs, w))


@program
def seed_003_global_switch_restored(lib, obs):
    w = lib.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
    inputs = lib.tensor([[1.0, 2.0], [3.0, -1.0]])
    try:
        lib.set_grad_enabled(False)
        outputs = _tiny_model(lib, w, inputs)
        obs.tensor("outputs with grad switched off", outputs)
        lib.set_grad_enabled(True)
    finally:
        lib.set_grad_enabled(True)
    obs.value("is_grad_enabled() after switching back", lib.is_grad_enabled())
    trained = _tiny_model(lib, w, inputs)
    obs.tensor("outputs after switching back", trained)


@program
def seed_003_evaluation_loop(lib, obs):
    w = lib.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
    batches = [lib.tensor([[1.0, 2.0]]), lib.tensor([[3.0, -1.0]])]
    with lib.no_grad():
        for i, inputs in enumerate(batches):
            outputs = _tiny_model(lib, w, inputs)
            obs.tensor(f"batch {i} outputs", outputs)
    recorded = _tiny_model(lib, w, batches[0])
    obs.tensor("the same batch with grad", recorded)


@program
def seed_003_feature_extraction(lib, obs):
    w = lib.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
    images = [lib.tensor([[1.0, 0.0]]), lib.tensor([[0.0, 1.0]]), lib.tensor([[2.0, 2.0]])]
    features = []
    with lib.no_grad():
        for img in images:
            features.append(_tiny_model(lib, w, img))
    stacked = lib.cat(features)
    obs.tensor("features", stacked)
    with lib.no_grad():
        mean = stacked.mean(dim=0)
        centred = stacked - mean
        var = (centred * centred).mean(dim=0)
    obs.tensor("feature mean", mean)
    obs.tensor("feature variance", var)


# =========================================================================
# Seed 004: how autograd works inside
# =========================================================================


@program
def seed_004_requires_grad_flows(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = lib.tensor([3.0, 4.0])
    c = a * b
    d = c + 1
    e = d.exp().sum()
    obs.tensor("b (no grad)", b)
    obs.tensor("c", c)
    obs.tensor("d", d)
    obs.tensor("e", e)
    f = b * 2
    obs.tensor("f: only inputs without grad", f)


@program
def seed_004_ctx_saves_what_backward_needs(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = lib.tensor([3.0, 4.0], requires_grad=True)
    prod = a * b
    node = prod.grad_fn
    obs.value("mul saves", sorted(n for n in dir(node) if n.startswith("_saved_")))
    obs.tensor("mul _saved_self", node._saved_self)
    obs.tensor("mul _saved_other", node._saved_other)
    total = a + b
    obs.value("add saves", sorted(n for n in dir(total.grad_fn) if n.startswith("_saved_")))
    e = a.exp()
    obs.value("exp saves", sorted(n for n in dir(e.grad_fn) if n.startswith("_saved_")))
    obs.tensor("exp _saved_result", e.grad_fn._saved_result)


@program
def seed_004_leaves_and_non_leaves(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = lib.tensor([3.0, 4.0])
    c = a * b
    d = c * c
    d.sum().backward()
    obs.tensor("a (leaf, requires grad)", a)
    obs.tensor("b (leaf, no grad)", b)
    obs.tensor("c (non-leaf)", c)


@program
def seed_004_version_error_saved_input(lib, obs):
    a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = lib.tensor([4.0, 5.0, 6.0])
    c = a * b
    obs.value("b._version before", b._version)
    b.add_(1)
    obs.value("b._version after add_", b._version)
    obs.raises("backward after changing a saved input", lambda: c.sum().backward())
    obs.value("a.grad is None", a.grad is None)


@program
def seed_004_add_saves_nothing(lib, obs):
    a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = lib.tensor([4.0, 5.0, 6.0])
    c = a + b
    b.add_(1)
    obs.raises("backward after changing an input of add", lambda: c.sum().backward())
    obs.grad("a.grad", a.grad)


@program
def seed_004_each_op_has_its_backward(lib, obs):
    x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = lib.tensor([[0.5], [-1.0]], requires_grad=True)
    h = lib.mm(x, y)
    a = lib.tanh(h)
    out = (a * 3 + 1).sum()
    obs.tensor("out", out)
    out.backward()
    obs.grad("x.grad", x.grad)
    obs.grad("y.grad", y.grad)


@program
def seed_004_detach_shares_memory(lib, obs):
    a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = a * 2
    d = b.detach()
    obs.tensor("d", d)
    d.add_(10)
    obs.tensor("b after d.add_(10)", b)
    obs.tensor("d after add_", d)
    obs.raises("backward of b.sum() (MulBackward0 saved nothing of b)", lambda: b.sum().backward())
    obs.grad("a.grad", a.grad)


# =========================================================================
# Creation and dtypes
# =========================================================================


@program
def creation_tensor_dtype_inference(lib, obs):
    obs.tensor("tensor(1.5)", lib.tensor(1.5))
    obs.tensor("tensor(3)", lib.tensor(3))
    obs.tensor("tensor(True)", lib.tensor(True))
    obs.tensor("tensor([1, 2])", lib.tensor([1, 2]))
    obs.tensor("tensor([1, 2.5])", lib.tensor([1, 2.5]))
    obs.tensor("tensor([True, False])", lib.tensor([True, False]))
    obs.tensor("tensor([[1, 2], [3, 4]])", lib.tensor([[1, 2], [3, 4]]))
    obs.tensor("tensor([])", lib.tensor([]))
    obs.tensor("tensor([1, 2], dtype=float64)", lib.tensor([1, 2], dtype=lib.float64))
    obs.tensor("tensor([1.7, -2.7], dtype=int64)", lib.tensor([1.7, -2.7], dtype=lib.int64))
    obs.tensor(
        "tensor([1.0, 2.0], dtype=float32, requires_grad)",
        lib.tensor([1.0, 2.0], dtype=lib.float32, requires_grad=True),
    )
    obs.tensor("tensor([0.1], dtype=float64)", lib.tensor([0.1], dtype=lib.float64))


@program
def creation_tensor_of_one_element_tensors(lib, obs):
    """tensor() of a list holding one-element tensors: each counts as a number of its
    own dtype, and those promote as in an op (int32 with a float64: float64)."""
    y = lib.tensor([[2]], dtype=lib.int32)
    z = lib.tensor(3.0, dtype=lib.float64)
    obs.tensor("tensor([y])", lib.tensor([y]))
    obs.tensor("tensor([y, z])", lib.tensor([y, z]))
    obs.tensor("tensor([y, 2])", lib.tensor([y, 2]))
    obs.tensor("tensor([[z, 1.5]])", lib.tensor([[z, 1.5]]))
    obs.tensor("tensor([True, y])", lib.tensor([True, y]))
    obs.raises("a two-element tensor in the list", lambda: lib.tensor([lib.tensor([1.0, 2.0])]))


@program
def creation_dtype_objects(lib, obs):
    obs.value("repr(float32)", repr(lib.float32))
    obs.value("repr(float64)", repr(lib.float64))
    obs.value("repr(int64)", repr(lib.int64))
    obs.value("repr(bool)", repr(lib.bool))
    obs.value("str(float32)", str(lib.float32))
    obs.value("tensor dtype is the module's float32", lib.tensor([1.0]).dtype is lib.float32)
    obs.value("float32 == float64", lib.float32 == lib.float64)


@program
def creation_dtype_aliases(lib, obs):
    # The seed posts write ``torch.float`` (seed 001); PyTorch's aliases.
    obs.value("float is float32", lib.float is lib.float32)
    obs.value("double is float64", lib.double is lib.float64)
    obs.value("long is int64", lib.long is lib.int64)
    obs.value("float32.is_floating_point", lib.float32.is_floating_point)
    obs.value("int64.is_floating_point", lib.int64.is_floating_point)


@program
def creation_functions(lib, obs):
    obs.tensor("zeros(2, 3)", lib.zeros(2, 3))
    obs.tensor("zeros((2, 3))", lib.zeros((2, 3)))
    obs.tensor("ones(3)", lib.ones(3))
    obs.tensor("ones(2, dtype=float64)", lib.ones(2, dtype=lib.float64))
    obs.tensor("ones(2, 2, requires_grad=True)", lib.ones(2, 2, requires_grad=True))
    obs.tensor("zeros(2, dtype=int64)", lib.zeros(2, dtype=lib.int64))
    obs.tensor("full((2, 2), 7.0)", lib.full((2, 2), 7.0))
    obs.tensor("full((3,), 7)", lib.full((3,), 7))
    obs.tensor("full((2,), 0.5, requires_grad=True)", lib.full((2,), 0.5, requires_grad=True))
    obs.tensor("arange(5)", lib.arange(5))
    obs.tensor("arange(2, 8, 2)", lib.arange(2, 8, 2))
    obs.tensor("arange(0, 1, 0.25)", lib.arange(0, 1, 0.25))
    obs.tensor("arange(1.0, 4.0)", lib.arange(1.0, 4.0))
    obs.tensor("arange(3, dtype=float32)", lib.arange(3, dtype=lib.float32))
    obs.tensor("eye(3)", lib.eye(3))
    obs.tensor("eye(2, 3)", lib.eye(2, 3))
    base = lib.tensor([[1, 2, 3]])
    obs.tensor("zeros_like(int tensor)", lib.zeros_like(base))
    obs.tensor("ones_like(float tensor)", lib.ones_like(lib.tensor([1.5, 2.5])))
    obs.tensor("zeros_like(x, dtype=float64)", lib.zeros_like(base, dtype=lib.float64))
    obs.tensor("ones_like(x requiring grad)", lib.ones_like(lib.tensor([1.0], requires_grad=True)))
    obs.tensor("zeros(0)", lib.zeros(0))


@program
def creation_random_shapes_and_seed(lib, obs):
    lib.manual_seed(0)
    first = lib.randn(3)
    lib.manual_seed(0)
    again = lib.randn(3)
    obs.value("same seed, same numbers", first.tolist() == again.tolist())
    r = lib.rand(2, 3)
    obs.value("rand shape", list(r.shape))
    obs.value("rand dtype", r.dtype)
    obs.value("rand in [0, 1)", all(0.0 <= v < 1.0 for row in r.tolist() for v in row))
    n = lib.randn(2, 2, requires_grad=True)
    obs.value("randn(requires_grad) shape", list(n.shape))
    obs.value("randn(requires_grad) dtype", n.dtype)
    obs.value("randn(requires_grad).requires_grad", n.requires_grad)
    obs.value("randn(requires_grad).is_leaf", n.is_leaf)
    obs.value("randn dtype=float64", lib.randn(2, dtype=lib.float64).dtype)
    obs.value("randn((2, 3)) shape", list(lib.randn((2, 3)).shape))


@program
def creation_bad_input(lib, obs):
    obs.raises("ragged list", lambda: lib.tensor([[1, 2], [3]]))
    obs.raises("ragged deeper", lambda: lib.tensor([[[1, 2]], [[3]]]))
    obs.raises("a string", lambda: lib.tensor("abc"))
    obs.raises("a list with a string", lambda: lib.tensor([1.0, "a"]))
    obs.raises("None", lambda: lib.tensor(None))
    obs.raises("int data with requires_grad=True", lambda: lib.tensor([1, 2], requires_grad=True))
    obs.raises(
        "float data as int64 with requires_grad=True",
        lambda: lib.tensor([1.0], dtype=lib.int64, requires_grad=True),
    )


@program
def creation_dtype_promotion(lib, obs):
    i = lib.tensor([1, 2, 3])
    f = lib.tensor([1.0, 2.0, 3.0])
    d = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)
    obs.tensor("int tensor * 2.5", i * 2.5)
    obs.tensor("int tensor + 1", i + 1)
    obs.tensor("int tensor * 2", i * 2)
    obs.tensor("int / int (true division)", i / lib.tensor([2, 2, 2]))
    obs.tensor("int tensor / 2", i / 2)
    obs.tensor("int tensor ** 2", i**2)
    obs.tensor("int tensor ** 0.5", i**0.5)
    obs.tensor("int tensor + float tensor", i + f)
    obs.tensor("float32 + float64 0-d tensor", f + lib.tensor(1.0, dtype=lib.float64))
    obs.tensor("float32 + float64 1-d tensor", f + d)
    obs.tensor("float64 tensor * 2.5", d * 2.5)
    obs.tensor("float32 + int64 0-d tensor", f + lib.tensor(2))
    obs.tensor("int64 + float32 0-d tensor", i + lib.tensor(0.5))
    obs.tensor("bool tensor + 1", lib.tensor([True, False]) + 1)
    obs.tensor("bool tensor + bool tensor", lib.tensor([True, False]) + lib.tensor([True, True]))
    obs.tensor("-int tensor", -i)
    obs.tensor(
        "float32 leaf * float64 leaf",
        lib.tensor([1.0], requires_grad=True)
        * lib.tensor([2.0], dtype=lib.float64, requires_grad=True),
    )


@program
def creation_grad_dtype_follows_leaf(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = lib.tensor([3.0, 4.0], dtype=lib.float64, requires_grad=True)
    out = (a * b).sum()
    obs.tensor("out (float64)", out)
    out.backward()
    obs.tensor("a (float32 leaf)", a)
    obs.tensor("b (float64 leaf)", b)


# =========================================================================
# Tensor attributes and conversions
# =========================================================================


@program
def tensor_shape_size_ndim(lib, obs):
    t = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    obs.value("repr(t.shape)", repr(t.shape))
    obs.value("type(t.shape).__name__", type(t.shape).__name__)
    obs.value("t.shape == (2, 3)", t.shape == (2, 3))
    obs.value("t.shape[1]", t.shape[1])
    obs.value("repr(t.size())", repr(t.size()))
    obs.value("t.size(1)", t.size(1))
    obs.value("t.size(-1)", t.size(-1))
    obs.value("t.ndim", t.ndim)
    obs.value("t.numel()", t.numel())
    obs.value("0-d ndim", lib.tensor(2.0).ndim)
    obs.value("repr(0-d shape)", repr(lib.tensor(2.0).shape))
    obs.value("repr(Size([2, 3]))", repr(lib.Size([2, 3])))
    obs.value("len(t)", len(t))


@program
def tensor_item_tolist(lib, obs):
    obs.value("item of 0-d float", lib.tensor(2.5).item())
    obs.value("item of 0-d int", lib.tensor(7).item())
    obs.value("item of 0-d bool", lib.tensor(True).item())
    obs.value("item of one-element 2-d", lib.tensor([[4.0]]).item())
    obs.value("item of requires_grad tensor", lib.tensor(1.5, requires_grad=True).item())
    obs.value("item of float32 0.1", lib.tensor(0.1).item())
    obs.raises("item of two elements", lambda: lib.tensor([1.0, 2.0]).item())
    obs.value("tolist 2-d float", lib.tensor([[1.0, 2.0], [3.0, 4.0]]).tolist())
    obs.value("tolist int", lib.tensor([1, 2]).tolist())
    obs.value("tolist 0-d", lib.tensor(3.0).tolist())
    obs.value("tolist requires_grad", lib.tensor([1.0], requires_grad=True).tolist())
    obs.value("float(t)", float(lib.tensor(2.5)))
    obs.value("int(t)", int(lib.tensor(2.7)))


@program
def tensor_numpy(lib, obs):
    t = lib.tensor([1.0, 2.0, 3.0])
    arr = t.numpy()
    obs.value("type", type(arr).__name__)
    obs.value("dtype", str(arr.dtype))
    obs.value("values", arr.tolist())
    arr[0] = 10.0
    obs.tensor("t after changing the array", t)
    obs.value("int64 numpy dtype", str(lib.tensor([1, 2]).numpy().dtype))
    r = lib.tensor([1.0, 2.0], requires_grad=True)
    obs.raises("numpy() of a tensor that requires grad", lambda: r.numpy())
    obs.value("detach().numpy()", r.detach().numpy().tolist())
    nr = r * 2
    obs.raises("numpy() of a non-leaf", lambda: nr.numpy())


@program
def tensor_repr_formats(lib, obs):
    cases = {
        "floats": [1.0, 2.5],
        "integers as floats": [1.0, 2.0, 3.0],
        "small and large": [0.1, 100.0],
        "tiny": [1e-5, 1.0],
        "huge": [1e10, 1.0],
        "negative": [-1.5, 2.0],
        "2-d": [[1.0, 2.0], [3.0, 4.0]],
        "3-d": [[[1.0, 2.0]], [[3.0, 4.0]]],
        "int": [1, -20, 300],
        "bool": [True, False],
        "0-d": 3.25,
        "0-d int": 4,
        "special": [float("nan"), float("inf"), -float("inf"), 1.0],
        "rounding": [0.123456, 1.0],
    }
    for name, data in cases.items():
        obs.value(f"repr {name}", repr(lib.tensor(data)))
    obs.value("repr float64", repr(lib.tensor([1.0, 2.5], dtype=lib.float64)))
    obs.value("repr float64 0-d", repr(lib.tensor(1.0, dtype=lib.float64)))
    obs.value("repr int64 empty", repr(lib.tensor([], dtype=lib.int64)))
    obs.value("repr empty", repr(lib.tensor([])))
    obs.value("repr requires_grad", repr(lib.tensor([1.0, 2.0], requires_grad=True)))
    obs.value(
        "repr float64 requires_grad", repr(lib.tensor([1.0], dtype=lib.float64, requires_grad=True))
    )
    obs.value("repr grad_fn", repr(lib.tensor([1.0], requires_grad=True) * 2))
    obs.value("str", str(lib.tensor([1.0, 2.0])))


# =========================================================================
# Operations: values, dtypes, grad_fn names and gradients
# =========================================================================


@program
def op_add_sub_broadcast(lib, obs):
    a = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    row = [10.0, 20.0, 30.0]
    col = [[1.0], [-1.0]]
    _op_case(lib, obs, "a + row", lambda x, y: x + y, a, row)
    _op_case(lib, obs, "a - row", lambda x, y: x - y, a, row)
    _op_case(lib, obs, "row - a", lambda x, y: y - x, a, row)
    _op_case(lib, obs, "col + row", lambda x, y: x + y, col, row)
    _op_case(lib, obs, "a + 0-d", lambda x, y: x + y, a, 5.0)


@program
def op_mul_div_broadcast(lib, obs):
    a = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    row = [2.0, -1.0, 0.5]
    col = [[3.0], [-2.0]]
    _op_case(lib, obs, "a * row", lambda x, y: x * y, a, row)
    _op_case(lib, obs, "a / row", lambda x, y: x / y, a, row)
    _op_case(lib, obs, "col * row", lambda x, y: x * y, col, row)
    _op_case(lib, obs, "row / col", lambda x, y: x / y, row, col)
    _op_case(lib, obs, "a * a (same leaf twice)", lambda x: x * x, a)
    _op_case(
        lib,
        obs,
        "3-d * 2-d",
        lambda x, y: x * y,
        [[[1.0, 2.0]], [[3.0, 4.0]]],
        [[1.0, 10.0], [100.0, 1000.0]],
    )


@program
def op_scalar_operands(lib, obs):
    a = [1.0, 2.0, 4.0]
    _op_case(lib, obs, "a + 2", lambda x: x + 2, a)
    _op_case(lib, obs, "2 + a", lambda x: 2 + x, a)
    _op_case(lib, obs, "a - 2", lambda x: x - 2, a)
    _op_case(lib, obs, "2 - a", lambda x: 2 - x, a)
    _op_case(lib, obs, "a * 3", lambda x: x * 3, a)
    _op_case(lib, obs, "3 * a", lambda x: 3 * x, a)
    _op_case(lib, obs, "a / 2", lambda x: x / 2, a)
    _op_case(lib, obs, "2 / a", lambda x: 2 / x, a)
    _op_case(lib, obs, "-a", lambda x: -x, a)
    _op_case(lib, obs, "a.neg()", lambda x: x.neg(), a)
    _op_case(lib, obs, "a * 0.5", lambda x: x * 0.5, a)


@program
def op_pow(lib, obs):
    a = [1.0, 2.0, 3.0]
    _op_case(lib, obs, "a ** 2", lambda x: x**2, a)
    _op_case(lib, obs, "a ** 0.5", lambda x: x**0.5, a)
    _op_case(lib, obs, "a ** -1", lambda x: x**-1, a)
    _op_case(lib, obs, "a ** b", lambda x, y: x**y, a, [2.0, 0.5, 1.0])
    _op_case(lib, obs, "2 ** a", lambda x: 2**x, a)
    _op_case(lib, obs, "a ** 0", lambda x: x**0, a)


@program
def op_unary(lib, obs):
    pos = [0.5, 1.0, 2.0]
    mixed = [-2.0, -0.5, 0.0, 0.5, 2.0]
    _op_case(lib, obs, "a.exp()", lambda x: x.exp(), mixed)
    _op_case(lib, obs, "lib.exp(a)", lambda x: lib.exp(x), mixed)
    _op_case(lib, obs, "a.log()", lambda x: x.log(), pos)
    _op_case(lib, obs, "lib.log(a)", lambda x: lib.log(x), pos)
    _op_case(lib, obs, "a.tanh()", lambda x: x.tanh(), mixed)
    _op_case(lib, obs, "lib.tanh(a)", lambda x: lib.tanh(x), mixed)
    _op_case(lib, obs, "a.sigmoid()", lambda x: x.sigmoid(), mixed)
    _op_case(lib, obs, "lib.sigmoid(a)", lambda x: lib.sigmoid(x), mixed)
    _op_case(lib, obs, "a.relu() (gradient 0 at 0)", lambda x: x.relu(), mixed)
    _op_case(lib, obs, "lib.relu(a)", lambda x: lib.relu(x), mixed)
    _op_case(lib, obs, "a.sqrt()", lambda x: x.sqrt(), pos)
    _op_case(lib, obs, "a.abs() (gradient 0 at 0)", lambda x: x.abs(), mixed)


@program
def op_unary_edge_values(lib, obs):
    obs.tensor("log(0) and log(-1)", lib.tensor([0.0, -1.0]).log())
    obs.tensor("sqrt(-1)", lib.tensor([-1.0]).sqrt())
    obs.tensor("exp(100) float32 overflows", lib.tensor([100.0]).exp())
    obs.tensor("exp of int tensor", lib.tensor([0, 1]).exp())
    obs.tensor("relu of int tensor", lib.tensor([-1, 2]).relu())
    obs.tensor("abs of int tensor", lib.tensor([-1, 2]).abs())
    x = lib.tensor([0.0], requires_grad=True)
    x.sqrt().sum().backward()
    obs.grad("grad of sqrt at 0", x.grad)


@program
def op_sum_mean(lib, obs):
    a = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    _op_case(lib, obs, "a.sum()", lambda x: x.sum(), a)
    _op_case(lib, obs, "lib.sum(a)", lambda x: lib.sum(x), a)
    _op_case(lib, obs, "a.sum(0)", lambda x: x.sum(0), a)
    _op_case(lib, obs, "a.sum(dim=1)", lambda x: x.sum(dim=1), a)
    _op_case(lib, obs, "a.sum(1, keepdim=True)", lambda x: x.sum(1, keepdim=True), a)
    _op_case(lib, obs, "a.sum(dim=-1)", lambda x: x.sum(dim=-1), a)
    _op_case(lib, obs, "a.sum(dim=(0, 1))", lambda x: x.sum(dim=(0, 1)), a)
    _op_case(
        lib, obs, "lib.sum(a, dim=0, keepdim=True)", lambda x: lib.sum(x, dim=0, keepdim=True), a
    )
    _op_case(lib, obs, "a.mean()", lambda x: x.mean(), a)
    _op_case(lib, obs, "lib.mean(a)", lambda x: lib.mean(x), a)
    _op_case(lib, obs, "a.mean(0)", lambda x: x.mean(0), a)
    _op_case(lib, obs, "a.mean(dim=1, keepdim=True)", lambda x: x.mean(dim=1, keepdim=True), a)
    _op_case(lib, obs, "a.mean(-2)", lambda x: x.mean(-2), a)


@program
def op_sum_mean_dtypes_and_errors(lib, obs):
    i = lib.tensor([[1, 2], [3, 4]])
    obs.tensor("sum of int tensor", i.sum())
    obs.tensor("sum of bool tensor", lib.tensor([True, True, False]).sum())
    obs.raises("mean of int tensor", lambda: i.mean())
    obs.raises("sum over dim 2 of a 2-d tensor", lambda: i.sum(2))
    obs.tensor("sum of 0-d", lib.tensor(3.0).sum())
    obs.tensor("sum of empty", lib.tensor([]).sum())
    obs.tensor("mean of empty", lib.tensor([]).mean())


@program
def op_matmul_shapes(lib, obs):
    v3 = [1.0, 2.0, 3.0]
    w3 = [4.0, -5.0, 6.0]
    m23 = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    m32 = [[1.0, -1.0], [2.0, 0.5], [0.0, 3.0]]
    _op_case(lib, obs, "1-D @ 1-D", lambda x, y: x @ y, v3, w3)
    _op_case(lib, obs, "2-D @ 1-D", lambda x, y: x @ y, m23, v3)
    _op_case(lib, obs, "2-D @ 2-D", lambda x, y: x @ y, m23, m32)
    _op_case(lib, obs, "lib.matmul 2-D", lambda x, y: lib.matmul(x, y), m23, m32)
    _op_case(lib, obs, "lib.mm", lambda x, y: lib.mm(x, y), m23, m32)
    _op_case(lib, obs, "lib.matmul 1-D, 1-D", lambda x, y: lib.matmul(x, y), v3, w3)


@program
def op_matmul_composite_shapes(lib, obs):
    """Shapes PyTorch's matmul computes by composing other ops (unsqueeze, mm,
    squeeze, expand, bmm, views): the grad_fn a learner sees is the last of them."""
    v3 = [1.0, 2.0, 3.0]
    m23 = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    m32 = [[1.0, -1.0], [2.0, 0.5], [0.0, 3.0]]
    b223 = [[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[-1.0, 0.0, 1.0], [2.0, 2.0, 2.0]]]
    b232 = [[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [[2.0, -1.0], [0.5, 0.5], [1.0, 0.0]]]
    _op_case(lib, obs, "1-D @ 2-D", lambda x, y: x @ y, v3, m32)
    _op_case(lib, obs, "batched 3-D @ 3-D", lambda x, y: x @ y, b223, b232)
    _op_case(lib, obs, "batched 3-D @ 2-D", lambda x, y: x @ y, b223, m32)
    _op_case(lib, obs, "2-D @ 3-D", lambda x, y: x @ y, m23, b232)
    _op_case(lib, obs, "batched 3-D @ 1-D", lambda x, y: x @ y, b223, v3)


@program
def op_matmul_errors(lib, obs):
    m23 = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    obs.raises("mm of 2x3 and 2x3", lambda: lib.mm(m23, m23))
    obs.raises("@ of 2x3 and 2x3", lambda: m23 @ m23)
    obs.raises("mm with a 1-D tensor", lambda: lib.mm(m23, lib.tensor([1.0, 2.0, 3.0])))
    obs.raises(
        "1-D @ 1-D of different lengths",
        lambda: lib.tensor([1.0, 2.0]) @ lib.tensor([1.0, 2.0, 3.0]),
    )
    obs.raises("matmul of float and int", lambda: lib.matmul(m23, lib.tensor([[1], [2], [3]])))
    obs.raises("matmul with a 0-d tensor", lambda: lib.matmul(m23, lib.tensor(2.0)))


@program
def op_indexing_basic(lib, obs):
    a = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]
    _op_case(lib, obs, "a[0]", lambda x: x[0], a)
    _op_case(lib, obs, "a[-1]", lambda x: x[-1], a)
    _op_case(lib, obs, "a[1, 2]", lambda x: x[1, 2], a)
    _op_case(lib, obs, "a[:, 1]", lambda x: x[:, 1], a)
    _op_case(lib, obs, "a[0:2]", lambda x: x[0:2], a)
    _op_case(lib, obs, "a[::2]", lambda x: x[::2], a)
    _op_case(lib, obs, "a[1:, :2]", lambda x: x[1:, :2], a)
    _op_case(lib, obs, "a[None]", lambda x: x[None], a)
    _op_case(lib, obs, "a[..., 0]", lambda x: x[..., 0], a)
    _op_case(lib, obs, "a[0][1]", lambda x: x[0][1], a)


@program
def op_indexing_advanced(lib, obs):
    a = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]
    _op_case(lib, obs, "a[[0, 2]]", lambda x: x[[0, 2]], a)
    _op_case(
        lib, obs, "a[tensor([0, 0, 1])] (repeated rows)", lambda x: x[lib.tensor([0, 0, 1])], a
    )
    _op_case(lib, obs, "a[[0, 1], [1, 2]]", lambda x: x[[0, 1], [1, 2]], a)
    _op_case(lib, obs, "a[:, [2, 0]]", lambda x: x[:, [2, 0]], a)
    _op_case(lib, obs, "a[a > 4] (boolean mask)", lambda x: x[x > 4], a)
    _op_case(
        lib,
        obs,
        "v[tensor([True, False, True])]",
        lambda x: x[lib.tensor([True, False, True])],
        [1.0, 2.0, 3.0],
    )


@program
def op_indexing_errors(lib, obs):
    a = lib.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    obs.raises("index 5 of size 3", lambda: a[5])
    obs.raises("index -4 of size 3", lambda: a[-4])
    obs.raises("index [0, 5] in dim 1", lambda: a[0, 5])
    obs.raises("too many indices", lambda: a[0, 0, 0])
    obs.raises("advanced index out of range", lambda: a[[0, 3]])
    obs.raises("index a 0-d tensor", lambda: lib.tensor(1.0)[0])


@program
def op_cat_stack(lib, obs):
    a = [[1.0, 2.0], [3.0, 4.0]]
    b = [[5.0, 6.0]]
    c = [[7.0], [8.0]]
    _op_case(lib, obs, "cat([a, b])", lambda x, y: lib.cat([x, y]), a, b)
    _op_case(lib, obs, "cat([a, c], dim=1)", lambda x, y: lib.cat([x, y], dim=1), a, c)
    _op_case(lib, obs, "cat((a, a), dim=-1)", lambda x: lib.cat((x, x), dim=-1), a)
    _op_case(
        lib, obs, "stack([a, a2])", lambda x, y: lib.stack([x, y]), a, [[0.0, 1.0], [2.0, 3.0]]
    )
    _op_case(
        lib,
        obs,
        "stack([a, a2], dim=1)",
        lambda x, y: lib.stack([x, y], dim=1),
        a,
        [[0.0, 1.0], [2.0, 3.0]],
    )
    _op_case(
        lib,
        obs,
        "stack of 1-D, dim=-1",
        lambda x, y: lib.stack([x, y], dim=-1),
        [1.0, 2.0],
        [3.0, 4.0],
    )
    mixed = lib.cat([lib.tensor([1.0], requires_grad=True), lib.tensor([2.0])])
    obs.tensor("cat of a grad and a no-grad tensor", mixed)
    obs.tensor("cat of int and float", lib.cat([lib.tensor([1]), lib.tensor([2.5])]))


@program
def op_cat_stack_errors(lib, obs):
    a = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
    b = lib.tensor([[1.0, 2.0, 3.0]])
    obs.raises("cat with mismatched sizes", lambda: lib.cat([a, b]))
    obs.raises("cat with different ndim", lambda: lib.cat([a, lib.tensor([1.0, 2.0])]))
    obs.raises("cat of an empty list", lambda: lib.cat([]))
    obs.raises(
        "stack with different shapes",
        lambda: lib.stack([lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.0, 3.0])]),
    )
    obs.raises("stack of an empty list", lambda: lib.stack([]))
    obs.raises("cat out of range dim", lambda: lib.cat([a, a], dim=2))


@program
def op_reshape_view(lib, obs):
    a = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    _op_case(lib, obs, "a.reshape(3, 2)", lambda x: x.reshape(3, 2), a)
    _op_case(lib, obs, "a.reshape(-1)", lambda x: x.reshape(-1), a)
    _op_case(lib, obs, "a.reshape((6, 1))", lambda x: x.reshape((6, 1)), a)
    _op_case(lib, obs, "a.view(3, 2)", lambda x: x.view(3, 2), a)
    _op_case(lib, obs, "a.view(-1, 2)", lambda x: x.view(-1, 2), a)
    _op_case(lib, obs, "a.T.reshape(6) (copies)", lambda x: x.T.reshape(6), a)
    _op_case(lib, obs, "0-d .view(1)", lambda x: x.view(1), 5.0)


@program
def op_reshape_view_errors(lib, obs):
    a = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    obs.raises("reshape(4)", lambda: a.reshape(4))
    obs.raises("view(4, -1)", lambda: a.view(4, -1))
    obs.raises("view(-1, -1)", lambda: a.view(-1, -1))
    obs.raises("view of a transpose", lambda: a.T.view(6))


@program
def op_view_shares_memory_and_version(lib, obs):
    base = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
    v = base.view(4)
    v.add_(10)
    obs.tensor("base after v.add_(10)", base)
    obs.value("base._version", base._version)
    obs.value("v._version", v._version)
    row = base[0]
    row.mul_(2)
    obs.tensor("base after base[0].mul_(2)", base)
    obs.value("base._version after the row change", base._version)
    r = base.reshape(2, 2)
    r.zero_()
    obs.tensor("base after reshape(...).zero_()", base)


@program
def op_transpose(lib, obs):
    a = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    _op_case(lib, obs, "a.T", lambda x: x.T, a)
    _op_case(lib, obs, "a.t()", lambda x: x.t(), a)
    _op_case(lib, obs, "a.transpose(0, 1)", lambda x: x.transpose(0, 1), a)
    _op_case(lib, obs, "a.transpose(-1, -2)", lambda x: x.transpose(-1, -2), a)
    _op_case(
        lib,
        obs,
        "3-D transpose(0, 2)",
        lambda x: x.transpose(0, 2),
        [[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]],
    )
    v = lib.tensor([1.0, 2.0], requires_grad=True)
    vt = obs.warns(".T of a 1-D tensor", lambda: v.T)
    obs.tensor(".T of a 1-D tensor: result", vt)
    t3 = lib.tensor([[[1.0, 2.0], [3.0, 4.0]]])
    result = obs.warns(".T of a 3-D tensor", lambda: t3.T)
    obs.tensor(".T of a 3-D tensor: result", result)
    obs.raises("t() of a 3-D tensor", lambda: t3.t())


@program
def op_unsqueeze_squeeze(lib, obs):
    a = [[1.0, 2.0, 3.0]]
    _op_case(lib, obs, "a.unsqueeze(0)", lambda x: x.unsqueeze(0), a)
    _op_case(lib, obs, "a.unsqueeze(-1)", lambda x: x.unsqueeze(-1), a)
    _op_case(lib, obs, "a.squeeze()", lambda x: x.squeeze(), a)
    _op_case(lib, obs, "a.squeeze(0)", lambda x: x.squeeze(0), a)
    _op_case(lib, obs, "a.squeeze(1) (size 3: no change)", lambda x: x.squeeze(1), a)
    _op_case(lib, obs, "[[[5.]]].squeeze()", lambda x: x.squeeze(), [[[5.0]]])
    obs.raises("unsqueeze(3) of a 2-D tensor", lambda: lib.tensor(a).unsqueeze(3))


@program
def op_comparisons(lib, obs):
    a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = lib.tensor([3.0, 2.0, 1.0])
    obs.tensor("a == b", a == b)
    obs.tensor("a != b", a != b)
    obs.tensor("a < b", a < b)
    obs.tensor("a <= b", a <= b)
    obs.tensor("a > 2", a > 2)
    obs.tensor("a >= 2.0", a >= 2.0)
    obs.tensor("int tensor == 2", lib.tensor([1, 2]) == 2)
    obs.tensor("broadcast (3,1) < (3,)", lib.tensor([[1.0], [2.0], [3.0]]) < b)


@program
def op_where_maximum(lib, obs):
    _op_case(
        lib,
        obs,
        "where(a > 0, a, b)",
        lambda x, y: lib.where(x > 0, x, y),
        [-1.0, 2.0, -3.0],
        [10.0, 20.0, 30.0],
    )
    _op_case(
        lib, obs, "where with a 0-d other", lambda x, y: lib.where(x > 0, x, y), [-1.0, 2.0], 0.5
    )
    _op_case(
        lib,
        obs,
        "maximum(a, b) with a tie",
        lambda x, y: lib.maximum(x, y),
        [1.0, 5.0, 3.0],
        [2.0, 4.0, 3.0],
    )


@program
def op_max_argmax(lib, obs):
    data = [[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]]
    a = lib.tensor(data, requires_grad=True)
    values, indices = a.max(dim=1)
    obs.tensor("max(dim=1).values", values)
    obs.tensor("max(dim=1).indices", indices)
    _weighted_backward(lib, values)
    obs.tensor("a after backward of max(dim=1)", a)
    kept = lib.tensor(data, requires_grad=True).max(dim=0, keepdim=True)
    obs.tensor("max(dim=0, keepdim=True).values", kept[0])
    obs.tensor("max(dim=0, keepdim=True).indices", kept[1])
    obs.tensor("argmax(1)", a.argmax(1))
    obs.tensor("argmax(dim=0)", a.argmax(dim=0))
    obs.tensor("argmax()", a.argmax())
    _op_case(lib, obs, "a.max() (tie between two 7s)", lambda x: x.max(), data)


@program
def op_dtype_conversion(lib, obs):
    _op_case(lib, obs, "a.double()", lambda x: x.double(), [1.0, 2.0])
    _op_case(lib, obs, "a.to(float64)", lambda x: x.to(lib.float64), [1.0, 2.0])
    _op_case(lib, obs, "a.float() of float32", lambda x: x.float(), [1.0, 2.0])
    i = lib.tensor([1, 2])
    obs.tensor("int.float()", i.float())
    obs.tensor("int.to(float32)", i.to(lib.float32))
    obs.tensor("float.to(int64)", lib.tensor([1.7, -1.7]).to(lib.int64))
    f = lib.tensor([1.0])
    obs.value("to(same dtype) returns self", f.to(lib.float32) is f)
    obs.value("float() of float32 returns self", f.float() is f)


@program
def op_broadcast_errors(lib, obs):
    a = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    obs.raises("(2, 3) + (2,)", lambda: a + lib.tensor([1.0, 2.0]))
    obs.raises("(2, 3) * (3, 2)", lambda: a * lib.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    obs.raises("a + 'x'", lambda: a + "x")


# =========================================================================
# In-place operations and version counters
# =========================================================================


@program
def inplace_version_bumps(lib, obs):
    t = lib.zeros(3)
    obs.value("new tensor _version", t._version)
    steps = [
        ("add_(1)", lambda: t.add_(1)),
        ("sub_(0.5)", lambda: t.sub_(0.5)),
        ("mul_(4)", lambda: t.mul_(4)),
        ("div_(2)", lambda: t.div_(2)),
        ("add_(tensor)", lambda: t.add_(lib.tensor([1.0, 2.0, 3.0]))),
        ("zero_()", lambda: t.zero_()),
        ("fill_(2)", lambda: t.fill_(2)),
        ("copy_(tensor)", lambda: t.copy_(lib.tensor([7.0, 8.0, 9.0]))),
    ]
    for name, step in steps:
        returned = step()
        obs.value(f"{name} returns the same tensor", returned is t)
        obs.tensor(f"after {name}", t)
    original = t
    t += 1
    obs.value("+= keeps the object", t is original)
    obs.tensor("after += 1", t)
    t -= 2
    obs.tensor("after -= 2", t)
    t *= 3
    obs.tensor("after *= 3", t)
    t /= 3
    obs.tensor("after /= 3", t)
    t[0] = 5
    obs.tensor("after t[0] = 5", t)
    t[1:] = lib.tensor([-1.0, -2.0])
    obs.tensor("after t[1:] = tensor", t)
    before = t._version
    t.add(1)
    obs.value("out-of-place t.add(1) leaves _version", t._version - before)


@program
def inplace_dtype_rules(lib, obs):
    i = lib.tensor([1, 2, 3])
    obs.raises("int tensor.mul_(1.5)", lambda: i.mul_(1.5))
    obs.raises("int tensor /= 2", lambda: i.div_(2))
    f = lib.tensor([1.0, 2.0])
    f.add_(lib.tensor([1, 1]))
    obs.tensor("float.add_(int tensor)", f)
    obs.raises(
        "add_ with a broadcast that grows self",
        lambda: lib.tensor([1.0]).add_(lib.tensor([1.0, 2.0])),
    )
    f.copy_(lib.tensor([5, 6]))
    obs.tensor("float.copy_(int tensor)", f)
    g = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
    g.copy_(lib.tensor([9.0, 8.0]))
    obs.tensor("copy_ broadcasts the source", g)


@program
def inplace_on_non_leaf_grad_fn(lib, obs):
    a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = a * 2
    b.add_(1)
    obs.tensor("b after add_", b)
    b.mul_(3)
    obs.tensor("b after mul_", b)
    b.sub_(lib.tensor([1.0, 1.0, 1.0]))
    obs.tensor("b after sub_", b)
    b.div_(2)
    obs.tensor("b after div_", b)
    b.sum().backward()
    obs.grad("a.grad", a.grad)


@program
def inplace_setitem_on_non_leaf(lib, obs):
    a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = a * 2
    b[0] = 0.0
    obs.tensor("b after b[0] = 0", b)
    w = lib.tensor([10.0], requires_grad=True)
    b[1:2] = w * 3
    obs.tensor("b after b[1:2] = w * 3", b)
    _weighted_backward(lib, b)
    obs.grad("a.grad", a.grad)
    obs.grad("w.grad", w.grad)


@program
def inplace_fill_zero_copy_grads(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = a * 3
    b.zero_()
    obs.tensor("b after zero_", b)
    b.sum().backward()
    obs.tensor("a after zero_ of b", a)
    c = lib.tensor([1.0, 2.0], requires_grad=True)
    d = c * 3
    d.fill_(5.0)
    obs.tensor("d after fill_", d)
    d.sum().backward()
    obs.tensor("c after fill_ of d", c)
    src = lib.tensor([4.0, 5.0], requires_grad=True)
    e = lib.tensor([1.0, 1.0], requires_grad=True) * 1
    e.copy_(src)
    obs.tensor("e after copy_", e)
    _weighted_backward(lib, e)
    obs.tensor("src after copy_ backward", src)


@program
def inplace_detach_shares_version(lib, obs):
    a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    d = a.detach()
    obs.value("d._version == a._version", d._version == a._version)
    d.add_(1)
    obs.tensor("a after d.add_(1)", a)
    obs.tensor("d", d)
    obs.value("a._version after d.add_", a._version)
    d[0] = 100.0
    obs.tensor("a after d[0] = 100", a)


@program
def inplace_leaf_requires_grad_errors(lib, obs):
    a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    obs.raises("a.add_(1)", lambda: a.add_(1))
    obs.raises("a.mul_(2)", lambda: a.mul_(2))
    obs.raises("a.zero_()", lambda: a.zero_())
    obs.raises("a.fill_(1)", lambda: a.fill_(1.0))
    obs.raises("a.copy_(b)", lambda: a.copy_(lib.tensor([0.0, 0.0, 0.0])))

    def setitem():
        a[0] = 5.0

    def iadd():
        b = a
        b += 1

    obs.raises("a[0] = 5", setitem)
    obs.raises("a += 1", iadd)
    obs.tensor("a is unchanged", a)


@program
def inplace_leaf_allowed_in_no_grad(lib, obs):
    a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with lib.no_grad():
        a.add_(1)
        a[0] = 0.0
        a *= 2
    obs.tensor("a after in-place under no_grad", a)
    (a * a).sum().backward()
    obs.tensor("a after a backward", a)
    with lib.no_grad():
        a.sub_(a.grad * 0.5)
    obs.tensor("a after an SGD-like step", a)


@program
def inplace_on_view_of_leaf(lib, obs):
    a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = a[0:2]
    obs.tensor("v (a view of a)", v)
    obs.raises("v.add_(1)", lambda: v.add_(1))
    w = a.view(3)
    obs.raises("a.view(3).mul_(2)", lambda: w.mul_(2))
    obs.tensor("a", a)


@program
def inplace_on_view_of_non_leaf(lib, obs):
    # The base's history is rewritten (CopySlices); every view's grad_fn is rebuilt
    # (AsStridedBackward0); CopySlices frees its node after backward.
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = x * 2
    first, rest = v[0], v[1:]
    first *= 0.5
    for label, t in (("v", v), ("first", first), ("rest", rest)):
        obs.tensor(f"{label} after first *= 0.5", t)
    v.sum().backward()
    obs.grad("x.grad", x.grad)
    obs.raises("a second backward through CopySlices", lambda: v.sum().backward())


@program
def inplace_on_view_with_an_operand_that_requires_grad(lib, obs):
    base = lib.zeros(2, 3)
    b = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    view = base[:, 1:]
    before = base[0]
    view.mul_(b)
    view.add_(b)
    obs.tensor("base (it requires grad now)", base)
    obs.tensor("a view taken before", before)
    (base * lib.tensor(_weights([2, 3]))).sum().backward()
    obs.grad("b.grad", b.grad)


@program
def inplace_on_base_after_a_view(lib, obs):
    x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x * 1
    col = y.t()[0]
    y.mul_(lib.tensor([[2.0, 3.0], [4.0, 5.0]]))
    obs.tensor("a view of y after y changed", col)
    _weighted_backward(lib, col)
    obs.grad("x.grad", x.grad)
    with lib.no_grad():
        y.add_(1)
    obs.tensor("the view after a change under no_grad", col)


@program
def views_made_with_grad_mode_off(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    with lib.no_grad():
        v = a[0]
        w = a.view(2, 1)
    obs.tensor("a view made in no_grad", v)
    obs.tensor("v * 2 (its edge leads nowhere)", v * 2)
    obs.raises("w.mul_(2) with grad mode on", lambda: w.mul_(2))
    with lib.no_grad():
        b = a[:]
        b *= 2
    obs.value("repr of a view changed in place under no_grad", repr(b))
    c = lib.tensor([1.0, 2.0]).clone()
    with lib.inference_mode():
        u = c.view(2)
    c.requires_grad_()
    obs.tensor("a view follows requires_grad_() of its base", u)
    obs.raises("changing a view made in inference_mode", lambda: u.add_(1))


@program
def writes_into_expanded_and_overlapping_tensors(lib, obs):
    a = lib.tensor([1.0])
    e = a.expand(3)
    obs.raises("zero_ through a detach() alias", lambda: e.detach().zero_())
    obs.raises("add_ into an expanded tensor", lambda: e.add_(1))
    obs.raises("fill_ of one element of it", lambda: e.__setitem__(0, 5.0))
    t = lib.tensor([[1.0, 2.0]])
    obs.raises("sub_ of a partly overlapping operand", lambda: t[None].sub_(t))
    obs.raises("sub_ of itself", lambda: t.sub_(t))
    u = lib.arange(6.0)
    obs.raises("copy_ between overlapping slices", lambda: u[1:4].copy_(u[0:3]))
    obs.tensor("a", a)
    obs.tensor("u", u)


@program
def setitem_whole_tensor(lib, obs):
    t = lib.tensor([1.0, 2.0], requires_grad=True)
    obs.raises("t[...] = 3.0 on a leaf", lambda: t.__setitem__(Ellipsis, 3.0))
    y = t * 1
    y[...] = 5.0
    obs.tensor("y[...] = 5.0", y)
    z = t * 1
    z[:] = lib.tensor([7.0, 8.0], requires_grad=True)
    obs.tensor("z[:] = a tensor", z)
    z[0:1] = lib.tensor([9.0], requires_grad=True)
    obs.tensor("z[0:1] = a tensor", z)


@program
def inplace_version_error_nonleaf_exp(lib, obs):
    a = lib.tensor([0.0, 1.0, 2.0], requires_grad=True)
    y = a.exp()
    obs.value("y._version", y._version)
    y.add_(1)
    obs.tensor("y after add_", y)
    obs.raises("backward through exp after its result changed", lambda: y.sum().backward())


@program
def inplace_version_error_nonleaf_mul(lib, obs):
    a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = a * 2
    c = b * b
    b.mul_(3)
    obs.raises("backward after changing a saved non-leaf", lambda: c.sum().backward())


@program
def inplace_version_error_twice(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    w = lib.tensor([3.0, 4.0])
    out = a * w
    w.add_(1)
    w.add_(1)
    obs.raises("backward after two in-place changes", lambda: out.sum().backward())


@program
def inplace_version_error_saved_views(lib, obs):
    # A saved view whose memory changed in place: PyTorch names its producer
    # "AsStrided" (it rebuilds the view's grad_fn as AsStridedBackward0).
    w = lib.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    q = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    product = w.t() * q  # saves the view w.t() (for q's gradient)
    with lib.no_grad():
        w.mul_(2)  # an optimizer-style update of the view's base
    obs.raises("view w.t() of a leaf, the leaf changed", lambda: product.sum().backward())
    x = lib.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    a = x * 2
    for label, view in (("a.t()", a.t()), ("a[0]", a[0]), ("a.view(6)", a.view(6))):
        saved = view * lib.ones(tuple(view.shape), requires_grad=True)
        with lib.no_grad():
            a.add_(1)
        obs.raises(f"view {label} of a non-leaf, the base changed", saved.sum().backward)
    plain = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
    saved = plain.t() * lib.ones(2, 2, requires_grad=True)  # a view that needs no grad
    plain.add_(1)
    obs.raises("view of a tensor that needs no grad", saved.sum().backward)


@program
def inplace_version_error_after_optimizer_step(lib, obs):
    # Chapter 8: forward, then step(), then backward. Parameters start at version 1:
    # the layer initialises its weights in place.
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.Tanh(), lib.nn.Linear(3, 2))
    optimizer = lib.optim.SGD(model.parameters(), lr=0.1)
    obs.value("versions after construction", [p._version for p in model.parameters()])
    x, target = lib.ones(4, 2), lib.tensor([0, 1, 0, 1])
    loss_fn = lib.nn.CrossEntropyLoss()
    loss_fn(model(x), target).backward()
    loss = loss_fn(model(x), target)
    optimizer.step()
    obs.value("versions after step()", [p._version for p in model.parameters()])
    obs.raises("backward() after step()", loss.backward)


@program
def anomaly_version_error_names_the_forward_line(lib, obs):
    # With anomaly detection on, the version error's hint changes and a warning
    # shows the forward line that made the failing node.
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught, lib.autograd.set_detect_anomaly(True):
        warnings.simplefilter("always")
        a = x * 2
        y = a * a
        with lib.no_grad():
            a.add_(1)
        obs.raises("backward() with anomaly detection on", y.sum().backward)
    lines = str(caught[0].message).splitlines()
    obs.value("warning, first line", lines[0])
    code = [line.strip() for line in lines if line.startswith("    ")]
    obs.value("the forward line it names last", code[-1])


@program
def inplace_sigmoid_tanh_save_result(lib, obs):
    a = lib.tensor([0.0, 1.0], requires_grad=True)
    s = a.sigmoid()
    s.mul_(2)
    obs.raises("sigmoid result changed", lambda: s.sum().backward())
    t = a.tanh()
    t2 = t * 1
    t.zero_()
    obs.raises("tanh result changed, used through t * 1", lambda: t2.sum().backward())


@program
def inplace_safe_when_nothing_saved(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    c = b + 1
    b.add_(5)
    obs.raises("a * 2 saves no tensor; b changed afterwards", lambda: c.sum().backward())
    obs.grad("a.grad", a.grad)


# =========================================================================
# Leaves, .grad, accumulation, retain_grad, hooks
# =========================================================================


@program
def grad_accumulates_over_two_backwards(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    (a * 2).sum().backward()
    first = a.grad
    obs.grad("a.grad after first backward", first)
    (a * 3).sum().backward()
    obs.grad("a.grad after second backward", a.grad)
    obs.value("a.grad is the same object", a.grad is first)
    obs.grad("the first grad object now", first)


@program
def grad_zero_and_reset(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    (a * a).sum().backward()
    obs.grad("a.grad", a.grad)
    a.grad.zero_()
    obs.grad("a.grad after zero_()", a.grad)
    (a * a).sum().backward()
    obs.grad("a.grad after another backward", a.grad)
    a.grad = None
    obs.value("a.grad after setting None", a.grad is None)
    (a * 5).sum().backward()
    obs.grad("a.grad after backward from None", a.grad)
    a.grad = lib.tensor([100.0, 200.0])
    (a * 1).sum().backward()
    obs.grad("a.grad after setting it by hand", a.grad)


@program
def grad_non_leaf_warning(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    c = b.sum()
    c.backward()
    value = obs.warns("reading b.grad", lambda: b.grad)
    obs.value("b.grad is None", value is None)
    obs.warns("reading a.grad (leaf: no warning)", lambda: a.grad)
    no_grad_leaf = lib.tensor([1.0])
    obs.warns("reading .grad of a tensor without grad", lambda: no_grad_leaf.grad)
    obs.tensor("b", b)


@program
def grad_retain_grad(lib, obs):
    a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = a * 2
    obs.value("b.retains_grad before", b.retains_grad)
    b.retain_grad()
    obs.value("b.retains_grad after", b.retains_grad)
    c = (b * b).sum()
    c.backward()
    obs.warns("reading b.grad", lambda: b.grad)
    obs.tensor("b", b)
    obs.tensor("a", a)
    a.retain_grad()
    obs.value("a.retains_grad after retain_grad() on a leaf", a.retains_grad)
    d = lib.tensor([1.0])
    obs.raises("retain_grad() on a tensor without grad", lambda: d.retain_grad())
    e = a * 3
    e.retain_grad()
    e.retain_grad()
    e.sum().backward()
    obs.tensor("e after retain_grad twice", e)


@program
def grad_retain_grad_accumulates(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    b.retain_grad()
    c = b * 3
    c.sum().backward(retain_graph=True)
    obs.grad("b.grad after first backward", b.grad)
    c.sum().backward()
    obs.grad("b.grad after second backward", b.grad)


@program
def grad_hooks(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    seen = []

    def record_and_scale(grad):
        seen.append(grad)
        return grad * 10

    handle = b.register_hook(record_and_scale)
    b.sum().backward()
    obs.grad("grad seen by the hook on b", seen[0])
    obs.grad("a.grad (scaled by the hook)", a.grad)
    handle.remove()
    c = a * 2
    c.register_hook(lambda g: None)
    c.sum().backward()
    obs.grad("a.grad after a hook returning None", a.grad)
    leaf_handle = a.register_hook(lambda g: g + 1)
    (a * 1).sum().backward()
    obs.grad("a.grad with a hook on the leaf", a.grad)
    leaf_handle.remove()
    (a * 1).sum().backward()
    obs.grad("a.grad after removing the leaf hook", a.grad)
    obs.value("hook calls", len(seen))


@program
def grad_hook_removed_before_backward(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    handle = b.register_hook(lambda g: g * 100)
    handle.remove()
    b.sum().backward()
    obs.grad("a.grad", a.grad)


@program
def grad_hooks_chain_in_order(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = a * 1
    b.register_hook(lambda g: g + 1)
    b.register_hook(lambda g: g * 10)
    b.sum().backward()
    obs.grad("a.grad: (1 + 1) * 10", a.grad)


@program
def grad_hook_errors(lib, obs):
    t = lib.tensor([1.0])
    obs.raises("register_hook on a tensor without grad", lambda: t.register_hook(lambda g: g))


@program
def grad_hook_wrong_shape(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    b.register_hook(lambda g: g.sum())
    obs.raises("hook returning the wrong shape", lambda: b.sum().backward())


@program
def grad_retain_graph(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    y = (a * a).sum()
    y.backward(retain_graph=True)
    obs.grad("a.grad after first backward", a.grad)
    y.backward()
    obs.grad("a.grad after second backward", a.grad)
    obs.raises("third backward (graph freed)", lambda: y.backward())


@program
def grad_second_backward_error(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    y = (a * a).sum()
    y.backward()
    obs.raises("second backward", lambda: y.backward())
    obs.grad("a.grad", a.grad)
    e = a.exp().sum()
    e.backward()
    obs.raises("second backward through exp", lambda: e.backward())


@program
def grad_add_only_graph_reruns(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = lib.tensor([3.0, 4.0], requires_grad=True)
    y = (a + b).sum()
    y.backward()
    obs.raises("second backward of an add-only graph", lambda: y.backward())
    obs.grad("a.grad", a.grad)
    obs.grad("b.grad", b.grad)


@program
def grad_saved_tensors_freed(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = lib.tensor([3.0, 4.0], requires_grad=True)
    c = a * b
    node = c.grad_fn
    obs.tensor("_saved_self before backward", node._saved_self)
    c.sum().backward()
    obs.raises("_saved_self after backward", lambda: node._saved_self)
    d = a * b
    d.sum().backward(retain_graph=True)
    obs.tensor("_saved_other after retain_graph backward", d.grad_fn._saved_other)


@program
def grad_accumulate_grad_node(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    node = b.grad_fn.next_functions[0][0]
    obs.value("node.name()", node.name())
    obs.value("type(node).__name__", type(node).__name__)
    obs.value("node.variable is a", node.variable is a)
    obs.value("next_functions of AccumulateGrad", list(node.next_functions))
    c = a * 3
    obs.value("the same AccumulateGrad node", c.grad_fn.next_functions[0][0] is node)
    obs.value("next_functions entry is a tuple (node, 0)", b.grad_fn.next_functions[0][1])
    obs.value("type of next_functions", type(b.grad_fn.next_functions).__name__)
    obs.value("type of an entry", type(b.grad_fn.next_functions[0]).__name__)
    obs.value("grad_fn.name() of a result", b.grad_fn.name())


@program
def grad_graph_shapes(lib, obs):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    w = lib.tensor([3.0, 4.0], requires_grad=True)
    k = lib.tensor([5.0, 6.0])
    y = ((x * w + k) * x).exp().sum()
    obs.tensor("y: a deeper graph", y)
    z = (x * k).sum()
    obs.tensor("z: an edge to nowhere for k", z)
    obs.tensor("x + x: the same leaf twice", x + x)


@program
def grad_diamond(lib, obs):
    a = lib.tensor([2.0], requires_grad=True)
    b = a * 3
    c = b.exp()
    d = b * b
    out = (c + d).sum()
    out.backward()
    obs.tensor("a: gradient summed over both paths", a)


@program
def backward_long_chain(lib, obs):
    # Deeper than Python's default recursion limit (1000): the walk must be iterative.
    x = lib.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0 + 0.0
    obs.value("grad_fn", y.grad_fn.name())
    y.sum().backward()
    obs.grad("x.grad after 6000 nodes", x.grad)


# =========================================================================
# backward(): arguments and errors
# =========================================================================


@program
def backward_errors(lib, obs):
    c = lib.tensor([1.0, 2.0])
    obs.raises("backward of a tensor without grad", lambda: c.sum().backward())
    a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = a * 2
    obs.raises("backward of a non-scalar", lambda: b.backward())
    obs.raises("gradient of the wrong shape", lambda: b.backward(lib.tensor([1.0, 1.0])))
    obs.raises("backward of a leaf that requires grad, non-scalar", lambda: a.backward())
    obs.value("a.grad is None after the errors", a.grad is None)


@program
def backward_with_gradient(lib, obs):
    a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = a * 2
    b.backward(lib.tensor([1.0, 10.0, 100.0]))
    obs.grad("a.grad", a.grad)
    s = (a * a).sum()
    s.backward(lib.tensor(2.0))
    obs.grad("a.grad after a scalar gradient", a.grad)
    leaf = lib.tensor(3.0, requires_grad=True)
    leaf.backward()
    obs.tensor("backward of a 0-d leaf", leaf)
    m = lib.tensor([[1.0, 2.0]], requires_grad=True)
    (m * 3).backward(gradient=lib.tensor([[1.0, -1.0]]))
    obs.grad("m.grad", m.grad)


@program
def backward_create_graph(lib, obs):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = (x**3).sum()
    obs.warns("backward(create_graph=True)", lambda: y.backward(create_graph=True))
    obs.grad("x.grad (3x^2, with a graph)", x.grad)
    g = x.grad
    x.grad = None
    g.sum().backward()
    obs.grad("x.grad after backward of the first grad (6x)", x.grad)


# =========================================================================
# autograd.grad and autograd.backward
# =========================================================================


@program
def autograd_grad_basic(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = lib.tensor([3.0, 4.0], requires_grad=True)
    y = (a * b).sum()
    grads = lib.autograd.grad(y, [a, b])
    obs.value("returns a tuple", type(grads).__name__)
    obs.value("length", len(grads))
    obs.grad("dy/da", grads[0])
    obs.grad("dy/db", grads[1])
    obs.value("a.grad untouched", a.grad is None)
    y2 = (a * a).sum()
    (single,) = lib.autograd.grad(y2, a)
    obs.grad("grad w.r.t. one tensor (not a list)", single)
    y3 = (a * 3).sum()
    obs.grad("outputs and inputs as lists", lib.autograd.grad([y3], [a])[0])


@program
def autograd_grad_outputs(lib, obs):
    a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = a * a
    (g,) = lib.autograd.grad(y, a, grad_outputs=lib.tensor([1.0, 0.5, 0.0]))
    obs.grad("with grad_outputs", g)
    y2 = a * 2
    obs.raises("non-scalar without grad_outputs", lambda: lib.autograd.grad(y2, a))
    y3 = a * 2
    obs.raises(
        "grad_outputs of the wrong shape",
        lambda: lib.autograd.grad(y3, a, grad_outputs=lib.tensor([1.0])),
    )
    y4 = a * 2
    y5 = a * 3
    (g2,) = lib.autograd.grad([y4, y5], a, grad_outputs=[lib.ones(3), lib.ones(3)])
    obs.grad("two outputs summed", g2)


@program
def autograd_grad_allow_unused(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    unused = lib.tensor([5.0], requires_grad=True)
    y = (a * 2).sum()
    obs.raises("unused input", lambda: lib.autograd.grad(y, [a, unused], retain_graph=True))
    grads = lib.autograd.grad(y, [a, unused], allow_unused=True)
    obs.grad("used", grads[0])
    obs.value("unused is None", grads[1] is None)
    no_grad = lib.tensor([1.0])
    y2 = (a * 2).sum()
    obs.raises("input that does not require grad", lambda: lib.autograd.grad(y2, [no_grad]))
    plain_out = lib.tensor(1.0)
    obs.raises("output that does not require grad", lambda: lib.autograd.grad(plain_out, [a]))


@program
def autograd_grad_retain_graph(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    y = (a * a).sum()
    (g1,) = lib.autograd.grad(y, a, retain_graph=True)
    (g2,) = lib.autograd.grad(y, a)
    obs.grad("first", g1)
    obs.grad("second", g2)
    obs.raises("third (freed)", lambda: lib.autograd.grad(y, a))


@program
def autograd_grad_create_graph_second_derivative(lib, obs):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x**3).sum()
    (dy,) = lib.autograd.grad(y, x, create_graph=True)
    obs.grad("dy/dx = 3x^2 (has a graph)", dy)
    (d2y,) = lib.autograd.grad(dy.sum(), x)
    obs.grad("d2y/dx2 = 6x", d2y)
    z = lib.tensor([0.5], requires_grad=True)
    e = z.exp().sum()
    (de,) = lib.autograd.grad(e, z, create_graph=True)
    (d2e,) = lib.autograd.grad(de.sum(), z)
    obs.grad("second derivative of exp", d2e)
    t = lib.tensor([0.3], requires_grad=True)
    (dt,) = lib.autograd.grad(t.tanh().sum(), t, create_graph=True)
    (d2t,) = lib.autograd.grad(dt.sum(), t)
    obs.grad("second derivative of tanh", d2t)
    u = lib.tensor([2.0], requires_grad=True)
    (du,) = lib.autograd.grad((u * u).sum(), u)
    obs.grad("without create_graph: no graph", du)


@program
def double_backward_tanh_sigmoid(lib, obs):
    """With create_graph=True the gradient of tanh (sigmoid) is one recorded op,
    tanh_backward (sigmoid_backward), whose own node is TanhBackwardBackward0."""
    for name in ("tanh", "sigmoid"):
        t = lib.tensor([0.3, -1.2, 2.0], requires_grad=True)
        w = lib.tensor([1.0, 2.0, -1.0], requires_grad=True)  # so grad_output has a graph too
        (d,) = lib.autograd.grad((getattr(t, name)() * w).sum(), t, create_graph=True)
        obs.grad(f"w * d {name} / dt, with a graph", d)
        d2t, d2w = lib.autograd.grad(d.sum(), (t, w), create_graph=True)
        obs.grad(f"{name}: its derivative by t, with a graph", d2t)
        obs.grad(f"{name}: its derivative by w, with a graph", d2w)
        (d3,) = lib.autograd.grad(d2t.sum(), t)
        obs.grad(f"third derivative of {name} (times w)", d3)


@program
def autograd_grad_mixed_products(lib, obs):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    w = lib.tensor([3.0, -1.0], requires_grad=True)
    y = (x * x * w).sum()
    (gx,) = lib.autograd.grad(y, x, create_graph=True)
    obs.grad("dy/dx = 2xw", gx)
    gw = lib.autograd.grad(gx.sum(), w)
    obs.grad("d/dw of sum(2xw) = 2x", gw[0])


@program
def autograd_backward_function(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    y = (a * a).sum()
    lib.autograd.backward(y)
    obs.grad("after backward(y)", a.grad)
    y1 = (a * 2).sum()
    y2 = a * 3
    lib.autograd.backward([y1, y2], grad_tensors=[lib.tensor(1.0), lib.tensor([1.0, 0.0])])
    obs.grad("after backward([y1, y2], grad_tensors)", a.grad)
    y3 = a * 4
    lib.autograd.backward(y3, grad_tensors=lib.tensor([0.5, 0.5]))
    obs.grad("after backward(y3, grad_tensors=tensor)", a.grad)
    y4 = a * 1
    obs.raises("backward([non-scalar]) without grad_tensors", lambda: lib.autograd.backward([y4]))
    y5 = (a * a).sum()
    lib.autograd.backward(y5, retain_graph=True)
    lib.autograd.backward(y5)
    obs.grad("after two backwards with retain_graph", a.grad)


# =========================================================================
# Grad modes
# =========================================================================


@program
def mode_no_grad_results(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    with lib.no_grad():
        b = a * 2
        made = lib.tensor([1.0], requires_grad=True)
        obs.value("is_grad_enabled()", lib.is_grad_enabled())
    obs.tensor("b made in no_grad", b)
    obs.tensor("leaf made in no_grad with requires_grad=True", made)
    c = b * a
    obs.tensor("b * a afterwards", c)


@program
def mode_no_grad_decorator_without_parentheses(lib, obs):
    a = lib.tensor([1.0], requires_grad=True)

    @lib.no_grad
    def f(x):
        return x * 2

    obs.value("result requires_grad", f(a).requires_grad)
    obs.value("name kept", f.__name__)


@program
def mode_decorators_on_generators(lib, obs):
    a = lib.tensor([1.0], requires_grad=True)

    @lib.no_grad()
    def gen():
        yield lib.is_grad_enabled(), (a * 2).requires_grad
        yield lib.is_grad_enabled(), (a * 2).requires_grad

    g = gen()
    obs.value("no_grad generator first step", list(next(g)))
    obs.value("between steps", lib.is_grad_enabled())
    obs.value("no_grad generator second step", list(next(g)))

    @lib.enable_grad()
    def gen2():
        yield lib.is_grad_enabled()
        yield lib.is_grad_enabled()

    with lib.no_grad():
        g2 = gen2()
        obs.value("enable_grad generator in no_grad", next(g2))
        obs.value("in no_grad between steps", lib.is_grad_enabled())
        obs.value("enable_grad generator second step", next(g2))

    @lib.set_grad_enabled(False)
    def gen3():
        yield lib.is_grad_enabled()

    obs.value("set_grad_enabled(False) generator", next(gen3()))
    obs.value("after", lib.is_grad_enabled())


@program
def mode_set_grad_enabled_decorator(lib, obs):
    a = lib.tensor([1.0], requires_grad=True)

    @lib.set_grad_enabled(False)
    def off(x):
        return x * 2

    obs.value("is_grad_enabled() after decorating", lib.is_grad_enabled())
    obs.value("decorated call: requires_grad", off(a).requires_grad)
    obs.value("is_grad_enabled() after the call", lib.is_grad_enabled())


@program
def mode_nesting_levels(lib, obs):
    try:
        obs.value("level 0", lib.is_grad_enabled())
        with lib.no_grad():
            obs.value("level 1 no_grad", lib.is_grad_enabled())
            with lib.enable_grad():
                obs.value("level 2 enable_grad", lib.is_grad_enabled())
                with lib.set_grad_enabled(False):
                    obs.value("level 3 set_grad_enabled(False)", lib.is_grad_enabled())
                    with lib.no_grad():
                        obs.value("level 4 no_grad", lib.is_grad_enabled())
                    obs.value("back at level 3", lib.is_grad_enabled())
                obs.value("back at level 2", lib.is_grad_enabled())
            obs.value("back at level 1", lib.is_grad_enabled())
            lib.set_grad_enabled(True)
            obs.value("plain set_grad_enabled(True) inside no_grad", lib.is_grad_enabled())
        obs.value("after no_grad restores its entry state", lib.is_grad_enabled())
        lib.set_grad_enabled(False)
        with lib.enable_grad():
            obs.value("enable_grad after a plain False", lib.is_grad_enabled())
        obs.value("after enable_grad: the plain False again", lib.is_grad_enabled())
    finally:
        lib.set_grad_enabled(True)


@program
def mode_restored_after_exception(lib, obs):
    def fail_inside():
        with lib.no_grad():
            raise ValueError("boom")

    obs.raises("exception inside no_grad", fail_inside)
    obs.value("grad mode after the exception", lib.is_grad_enabled())

    @lib.no_grad()
    def fail_decorated():
        raise KeyError("k")

    obs.raises("exception in a decorated function", fail_decorated)
    obs.value("grad mode after that", lib.is_grad_enabled())


@program
def mode_enable_grad_outside_no_grad(lib, obs):
    a = lib.tensor([1.0], requires_grad=True)
    with lib.enable_grad():
        obs.value("is_grad_enabled()", lib.is_grad_enabled())
        b = a * 2
    obs.tensor("b", b)


@program
def mode_context_objects(lib, obs):
    with lib.no_grad() as entered:
        obs.value("with no_grad() as x: x", entered)
    ctx = lib.no_grad()
    with ctx:
        obs.value("reusing a no_grad object: first", lib.is_grad_enabled())
    with ctx:
        obs.value("reusing a no_grad object: second", lib.is_grad_enabled())
    obs.value("after", lib.is_grad_enabled())


@program
def mode_inference_mode_basic(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    obs.value("is_inference_mode_enabled() outside", lib.is_inference_mode_enabled())
    with lib.inference_mode():
        obs.value("is_inference_mode_enabled() inside", lib.is_inference_mode_enabled())
        obs.value("is_grad_enabled() inside", lib.is_grad_enabled())
        b = a * 2
        made = lib.tensor([3.0])
        obs.value("b.is_inference() inside", b.is_inference())
    obs.tensor("b", b)
    obs.tensor("tensor made inside", made)
    obs.value("a.is_inference()", a.is_inference())
    with lib.no_grad():
        c = a * 2
    obs.value("no_grad result is not an inference tensor", c.is_inference())
    obs.value("is_inference_mode_enabled() after", lib.is_inference_mode_enabled())


@program
def mode_inference_mode_false(lib, obs):
    with lib.inference_mode():
        with lib.inference_mode(False):
            obs.value("inference_mode(False) inside: inference", lib.is_inference_mode_enabled())
            obs.value("inference_mode(False) inside: grad", lib.is_grad_enabled())
            t = lib.tensor([1.0])
            obs.value("tensor made there is_inference()", t.is_inference())
        obs.value("back inside inference_mode", lib.is_inference_mode_enabled())
    with lib.inference_mode(mode=False):
        obs.value("inference_mode(mode=False) alone: inference", lib.is_inference_mode_enabled())
        obs.value("inference_mode(mode=False) alone: grad", lib.is_grad_enabled())
    with lib.no_grad(), lib.inference_mode(False):
        obs.value("inference_mode(False) in no_grad: grad", lib.is_grad_enabled())


@program
def mode_inference_mode_decorator(lib, obs):
    a = lib.tensor([1.0], requires_grad=True)

    @lib.inference_mode()
    def predict(x):
        return x * 2

    out = predict(a)
    obs.value("result is_inference()", out.is_inference())
    obs.value("result requires_grad", out.requires_grad)
    obs.value("mode after", lib.is_inference_mode_enabled())


@program
def mode_inference_tensor_errors(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    with lib.inference_mode():
        inf = lib.tensor([3.0, 4.0])
        inf.add_(1)
        obs.value("in-place inside inference_mode is fine", inf.tolist())
    obs.raises("inference tensor saved for backward", lambda: a * inf)
    with lib.inference_mode():
        throwaway = lib.tensor([0.0])
    # (PyTorch changes the data before it raises here; a program must not rely
    # on that, so the tensor is not used again.)
    obs.raises("in-place on an inference tensor outside", lambda: throwaway.add_(1))
    obs.raises("_version of an inference tensor", lambda: inf._version)
    plain_result = inf + 1
    obs.tensor("inf + 1 outside (no grad involved)", plain_result)
    copy = inf.clone()
    # PyTorch clones an inference tensor by copying into a new one, which
    # leaves the clone at _version 1: an accident of implementation.
    obs.tensor("inf.clone() outside", copy, skip=("version",))
    obs.tensor("a * inf.clone()", a * copy)
    obs.raises("requires_grad_() on an inference tensor", lambda: inf.requires_grad_())
    obs.tensor("a + inf (add saves nothing)", a + inf)


# =========================================================================
# requires_grad, detach, clone
# =========================================================================


@program
def requires_grad_setter_rules(lib, obs):
    t = lib.tensor([1.0, 2.0])
    t.requires_grad = True
    obs.tensor("leaf after requires_grad = True", t)
    out = t * 2
    obs.tensor("its result", out)

    def set_false_on_non_leaf():
        out.requires_grad = False

    obs.raises("requires_grad = False on a non-leaf", set_false_on_non_leaf)

    def set_true_on_non_leaf():
        out.requires_grad = True

    obs.raises("requires_grad = True on a non-leaf", set_true_on_non_leaf)
    t.requires_grad = False
    obs.tensor("leaf after requires_grad = False", t)
    i = lib.tensor([1, 2])

    def set_on_int():
        i.requires_grad = True

    obs.raises("requires_grad = True on an int tensor", set_on_int)
    obs.raises("requires_grad_() on an int tensor", lambda: i.requires_grad_())

    def set_false_on_int():
        i.requires_grad = False

    obs.raises("requires_grad = False on an int tensor", set_false_on_int)


@program
def requires_grad_method(lib, obs):
    t = lib.tensor([1.0, 2.0])
    returned = t.requires_grad_()
    obs.value("requires_grad_() returns self", returned is t)
    obs.tensor("after requires_grad_()", t)
    t.requires_grad_(False)
    obs.tensor("after requires_grad_(False)", t)
    out = lib.tensor([1.0], requires_grad=True) * 2
    obs.raises("requires_grad_(False) on a non-leaf", lambda: out.requires_grad_(False))


@program
def detach_basics(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    d = b.detach()
    obs.tensor("d = b.detach()", d)
    obs.value("b unchanged: grad_fn", b.grad_fn.name())
    da = a.detach()
    obs.tensor("a.detach()", da)
    obs.value("detach is a new object", da is not a)
    e = d * a
    obs.tensor("d * a records only a's path", e)
    e.sum().backward()
    obs.grad("a.grad", a.grad)


@program
def detach_in_place(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    returned = b.detach_()
    obs.value("detach_() returns self", returned is b)
    obs.tensor("b after detach_()", b)
    c = a * 3
    v = c.view(2)
    obs.raises("detach_() on a view", lambda: v.detach_())
    leaf = lib.tensor([1.0], requires_grad=True)
    leaf.detach_()
    obs.tensor("a leaf after detach_()", leaf)


@program
def clone_basics(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    c = a.clone()
    obs.tensor("a.clone()", c)
    c.mul_(3)
    obs.tensor("c after mul_ (allowed: not a leaf)", c)
    obs.tensor("a unchanged", a)
    _weighted_backward(lib, c)
    obs.grad("a.grad through clone and mul_", a.grad)
    p = lib.tensor([1.0, 2.0])
    q = p.clone()
    q.add_(1)
    obs.tensor("plain clone does not share memory: p", p)
    obs.value("p._version", p._version)
    obs.value("q._version", q._version)


# =========================================================================
# autograd.Function and gradcheck
# =========================================================================


def _exp_function(lib):
    class MyExp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            result = x.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad_output):
            (result,) = ctx.saved_tensors
            return grad_output * result

    return MyExp


def _mul_add_function(lib):
    class MulAdd(lib.autograd.Function):
        """out = x * y + c, where c is a plain number (gets no gradient)."""

        @staticmethod
        def forward(ctx, x, y, c):
            ctx.save_for_backward(x, y)
            return x * y + c

        @staticmethod
        def backward(ctx, grad_output):
            x, y = ctx.saved_tensors
            return grad_output * y, grad_output * x, None

    return MulAdd


@program
def function_custom_exp(lib, obs):
    MyExp = _exp_function(lib)
    x = lib.tensor([0.0, 1.0, 2.0], requires_grad=True)
    y = MyExp.apply(x)
    obs.tensor("y = MyExp.apply(x)", y)
    _weighted_backward(lib, y)
    obs.grad("x.grad", x.grad)
    with lib.no_grad():
        z = MyExp.apply(x)
    obs.tensor("apply under no_grad", z)
    plain_in = MyExp.apply(lib.tensor([1.0]))
    obs.tensor("apply on a tensor without grad", plain_in)


@program
def function_custom_two_inputs(lib, obs):
    MulAdd = _mul_add_function(lib)
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = lib.tensor([3.0, 4.0], requires_grad=True)
    out = MulAdd.apply(x, y, 10.0)
    obs.tensor("out", out)
    out.sum().backward()
    obs.tensor("x", x)
    obs.tensor("y", y)
    k = lib.tensor([5.0, 6.0])
    out2 = MulAdd.apply(x, k, 0.0)
    obs.tensor("with an input that needs no grad", out2)


@program
def function_saved_tensor_version_check(lib, obs):
    MulAdd = _mul_add_function(lib)
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = lib.tensor([3.0, 4.0])
    out = MulAdd.apply(x, y, 0.0)
    y.mul_(2)
    obs.raises("backward after a saved input changed", lambda: out.sum().backward())


@program
def function_in_a_graph(lib, obs):
    MyExp = _exp_function(lib)
    x = lib.tensor([0.5, -0.5], requires_grad=True)
    out = (MyExp.apply(x * 2) * 3).sum()
    obs.tensor("out", out)
    out.backward()
    obs.grad("x.grad", x.grad)


@program
def function_second_backward_error(lib, obs):
    MyExp = _exp_function(lib)
    x = lib.tensor([1.0], requires_grad=True)
    y = MyExp.apply(x).sum()
    y.backward()
    obs.raises("second backward through a custom Function", lambda: y.backward())


@program
def gradcheck_passes(lib, obs):
    x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
    obs.value("gradcheck(tanh)", lib.autograd.gradcheck(lambda t: t.tanh(), (x,)))
    w = lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64, requires_grad=True)
    v = lib.tensor([0.5, 0.25], dtype=lib.float64, requires_grad=True)
    obs.value("gradcheck(matmul, two inputs)", lib.autograd.gradcheck(lambda a, b: a @ b, (w, v)))
    obs.value(
        "gradcheck with eps and atol",
        lib.autograd.gradcheck(lambda t: (t * t).sum(), (x,), eps=1e-6, atol=1e-5),
    )
    MyExp = _exp_function(lib)
    obs.value("gradcheck(MyExp.apply)", lib.autograd.gradcheck(MyExp.apply, (x,)))


@program
def gradcheck_fails_on_a_wrong_backward(lib, obs):
    class BadSquare(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * x  # should be 2 * x

    x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    obs.raises(
        "gradcheck of a wrong backward", lambda: lib.autograd.gradcheck(BadSquare.apply, (x,))
    )


def _split_function(lib):
    class Split(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, 7, x * 3

        @staticmethod
        def backward(ctx, g_double, g_number, g_triple):
            ctx.seen = (g_double, g_number, g_triple)
            return g_double * 2 + g_triple * 3

    return Split


@program
def function_several_outputs(lib, obs):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    double, number, triple = _split_function(lib).apply(x)
    obs.tensor("output 0", double)
    obs.value("output 1, a number", number)
    obs.tensor("output 2", triple)
    obs.value("one node for both", double.grad_fn is triple.grad_fn)
    log = []
    triple.register_hook(lambda g: log.append(g))
    double.retain_grad()
    double.sum().backward(retain_graph=True)
    g_double, g_number, g_triple = double.grad_fn.seen
    obs.grad("backward's gradient of output 0", g_double)
    obs.value("backward's gradient of the number", g_number)
    obs.grad("backward's gradient of output 2 (none reached it: zeros)", g_triple)
    obs.value("the hook on output 2 got None", log == [None])
    obs.grad("x.grad", x.grad)
    obs.grad("output 0's retained grad", double.grad)
    (g,) = lib.autograd.grad(triple.sum(), [triple])
    obs.grad("autograd.grad with respect to output 2", g)


@program
def function_backward_returning_none(lib, obs):
    class Stop(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return None

    class TrailingNone(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad, None, None

    x = lib.tensor([1.0, 2.0], requires_grad=True)
    TrailingNone.apply(x).sum().backward()
    obs.grad("extra trailing Nones are ignored", x.grad)
    y = lib.tensor([1.0, 2.0], requires_grad=True)
    MyExp = _exp_function(lib)
    out = Stop.apply(MyExp.apply(y).exp())
    out.sum().backward()
    obs.grad("behind a None: your backward got zeros", y.grad)
    obs.raises("and the graph behind it was freed", lambda: out.sum().backward())


@program
def function_instantiated(lib, obs):
    MyExp = _exp_function(lib)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f = MyExp()
    # (the message starts with the class, whose module name depends on how tests import it)
    said = [(w.category.__name__, str(w.message).split("> ", 1)[-1]) for w in caught]
    obs.value("instantiating a Function warns", said)
    obs.raises("calling the instance", lambda: f(lib.ones(1)))


@program
def autograd_grad_runs_only_what_it_needs(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    log = []
    a.register_hook(lambda g: log.append(g) or g * 10)
    b = a * 2
    b.retain_grad()
    c = b * 3
    (gc,) = lib.autograd.grad(c.sum(), [c])
    obs.grad("grad with respect to c", gc)
    obs.grad("b's retained grad: b's node did not run", b.grad)
    (ga,) = lib.autograd.grad((a * 1).sum(), [a])
    obs.grad("a leaf input's hook shapes what grad returns", ga)
    obs.value("the hook ran once", len(log))
    t = a * a
    u = t.exp()
    u.sum().backward()
    (gt,) = lib.autograd.grad(t.sum(), [t])
    obs.grad("grad with respect to a non-leaf after its graph was freed", gt)


@program
def autograd_inputs_checks(lib, obs):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    out = (x * 2).sum()
    obs.raises("grad with empty inputs", lambda: lib.autograd.grad(out, [], retain_graph=True))
    obs.raises("backward with empty inputs", lambda: out.backward(inputs=[], retain_graph=True))
    h = x * 3
    (h * h).sum().backward(inputs=[h])
    obs.grad("backward(inputs=[non-leaf]): its .grad", h.grad)
    obs.value("it retains its grad now", h.retains_grad)
    obs.grad("x.grad untouched", x.grad)
    y = lib.tensor(2.0, requires_grad=True)
    (dy,) = lib.autograd.grad(y * y, y, create_graph=True)
    (zero,) = lib.autograd.grad(dy, x, allow_unused=True, materialize_grads=True, create_graph=True)
    obs.grad("materialized zeros under create_graph", zero)
    (again,) = lib.autograd.grad(zero.sum(), y, materialize_grads=True)
    obs.grad("grad of them", again)


@program
def leaf_detached_after_use(lib, obs):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    a.requires_grad = False
    b.sum().backward()
    obs.grad("requires_grad set to False after use: no .grad", a.grad)
    c = lib.tensor([3.0, 4.0], requires_grad=True)
    d = c * 2
    c.detach_()
    d.sum().backward()
    obs.grad("detach_() after use: no .grad", c.grad)
    e = lib.tensor(1.0, requires_grad=True).clone()
    f = e**2
    e.detach_()
    obs.raises("a saved non-leaf detached in place", lambda: f.backward())


@program
def tensor_attribute_rules(lib, obs):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    obs.raises("numpy() of a tensor that requires grad", lambda: x.numpy())
    with lib.no_grad():
        obs.value("numpy() inside no_grad", x.numpy().tolist())

    def assign_self():
        x.grad = x

    obs.raises("x.grad = x", assign_self)

    def delete():
        del x.requires_grad

    obs.raises("del x.requires_grad", delete)

    def set_data():
        x.data = lib.tensor([1, 2])

    obs.raises(".data = an int tensor", set_data)


@program
def anomaly_mode_checks(lib, obs):
    class NanGrad(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            return grad * float("nan")

    x = lib.tensor([1.0, 2.0], requires_grad=True)

    def run():
        with lib.autograd.detect_anomaly():
            NanGrad.apply(x).sum().backward()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        obs.raises("a backward that returns nan, in anomaly mode", run)
    obs.warns("entering detect_anomaly()", lambda: lib.autograd.detect_anomaly())


@program
def create_graph_warning_after_checks(lib, obs):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    obs.warns("non-scalar: raises, no warning", lambda: x.backward(create_graph=True))
    y = lib.tensor(1.0)
    obs.warns("no grad_fn: raises, no warning", lambda: y.backward(create_graph=True))


@program
def gradcheck_checks(lib, obs):
    x = lib.tensor([1.0, 2.0], dtype=lib.float64)
    obs.raises("no input requires grad", lambda: lib.autograd.gradcheck(lambda t: t, (x,)))
    e = lib.ones(1, dtype=lib.float64, requires_grad=True).expand(2, 2)
    obs.raises("an input with stride 0", lambda: lib.autograd.gradcheck(lambda t: t, (e,)))

    def hooked(t):
        y = t.clone()
        y.register_hook(lambda g: g + 1e-2)
        return y

    w = lib.ones(1, dtype=lib.float64, requires_grad=True)
    obs.raises(
        "backward not multiplied by grad_output",
        lambda: lib.autograd.gradcheck(hooked, (w,), atol=1e-1),
    )

    def grows(t):
        return lib.cat([t, t]) if (t >= 1).all() else t

    obs.raises("outputs change shape when perturbed", lambda: lib.autograd.gradcheck(grows, (w,)))


@program
def gradcheck_float32_warning(lib, obs):
    x = lib.tensor([0.5, 1.0], requires_grad=True)
    obs.warns(
        "gradcheck on float32 input",
        lambda: lib.autograd.gradcheck(lambda t: t * 2, (x,), eps=1e-3, atol=1e-2),
    )


@program
def op_pow_tanh_edge_values(lib, obs):
    """x ** 0.5 is sqrt(x) and x ** -0.5 is 1 / sqrt(x) (so at -0.0 and -inf they differ
    from pow, which a tensor exponent always takes); float32 tanh rounds to 1 beyond
    about 9, and its gradient 1 - y*y is then exactly 0."""
    edges = [float("-inf"), -0.0, 0.0, 4.0]
    x = lib.tensor(edges, requires_grad=True)
    obs.tensor("x ** 0.5", x**0.5)
    obs.tensor("x ** -0.5", x**-0.5)
    obs.tensor("x ** tensor(0.5)", x ** lib.tensor(0.5))
    (x**0.5).sum().backward()
    obs.grad("grad of x ** 0.5: 0.5 * x ** -0.5", x.grad)
    t = lib.tensor([9.5, -9.75, 0.5], requires_grad=True)
    y = t.tanh()
    obs.tensor("tanh near its saturation", y)
    y.backward(lib.full_like(y, 100.0))
    obs.grad("its gradient, times 100", t.grad)


@program
def leaf_moved_into_graph_interior(lib, obs):
    """A leaf used in a graph, switched off, then given a history by an in-place op with
    an operand that requires grad: it is no leaf any more, and backward through the old
    graph raises."""
    a = lib.tensor([-2.0], requires_grad=True)
    b = a / 0.5
    a.requires_grad = False
    a /= b
    obs.tensor("the old leaf, now with a grad_fn", a)
    obs.raises("backward into the old leaf's AccumulateGrad", lambda: b.backward())


@program
def second_derivatives_of_losses_softmax_maximum(lib, obs):
    """With create_graph=True the gradients of softmax, log_softmax, mse_loss and nll_loss
    are single recorded ops (SoftmaxBackwardDataBackward0, ...), maximum's is
    where(...).masked_fill_(...); their second derivatives are PyTorch's."""
    x = lib.tensor([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0]], requires_grad=True)
    w = lib.tensor(_weights([2, 3]))
    cases = {
        "softmax(x, 1)": lambda: x.softmax(1),
        "log_softmax(x, 0)": lambda: lib.log_softmax(x, 0),
        "maximum(x, 0.5 * ones)": lambda: lib.maximum(x, lib.full((2, 3), 0.5)),
        "mse_loss(x, ones)": lambda: lib.nn.functional.mse_loss(x, lib.ones(2, 3)),
        "cross_entropy(x, [2, 0])": lambda: lib.nn.functional.cross_entropy(x, lib.tensor([2, 0])),
    }
    for label, fn in cases.items():
        out = fn()
        (g,) = lib.autograd.grad((out * out * (w if out.ndim else 1.0)).sum(), x, create_graph=True)
        obs.grad(f"{label}: first derivative, with a graph", g)
        (g2,) = lib.autograd.grad((g * w).sum(), x)
        obs.grad(f"{label}: second derivative", g2)
    obs.raises("maximum with a number", lambda: x.maximum(0.5))


@program
def zero_signs_of_mm_and_relu(lib, obs):
    """Signs of zero, seen through 1 / x (-inf for -0.0): mm sums its products from +0.0,
    so a zero it sums is +0.0, except in an outer product (inner size 1, two rows and two
    columns or more), whose entries are the products themselves (-1.0 * 0.0 is -0.0); its
    backward is two more mm's, under the same rule. relu keeps -0.0 (and relu_ too)."""
    a = lib.tensor([[-1.0], [2.0]], requires_grad=True)
    b = lib.tensor([[0.0, -0.0, 3.0]], requires_grad=True)
    obs.tensor("1 / (an outer product: 2x1 @ 1x3)", 1 / (a @ b))
    obs.tensor("1 / (1x1 @ 1x3: one row, a sum)", 1 / (a[:1] @ b))
    c = lib.tensor([[1.0, -1.0], [-0.0, 0.0]])
    obs.tensor("1 / (2x2 @ 2x1: sums that give 0)", 1 / (c @ lib.tensor([[1.0], [1.0]])))
    m = lib.tensor([[1.0, -2.0], [0.5, 1.0]], requires_grad=True)
    v = lib.tensor([[0.0], [-0.0]], requires_grad=True)
    (m @ v).backward(lib.tensor([[-1.0], [2.0]]))
    obs.tensor("1 / m.grad (grad @ v.T: an outer product)", 1 / m.grad)
    obs.tensor("1 / v.grad (m.T @ grad: sums)", 1 / v.grad)
    x = lib.tensor([-0.0, -1.0, 0.0, 2.0])
    obs.tensor("1 / relu(x)", 1 / x.relu())
    obs.tensor("1 / relu_(x)", 1 / lib.nn.functional.relu(x.clone(), inplace=True))


@program
def version_error_order_of_saved_tensors(lib, obs):
    """Both saved inputs changed in place: a built-in op's node checks its saved inputs in
    the order of their names (mul's ``other`` before ``self``, mm's ``mat2`` before
    ``self``, mv's ``self`` before ``vec``), so the error names that one."""
    for name, op in [
        ("a * b", lambda a, b: a * b),
        ("a / b", lambda a, b: a / b),
        ("a @ b", lambda a, b: a @ b),
        ("a @ b[0] (mv)", lambda a, b: a @ b[0]),
        ("a[:, 0] @ b (a vector @ a matrix: mm of a view)", lambda a, b: a[:, 0] @ b),
    ]:
        x = lib.ones(2, 2, requires_grad=True)
        a, b = x * 1, x * 2
        out = op(a, b)
        a.add_(1)
        b.mul_(2)
        obs.raises(f"{name}: backward", lambda out=out: out.sum().backward())


@program
def views_of_changed_bases(lib, obs):
    """A view whose base changed in place has a rebuilt grad_fn (AsStridedBackward0):
    requires_grad_() on it is allowed, in no_grad too. Its backward gives the base's
    gradient as a view of new memory (so detach_() on it raises). Under create_graph,
    the backward of an empty view gives plain zeros, and CopySlices copies the base's
    gradient with copy_ (CopyBackwards). An op on a view made in no_grad (no edge to
    follow) saves nothing, so a second backward through it raises nothing; copy_ into an
    int view made in no_grad is no recorded change (add_ is checked as one)."""
    base = lib.ones(2, 3)
    view = base.unsqueeze(-1)
    base.fill_(0.0)
    base.requires_grad_()
    with lib.no_grad():
        obs.raises("requires_grad_() on the view, in no_grad", lambda: view.requires_grad_())
    obs.tensor("the view", view)
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    part = y[1:]
    y.mul_(2)
    (g,) = lib.autograd.grad(part.sum(), [y])
    obs.raises("detach_() on the base's gradient from AsStridedBackward0 (a view)", g.detach_)
    base = lib.tensor([[-1.5, -1.5, 2.0]], dtype=lib.float64)
    view = base.transpose(0, 1)
    other = lib.tensor([[0.0], [2.0], [-1.5]], dtype=lib.float64, requires_grad=True)
    view *= other
    obs.warns(
        "backward(create_graph=True) through the view, a gradient without graph",
        lambda: view.backward(lib.ones_like(view), create_graph=True),
    )
    obs.grad("the operand's gradient", other.grad)
    with lib.no_grad():
        leaf = lib.tensor([[1.0, 2.0]], requires_grad=True)
        no_edge = leaf[:, :]
    out = no_edge * 2  # records a node, with no edge: it saves nothing
    out.sum().backward()
    obs.raises("a second backward through an op on a view made in no_grad", out.sum().backward)
    ints = lib.tensor([1, 0])
    with lib.no_grad():
        first = ints[0]
    source = lib.tensor(-1.0, requires_grad=True)
    obs.raises(
        "copy_ into an int view made in no_grad, from a tensor requiring grad",
        lambda: first.copy_(source),
    )
    obs.raises("add_ of the same (checked as a recorded change)", lambda: first.add_(source))
    obs.tensor("the int tensor", ints)
    for size in (0, 2):
        t = lib.zeros(size, dtype=lib.float64, requires_grad=True)
        u = t - 1.5
        w = u[None]
        w *= 2
        out = w.exp()
        (g,) = lib.autograd.grad(out, [t], lib.full_like(out, 2.0), create_graph=True)
        label = f"the gradient through an in-place op on a view of {size} elements"
        if not size:
            obs.grad(label, g)
        else:  # (deeper down, PyTorch's graph depends on how it rebuilds views: skipped)
            obs.value(label, [g.tolist(), g.grad_fn.name()])
            obs.value("its graph", [n.name() for n, _ in g.grad_fn.next_functions])


@program
def autograd_grad_output_hooks(lib, obs):
    """autograd.grad of one output starts its walk at the output's node: that node's
    hooks (and retain_grad) run even when no input lies behind it; other nodes off the
    way to the inputs run nothing (several outputs: not even theirs)."""
    log = []
    a = lib.tensor(1.0, requires_grad=True)
    b = lib.tensor(2.0, requires_grad=True)
    c = a * 2
    c.register_hook(lambda g: log.append(("c", None if g is None else g.item())))
    d = c * 3
    d.register_hook(lambda g: log.append(("d", None if g is None else g.item())))
    d.retain_grad()
    e = d + b * 1
    obs.tensor("grad of e (which needs b) w.r.t. b", lib.autograd.grad(e, [b])[0])
    obs.value("hooks run", list(log))
    (g,) = lib.autograd.grad(d, [b], allow_unused=True, retain_graph=True)
    obs.value("grad of d (no input behind it): hooks run", list(log))
    obs.tensor("grad of d w.r.t. b", g)
    obs.grad("d.grad (retained at the output's node)", d.grad)
    log.clear()
    lib.autograd.grad([d, c], [b], allow_unused=True)
    obs.value("two outputs, no input behind them: hooks run", list(log))
    a.register_hook(lambda g: log.append(("a", None if g is None else g.item())))
    log.clear()
    lib.autograd.grad(a, [b], allow_unused=True)
    obs.value("grad of the leaf a (no input behind it): its hook runs", list(log))


@program
def matmul_dtype_error_after_autograd_checks(lib, obs):
    """A matmul of two float dtypes: autograd records before the kernel checks dtypes, so
    an inference tensor that would be saved is refused first; mse_loss's gradient comes in
    its input's dtype (MseLossBackwardBackward0, no cast after it)."""
    with lib.inference_mode():
        frozen = lib.ones(2, dtype=lib.float64)
    live = lib.ones(2, requires_grad=True)
    obs.raises("inference tensor @ a tensor requiring grad, two dtypes", lambda: frozen @ live)
    obs.raises("the same without grad: the dtype error", lambda: frozen @ live.detach())
    x = lib.ones(2, requires_grad=True)
    loss = lib.nn.functional.mse_loss(x, lib.zeros(2, dtype=lib.float64))
    (g,) = lib.autograd.grad(loss, [x], create_graph=True)
    obs.tensor("mse_loss of float32 and float64: the float32 input's gradient", g)


@program
def zero_gradients_are_constants_under_create_graph(lib, obs):
    """Where PyTorch's formula gives zeros (``zeros_like``: x ** 0, the old values of a
    tensor after fill_ with a tensor), the gradient is a constant even under create_graph:
    no node, not zeros times the gradient."""
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    v = lib.tensor(3.0, requires_grad=True)
    go = lib.tensor([1.0, -1.0], requires_grad=True)  # so the gradients could have a graph
    for label, fn in (("x ** 0", lambda: x**0), ("x ** 0.0", lambda: x**0.0)):
        (g,) = lib.autograd.grad(fn(), x, go, create_graph=True)
        obs.grad(f"{label}: the gradient for x", g)
    y = x * 1
    y.fill_(v)
    gx, gv = lib.autograd.grad(y, (x, v), go, create_graph=True)
    obs.grad("fill_(tensor): the gradient for the old values", gx)
    obs.grad("fill_(tensor): the gradient for the value", gv)


@program
def where_and_max_gradients_under_create_graph(lib, obs):
    """Under create_graph the gradients of where and max() are PyTorch's formulas as
    recorded ops: where(condition, grad, 0) for the first input, where(condition, 0, grad)
    for the second; new zeros with grad / count filled in where the maxima are
    (MaskedFillBackward1: its zeros have no edge)."""
    a = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
    b = lib.tensor([0.5, 0.5, 3.0], requires_grad=True)
    go = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)  # so the gradients have a graph
    ga, gb = lib.autograd.grad(lib.where(a > 0, a, b), (a, b), go, create_graph=True)
    obs.grad("where: the gradient for input", ga)
    obs.grad("where: the gradient for other", gb)
    (g,) = lib.autograd.grad(b.max(), b, lib.tensor(2.0, requires_grad=True), create_graph=True)
    obs.grad("max(): the gradient, shared by the two maxima", g)
    (g2,) = lib.autograd.grad((g * a).sum(), b, allow_unused=True)
    obs.value("max(): its gradient does not depend on b", g2 is None)


@program
def index_put_gradient_under_create_graph(lib, obs):
    """Under create_graph the gradient of ``t[index_tensor] = v`` for t is PyTorch's
    grad.index_put(index, zeros): one IndexPutBackward0 whose input is the gradient
    itself (no clone recorded before it)."""
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = lib.tensor([5.0, 6.0], requires_grad=True)
    go = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)  # so the gradients have a graph
    t = x * 1
    t[lib.tensor([0, 2])] = v
    gx, gv = lib.autograd.grad(t, (x, v), go, create_graph=True)
    obs.grad("the gradient for t's old values", gx)
    obs.grad("the gradient for v", gv)
