"""Random programs over minigrad's contract, built step by step beside live PyTorch.

:func:`generate` picks one step at a time and runs it on PyTorch at once,
so the next pick can look at the real state (shapes, dtypes, which tensors
require grad, which are views, whether grad mode is on) and make steps that
mostly make sense: operands whose shapes broadcast, matmul partners that
fit, backward from tensors that require grad. Some steps are wrong on
purpose (an in-place op on a leaf that requires grad, backward twice): the
errors are compared too.

Every kind of step belongs to a *feature* (``"views"``, ``"hooks"``...).
Besides those, a few features name a *situation* that steps would otherwise
run into: ``"view_in_no_grad"`` lets a view of a tensor that requires grad
be made while grad mode is off, for instance. Leaving a feature out of the
set passed to :func:`generate` keeps its steps and situations out of the
programs; that is how the CI run (``features.CI``) stays clear of the
differences listed in FINDINGS.md until they are fixed.

The program depends only on the seed and the features: PyTorch is
deterministic on these programs, so a seed reproduces its program.
"""

import random
import re
import warnings

from .program import Program, Step

# --- the features -----------------------------------------------------------------

# Kinds of step.
STEP_FEATURES = {
    "create": "tensor(), zeros/ones/full/arange/eye/zeros_like/ones_like, dtypes, shapes incl. 0-d",
    "elementwise": "exp log tanh sigmoid relu sqrt abs neg; + - * / ** with broadcasting",
    "reduce": "sum/mean with dim and keepdim",
    "softmax_maximum": "softmax and log_softmax over a dim; maximum with broadcasting",
    "losses": "nn.functional mse_loss, nll_loss and cross_entropy, each reduction",
    "matmul": "@, mm, matmul: 1-D, 2-D, batched",
    "views": "indexing, slicing, view/reshape, T/t/transpose, unsqueeze/squeeze, expand",
    "cat_stack": "cat and stack",
    "detach": "detach(), detach_(), clone()",
    "requires_grad": "requires_grad_() and setting .requires_grad",
    "inplace": "add_ sub_ mul_ div_ zero_ fill_ copy_ += -= *= /= t[i] = v",
    "grad_mode_blocks": "with no_grad()/enable_grad()/set_grad_enabled(b) blocks, nested",
    "grad_mode_calls": "set_grad_enabled(b) as a plain call",
    "grad_mode_decorators": "no_grad/enable_grad/set_grad_enabled as decorators, generators too",
    "inference_mode": "inference_mode() blocks and decorators, inference tensors",
    "retain_grad": "retain_grad()",
    "hooks": "register_hook (changing the grad, observing it) and handle.remove()",
    "backward": "backward() with and without gradient, retain_graph, twice",
    "create_graph": "backward/grad with create_graph=True, second derivatives",
    "autograd_grad": "autograd.grad with several inputs, allow_unused, retain_graph",
    "grad_access": "reading .grad into a name, .grad = None, .grad.zero_()",
    "custom_function": "autograd.Function subclasses: saved inputs/outputs, non-tensor args",
    "argument_errors": "calls PyTorch refuses: expand to sizes that do not fit, an index out of "
    "range, size(dim), float(t), softmax of an int tensor, cat(t)",
}

# Situations: each is allowed only when its feature is in the set.
SITUATION_FEATURES = {
    "nonfinite": "values that become inf or nan (log of 0, 1/0, overflow), forward or backward",
    "int_tensors": "int64 tensors among the operands (type promotion, int-only errors)",
    "empty_tensors": "tensors with a 0-sized dimension",
    "view_in_no_grad": "a view of a tensor that requires grad, made with grad mode off",
    "inplace_on_view": "in-place ops on a view of a tensor that requires grad",
    "requires_grad_non_leaf": "requires_grad_() / .requires_grad = on a non-leaf",
    "hooks_then_grad": "autograd.grad run over a leaf that has hooks",
    "setitem_whole": "t[...] = v and t[:] = v (the whole tensor)",
    "second_order_nonsmooth": "create_graph through relu and abs",
    "mixed_float_dtypes": "float32 and float64 operands in one op",
    "retain_grad_then_inplace": "an in-place op on a tensor after its retain_grad()",
    "double_backward_copyslices": "a second backward through an in-place op on a slice",
    "grad_wrt_freed_non_leaf": "autograd.grad with respect to a non-leaf after its graph was freed",
    "detach_inplace_used": "detach_() on a tensor already used in a graph, or on a view",
    "matmul_vector": "matmul of a vector with a matrix (and its dtype errors)",
    "create_graph_backward_error": "backward(create_graph=True) that raises (no grad, not scalar)",
    "custom_multi_output": "custom Functions with several outputs",
    "custom_non_differentiable": "custom Functions with outputs marked non-differentiable",
    "custom_none_grads": "custom Functions whose backward returns None",
    "expand_write": "in-place writes into an expanded tensor (or its detached alias)",
    "cat_zero_dim": "cat of 0-d tensors",
    "int_pow_negative": "a number raised to an int tensor with negative entries",
    "nested_modes_inference": "inference_mode nested with other grad modes",
    "mask_shape_mismatch": "a boolean mask whose shape does not fit the tensor",
    "requires_grad_with_views": "requires_grad_() on a tensor that has views, or on a view",
    "inplace_into_int_tensor": "an in-place op writing a tensor that requires grad into an int tensor",
    "custom_returns_input": "a custom Function that returns its input as is",
    "inference_tensor_outside": "inference tensors used outside inference_mode",
    "inference_tensor_requires_grad": "ops outside inference_mode on an inference tensor that "
    "requires grad",
    "hooked_input_and_beyond": "autograd.grad with a hooked non-leaf input and inputs beyond it",
    "aliased_leaf_grads": "accumulating into .grad of leaves whose .grad share memory",
    "grad_buffer_versions": "a leaf's .grad (read into a name) used by ops: its _version",
    "custom_in_inference": "a custom Function that saves tensors, applied in inference_mode",
    "grad_runs_unneeded_nodes": "autograd.grad after retain_grad, hooks or in-place ops elsewhere",
    "layout_dependent_graphs": "graphs whose shape depends on strides (non-contiguous matmul, reshape)",
    "second_order_formula": "create_graph through sqrt, /, **, mean, indexing, matmul with a vector",
    "requires_grad_off_after_use": "requires_grad = False on a leaf that requires grad",
    "leaf_moved_into_graph": "an in-place op recording a history on a leaf switched off after use",
    "pow_edge_values": "a base of ** that holds -inf or -0.0 (sqrt against pow)",
    "second_order_softmax_maximum": "create_graph through softmax, log_softmax and maximum",
    "second_order_input_order": "create_graph through *, / or ** of two tensors requiring grad",
    "second_order_losses": "create_graph through mse_loss, nll_loss and cross_entropy",
    "grad_through_regenerated_view": "in-place into a gradient after an in-place op in the program",
    "second_order_regenerated_view": "create_graph through a view rebuilt after an in-place op",
    "operand_and_its_detach": "a binary op on a tensor and a detached alias of it",
    "tanh_saturation": "tanh of values beyond 8 in magnitude (the result rounds to +-1)",
    "second_order_unbroadcast": "create_graph through an op that broadcast an input requiring grad",
    "inplace_on_pow_output": "an in-place op on the result of tensor ** tensor or number ** tensor",
    "version_error_node_names": "fill_, copy_ or t[i] = v on a tensor that requires grad",
    "backward_in_inference": "backward() or autograd.grad inside inference_mode",
    "index_saved_freed": "a second backward through advanced indexing without retain_graph",
    "result_layout": "ops on non-contiguous or expanded tensors (the strides of the result)",
    "inplace_overlapping_operand": "an in-place op whose operand is another view of the same memory",
    "zero_tensor_grads": "a gradient through abs's own backward (SgnBackward0, create_graph)",
    "version_error_saved_order": "in-place ops on two tensors requiring grad (which saved one "
    "a version error names)",
    "zero_signs": "relu of a tensor holding -0.0 (the sign of its zero result)",
    "requires_grad_rebuilt_view": "requires_grad_() on a view whose base changed in place",
    "backward_through_rebuilt_view": "a backward through AsStridedBackward0 (a view rebuilt "
    "after an in-place op)",
    "grad_output_hooks": "autograd.grad of an output that has hooks or retains its grad",
    "no_edge_backward_twice": "a second backward through an op none of whose inputs has an "
    "edge (a view made in no_grad)",
    "matmul_checks_order": "a matmul of two float dtypes with an inference tensor or a view "
    "(which error comes first)",
    "loss_grad_dtype": "create_graph through mse_loss (the dtype of its gradient's node)",
    "copy_into_int_view": "copy_ from a tensor requiring grad into a view of an int tensor",
    "copyslices_without_gradient": "a second backward through CopySlices behind a custom "
    "Function that returns no gradient",
    "retain_grad_refused_view": "retain_grad() on a custom Function's output that is its "
    "input, after an in-place op on that input",
    "pow_mixed_dtypes_log": "create_graph through tensor ** tensor of float32 and float64",
    "cat_checks_after_autograd": "cat or stack of a view that refuses its grad_fn, with "
    "inputs cat refuses",
    "cat_gradient_alias": "create_graph through cat of empty pieces",
    "inplace_operand_checks_order": "an in-place op whose operand is a view made in "
    "inference mode of the tensor it writes",
    "rebuilt_view_squeezed_gradient": "create_graph through a rebuilt view with a dim of size 1",
    "column_major_gradient_view": "an in-place op on mm's gradient of a transposed matrix",
    "shared_memory_gradients": "an in-place op on one of two gradients that share memory",
}

