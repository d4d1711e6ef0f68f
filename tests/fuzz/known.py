"""One small program per switched-off feature: the difference it stands for.

Each program is the shortest the fuzzer (and then a person) found that shows
the root cause of FINDINGS.md's section of the same name (or, for
``PYTORCH_QUIRKS``, of COVERAGE.md's "Outside the contract"). FINDINGS.md
quotes these programs verbatim (a test checks that), and ``test_fuzz.py``
runs each on both libraries: a strict xfail that turns into a failure once
minigrad agrees, which is the moment to switch the feature on in CI.

A program is a list of steps; ``block(header, *steps)`` makes a ``with``
block. Steps are the same source the fuzzer generates (``lib`` is the
library, ``log`` the list hooks append to).
"""

from .program import Program, Step


def step(code):
    return Step(code, "example")


def block(header, *inner):
    return Step(header, "example", watch=(), body=tuple(step(c) for c in inner))


def program(*items):
    return Program([step(i) if isinstance(i, str) else i for i in items], seed="example")


EXP = (
    "class Exp(lib.autograd.Function):\n"
    "    @staticmethod\n"
    "    def forward(ctx, x):\n"
    "        y = x.exp()\n"
    "        ctx.save_for_backward(y)\n"
    "        return y\n"
    "\n"
    "    @staticmethod\n"
    "    def backward(ctx, grad):\n"
    "        (y,) = ctx.saved_tensors\n"
    "        return grad * y"
)

