"""The seed items: every fact and runnable example of the documents this course grew from.

The five seed documents (Chinese blog posts on PyTorch autograd, listed in
course/README.md) are where the course started; each item below is taught in a
lecture cell tagged ``seed:<id>`` and the table in course/README.md says where.
An exercise on the item carries the same tag (solutions/, and so exercises/).
Tags are cell metadata, never part of the text a learner reads.
``chapter`` is the chapter that teaches it.
"""

SEED_ITEMS = {
    "s000-no-grad-result": (
        "ch07",
        "in no_grad, y = x**2 with x requiring grad has requires_grad False",
    ),
    "s000-enable-grad-nested": (
        "ch07",
        "is_grad_enabled() False in no_grad, True in nested enable_grad",
    ),
    "s000-set-grad-enabled-flag": (
        "ch07",
        "set_grad_enabled(mode) with mode=False: y=x**2 no grad",
    ),
    "s000-table": (
        "ch07",
        "comparison table of no_grad / enable_grad / set_grad_enabled (records a graph? "
        "typical use)",
    ),
    "s000-is-grad-enabled": ("ch07", "is_grad_enabled() inside and outside a block"),
    "s000-training-needs-grad": (
        "ch08",
        "training needs grad enabled, or backward has nothing to work with",
    ),
    "s001-graph-dag": (
        "ch01",
        "the graph is a DAG recorded during the forward pass; backward fills .grad",
    ),
    "s001-mm-sum": (
        "ch03",
        "x = arange(9.).view(3,3) (no grad), y 3x3 requires grad, z = sum(mm(x,y)), "
        "z.backward(): x.grad None, y.grad [[9,9,9],[12,12,12],[15,15,15]] (explain why "
        "by algebra)",
    ),
    "s001-attributes": (
        "ch04",
        "table of device, requires_grad (default False), grad (default None), grad_fn "
        "(None for leaves), is_leaf",
    ),
    "s001-detach-metric": (
        "ch05",
        "yy = mm(w, x), yy.detach() has no grad; sum(yy).backward() gives x.grad all 3 "
        "when w is ones",
    ),
    "s001-no-grad-mm": ("ch07", "under no_grad, sum(mm(w, x)).requires_grad is False"),
    "s002-no-grad-decorator": ("ch07", "no_grad as context manager and as decorator @no_grad()"),
    "s002-enable-grad-decorator": (
        "ch07",
        "enable_grad inside no_grad (context) and as decorator (a decorated fn called "
        "under no_grad still records; outside no_grad nothing changes); y.backward() "
        "gives x.grad",
    ),
    "s002-set-grad-enabled-call": (
        "ch07",
        "set_grad_enabled as context manager and as a plain call lasting until changed",
    ),
    "s002-nesting": (
        "ch07",
        "innermost wins, e.g. `with enable_grad(): set_grad_enabled(False); y = x * 2` -> no grad",
    ),
    "s002-thread-local": ("ch07", "grad modes are thread-local (demonstrate with a real thread)"),
    "s002-nonleaf-grad-warning": (
        "ch04",
        "b = a * 2 has grad_fn=<MulBackward0>; b.grad warns (UserWarning) and is None",
    ),
    "s002-no-grad-backward-error": (
        "ch04",
        "c made under no_grad; c.sum().backward() raises 'element 0 of tensors does not "
        "require grad and does not have a grad_fn'",
    ),
    "s002-leaf-grad": ("ch04", "b.sum().backward() makes a.grad all 2"),
    "s003-eval-vs-no-grad": (
        "ch08",
        "model.eval() changes Dropout/BatchNorm; no_grad stops recording; evaluation uses both",
    ),
    "s003-global-switch": (
        "ch08",
        "set_grad_enabled(False) as a global switch must be switched back",
    ),
    "s003-eval-time": ("ch09", "evaluation time with and without recording"),
    "s003-memory": ("ch09", "memory saved on large data"),
    "s003-batching": ("ch09", "batching evaluation"),
    "s003-feature-stats": ("ch09", "feature extraction / preprocessing statistics under no_grad"),
    "s004-requires-grad-flows": (
        "ch01",
        "once any input requires grad, everything downstream does",
    ),
    "s004-ctx-saves": (
        "ch02",
        "each op keeps in ctx what its backward needs (some inputs or outputs)",
    ),
    "s004-no-grad-for-false": ("ch04", "tensors with requires_grad=False get no gradient"),
    "s004-leaf-accumulates": (
        "ch04",
        "leaves that require grad accumulate into .grad; non-leaves pass gradients on "
        "without storing (saves a sum and memory)",
    ),
    "s004-version-error": (
        "ch06",
        "_version; a tensor saved for backward changed in place -> backward raises",
    ),
    "s004-pipeline": (
        "ch06",
        "naive pipeline parallelism hits this error (explain why, small simulation)",
    ),
    "s004-add-saves-nothing": (
        "ch06",
        "add needs no saved values, so changing its inputs in place raises nothing",
    ),
    "s004-own-backward": ("ch02", "each operation has its own backward"),
    "s004-detach-shares-memory": (
        "ch05",
        "detach keeps the value, lets the graph be freed, shares data memory, grad_fn None",
    ),
}