ALL = frozenset(STEP_FEATURES) | frozenset(SITUATION_FEATURES)

# --- values -----------------------------------------------------------------------

FLOATS = [-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0]
POSITIVE = [0.5, 1.0, 1.5, 2.0, 3.0]
INTS = [-2, -1, 0, 1, 2, 3]
SHAPES = [(), (1,), (2,), (3,), (2, 3), (3, 2), (2, 1), (1, 3), (2, 2), (2, 1, 3), (2, 3, 2)]
EMPTY_SHAPES = [(0,), (2, 0), (0, 3)]
DTYPES = ["float32", "float64", "int64"]
MAX_DEPTH = 3  # nesting of with-blocks


def _nested(shape, values):
    if not shape:
        return values.pop()
    return [_nested(shape[1:], values) for _ in range(shape[0])]


def literal(rng, shape, kind="float", pool=None):
    """Source of a nested list of the given shape, e.g. ``[[1.0, -0.5], [2.0, 0.0]]``."""
    count = 1
    for n in shape:
        count *= n
    pool = pool or (INTS if kind == "int" else FLOATS)
    values = [rng.choice(pool) for _ in range(count)]
    return repr(_nested(tuple(shape), values))


# --- the generator ------------------------------------------------------------------


class _Rejected(Exception):
    """A step would leave the enabled features (say, make an inf): pick another."""


class Generator:
    """Builds one program; ``namespace`` is the live PyTorch run of it so far."""

    def __init__(self, rng, features, torch):
        self.rng = rng
        self.features = frozenset(features)
        self.torch = torch
        self.namespace = {"lib": torch, "log": []}
        self.counter = 0
        self.frames = [[]]  # the open block bodies; frames[0] is the program
        self.headers = []  # (header source, context manager object) per open block
        self.plain_mode_calls = 0
        self.nonsmooth = set()  # names made by relu/abs/sqrt (see second_order_nonsmooth)
        self.hooked = set()  # names with a hook (see hooks_then_grad)
        self.freed = False  # a backward has freed a graph (see grad_wrt_freed_non_leaf)
        self.born_version = {}  # name -> _version when the name was first bound
        self.born_requiring_grad = {}  # name -> requires_grad then
        self.gradient_names = set()  # names bound to gradients, or to views of them
        self.grad_buffers = []  # tensors read from a leaf's .grad (see grad_buffer_versions)
        self.second_order = {}  # name -> the feature create_graph through it needs
        self.history = set()  # "retain_grad", "hook", "inplace": what the program did so far
        self.hidden_views = set()  # names an op viewed internally (batched matmul)
        self.switched_off = set()  # leaves set to requires_grad=False (see leaf_moved_into_graph)
        self.summed = set()  # names computed from a sum (see near_zero_sum)

    # -- helpers ---------------------------------------------------------------------
    def allows(self, feature):
        return feature in self.features

    def new_name(self, prefix="t"):
        name = f"{prefix}{self.counter}"
        self.counter += 1
        return name

    def tensors(self, predicate=lambda t: True):
        """Names of the live tensors satisfying ``predicate``, in creation order."""
        found = []
        for name, value in self.namespace.items():
            if name[0] == "t" and self.torch.is_tensor(value):
                try:
                    ok = predicate(value)
                except Exception:  # noqa: BLE001 - a predicate reading an odd tensor
                    ok = False
                if ok:
                    found.append(name)
        return found

    def pick(self, predicate=lambda t: True):
        names = self.tensors(predicate)
        if not names:
            raise _Rejected("no tensor fits")
        # Prefer recent tensors: programs then build on themselves.
        weights = [1 + i for i in range(len(names))]
        return self.rng.choices(names, weights)[0]

    def value(self, name):
        return self.namespace[name]

    def grad_on(self):
        return self.torch.is_grad_enabled()

    def in_inference(self):
        return self.torch.is_inference_mode_enabled()

    def usable(self, t):
        """A tensor this program's features let ops read."""
        if not self.allows("grad_buffer_versions") and any(t is b for b in self.grad_buffers):
            return False
        if t.is_inference() and not self.allows("inference_mode"):
            return False
        if t.is_inference() and not self.in_inference():
            if not self.allows("inference_tensor_outside"):
                return False
            if t.requires_grad and not self.allows("inference_tensor_requires_grad"):
                return False
        if t.dtype == self.torch.int64 and not self.allows("int_tensors"):
            return False
        if t.dtype == self.torch.bool:
            return False
        if t.numel() == 0 and not self.allows("empty_tensors"):
            return False
        return True

    def floating(self, t):
        return self.usable(t) and t.dtype.is_floating_point

    def evaluate(self, expression):
        """The value of an operand's source on PyTorch (a name, a literal, a number)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return eval(expression, dict(self.namespace))  # noqa: S307
            except Exception:  # noqa: BLE001
                return None

    def view_family(self, name):
        """The live names that share memory with ``name`` (views, ``detach()``
        aliases; itself excluded), and whether ``name`` is a view itself."""
        t = self.value(name)
        storage = t.untyped_storage().data_ptr()
        base = t._base if t._base is not None else t
        others = []
        for n in self.tensors():
            u = self.value(n)
            if n == name:
                continue
            if (
                u is base
                or u._base is base
                or storage
                and u.untyped_storage().data_ptr() == storage
            ):
                others.append(n)
        return others, t._base is not None

    def grad_involved(self, names, expressions=()):
        """Whether a tensor among ``names`` (or their view bases) or operands requires grad."""
        for n in names:
            t = self.value(n)
            if t.requires_grad or (t._base is not None and t._base.requires_grad):
                return True
        for e in expressions:
            v = self.evaluate(e)
            if self.torch.is_tensor(v) and v.requires_grad:
                return True
        return False

    def shape_of(self, name):
        return tuple(self.value(name).shape)

    # -- running a step on PyTorch ------------------------------------------------------
    def run(self, source):
        """Execute ``source`` in the live namespace; the exception it raised, or None."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                exec(source, self.namespace)  # noqa: S102 - generated by this module
            except Exception as exc:  # noqa: BLE001
                return exc
        return None

    def probe(self, expression):
        """Evaluate ``expression`` without recording; reject it if it makes inf/nan.

        Used before steps whose values could leave the finite numbers, unless
        the ``nonfinite`` feature is on.
        """
        torch = self.torch
        nonfinite = self.allows("nonfinite")
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            try:
                result = eval(expression, dict(self.namespace))  # noqa: S307
            except Exception:  # noqa: BLE001 - errors are fine, they are compared
                return
        results = result if isinstance(result, (tuple, list)) else [result]
        for r in results:
            if isinstance(r, float) and r != r and not nonfinite:
                raise _Rejected("nan")
            if not (torch.is_tensor(r) and r.dtype.is_floating_point):
                continue
            finite = r[torch.isfinite(r)]
            if len(finite) != r.numel() and not nonfinite:
                raise _Rejected("non-finite values")
            if len(finite) and finite.abs().max() > 1e4:
                # Larger finite values carry float32 round-off (exp of them, a gradient
                # that cancels as x / x) beyond the comparison's tolerance; inf and nan
                # (the nonfinite feature) compare exactly.
                raise _Rejected("values too large")

    def near_zero_sum(self, name):
        """Whether ``name`` came from a sum (matmul, sum, mean, a gradient, or an op on
        one of these) and holds a value near 0.

        Such a value's sign and round-off depend on the order of the additions (PyTorch's
        kernel against numpy's BLAS): 0.0 in one library is -3.7e-9 or -0.0 in the other.
        Ops singular at 0 magnify that (1 / x, x ** -2, log, sqrt, the gradient of relu and
        abs, a mask x > 0), so they do not take such a value (COVERAGE.md).
        """
        if name not in self.summed:
            return False
        t = self.value(name)
        return bool(t.numel()) and t.dtype.is_floating_point and bool((t.abs() < 1e-2).any())

    def require_positive(self, name):
        """Values whose derivative is finite for sqrt, log, pow with a fractional exponent."""
        if self.near_zero_sum(name):
            raise _Rejected("a sum near 0")
        if self.allows("nonfinite"):
            return
        t = self.value(name)
        if t.numel() and not bool((t.detach() > 0.1).all()):
            raise _Rejected("not positive")

    def require_nonzero(self, name):
        if self.near_zero_sum(name):
            raise _Rejected("a sum near 0")
        if self.allows("nonfinite"):
            return
        t = self.value(name)
        if t.numel() and not bool((t.detach().abs() > 0.1).all()):
            raise _Rejected("zero divisor")

    def add(self, step):
        """Run a (non-block) step on PyTorch and append it to the open block."""
        self.run(step.code)
        self.frames[-1].append(step)
        self.gradient_names.update(step.gradients)
        used = step.names_used()
        if step.kind.startswith(SUMS) or used & self.summed:
            self.summed.update(_written(step))
        for name in step.names_used():
            value = self.namespace.get(name)
            if name not in self.born_version and self.torch.is_tensor(value):
                self.born_version[name] = None if value.is_inference() else value._version
                self.born_requiring_grad[name] = value.requires_grad

    def is_stale_view(self, name):
        """A view whose base changed in place since the view was made.

        PyTorch 2.13 crashes (segmentation fault) on ``register_hook`` of such a
        view of a tensor that requires grad, unless its ``grad_fn`` was read
        first; the programs keep clear of it (see COVERAGE.md).
        """
        t = self.value(name)
        if t._base is None or t.is_inference():
            return False
        return self.born_version.get(name) != t._version

    # -- blocks --------------------------------------------------------------------------
    def open_block(self, header_expression, kind):
        manager = eval(header_expression, self.namespace)  # noqa: S307
        manager.__enter__()
        self.headers.append((f"with {header_expression}:", kind, manager))
        self.frames.append([])

    def close_block(self):
        header, kind, manager = self.headers.pop()
        manager.__exit__(None, None, None)
        body = self.frames.pop()
        self.frames[-1].append(Step(header, kind, watch=(), body=tuple(body)))

    def finish(self):
        while self.headers:
            self.close_block()
        if self.plain_mode_calls:
            self.torch.set_grad_enabled(True)
        return self.frames[0]