EXAMPLES = {
    "view_in_no_grad": program(
        "t0 = lib.tensor([1.0, 2.0], requires_grad=True)",
        block("with lib.no_grad():", "t1 = t0[0]", "t2 = t0.view(2, 1)"),
        "t2.mul_(2)",
    ),
    "requires_grad_with_views": program(
        "t0 = lib.tensor([1.0, 2.0])",
        "t1 = t0[0]",
        "t0.requires_grad_()",
        "t2 = t1 * 2",
    ),
    "inplace_on_view": program(
        "t0 = lib.tensor([1.0, 4.0], requires_grad=True)",
        "t1 = t0.sqrt()",
        "t2 = t1[0]",
        "t2.mul_(0.5)",
        "t1.sum().backward()",
    ),
    "requires_grad_non_leaf": program(
        "t0 = lib.tensor([1.0, 2.0], requires_grad=True)",
        "t1 = t0 * 2",
        "t1.requires_grad_()",
    ),
    "nonfinite": program(
        "t0 = lib.tensor([-1.0, 0.0, 4.0], requires_grad=True)",
        "t1 = t0 ** 0.5",
        "t2 = lib.tensor([3.0e38]) * 10",
    ),
    "cat_zero_dim": program(
        "t0 = lib.tensor(1.0)",
        "t1 = lib.cat([t0, t0])",
    ),
    "mask_shape_mismatch": program(
        "t0 = lib.tensor([[[1.0, 2.0]], [[3.0, 4.0]]])",
        "t1 = t0[t0[:, 0] > 0]",
    ),
    "expand_write": program(
        "t0 = lib.tensor([1.0])",
        "t1 = t0.expand(3)",
        "t2 = t1.detach()",
        "t2.zero_()",
        "t1.add_(1)",
    ),
    "inplace_overlapping_operand": program(
        "t0 = lib.tensor([[1.0, 2.0]])",
        "t1 = t0[None]",
        "t1.sub_(t0)",
    ),
    "int_pow_negative": program(
        "t0 = lib.tensor([2, -1, 0])",
        "t1 = 2 ** t0",
    ),
    "hooks_then_grad": program(
        "t0 = lib.tensor([1.0, 2.0], requires_grad=True)",
        "h1 = t0.register_hook(lambda g: g * 10)",
        "t2, = lib.autograd.grad((t0 * 1).sum(), [t0])",
        "h1.remove()",
        "class Stop(lib.autograd.Function):\n"
        "    @staticmethod\n"
        "    def forward(ctx, x):\n"
        "        return x * 2\n"
        "\n"
        "    @staticmethod\n"
        "    def backward(ctx, grad):\n"
        "        return None",
        "h3 = t0.register_hook(lambda g: log.append(g))",
        "t4 = Stop.apply(t0)",
        "t5, t6 = lib.autograd.grad(t4.sum(), [t4, t0], allow_unused=True)",
    ),
    "setitem_whole": program(
        "t0 = lib.tensor([1.0, 2.0], requires_grad=True)",
        "t0[...] = 3.0",
        "t1 = t0 * 1",
        "t1[...] = 5.0",
    ),
    "second_order_nonsmooth": program(
        "t0 = lib.tensor([-1.0, 2.0], requires_grad=True)",
        "t1, = lib.autograd.grad(t0.relu().sum(), [t0], create_graph=True)",
        "t2, = lib.autograd.grad(t0.abs().sum(), [t0], create_graph=True)",
    ),
    "second_order_formula": program(
        "t0 = lib.tensor([1.0, 4.0], requires_grad=True)",
        "t1, = lib.autograd.grad(t0.sqrt().sum(), [t0], create_graph=True)",
        "t2, = lib.autograd.grad(t0.mean().exp(), [t0], create_graph=True)",
        "t3, = lib.autograd.grad((2 / t0).sum(), [t0], create_graph=True)",
        "t4, = lib.autograd.grad(t0[0].exp(), [t0], create_graph=True)",
        "t5, = lib.autograd.grad(t0[None].squeeze().exp().sum(), [t0], create_graph=True)",
    ),
    "second_order_unbroadcast": program(
        "t0 = lib.tensor(2.0, requires_grad=True)",
        "t1 = lib.tensor([1.0], requires_grad=True)",
        "t2 = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)",
        "t3, t4 = lib.autograd.grad((t0 * t2 * t1).sum(), [t0, t1], create_graph=True)",
    ),
    "mixed_float_dtypes": program(
        "t0 = lib.tensor([1.0, 2.0], requires_grad=True)",
        "t1 = lib.tensor([3.0, 4.0], dtype=lib.float64, requires_grad=True)",
        "t2 = lib.stack([t0, t1])",
        "t3, t4 = lib.autograd.grad(t2.sum(), [t0, t1], create_graph=True)",
        "t5 = lib.eye(2, dtype=lib.float64) @ t0",
        "t6 = t1 @ t0",
    ),
    "retain_grad_then_inplace": program(
        "t0 = lib.tensor([1.0, 2.0], requires_grad=True)",
        "t1 = t0 * 1",
        "t1.retain_grad()",
        "t1.mul_(3)",
        "t1.sum().backward()",
    ),
    "double_backward_copyslices": program(
        "t0 = lib.tensor([1.0, 2.0], requires_grad=True)",
        "t1 = lib.zeros(3)",
        "t1[1:] = t0",
        "t1.sum().backward()",
        "t1.sum().backward()",
    ),
    "grad_wrt_freed_non_leaf": program(
        "t0 = lib.tensor([1.0, 2.0], requires_grad=True)",
        "t1 = t0 * t0",
        "t2 = t1.exp()",
        "t2.sum().backward()",
        "t3, = lib.autograd.grad(t1.sum(), [t1])",
    ),
    "detach_inplace_used": program(
        "t0 = lib.tensor([1.0, 2.0])",
        "t1 = t0[:1]",
        "t1.detach_()",
        "t2 = lib.tensor([3.0, 4.0], requires_grad=True)",
        "t3 = t2 * 2",
        "t2.detach_()",
        "t3.sum().backward()",
    ),
    "matmul_vector": program(
        "t0 = lib.tensor([1.0, 2.0], requires_grad=True)",
        "t1 = lib.tensor([[1.0, 2.0], [3.0, 4.0]])",
        "t2 = lib.matmul(t0, t1)",
        "t2.mul_(2)",
        "t3 = lib.tensor([1.0, 2.0], dtype=lib.float64)",
        "t4 = t1 @ t3",
    ),
    "create_graph_backward_error": program(
        "t0 = lib.tensor([1.0, 2.0], requires_grad=True)",
        "t0.backward(create_graph=True)",
        "t1 = lib.tensor(1.0)",
        "t1.backward(create_graph=True)",
    ),
    "custom_multi_output": program(
        "class Split(lib.autograd.Function):\n"
        "    @staticmethod\n"
        "    def forward(ctx, x):\n"
        "        return x * 2, x * 3\n"
        "\n"
        "    @staticmethod\n"
        "    def backward(ctx, g1, g2):\n"
        "        return g1 * 2 + g2 * 3",
        "t0 = lib.tensor([1.0, 2.0], requires_grad=True)",
        "t1, t2 = Split.apply(t0)",
    ),
    "custom_non_differentiable": program(
        "class Positive(lib.autograd.Function):\n"
        "    @staticmethod\n"
        "    def forward(ctx, x):\n"
        "        out = x > 0\n"
        "        ctx.mark_non_differentiable(out)\n"
        "        return out\n"
        "\n"
        "    @staticmethod\n"
        "    def backward(ctx, grad):\n"
        "        return None",
        "t0 = lib.tensor([-1.0, 2.0], requires_grad=True)",
        "t1 = Positive.apply(t0)",
    ),
    "custom_none_grads": program(
        "class Stop(lib.autograd.Function):\n"
        "    @staticmethod\n"
        "    def forward(ctx, x):\n"
        "        return x * 2\n"
        "\n"
        "    @staticmethod\n"
        "    def backward(ctx, grad):\n"
        "        return grad, None",
        "t0 = lib.tensor([1.0, 2.0], requires_grad=True)",
        "t1 = Stop.apply(t0)",
        "t1.sum().backward()",
    ),
    "custom_returns_input": program(
        "class Identity(lib.autograd.Function):\n"
        "    @staticmethod\n"
        "    def forward(ctx, x):\n"
        "        return x\n"
        "\n"
        "    @staticmethod\n"
        "    def backward(ctx, grad):\n"
        "        return grad * 2",
        "t0 = lib.tensor([1.0, 2.0], requires_grad=True)",
        "t1 = t0 * 1",
        "t2 = Identity.apply(t1)",
        "t1.zero_()",
        block("with lib.no_grad():", "t3 = t0.view(-1)", "t4 = Identity.apply(t3)"),
    ),
    "custom_in_inference": program(
        EXP,
        "t0 = lib.tensor([1.0, 2.0], requires_grad=True)",
        block("with lib.inference_mode():", "t1 = Exp.apply(t0)"),
    ),
    "nested_modes_inference": program(
        EXP,
        "t0 = lib.tensor([1.0, 2.0], requires_grad=True)",
        block("with lib.inference_mode():", "lib.set_grad_enabled(True)", "t1 = Exp.apply(t0)"),
    ),
    "inplace_into_int_tensor": program(
        "t0 = lib.tensor([1, 2])",
        "t1 = lib.tensor([0.5, 1.5], requires_grad=True)",
        "t0.copy_(t1)",
    ),
    "grad_runs_unneeded_nodes": program(
        "t0 = lib.tensor([1.0, 2.0], requires_grad=True)",
        "t1 = t0 * 2",
        "t1.retain_grad()",
        "t2 = t1 * 3",
        "t3, = lib.autograd.grad(t2.sum(), [t2])",
        "t4 = lib.tensor([3.0, 4.0], requires_grad=True)",
        "t5 = (t1 * t4).sum()",
        "t6, = lib.autograd.grad(t5, [t4])",
    ),
    "layout_dependent_graphs": program(
        "t0 = lib.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)",
        "t1 = t0[:, 0].reshape(-1)",
        "t2 = lib.ones(2, 1, 3, requires_grad=True)",
        "t3 = lib.matmul(t2.transpose(0, 1), lib.ones(3, 2))",
    ),
    "result_layout": program(
        "t0 = lib.tensor([[1.0, 2.0], [3.0, 4.0]])",
        "t1 = t0.T / t0",
        "t2 = t1.view(-1)",
        "t3 = t0.expand(2, 2, 2) + 1",
        "t4 = t3.view(8)",
    ),
    "requires_grad_off_after_use": program(
        "t0 = lib.tensor([1.0, 2.0], requires_grad=True)",
        "t1 = t0 * 2",
        "t0.requires_grad = False",
        "t1.sum().backward()",
    ),
    "leaf_moved_into_graph": program(
        "t0 = lib.tensor([-2.0], requires_grad=True)",
        "t1 = t0 / 0.5",
        "t0.requires_grad = False",
        "t0 /= t1",
        "t1.backward()",
    ),
    "pow_edge_values": program(
        't0 = lib.tensor([float("-inf"), -0.0, 4.0], requires_grad=True)',
        "t1 = t0 ** lib.tensor(0.5)",
        "t2 = t0 ** -0.5",
        "t3 = t0 ** 0.5",
        "t3.sum().backward()",
    ),
    "tanh_saturation": program(
        "t0 = lib.tensor([9.5, -9.75, 0.5], requires_grad=True)",
        "t1 = t0.tanh()",
        "t1.backward(lib.full_like(t1, 100.0))",
    ),
    "second_order_softmax_maximum": program(
        "t0 = lib.tensor([[1.0, 2.0], [0.5, -1.0]], requires_grad=True)",
        "t1 = t0.softmax(1)",
        "t2 = t0.log_softmax(0)",
        "t3 = lib.maximum(t0, lib.tensor([0.5, 2.0]))",
        "(t4,) = lib.autograd.grad((t1 * t1).sum(), [t0], create_graph=True)",
        "(t5,) = lib.autograd.grad((t2 * t2).sum(), [t0], create_graph=True)",
        "(t6,) = lib.autograd.grad((t3 * t3).sum(), [t0], create_graph=True)",
        "t7 = t0.maximum(0.5)",
    ),
    "second_order_input_order": program(
        "t0 = lib.tensor([1.0, 2.0], requires_grad=True)",
        "t1 = lib.tensor([0.5, 3.0], requires_grad=True)",
        "t2 = lib.ones(2, requires_grad=True)",
        "t3, t4 = lib.autograd.grad(t0 / t1, [t0, t1], t2, create_graph=True)",
        "(t5,) = lib.autograd.grad((t3 * t3).sum() + (t4 * t4).sum(), [t2], create_graph=True)",
        "t6, t7 = lib.autograd.grad(lib.sub(t0, t1, alpha=2).sum(), [t0, t1], create_graph=True)",
    ),
    "second_order_losses": program(
        "t0 = lib.tensor([[1.0, 2.0], [0.5, 3.0]], requires_grad=True)",
        "t1 = lib.nn.functional.mse_loss(t0, lib.ones(2, 2))",
        "(t2,) = lib.autograd.grad(t1, [t0], create_graph=True)",
        "t3 = lib.nn.functional.nll_loss(t0 * 2, lib.tensor([0, 1]))",
        "(t4,) = lib.autograd.grad(t3, [t0], create_graph=True)",
        "t5 = t0 * 2",
        "t6 = lib.nn.functional.nll_loss(t5, lib.tensor([0, 1]))",
        "t5.mul_(2)",
        "t6.backward()",
        "t7 = lib.nn.functional.mse_loss(lib.zeros(0), lib.zeros(0))",
    ),
    "grad_through_regenerated_view": program(
        "t0 = lib.zeros(3, 2)",
        "t1 = t0.unsqueeze(0)",
        "t0 += lib.ones(3, 2, requires_grad=True)",
        # gradients: their _version is not compared (COVERAGE.md)
        Step("t2, t3 = lib.autograd.grad(t1.sum(), [t1, t0])", "example", gradients=("t2", "t3")),
        "t3 /= 2.0",
    ),
    "second_order_regenerated_view": program(
        "t0 = lib.tensor([1.0, 2.0, 3.0])",
        "t1 = t0[0]",
        "t1 += lib.tensor(0.5, requires_grad=True)",
        "t2 = t0 * t1",
        "(t3,) = lib.autograd.grad(t2.sum(), [t0], create_graph=True)",
    ),
    "operand_and_its_detach": program(
        "t0 = lib.tensor([1.0, 2.0], requires_grad=True)",
        "t1 = t0.detach()",
        "t2 = t0 / t1",
        "(t3,) = lib.autograd.grad(t2.sum(), [t0], create_graph=True)",
    ),
    "index_saved_freed": program(
        "t0 = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)",
        "t1 = t0[[0, 2]]",
        "t1.sum().backward()",
        "t1.sum().backward()",
    ),
    "inplace_on_pow_output": program(
        "t0 = lib.tensor([1.0, 2.0], requires_grad=True)",
        "t1 = t0 ** lib.tensor([2.0, 3.0])",
        "t1.add_(1)",
        "t1.sum().backward()",
    ),
    "version_error_node_names": program(
        "t0 = lib.tensor([1.0, 2.0], requires_grad=True)",
        "t1 = t0 * 1",
        "t2 = t1 * t1",
        "t1.fill_(2.0)",
        "t2.sum().backward()",
    ),
    "backward_in_inference": program(
        "t0 = lib.tensor(1.0, requires_grad=True)",
        block("with lib.inference_mode():", "t0.backward()"),
        "t1 = t0.grad",
    ),
    "inference_tensor_requires_grad": program(
        block("with lib.inference_mode():", "t0 = lib.ones(2, requires_grad=True)"),
        "t1 = t0.neg()",
    ),
    "empty_tensors": program(
        "t0 = lib.ones(2, 2, 0, requires_grad=True)",
        "t1 = lib.matmul(t0, lib.ones(0))",
    ),
    "version_error_saved_order": program(
        "t0 = lib.ones(2, 2, requires_grad=True)",
        "t1 = t0 * 1",
        "t2 = t0 * 2",
        "t3 = t1 @ t2",
        "t1.add_(1)",
        "t2.mul_(2)",
        "t3.sum().backward()",
    ),
    "zero_signs": program(
        "t0 = lib.tensor([-0.0, 1.0])",
        "t1 = 1 / t0.relu()",
        "t2 = lib.tensor([[-1.0], [2.0]]) @ lib.tensor([[0.0, 3.0]])",
        "t3 = 1 / t2",
    ),
    "requires_grad_rebuilt_view": program(
        "t0 = lib.ones(2, 3)",
        "t1 = t0.unsqueeze(-1)",
        "t0.fill_(0.0)",
        "t0.requires_grad_()",
        block("with lib.no_grad():", "t1.requires_grad_()"),
    ),
    "backward_through_rebuilt_view": program(
        "t0 = lib.tensor([1.0, 2.0], requires_grad=True)",
        "t1 = t0 * 1",
        "t2 = t1[0]",
        "t1.mul_(2)",
        "(t2 * lib.tensor([1.0, 2.0])).sum().backward()",
        "t3 = lib.zeros(0, requires_grad=True)",
        "t4 = (t3 - 1.5)[None]",
        "t4 *= 2",
        Step(
            "(t5,) = lib.autograd.grad(t4.exp().sum(), [t3], create_graph=True)",
            "example",
            gradients=("t5",),
        ),
        Step("(t6,) = lib.autograd.grad(t2 * 3, [t1])", "example", gradients=("t6",)),
        "t6.detach_()",
    ),
    "grad_output_hooks": program(
        "t0 = lib.tensor(0.0, requires_grad=True)",
        "t1 = lib.tensor(14.5, requires_grad=True)",
        "t2 = t1[...]",
        "t2.retain_grad()",
        "h3 = t2.register_hook(lambda g: log.append(g))",
        Step(
            "(t4,) = lib.autograd.grad(t2, [t0], allow_unused=True)", "example", gradients=("t4",)
        ),
        "h5 = t0.register_hook(lambda g: log.append(g))",
        Step(
            "(t6,) = lib.autograd.grad(t0, [t1], allow_unused=True)", "example", gradients=("t6",)
        ),
    ),
    "no_edge_backward_twice": program(
        "t0 = lib.tensor([[1.0, 2.0]], requires_grad=True)",
        block("with lib.no_grad():", "t1 = t0[:, :]"),
        "t2 = t1 * 2",
        "t2.sum().backward()",
        "t2.sum().backward()",
    ),
    "matmul_checks_order": program(
        block("with lib.inference_mode():", "t0 = lib.ones(2, dtype=lib.float64)"),
        "t1 = t0 @ lib.ones(2, requires_grad=True)",
        "t2 = lib.zeros(0, 3, requires_grad=True)",
        block(
            "with lib.inference_mode():",
            "t3 = t2.reshape(-1)",
            "t3 *= lib.tensor(2.0, requires_grad=True)",
        ),
        "t4 = t3 @ lib.zeros(0, dtype=lib.float64, requires_grad=True)",
    ),
    "loss_grad_dtype": program(
        "t0 = lib.ones(2, requires_grad=True)",
        "t1 = lib.nn.functional.mse_loss(t0, lib.zeros(2, dtype=lib.float64))",
        Step(
            "t2, t3 = lib.autograd.grad(t1, [t1, t0], create_graph=True)",
            "example",
            gradients=("t2", "t3"),
        ),
    ),
    "copy_into_int_view": program(
        "t0 = lib.tensor(-1.0, requires_grad=True)",
        "t1 = lib.tensor([1, 0])",
        block("with lib.no_grad():", "t2 = t1[0]"),
        "t2.copy_(t0)",
    ),
    "copyslices_without_gradient": program(
        "class Stop(lib.autograd.Function):\n"
        "    @staticmethod\n"
        "    def forward(ctx, x):\n"
        "        return x * 2\n"
        "\n"
        "    @staticmethod\n"
        "    def backward(ctx, grad):\n"
        "        return None",
        "t0 = lib.tensor([1.0, 2.0], requires_grad=True)",
        "t1 = t0 + 1",
        "t1[:1].mul_(2)",
        "t2 = Stop.apply(t1)",
        "t2.sum().backward()",
        "t2.sum().backward()",
    ),
    "retain_grad_refused_view": program(
        "class Identity(lib.autograd.Function):\n"
        "    @staticmethod\n"
        "    def forward(ctx, x):\n"
        "        return x\n"
        "\n"
        "    @staticmethod\n"
        "    def backward(ctx, grad):\n"
        "        return grad * 2",
        "t0 = lib.tensor([1.0, 2.0], requires_grad=True)",
        "t1 = t0 * 1",
        "t2 = Identity.apply(t1)",
        "t1.mul_(2)",
        "t2.retain_grad()",
    ),
    "pow_mixed_dtypes_log": program(
        "t0 = lib.tensor([1.5, 2.0], requires_grad=True)",
        "t1 = lib.tensor([2.0, 3.0], dtype=lib.float64, requires_grad=True)",
        "t2 = t0**t1",
        "(t3,) = lib.autograd.grad(t2.sum(), [t1], create_graph=True)",
    ),
    "cat_checks_after_autograd": program(
        "class Identity(lib.autograd.Function):\n"
        "    @staticmethod\n"
        "    def forward(ctx, x):\n"
        "        return x\n"
        "\n"
        "    @staticmethod\n"
        "    def backward(ctx, grad):\n"
        "        return grad * 2",
        "t0 = lib.tensor(1.0, requires_grad=True)",
        "t1 = t0 * 1",
        "t2 = Identity.apply(t1)",
        "t1.add_(1)",
        "t3 = lib.cat([t2])",
    ),
    "cat_gradient_alias": program(
        "t0 = lib.zeros(0, 3, requires_grad=True)",
        "t1 = lib.cat([t0, t0])",
        "(t2,) = lib.autograd.grad((t1 * t1).sum(), [t0], create_graph=True)",
    ),
    "inplace_operand_checks_order": program(
        "t0 = lib.tensor([1.0, 2.0], requires_grad=True)",
        "t1 = t0 * 1",
        block("with lib.inference_mode():", "t2 = t1[:1]"),
        "t1.fill_(3.0)",
        "t1 -= t2",
    ),
    "rebuilt_view_squeezed_gradient": program(
        "t0 = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)",
        "t1 = t0 * 1",
        "t2 = t1[:1]",
        "t1.mul_(2)",
        "(t3,) = lib.autograd.grad(t2.tanh().sum(), [t1], create_graph=True)",
    ),
    "column_major_gradient_view": program(
        "t0 = lib.ones(3, 2, requires_grad=True)",
        "t1 = t0.T",
        "t2 = t1 @ lib.ones(3, 1)",
        "(t3,) = lib.autograd.grad(t2.sum(), [t1])",
        "t3.add_(lib.ones(2, 3, requires_grad=True))",
    ),
    "shared_memory_gradients": program(
        "t0 = lib.ones(2, 2, dtype=lib.float64, requires_grad=True)",
        "t1 = t0.T",
        "t2, t3 = lib.autograd.grad(t1.sum(), [t1, t0])",
        "t4 = lib.mm(t2, t1)",
        "t3.zero_()",
        "(t5,) = lib.autograd.grad(t4.sum(), [t0])",
    ),
    # PyTorch quirks (COVERAGE.md, "Outside the contract"): not to be fixed.
    "inference_tensor_outside": program(
        block("with lib.inference_mode():", "t0 = lib.ones(2)"),
        "t0.zero_()",
        "t1 = t0.abs()",
    ),
    "hooked_input_and_beyond": program(
        "t0 = lib.tensor([1.0, 2.0], requires_grad=True)",
        "t1 = t0.tanh()",
        "h2 = t1.register_hook(lambda g: g + 1)",
        "t3, t4 = lib.autograd.grad(t1.sum(), [t1, t0])",
    ),
    "grad_buffer_versions": program(
        "t0 = lib.ones(1, requires_grad=True)",
        "t0.backward()",
        "t1 = t0.grad",
        "t2 = lib.tensor([2.0], requires_grad=True)",
        "t3 = t2 * t1",
        "(t0 * 1).backward()",
        "t3.backward()",
    ),
    "zero_tensor_grads": program(
        "t0 = lib.tensor([-2.0, 1.0], requires_grad=True)",
        "t1, = lib.autograd.grad(t0.abs().sum(), [t0], create_graph=True)",
        "t2, = lib.autograd.grad(t1.sum(), [t0])",
    ),
    "aliased_leaf_grads": program(
        "t0 = lib.tensor(1.0, requires_grad=True)",
        "t1 = lib.tensor(2.0, requires_grad=True)",
        "t2 = lib.stack([t0, t1])",
        "t2.sum().backward()",
        "t2.backward(gradient=lib.full_like(t2, 2.0))",
    ),
}