# --- the actions: each adds one step (or opens/closes a block) ------------------------
# An action is f(gen) -> None; it raises _Rejected when it does not fit the state.

ACTIONS = []


def action(feature, weight=1.0):
    def register(fn):
        ACTIONS.append((feature, weight, fn))
        return fn

    return register


def _dtype_arg(dtype):
    return f", dtype=lib.{dtype}"


@action("create", weight=3.0)
def create_tensor(gen):
    rng = gen.rng
    shape = rng.choice(SHAPES + (EMPTY_SHAPES if gen.allows("empty_tensors") else []))
    dtype = rng.choice(DTYPES) if gen.allows("int_tensors") else rng.choice(DTYPES[:2])
    name = gen.new_name()
    requires_grad = dtype != "int64" and rng.random() < 0.7
    rg = ", requires_grad=True" if requires_grad else ""
    form = rng.random()
    if form < 0.6 or dtype == "int64" and form < 0.8:
        kind = "int" if dtype == "int64" else "float"
        data = literal(rng, shape, kind)
        dt = "" if dtype in ("float32", "int64") and rng.random() < 0.7 else _dtype_arg(dtype)
        code = f"{name} = lib.tensor({data}{dt}{rg})"
    else:
        size = ", ".join(str(n) for n in shape) if shape else "()"
        choice = rng.choice(["zeros", "ones", "full", "arange", "eye", "like"])
        if choice == "full":
            code = f"{name} = lib.full(({size}{',' if len(shape) == 1 else ''}), {rng.choice(FLOATS)}{_dtype_arg(dtype)}{rg})"
        elif choice == "arange":
            n = rng.choice([1, 2, 3, 4, 6])
            code = f"{name} = lib.arange({n}.0{_dtype_arg(dtype)}{rg})"
        elif choice == "eye":
            code = f"{name} = lib.eye({rng.choice([1, 2, 3])}{_dtype_arg(dtype)}{rg})"
        elif choice == "like":
            other = gen.pick(gen.usable)
            if not gen.value(other).is_contiguous() and not gen.allows("result_layout"):
                raise _Rejected("*_like keeps PyTorch's layout")
            fn = rng.choice(["zeros_like", "ones_like"])
            if not gen.value(other).dtype.is_floating_point:
                rg = ""
            code = f"{name} = lib.{fn}({other}{rg})"
        else:
            code = f"{name} = lib.{choice}({size}{_dtype_arg(dtype)}{rg})"
    gen.add(Step(code, "create"))


UNARY = ["exp", "log", "tanh", "sigmoid", "relu", "sqrt", "abs", "neg"]


@action("elementwise", weight=3.0)
def unary(gen):
    rng = gen.rng
    op = rng.choice(UNARY)
    src = gen.pick(gen.usable)
    if op in ("log", "sqrt"):
        gen.require_positive(src)
    if op == "tanh" and not gen.allows("tanh_saturation"):
        if bool((gen.value(src).detach().abs() > 8).any()):
            raise _Rejected("tanh near its saturation")
    if op in ("relu", "abs") and gen.near_zero_sum(src):
        raise _Rejected("relu/abs of a sum near 0: the gradient depends on its sign")
    if op == "relu" and not gen.allows("zero_signs"):
        values = gen.value(src).detach()
        if values.is_floating_point() and bool(((values == 0) & values.signbit()).any()):
            raise _Rejected("relu of -0.0")
    if _is_expanded(gen.value(src)) and not gen.allows("result_layout"):
        raise _Rejected("elementwise op on an expanded tensor")
    name = gen.new_name()
    if op in ("relu", "abs"):
        gen.nonsmooth.add(name)
    if op == "sqrt":
        gen.second_order[name] = "second_order_formula"
    form = rng.random()
    if op == "neg" and form < 0.5:
        expr = f"-{src}"
    elif form < 0.3 and op != "neg":
        expr = f"lib.{op}({src})"
    else:
        expr = f"{src}.{op}()"
    gen.probe(expr)
    gen.add(Step(f"{name} = {expr}", f"unary.{op}"))


def broadcast_partner_shape(rng, shape, into=False):
    """A shape that broadcasts with ``shape`` (into it exactly when ``into``)."""
    choice = rng.random()
    if choice < 0.4 or not shape:
        if not shape and not into and rng.random() < 0.3:
            return rng.choice([(2,), (2, 3)])
        return shape
    if choice < 0.6:
        return tuple(1 if rng.random() < 0.5 else n for n in shape)
    if choice < 0.85:
        return shape[rng.randrange(len(shape) + 1) :]
    if into:
        return ()
    return (2,) + shape if len(shape) < 3 else shape


def _broadcasts(a, b):
    for x, y in zip(reversed(a), reversed(b)):
        if x != y and x != 1 and y != 1:
            return False
    return True


def _broadcast_result(a, b):
    n = max(len(a), len(b))
    a = (1,) * (n - len(a)) + tuple(a)
    b = (1,) * (n - len(b)) + tuple(b)
    return tuple(max(x, y) if min(x, y) != 0 else 0 for x, y in zip(a, b))


def operand(gen, shape, into=False, positive=False, nonzero=False, float_only=False, dtype=None):
    """Source of a second operand for ``shape``: a live tensor, a new literal or a number.

    A new literal gets ``dtype`` when that is float64 (unless the feature
    ``mixed_float_dtypes`` is on, which sometimes mixes them on purpose).
    """
    rng = gen.rng
    r = rng.random()
    if r < 0.25:
        pool = POSITIVE if positive or nonzero else FLOATS
        if gen.allows("int_tensors") and not float_only and rng.random() < 0.3:
            pool = [1, 2, 3] if positive or nonzero else INTS
        return repr(rng.choice(pool))
    if r < 0.6:

        def fits(t):
            s = tuple(t.shape)
            if not gen.usable(t) or (float_only and not t.dtype.is_floating_point):
                return False
            if into:
                return _broadcasts(shape, s) and _broadcast_result(shape, s) == tuple(shape)
            return _broadcasts(shape, s) and len(s) <= 3

        names = gen.tensors(fits)
        if names:
            name = rng.choice(names)
            if positive:
                gen.require_positive(name)
            if nonzero:
                gen.require_nonzero(name)
            return name
    partner = broadcast_partner_shape(rng, tuple(shape), into=into)
    pool = POSITIVE if positive or nonzero else None
    return new_literal(gen, partner, dtype, pool=pool, grad_chance=0.3)


def new_literal(gen, shape, dtype=None, pool=None, grad_chance=0.4):
    """Source of ``lib.tensor(...)`` of ``shape``, float64 when ``dtype`` is."""
    rng = gen.rng
    dt = ", dtype=lib.float64" if dtype == gen.torch.float64 else ""
    if gen.allows("mixed_float_dtypes") and rng.random() < 0.2:
        dt = rng.choice(["", ", dtype=lib.float64"])
    rg = ", requires_grad=True" if rng.random() < grad_chance else ""
    return f"lib.tensor({literal(rng, shape, pool=pool)}{dt}{rg})"


def _mixes_float_dtypes(gen, expressions):
    dtypes = set()
    for e in expressions:
        v = gen.evaluate(e)
        if gen.torch.is_tensor(v):
            dtypes.add(v.dtype)
    return gen.torch.float32 in dtypes and gen.torch.float64 in dtypes


BINARY = ["+", "-", "*", "/", "**"]


@action("elementwise", weight=4.0)
def binary(gen):
    rng = gen.rng
    op = rng.choice(BINARY)
    a = gen.pick(gen.usable)
    shape = gen.shape_of(a)
    dtype = gen.value(a).dtype
    if op == "**":
        # A fractional or negative exponent wants a positive base.
        gen.require_positive(a)
        base = gen.value(a).detach()
        edge = (base == float("-inf")) | ((base == 0) & base.signbit())
        if bool(edge.any()) and not gen.allows("pow_edge_values"):
            raise _Rejected("-inf or -0.0 as a base of **")
        b = operand(gen, shape, positive=True, dtype=dtype)
    elif op == "/":
        b = operand(gen, shape, nonzero=True, dtype=dtype)
    else:
        b = operand(gen, shape, dtype=dtype)
    if not gen.allows("mixed_float_dtypes") and _mixes_float_dtypes(gen, [a, b]):
        raise _Rejected("float32 with float64")
    pair = [v for v in map(gen.evaluate, [a, b]) if gen.torch.is_tensor(v)]
    aliases = len(pair) == 2 and pair[0].data_ptr() == pair[1].data_ptr() and pair[0] is not pair[1]
    if aliases and not gen.allows("operand_and_its_detach"):
        raise _Rejected("an op on a tensor and an alias of it")
    if not gen.allows("result_layout"):
        values = [v for v in map(gen.evaluate, [a, b]) if gen.torch.is_tensor(v)]
        if any(not v.is_contiguous() for v in values):
            raise _Rejected("elementwise op on a non-contiguous tensor")
    name = gen.new_name()
    if rng.random() < 0.25 and not b.startswith("lib.") and b[0] in "-0123456789":
        if op in ("/", "**"):
            gen.require_nonzero(a)
            if op == "**" and not gen.allows("int_pow_negative"):
                value = gen.value(a)
                if not value.dtype.is_floating_point and bool((value < 0).any()):
                    raise _Rejected("int exponent below 0")
        expr = f"{b} {op} {a}"  # the reflected operator: 2 - t
        if op in ("/", "**"):
            gen.second_order[name] = "second_order_formula"
    else:
        expr = f"{a} {op} {b}"
        if op in ("**", "/", "-") and b[0] not in "-0123456789":
            gen.second_order[name] = "second_order_formula"  # u's gradient in t - u is -grad
    gen.probe(expr)
    gen.add(Step(f"{name} = {expr}", f"binary{op}"))
    both = [gen.evaluate(x) for x in (a, b)]
    if op in "*/**" and all(gen.torch.is_tensor(v) and v.requires_grad for v in both):
        gen.second_order.setdefault(name, "second_order_input_order")
    _mark_broadcast(gen, name, [gen.evaluate(x) for x in (a, b)])


def _mark_broadcast(gen, name, values):
    """create_graph through a broadcast shows how the gradient is summed back."""
    tensors = [v for v in values if gen.torch.is_tensor(v)]
    shapes = {tuple(v.shape) for v in tensors}
    if len(shapes) > 1 and any(v.requires_grad for v in tensors):
        gen.second_order.setdefault(name, "second_order_unbroadcast")


@action("softmax_maximum", weight=1.0)
def softmax_or_maximum(gen):
    rng = gen.rng
    op = rng.choice(["softmax", "log_softmax", "maximum"])
    src = gen.pick(gen.usable)
    t = gen.value(src)
    values = [t]
    if op == "maximum":
        other = operand(gen, gen.shape_of(src), dtype=t.dtype)
        if not gen.allows("mixed_float_dtypes") and _mixes_float_dtypes(gen, [src, other]):
            raise _Rejected("float32 with float64")
        values.append(gen.evaluate(other))
        expr = rng.choice([f"lib.maximum({src}, {other})", f"{src}.maximum({other})"])
    else:
        if not t.dtype.is_floating_point:
            raise _Rejected("softmax of an int tensor")
        dim = rng.randrange(-t.ndim, t.ndim) if t.ndim else rng.choice([0, -1])
        expr = rng.choice(
            [f"{src}.{op}({dim})", f"lib.{op}({src}, {dim})", f"{src}.{op}(dim={dim})"]
        )
    tensors = [v for v in values if gen.torch.is_tensor(v)]
    if not gen.allows("result_layout") and any(not v.is_contiguous() for v in tensors):
        raise _Rejected("softmax/maximum of a non-contiguous tensor")
    name = gen.new_name()
    gen.probe(expr)
    gen.add(Step(f"{name} = {expr}", op))
    gen.second_order[name] = "second_order_softmax_maximum"
    if op == "maximum":
        _mark_broadcast(gen, name, tensors)


@action("losses", weight=0.7)
def loss(gen):
    rng = gen.rng
    op = rng.choice(["mse_loss", "nll_loss", "cross_entropy"])
    reduction = rng.choice(["mean", "sum", "none"])
    if op == "mse_loss":
        src = gen.pick(lambda t: gen.usable(t) and t.dtype.is_floating_point)
        target = operand(gen, gen.shape_of(src), float_only=True, dtype=gen.value(src).dtype)
        if gen.torch.is_tensor(gen.evaluate(target)) is False:
            raise _Rejected("mse_loss of a number")
        if not gen.allows("mixed_float_dtypes") and _mixes_float_dtypes(gen, [src, target]):
            raise _Rejected("float32 with float64")
        if gen.shape_of(src) != tuple(gen.evaluate(target).shape):
            raise _Rejected("mse_loss broadcasts with a warning")
        args = f"{src}, {target}"
    else:
        src = gen.pick(lambda t: gen.usable(t) and t.dtype.is_floating_point and t.ndim == 2)
        rows, classes = gen.shape_of(src)
        if not rows or not classes:
            raise _Rejected("an empty batch")
        args = f"{src}, lib.tensor({[rng.randrange(classes) for _ in range(rows)]})"
    if not gen.value(src).is_contiguous() and not gen.allows("result_layout"):
        raise _Rejected("a loss of a non-contiguous tensor")
    name = gen.new_name()
    expr = f"lib.nn.functional.{op}({args}, reduction={reduction!r})"
    gen.probe(expr)
    gen.add(Step(f"{name} = {expr}", f"loss.{op}"))
    gen.second_order[name] = "second_order_losses"


@action("reduce", weight=2.0)
def reduce(gen):
    rng = gen.rng
    src = gen.pick(gen.usable)
    op = rng.choice(["sum", "mean"])
    ndim = gen.value(src).ndim
    name = gen.new_name()
    r = rng.random()
    if r < 0.4 or ndim == 0:
        expr = f"{src}.{op}()" if rng.random() < 0.7 else f"lib.{op}({src})"
    else:
        dim = rng.randrange(-ndim, ndim)
        if r < 0.6 and ndim >= 2:
            dim = (0, ndim - 1)
        keep = ", keepdim=True" if rng.random() < 0.4 else ""
        expr = f"{src}.{op}(dim={dim}{keep})"
    if not gen.value(src).is_contiguous() and not gen.allows("result_layout"):
        raise _Rejected("reduction of a non-contiguous tensor")
    gen.probe(expr)
    gen.add(Step(f"{name} = {expr}", f"reduce.{op}"))
    if op == "mean":
        gen.second_order[name] = "second_order_formula"


@action("matmul", weight=2.0)
def matmul(gen):
    rng = gen.rng
    a = gen.pick(lambda t: gen.floating(t) and 1 <= t.ndim <= 3)
    shape = gen.shape_of(a)
    form = rng.choice(["@", "mm", "matmul"])
    if len(shape) == 1:
        other = rng.choice([(shape[0],), (shape[0], rng.choice([1, 2]))])
        if len(other) == 2 and not gen.allows("matmul_vector"):
            other = (shape[0],)
    elif len(shape) == 2:
        other = rng.choice([(shape[1],), (shape[1], rng.choice([1, 2, 3]))])
    else:
        other = (shape[-1], rng.choice([1, 2]))
    if form == "mm" and (len(shape) != 2 or len(other) != 2):
        form = "@"

    def fits(t):
        return gen.floating(t) and tuple(t.shape) == other

    names = gen.tensors(fits)
    b = rng.choice(names) if names and rng.random() < 0.6 else None
    if b is None:
        b = new_literal(gen, other, gen.value(a).dtype)
    if not gen.allows("mixed_float_dtypes") and _mixes_float_dtypes(gen, [a, b]):
        raise _Rejected("float32 with float64")
    operands = [gen.evaluate(x) for x in (a, b)]
    special = any(x is not None and (x.is_inference() or x._base is not None) for x in operands)
    if special and _mixes_float_dtypes(gen, [a, b]) and not gen.allows("matmul_checks_order"):
        raise _Rejected("a matmul of two dtypes with an inference tensor or a view")
    layout = [_layout_ambiguous(x) for x in operands]
    if len(shape) == 3 and not gen.allows("layout_dependent_graphs"):
        strides, sizes = gen.value(a).stride(), gen.value(a).shape
        if not gen.value(a).is_contiguous() or strides[0] != strides[1] * sizes[1]:
            raise _Rejected("batched matmul of a non-contiguous tensor")
    name = gen.new_name()
    if form == "@":
        expr = f"{a} @ {b}"
    else:
        expr = f"lib.{form}({a}, {b})"
    gen.probe(expr)
    gen.add(Step(f"{name} = {expr}", f"matmul.{form}"))
    if any(layout):
        gen.second_order[name] = "layout_dependent_graphs"
    for x, value in zip((a, b), operands):
        if x in gen.namespace and value is not None and value.ndim != 2:
            gen.hidden_views.add(x)
    if any(x is not None and x.ndim == 1 for x in operands):
        gen.second_order.setdefault(name, "second_order_formula")


def _layout_ambiguous(t):
    """PyTorch picks mm's backward formula by strides: non-contiguous or size-1 dims
    make its create_graph graph differ (see layout_dependent_graphs)."""
    return t is not None and (not t.is_contiguous() or 1 in t.shape)


def _view_allowed(gen, src):
    t = gen.value(src)
    if t.requires_grad and not gen.grad_on() and not gen.allows("view_in_no_grad"):
        return False
    if t.requires_grad and gen.in_inference() and not gen.allows("view_in_no_grad"):
        return False
    return True


def view_expression(rng, shape):
    """A view of a tensor of ``shape`` (source after the tensor's name), or None."""
    ndim = len(shape)
    options = []
    if ndim >= 1:
        n = shape[0]
        if n:
            options.append(f"[{rng.randrange(-n, n)}]")
        options.append(f"[{rng.choice(['1:', ':1', '::2', ':', '-1:'])}]")
        options.append(f".unsqueeze({rng.randrange(-ndim - 1, ndim + 1)})")
        options.append(".view(-1)")
        options.append(".reshape(-1)")
        options.append("[None]")
        options.append("[..., 0]" if shape[-1] else "[..., :]")
    if ndim >= 2:
        options.append(f"[:, {rng.randrange(shape[1])}]" if shape[1] else "[:, :]")
        options.append(".T" if ndim == 2 else ".transpose(0, 1)")
        options.append(".t()" if ndim == 2 else ".transpose(-1, -2)")
        options.append(".transpose(0, 1)")
        options.append(f".view({shape[1]}, {shape[0]}{', -1' if ndim > 2 else ''})")
    if 1 in shape:
        options.append(".squeeze()")
        options.append(f".squeeze({shape.index(1)})")
    if ndim == 0:
        options += [".view(1)", ".unsqueeze(0)", ".reshape(1, 1)", "[None]", "[...]"]
        options.append(".expand(2)")
    if ndim >= 1 and shape[0] == 1:
        options.append(f".expand(3{', -1' * (ndim - 1)})")
    if ndim >= 1 and shape[-1] and ndim < 3:
        options.append(f".expand(2{', -1' * ndim})")
    return rng.choice(options) if options else None


@action("views", weight=3.0)
def make_view(gen):
    rng = gen.rng
    src = gen.pick(gen.usable)
    if not _view_allowed(gen, src):
        raise _Rejected("view in no_grad")
    suffix = view_expression(rng, gen.shape_of(src))
    if suffix is None:
        raise _Rejected("no view")
    if "reshape" in suffix and not gen.value(src).is_contiguous():
        if not gen.allows("layout_dependent_graphs"):
            raise _Rejected("reshape of a non-contiguous tensor")
    name = gen.new_name()
    gradients = (name,) if src in gen.gradient_names else ()
    gen.add(Step(f"{name} = {src}{suffix}", "view" + _view_kind(suffix), gradients=gradients))
    if suffix.startswith("[") and any(
        part.strip().lstrip("-").isdigit() for part in suffix[1:-1].split(",")
    ):
        gen.second_order[name] = "second_order_formula"  # select's double backward
    if ".squeeze(" in suffix:
        gen.second_order[name] = "second_order_formula"  # squeeze's backward unsqueezes
    if ".expand(" in suffix:
        gen.second_order[name] = "second_order_unbroadcast"  # expand's backward is sum_to


def _view_kind(suffix):
    if suffix.startswith("["):
        return ".index"
    return "." + suffix[1:].split("(")[0]


@action("views", weight=0.5)
def advanced_index(gen):
    rng = gen.rng
    src = gen.pick(lambda t: gen.usable(t) and t.ndim >= 1 and t.shape[0] > 0)
    n = gen.value(src).shape[0]
    if rng.random() < 0.5:
        index = repr([rng.randrange(n) for _ in range(rng.choice([1, 2, 3]))])
    else:
        ndim = gen.value(src).ndim
        if gen.near_zero_sum(src):
            raise _Rejected("a mask from a sum near 0")
        if ndim == 1 or rng.random() < 0.4:
            index = f"{src} > 0"
        else:
            zeros = ", 0" * (ndim - 1)
            if gen.allows("mask_shape_mismatch") and rng.random() < 0.5:
                zeros = ", 0"  # a mask of the wrong shape for ndim > 2
            index = f"{src}[:{zeros}] > 0"
            if 0 in gen.value(src).shape[1:]:
                raise _Rejected("empty")
    name = gen.new_name()
    gen.add(Step(f"{name} = {src}[{index}]", "index.advanced"))
    gen.second_order[name] = "second_order_formula"


@action("cat_stack", weight=1.0)
def cat_stack(gen):
    rng = gen.rng
    a = gen.pick(gen.usable)
    shape = gen.shape_of(a)
    if not shape and not gen.allows("cat_zero_dim"):
        op = "stack"
    else:
        op = rng.choice(["cat", "stack"])
    names = gen.tensors(lambda t: gen.usable(t) and tuple(t.shape) == shape)
    b = rng.choice(names) if names and rng.random() < 0.6 else None
    if b is None:
        b = new_literal(gen, shape, gen.value(a).dtype)
    if not gen.allows("mixed_float_dtypes") and _mixes_float_dtypes(gen, [a, b]):
        raise _Rejected("float32 with float64")
    if not gen.allows("result_layout"):
        if not all(x is None or x.is_contiguous() for x in map(gen.evaluate, [a, b])):
            raise _Rejected("cat of non-contiguous tensors")
    ndim = len(shape) + (1 if op == "stack" else 0)
    dim = f", dim={rng.randrange(-ndim, ndim)}" if ndim and rng.random() < 0.5 else ""
    name = gen.new_name()
    gen.add(Step(f"{name} = lib.{op}([{a}, {b}]{dim})", f"{op}"))


@action("detach", weight=1.0)
def detach(gen):
    rng = gen.rng
    src = gen.pick(gen.usable)
    form = rng.choice(["detach", "clone", "detach_"])
    if form == "detach_":
        t = gen.value(src)
        used = t.grad_fn is not None or t._base is not None or t.requires_grad
        if used and not gen.allows("detach_inplace_used"):
            raise _Rejected("detach_ on a tensor in a graph")
        gen.add(Step(f"{src}.detach_()", "detach_"))
        return
    if form == "clone" and not gen.value(src).is_contiguous() and not gen.allows("result_layout"):
        raise _Rejected("clone keeps PyTorch's layout, numpy's copy does not")
    name = gen.new_name()
    gradients = (name,) if src in gen.gradient_names and form == "detach" else ()
    gen.add(Step(f"{name} = {src}.{form}()", form, gradients=gradients))


@action("requires_grad", weight=1.0)
def set_requires_grad(gen):
    rng = gen.rng
    src = gen.pick(gen.usable)
    t = gen.value(src)
    if t.grad_fn is not None and not gen.allows("requires_grad_non_leaf"):
        raise _Rejected("requires_grad_ on a non-leaf")
    family, is_view = gen.view_family(src)
    if (family or is_view) and not gen.allows("requires_grad_with_views"):
        raise _Rejected("requires_grad_ on a tensor with views")
    shared = (family or is_view) and any(n in gen.gradient_names for n in family + [src])
    if shared and not gen.allows("aliased_leaf_grads"):
        raise _Rejected("requires_grad_ on a gradient that shares memory with another")
    if gen.is_stale_view(src) and not gen.allows("requires_grad_rebuilt_view"):
        raise _Rejected("requires_grad_ on a view whose base changed in place")
    form = rng.random()
    off = not gen.allows("requires_grad_off_after_use") and t.requires_grad
    if form < 0.5 or off and form < 0.7:
        code = f"{src}.requires_grad_()"
    elif form < 0.7:
        code = f"{src}.requires_grad_(False)"
    else:
        code = f"{src}.requires_grad = {'True' if off else rng.choice(['True', 'False'])}"
    if gen.is_stale_view(src) and code != f"{src}.requires_grad_()":
        # switching a stale view's flag: PyTorch's answer depends on reading grad_fn first
        raise _Rejected("requires_grad on a view whose base changed in place (COVERAGE.md)")
    gen.add(Step(code, "requires_grad"))
    if t.requires_grad and t.grad_fn is None and "False" in code:
        gen.switched_off.add(src)


INPLACE = ["add_", "sub_", "mul_", "div_", "zero_", "fill_", "copy_", "+=", "-=", "*=", "/="]


@action("inplace", weight=3.0)
def inplace(gen):
    rng = gen.rng
    target = gen.pick(gen.usable)
    t = gen.value(target)
    if t.retains_grad and not gen.allows("retain_grad_then_inplace"):
        raise _Rejected("in-place after retain_grad")
    family, is_view = gen.view_family(target)
    expanded = any(_is_expanded(gen.value(n)) for n in family + [target])
    expanded = expanded or (t._base is not None and _is_expanded(t._base))
    expanded = expanded or any(n in gen.gradient_names for n in family + [target])
    if expanded and not gen.allows("expand_write"):
        raise _Rejected("write into an expanded tensor")
    into_gradient = any(n in gen.gradient_names for n in family + [target])
    if (
        into_gradient
        and "inplace" in gen.history
        and not gen.allows("grad_through_regenerated_view")
    ):
        raise _Rejected("write into a gradient that may have come through AsStridedBackward0")
    shape = tuple(t.shape)
    op = rng.choice(INPLACE + ["setitem"])
    name_for_probe = f"{target}.detach().clone()"
    if op == "setitem":
        index = _setitem_index(gen, shape)
        value = repr(rng.choice(FLOATS)) if rng.random() < 0.6 else None
        if value is None:
            sub_shape = tuple(_probe_shape(gen, target, index))
            value = operand(gen, sub_shape, into=True, dtype=t.dtype)
        code = f"{target}[{index}] = {value}"
        kind = "inplace.setitem"
        gen.probe(f"({name_for_probe}).__setitem__(({index}), {value})")
    elif op in ("zero_",):
        code = f"{target}.zero_()"
        kind = "inplace.zero_"
    elif op == "fill_":
        code = f"{target}.fill_({rng.choice(FLOATS)})"
        kind = "inplace.fill_"
    else:
        nonzero = op in ("div_", "/=")
        other = operand(gen, shape, into=True, nonzero=nonzero, dtype=t.dtype)
        if not gen.allows("mixed_float_dtypes") and _mixes_float_dtypes(gen, [target, other]):
            raise _Rejected("float32 with float64")
        if op.endswith("="):
            code = f"{target} {op} {other}"
            method = {"+=": "add_", "-=": "sub_", "*=": "mul_", "/=": "div_"}[op]
        else:
            code = f"{target}.{op}({other})"
            method = op
        kind = f"inplace.{op}"
        gen.probe(f"{name_for_probe}.{method}({other})")
    operands = [other] if op not in ("zero_", "fill_") else []
    if op == "setitem":
        operands = [value]
    if op in ("fill_", "copy_", "setitem") and not gen.allows("version_error_node_names"):
        if gen.grad_on() and not gen.in_inference() and gen.grad_involved([target], operands):
            raise _Rejected("fill_/copy_/setitem: their node names in version errors")
    overlapping = [o for o in operands if o in family]
    if overlapping and not gen.allows("inplace_overlapping_operand"):
        raise _Rejected("operand overlaps the written-to tensor")
    strided = not all(gen.value(n).is_contiguous() for n in overlapping + [target])
    if overlapping and strided:  # PyTorch does not check: its element order decides
        raise _Rejected("operand overlaps a strided written-to tensor (COVERAGE.md)")
    if (family or is_view or target in gen.hidden_views) and not gen.allows("inplace_on_view"):
        if gen.grad_involved([target] + family, operands):
            raise _Rejected("in-place on a view (or base of one) with grad involved")
    shared = sum(n in gen.gradient_names for n in family + [target]) > 1
    if shared and gen.grad_involved([], operands) and not gen.allows("aliased_leaf_grads"):
        # which gradients PyTorch hands out as views of one another (COVERAGE.md)
        raise _Rejected("in-place op with grad involved on gradients that share memory")
    node_name = t.grad_fn.name() if t.grad_fn is not None else ""
    named_differently = re.search(r"Backward[1-9]$|Copy", node_name)
    if named_differently and not gen.allows("version_error_node_names"):
        raise _Rejected("a version error would name this node (Mean1, CopySlices, ...)")
    pow_node = node_name in ("PowBackward1", "PowBackward2")
    if pow_node and not gen.allows("inplace_on_pow_output"):
        raise _Rejected("in-place on the result of a pow with a tensor exponent")
    recording = gen.grad_on() and not gen.in_inference()
    if t.retains_grad and t.grad_fn is None and recording and gen.grad_involved([], operands):
        raise _Rejected(
            "PyTorch's internal assert: retain_grad(), detach_(), then this (COVERAGE.md)"
        )
    if t.retains_grad and t.output_nr > 0 and recording:
        raise _Rejected("PyTorch's internal assert: retain_grad() on output 1, then this")
    if recording and t.requires_grad and not gen.born_requiring_grad.get(target, True):
        if gen.is_stale_view(target):  # PyTorch's answer depends on reading grad_fn first
            raise _Rejected("in-place on a view whose base began to require grad in place")
    moved = target in gen.switched_off and t.grad_fn is None and recording
    if moved and not gen.allows("leaf_moved_into_graph") and gen.grad_involved([], operands):
        raise _Rejected("in-place op recording a history on a leaf already used")
    if not t.dtype.is_floating_point and not gen.allows("inplace_into_int_tensor"):
        if gen.grad_involved([], operands):
            raise _Rejected("in-place into an int tensor from one requiring grad")
    if not t.dtype.is_floating_point and is_view and op in ("copy_", "setitem"):
        if gen.grad_involved([], operands) and not gen.allows("copy_into_int_view"):
            raise _Rejected("copy_ into an int view from a tensor requiring grad")
    if t.requires_grad and "inplace_grad" in gen.history:
        if not gen.allows("version_error_saved_order"):
            raise _Rejected("a second in-place op on a tensor requiring grad")
    gen.add(Step(code, kind))
    gen.history.add("inplace")
    if t.requires_grad:
        gen.history.add("inplace_grad")
    if family or is_view:  # the views' grad_fn is rebuilt (AsStridedBackward0)
        for n in family + [target]:
            gen.second_order.setdefault(n, "second_order_regenerated_view")
    if op not in ("add_", "+="):
        gen.second_order[target] = "second_order_formula"  # in-place backward formulas


# Kinds of step whose results are sums (gradients are sums of the paths' contributions).
SUMS = ("matmul", "reduce", "autograd.grad", "grad.read", "loss")


def _written(step):
    """The names a step binds or changes in place."""
    if step.kind.startswith("inplace"):
        return set(_NAME_IN_CODE.findall(step.code)[:1])
    if " = " in step.code:
        return set(_NAME_IN_CODE.findall(step.code.split(" = ")[0]))
    return set()


_NAME_IN_CODE = re.compile(r"\bt\d+\b")


def _is_expanded(t):
    return any(s == 0 and n > 1 for s, n in zip(t.stride(), t.shape))


def _setitem_index(gen, shape):
    rng = gen.rng
    if not shape:
        return "..." if gen.allows("setitem_whole") else "None"
    options = [str(rng.randrange(shape[0])) if shape[0] else "0", "1:", "::2"]
    if len(shape) >= 2 and shape[1]:
        options.append(f":, {rng.randrange(shape[1])}")
    if gen.allows("setitem_whole"):
        options += ["...", ":"]
    return rng.choice(options)


def _probe_shape(gen, target, index):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return eval(f"{target}[{index}].shape", dict(gen.namespace))  # noqa: S307
        except Exception:  # noqa: BLE001
            return ()


MODES = [
    ("lib.no_grad()", "mode.no_grad"),
    ("lib.enable_grad()", "mode.enable_grad"),
    ("lib.set_grad_enabled(False)", "mode.set_grad_enabled"),
    ("lib.set_grad_enabled(True)", "mode.set_grad_enabled"),
]
INFERENCE_MODES = [
    ("lib.inference_mode()", "mode.inference_mode"),
    ("lib.inference_mode(False)", "mode.inference_mode"),
]


@action("grad_mode_blocks", weight=1.5)
def open_block(gen):
    if len(gen.headers) >= MAX_DEPTH:
        raise _Rejected("deep enough")
    modes = list(MODES)
    if gen.allows("inference_mode"):
        if gen.allows("nested_modes_inference") or not gen.headers:
            modes += INFERENCE_MODES
    if gen.headers and not gen.allows("nested_modes_inference"):
        if any("inference" in h for h, _, _ in gen.headers):
            raise _Rejected("nested inside inference_mode")
    header, kind = gen.rng.choice(modes)
    gen.open_block(header, kind)


@action("grad_mode_blocks", weight=1.5)
def close_block(gen):
    if not gen.headers:
        raise _Rejected("no block open")
    gen.close_block()


@action("grad_mode_calls", weight=0.5)
def plain_mode_call(gen):
    mode = gen.rng.choice(["False", "True"])
    if mode == "True" and gen.in_inference() and not gen.allows("nested_modes_inference"):
        raise _Rejected("grad mode on inside inference_mode")
    gen.plain_mode_calls += 1
    gen.add(Step(f"lib.set_grad_enabled({mode})", "mode.set_grad_enabled_call", watch=()))


DECORATORS = [
    "@lib.no_grad()",
    "@lib.no_grad",
    "@lib.enable_grad()",
    "@lib.set_grad_enabled(False)",
    "@lib.set_grad_enabled(True)",
]


@action("grad_mode_decorators", weight=1.0)
def decorated_function(gen):
    rng = gen.rng
    decorators = list(DECORATORS)
    if gen.allows("inference_mode"):
        decorators += ["@lib.inference_mode()", "@lib.inference_mode(False)"]
    decorator = rng.choice(decorators)
    src = gen.pick(gen.usable)
    if "inference_mode(False)" in decorator and gen.value(src).is_inference():
        if not gen.allows("inference_tensor_outside"):
            raise _Rejected("an inference tensor into inference_mode(False)")
    if gen.in_inference() and not gen.allows("nested_modes_inference"):
        if "enable_grad" in decorator or "True" in decorator or "inference" in decorator:
            raise _Rejected("grad mode on inside inference_mode")
    body_ops = ["a * 2", "a.exp()", "(a * a).sum()", "a[0]" if gen.value(src).ndim else "a + 1"]
    body = rng.choice(body_ops)
    if body == "a[0]" and not _view_allowed_decorated(gen, src, decorator):
        body = "a * 2"
    if body == "a.exp()":
        gen.probe(f"{src}.exp()")
    if body != "a[0]" and not gen.value(src).is_contiguous() and not gen.allows("result_layout"):
        raise _Rejected("an elementwise op on a non-contiguous tensor")
    f = gen.new_name("f")
    result = gen.new_name()
    gradients = (result,) if body == "a[0]" and src in gen.gradient_names else ()
    if body == "a[0]":
        gen.second_order[result] = "second_order_formula"  # select's double backward
    if rng.random() < 0.35:
        mode = gen.new_name()
        code = (
            f"{decorator}\ndef {f}(a):\n    yield {body}\n    yield lib.is_grad_enabled()\n"
            f"{result}, {mode} = {f}({src})"
        )
        kind = "decorator.generator"
        watch = (result, mode, src)
    else:
        code = f"{decorator}\ndef {f}(a):\n    return {body}\n{result} = {f}({src})"
        kind = "decorator.function"
        watch = (result, src)
    gen.add(Step(code, kind, watch=watch, gradients=gradients))


def _view_allowed_decorated(gen, src, decorator):
    turns_off = "no_grad" in decorator or "False" in decorator or "inference_mode()" in decorator
    if turns_off and gen.value(src).requires_grad and not gen.allows("view_in_no_grad"):
        return False
    return _view_allowed(gen, src)


@action("retain_grad", weight=1.0)
def retain_grad(gen):
    src = gen.pick(lambda t: gen.floating(t))
    gen.add(Step(f"{src}.retain_grad()", "retain_grad"))
    gen.history.add("retain_grad")


HOOKS = ["lambda g: g * 2", "lambda g: log.append(g)", "lambda g: None", "lambda g: g + 1"]


@action("hooks", weight=1.0)
def register_hook(gen):
    rng = gen.rng
    src = gen.pick(lambda t: gen.floating(t))
    if gen.is_stale_view(src):
        raise _Rejected("PyTorch crashes on a hook on a stale view")
    handle = gen.new_name("h")
    hook = rng.choice(HOOKS)
    gen.add(Step(f"{handle} = {src}.register_hook({hook})", "hook.register"))
    gen.hooked.add(src)
    gen.history.add("hook")


@action("hooks", weight=0.3)
def remove_hook(gen):
    handles = [n for n in gen.namespace if n[0] == "h" and n[1:].isdigit()]
    if not handles:
        raise _Rejected("no hook")
    gen.add(Step(f"{gen.rng.choice(handles)}.remove()", "hook.remove", watch=()))


def _reaches(gen, root, names):
    """The names among ``names`` whose tensors ``root``'s graph reaches (leaves by
    AccumulateGrad, non-leaves by their grad_fn)."""
    targets = {}
    for n in names:
        t = gen.value(n)
        node = t.grad_fn
        if node is None and t.requires_grad:
            try:
                with gen.torch.enable_grad():
                    node = t.view_as(t).grad_fn.next_functions[0][0]
            except Exception:  # noqa: BLE001
                node = None
        if node is not None:
            targets.setdefault(node, []).append(n)
    seen, stack, found = set(), [root.grad_fn], []
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        found += targets.get(node, [])
        stack += [child for child, _ in node.next_functions]
    return found


def _create_graph_allowed(gen, root):
    if gen.allows("second_order_nonsmooth") and all(map(gen.allows, gen.second_order.values())):
        return True
    live = [n for n in gen.nonsmooth if n in gen.namespace]
    live += [
        n
        for n, feature in gen.second_order.items()
        if n in gen.namespace and not gen.allows(feature)
    ]
    return not live or not _reaches(gen, gen.value(root), live)


def _aliased_grads(gen):
    """Whether two live leaves' .grad share memory (PyTorch's AccumulateGrad can keep
    slices of one expanded gradient: stack([a, b]).sum().backward())."""
    seen = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for n in gen.tensors(lambda t: t.grad_fn is None and t.requires_grad):
            g = gen.value(n).grad
            if g is None or g.numel() == 0:
                continue
            if g.data_ptr() in seen:
                return True
            seen.add(g.data_ptr())
    return False


def _graph_checks(gen, root, create_graph):
    t = gen.value(root)
    if not gen.allows("aliased_leaf_grads") and _aliased_grads(gen):
        raise _Rejected("leaves whose .grad share memory")
    if gen.in_inference() and not gen.allows("backward_in_inference"):
        raise _Rejected("backward in inference_mode")
    if not gen.in_inference() and not gen.allows("inference_tensor_outside"):
        if any(_has_inference_grad(gen.value(n)) for n in gen.tensors(lambda t: True)):
            raise _Rejected("accumulating into a .grad made in inference_mode")
    if create_graph and not gen.allows("create_graph_backward_error"):
        no_edge = t.grad_fn is None and t._base is not None  # a view made with grad mode off
        if not t.requires_grad or no_edge or gen.freed or not gen.grad_on() or gen.in_inference():
            raise _Rejected("a backward(create_graph=True) that may raise")
    if create_graph and not _create_graph_allowed(gen, root):
        raise _Rejected("second order through relu/abs/sqrt")
    if t.grad_fn is not None and not gen.allows("double_backward_copyslices"):
        if _passes(t.grad_fn, "CopySlices"):
            raise _Rejected("backward through CopySlices")
    if t.grad_fn is not None and not gen.allows("backward_through_rebuilt_view"):
        if _passes(t.grad_fn, "AsStridedBackward0"):
            raise _Rejected("a backward through AsStridedBackward0")
    if t.grad_fn is not None and not gen.allows("zero_tensor_grads"):
        if _passes(t.grad_fn, "SgnBackward0"):
            raise _Rejected("a gradient through SgnBackward0 (PyTorch's zero tensor)")
    if create_graph and t.grad_fn is not None and not gen.allows("loss_grad_dtype"):
        if _passes(t.grad_fn, "MseLossBackward0"):
            raise _Rejected("create_graph through mse_loss")
    if t.grad_fn is not None and gen.freed and not gen.allows("no_edge_backward_twice"):
        if _passes(t.grad_fn, None):
            raise _Rejected("a second backward through a node without edges")
    if t.grad_fn is not None and gen.freed and not gen.allows("index_saved_freed"):
        if _passes(t.grad_fn, "IndexBackward0"):
            raise _Rejected("a second backward through IndexBackward0")
    return [n for n in gen.hooked if n in gen.namespace]


def _has_inference_grad(t):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # .grad of a non-leaf
        return t.grad is not None and t.grad.is_inference()


def _passes(node, name):
    """Whether the graph from ``node`` has a node called ``name`` (None: a node other
    than AccumulateGrad whose edges all lead nowhere)."""
    seen, stack = set(), [node]
    while stack:
        n = stack.pop()
        if n is None or n in seen:
            continue
        seen.add(n)
        if name is None and n.next_functions and all(c is None for c, _ in n.next_functions):
            return True
        if name is not None and name in n.name():
            return True
        stack += [c for c, _ in n.next_functions]
    return False


@action("backward", weight=2.5)
def backward(gen):
    rng = gen.rng
    root = gen.pick(lambda t: gen.floating(t) and (t.requires_grad or rng.random() < 0.2))
    t = gen.value(root)
    create_graph = gen.allows("create_graph") and rng.random() < 0.25
    _graph_checks(gen, root, create_graph)
    args = []
    r = rng.random()
    if t.numel() == 1 and r < 0.6:
        target = root
    elif r < 0.5:
        target = f"{root}.sum()"
    elif r < 0.9:
        target = root
        args.append(f"gradient=lib.ones_like({root})")
        if rng.random() < 0.5:
            args[-1] = f"gradient=lib.full_like({root}, {rng.choice([0.5, 2.0, -1.0])})"
    elif not (create_graph and not gen.allows("create_graph_backward_error")):
        target = root  # a non-scalar without gradient: an error to compare
    else:
        target = f"{root}.sum()"
    if rng.random() < 0.35:
        args.append("retain_graph=True")
    if create_graph:
        args.append("create_graph=True")
    gen.add(Step(f"{target}.backward({', '.join(args)})", "backward", watch=_watch_leaves(gen)))
    if "retain_graph=True" not in args and not create_graph:
        gen.freed = True


def _watch_leaves(gen):
    """After a backward, the tensors whose .grad may have changed: all the live ones."""
    return tuple(n for n in gen.tensors(lambda t: t.requires_grad))


@action("autograd_grad", weight=1.5)
def autograd_grad(gen):
    rng = gen.rng
    root = gen.pick(lambda t: gen.floating(t) and t.requires_grad)
    create_graph = gen.allows("create_graph") and rng.random() < 0.4
    hooked = _graph_checks(gen, root, create_graph)
    candidates = gen.tensors(lambda t: gen.floating(t) and t.requires_grad)
    reached = _reaches(gen, gen.value(root), candidates)
    pool = reached if reached and rng.random() < 0.85 else candidates
    count = min(len(pool), rng.choice([1, 1, 2, 3]))
    inputs = rng.sample(pool, count)
    hooked_leaves = [n for n in inputs if n in hooked and gen.value(n).grad_fn is None]
    hooked_others = [n for n in inputs if n in hooked and gen.value(n).grad_fn is not None]
    if hooked_leaves and not gen.allows("hooks_then_grad"):
        raise _Rejected("autograd.grad over a hooked leaf")
    if hooked_others and len(inputs) > 1 and not gen.allows("hooked_input_and_beyond"):
        raise _Rejected("autograd.grad over a hooked non-leaf and more")
    retain = rng.random() < 0.3
    if not gen.allows("grad_runs_unneeded_nodes"):
        if gen.history:
            raise _Rejected("autograd.grad after retain_grad, hooks or in-place ops")
        if any(gen.value(n).grad_fn is not None for n in inputs):
            retain = True  # minigrad would free the graph beyond a non-leaf input too
    if not gen.allows("grad_wrt_freed_non_leaf") and any(
        gen.value(n).grad_fn is not None for n in inputs
    ):
        if gen.freed:
            raise _Rejected("grad wrt a non-leaf after a backward")
    t = gen.value(root)
    if (root in hooked or t.retains_grad) and not gen.allows("grad_output_hooks"):
        raise _Rejected("autograd.grad of an output with hooks")
    output = root if t.numel() == 1 else f"{root}.sum()"
    args = []
    if any(n not in reached for n in inputs) or rng.random() < 0.2:
        args.append("allow_unused=True")
    if retain:
        args.append("retain_graph=True")
    if create_graph:
        args.append("create_graph=True")
    results = [gen.new_name() for _ in inputs]
    lhs = ", ".join(results) + ("," if len(results) == 1 else "")
    extra = "".join(", " + a for a in args)
    code = f"{lhs} = lib.autograd.grad({output}, [{', '.join(inputs)}]{extra})"
    watch = tuple(results) + tuple(inputs)
    gen.add(Step(code, "autograd.grad", watch=watch, gradients=tuple(results)))
    if "retain_graph=True" not in args and not create_graph:
        gen.freed = True


@action("grad_access", weight=1.0)
def grad_access(gen):
    rng = gen.rng
    src = gen.pick(lambda t: gen.floating(t) and t.requires_grad)
    t = gen.value(src)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        has_grad = t.grad is not None
    r = rng.random()
    if r < 0.4 and has_grad:
        name = gen.new_name()
        gen.add(Step(f"{name} = {src}.grad", "grad.read", watch=(name, src), gradients=(name,)))
        gen.grad_buffers.append(gen.value(name))
    elif r < 0.7 and has_grad:
        if not gen.allows("aliased_leaf_grads") and _aliased_grads(gen):
            raise _Rejected("leaves whose .grad share memory")
        gen.add(Step(f"{src}.grad.zero_()", "grad.zero_"))
    else:
        gen.add(Step(f"{src}.grad = None", "grad.none"))


CUSTOM_FUNCTIONS = {
    "Cube": (
        "class {name}(lib.autograd.Function):\n"
        "    @staticmethod\n"
        "    def forward(ctx, x):\n"
        "        ctx.save_for_backward(x)\n"
        "        return x ** 3\n"
        "\n"
        "    @staticmethod\n"
        "    def backward(ctx, grad):\n"
        "        (x,) = ctx.saved_tensors\n"
        "        return grad * 3 * x ** 2\n",
        1,
    ),
    "Exp": (
        "class {name}(lib.autograd.Function):\n"
        "    @staticmethod\n"
        "    def forward(ctx, x):\n"
        "        y = x.exp()\n"
        "        ctx.save_for_backward(y)\n"
        "        return y\n"
        "\n"
        "    @staticmethod\n"
        "    def backward(ctx, grad):\n"
        "        (y,) = ctx.saved_tensors\n"
        "        return grad * y\n",
        1,
    ),
    "Scale": (
        "class {name}(lib.autograd.Function):\n"
        "    @staticmethod\n"
        "    def forward(ctx, x, k):\n"
        "        ctx.k = k\n"
        "        return x * k\n"
        "\n"
        "    @staticmethod\n"
        "    def backward(ctx, grad):\n"
        "        return grad * ctx.k, None\n",
        "scale",
    ),
    "Mul": (
        "class {name}(lib.autograd.Function):\n"
        "    @staticmethod\n"
        "    def forward(ctx, a, b):\n"
        "        ctx.save_for_backward(a, b)\n"
        "        return a * b\n"
        "\n"
        "    @staticmethod\n"
        "    def backward(ctx, grad):\n"
        "        a, b = ctx.saved_tensors\n"
        "        return grad * b, grad * a\n",
        2,
    ),
    "Identity": (
        "class {name}(lib.autograd.Function):\n"
        "    @staticmethod\n"
        "    def forward(ctx, x):\n"
        "        return x\n"
        "\n"
        "    @staticmethod\n"
        "    def backward(ctx, grad):\n"
        "        return grad * 2\n",
        1,
    ),
    "Split": (
        "class {name}(lib.autograd.Function):\n"
        "    @staticmethod\n"
        "    def forward(ctx, x):\n"
        "        return x * 2, x * 3\n"
        "\n"
        "    @staticmethod\n"
        "    def backward(ctx, g1, g2):\n"
        "        return g1 * 2 + g2 * 3\n",
        "multi",
    ),
    "Sign": (
        "class {name}(lib.autograd.Function):\n"
        "    @staticmethod\n"
        "    def forward(ctx, x):\n"
        "        out = x > 0\n"
        "        ctx.mark_non_differentiable(out)\n"
        "        return out\n"
        "\n"
        "    @staticmethod\n"
        "    def backward(ctx, grad):\n"
        "        return None\n",
        "nondiff",
    ),
    "Stop": (
        "class {name}(lib.autograd.Function):\n"
        "    @staticmethod\n"
        "    def forward(ctx, x):\n"
        "        return x * 2\n"
        "\n"
        "    @staticmethod\n"
        "    def backward(ctx, grad):\n"
        "        return None\n",
        "none",
    ),
}


@action("argument_errors", weight=0.4)
def refused_call(gen):
    """A call PyTorch refuses for its arguments: the error's type and words are compared.
    Only calls that fail on PyTorch are kept, so no name is bound and no state changes."""
    rng = gen.rng
    src = gen.pick(gen.usable)
    t = gen.value(src)
    shape, n = tuple(t.shape), t.ndim
    calls = [f"{src}.size({rng.choice([n, -n - 1])})", f"lib.{rng.choice(['cat', 'stack'])}({src})"]
    if t.numel() != 1:
        calls.append(f"{rng.choice(['float', 'int'])}({src})")
    if not t.dtype.is_floating_point:
        dim = rng.randrange(-n, n) if n else 0
        calls.append(f"{src}.{rng.choice(['softmax', 'log_softmax'])}({dim})")
    if n:
        k = rng.randrange(n)
        bad = rng.choice([shape[k], shape[k] + 1, -shape[k] - 1])
        calls.append(f"{src}[{':, ' * k}[0, {bad}]]" if shape[k] else f"{src}[{':, ' * k}[{bad}]]")
        calls.append(f"{src}[[0]{', 0' * n}]")
        wrong = [s + 1 if i == k else s for i, s in enumerate(shape)]
        calls.append(f"{src}.expand({', '.join(map(str, [2] * rng.randrange(2) + wrong))})")
    expr = rng.choice(calls)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            eval(expr, dict(gen.namespace))  # noqa: S307
    except Exception:  # noqa: BLE001 - what the step is for
        gen.add(Step(f"{gen.new_name()} = {expr}", "argument_errors"))
        return
    raise _Rejected("PyTorch accepts it")


@action("custom_function", weight=1.0)
def custom_function(gen):
    rng = gen.rng
    allowed = []
    for key, (_, arity) in CUSTOM_FUNCTIONS.items():
        if arity == "multi" and not gen.allows("custom_multi_output"):
            continue
        if arity == "nondiff" and not gen.allows("custom_non_differentiable"):
            continue
        if arity == "none" and not gen.allows("custom_none_grads"):
            continue
        if key == "Identity" and not gen.allows("custom_returns_input"):
            continue
        allowed.append(key)
    if gen.in_inference() and not gen.allows("custom_in_inference"):
        raise _Rejected("custom Function in inference_mode")
    key = rng.choice(allowed)
    template, arity = CUSTOM_FUNCTIONS[key]
    cls = gen.new_name("f") + key
    src = gen.pick(gen.floating)
    if not gen.value(src).is_contiguous() and not gen.allows("result_layout"):
        raise _Rejected("the forward's elementwise ops keep PyTorch's layout")
    if key == "Exp":
        gen.probe(f"{src}.exp()")
    if key == "Cube":
        gen.probe(f"{src} ** 3")
    name = gen.new_name()
    if arity == 2:
        other = operand(gen, gen.shape_of(src), float_only=True, dtype=gen.value(src).dtype)
        if other[0] in "-0123456789":
            other = new_literal(gen, gen.shape_of(src), gen.value(src).dtype, grad_chance=1.0)
        if not gen.allows("mixed_float_dtypes") and _mixes_float_dtypes(gen, [src, other]):
            raise _Rejected("float32 with float64")
        call = f"{name} = {cls}.apply({src}, {other})"
        _mark_broadcast(gen, name, [gen.evaluate(x) for x in (src, other)])
    elif arity == "scale":
        call = f"{name} = {cls}.apply({src}, {rng.choice([2.0, -1.0, 0.5])})"
    elif arity == "multi":
        second = gen.new_name()
        call = f"{name}, {second} = {cls}.apply({src})"
    else:
        call = f"{name} = {cls}.apply({src})"
    code = template.format(name=cls) + call
    # Identity returns its input: a view of a gradient stays one (its _version: COVERAGE.md)
    gradients = (name,) if key == "Identity" and src in gen.gradient_names else ()
    gen.add(Step(code, f"custom.{key}", gradients=gradients))


# --- putting it together ---------------------------------------------------------------


def generate(seed, features=ALL, torch=None, length=None):
    """The program of ``seed`` with only ``features`` (a seed is any str or int)."""
    if torch is None:
        from tests.parity.libraries import load

        torch = load("torch")
    rng = random.Random(str(seed))
    features = frozenset(features)
    unknown = features - ALL
    if unknown:
        raise ValueError(f"unknown features: {sorted(unknown)}")
    gen = Generator(rng, features, torch)
    actions = [(fn, weight) for feature, weight, fn in ACTIONS if feature in features]
    if not actions:
        raise ValueError("no feature enables any step")
    length = length or rng.randint(3, 14)
    was = torch.is_grad_enabled(), torch.is_inference_mode_enabled()
    try:
        # Start from a tensor or two: most steps need one.
        for _ in range(rng.choice([1, 2])):
            _attempt(gen, create_tensor)
        made = 0
        tries = 0
        while made < length and tries < length * 20:
            tries += 1
            fn = rng.choices([a for a, _ in actions], [w for _, w in actions])[0]
            if _attempt(gen, fn):
                made += 1
        steps = gen.finish()
    finally:
        torch.set_grad_enabled(was[0])
    return Program(steps, seed=seed, features=features)


def _attempt(gen, fn):
    """Run one action; False if it did not fit (nothing was added)."""
    counter = gen.counter
    added = (len(gen.frames), len(gen.frames[-1]))
    try:
        fn(gen)
    except Exception as exc:  # noqa: BLE001 - _Rejected, or PyTorch refusing to be inspected
        if not isinstance(exc, _Rejected) and added != (len(gen.frames), len(gen.frames[-1])):
            return True  # the step is in; only the bookkeeping after it failed
        gen.counter = counter
        return False
    return True
