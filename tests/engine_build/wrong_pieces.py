"""Plausible wrong versions of the pieces, each a small named change of the solution's cell.

Every wrong piece is the piece's solution cell (``solution_pieces.source``) with one
mistake a learner makes: ``Replace(old, new)`` changes a line or two, ``Answer(n,
body)`` is what the learner wrote in the cell's n-th solution region instead. Each
change must still apply to today's solution (``old`` found exactly once), so the
wrong pieces follow the solutions when those change. Every wrong piece must be
rejected by its check, with a message that contains ``phrase``.
"""

from __future__ import annotations

import functools
import re
import textwrap
from dataclasses import dataclass

import solution_pieces

from coursekit.nbgrader_cells import BEGIN_SOLUTION, END_SOLUTION


@dataclass(frozen=True)
class Replace:
    """``old`` (found exactly once in the cell) becomes ``new``."""

    old: str
    new: str

    def apply(self, text: str) -> str:
        if text.count(self.old) != 1:
            raise LookupError(f"{self.old!r} is in the solution {text.count(self.old)} times")
        return text.replace(self.old, self.new)


@dataclass(frozen=True)
class Answer:
    """The cell's ``region``-th solution region (from 0) holds ``body`` instead."""

    region: int
    body: str

    def apply(self, text: str) -> str:
        lines = text.split("\n")
        begins = [i for i, line in enumerate(lines) if BEGIN_SOLUTION in line]
        if self.region >= len(begins):
            raise LookupError(f"the solution has {len(begins)} regions, not {self.region + 1}")
        start = begins[self.region]
        end = next(i for i in range(start, len(lines)) if END_SOLUTION in lines[i])
        indent = re.match(r"\s*", lines[start]).group(0)
        body = textwrap.indent(textwrap.dedent(self.body).strip("\n"), indent).split("\n")
        return "\n".join(lines[: start + 1] + body + lines[end:])


@dataclass(frozen=True)
class Wrong:
    """A wrong piece: which piece, what is wrong, the change, and what its check must say.

    ``phrase`` is in what the piece's own check says (``trials.check``, which the setup
    of later chapters runs again); ``says`` is in what the exercise's check cell prints,
    when that differs (an exercise with cases of its own before the piece's): by default
    the same phrase.
    """

    piece_id: str
    what: str
    changes: tuple
    phrase: str
    says: str = ""

    @property
    def in_notebook(self) -> str:
        """What the exercise's check cell must print for this piece."""
        return self.says or self.phrase

    @property
    def text(self) -> str:
        """The wrong piece's cell."""
        text = solution_pieces.source(self.piece_id)
        for change in self.changes:
            text = change.apply(text)
        return text

    @functools.cached_property
    def obj(self):
        return solution_pieces.load(self.piece_id, self.text, label=self.what)


RECURSIVE_WALK = """
order, visited = [], set()

def visit(node):
    visited.add(node)
    for child, _ in node.next_functions:
        if child is not None and child not in visited:
            visit(child)
    order.append(node)

visit(root)
order.reverse()
return order
"""

BREADTH_FIRST_WALK = """
order, visited, queue = [], {root}, [root]
while queue:
    node = queue.pop(0)
    order.append(node)
    for child, _ in node.next_functions:
        if child is not None and child not in visited:
            visited.add(child)
            queue.append(child)
return order
"""

LOOP_WITHOUT_WAITING = """
stack = [(root, grad)]
while stack:
    node, grad = stack.pop()
    for (child, _), child_grad in zip(node.next_functions, node(grad)):
        if child is not None and child_grad is not None:
            stack.append((child, child_grad))
"""

MUL_GRAD_ON_THE_RIGHT = """
a, b = ctx.saved_tensors
return (b * grad if b is not None else None, a * grad if a is not None else None)
"""

MM_GRADIENTS_SWAPPED = """
a, b = ctx.saved_tensors
return (a.T @ grad if a is not None else None, grad @ b.T if b is not None else None)
"""

LOOP_WITHOUT_NONE_CHECK = """
grads = {root: grad}
for node in topological_order(root):
    results = node(grads.pop(node, None))
    for (child, _), child_grad in zip(node.next_functions, results):
        if child is not None:  # but child_grad may be None
            grads[child] = child_grad + grads[child] if child in grads else child_grad
"""

LOOP_SKIPPING_NODES_WITHOUT_GRADIENT = """
grads = {root: grad}
for node in topological_order(root):
    grad = grads.pop(node, None)
    if grad is None:
        continue  # but PyTorch runs it, and it frees what it saved
    for (child, _), child_grad in zip(node.next_functions, node(grad)):
        if child is not None and child_grad is not None:
            grads[child] = grads[child] + child_grad if child in grads else child_grad
"""

ROOT_GRAD_TO_EVERY_NODE = """
for node in topological_order(root):
    node(grad)  # every node gets the root's gradient, not the one sent to it
"""

CHILDREN_THEN_OWN = """
found = []
for child in module._modules.values():
    for p in parameters(child):
        if all(p is not q for q in found):
            found.append(p)
for p in module._parameters.values():
    if p is not None and all(p is not q for q in found):
        found.append(p)
return found
"""

DECORATOR_REUSES_ITSELF = """
def decorated(*args, **kwargs):
    with self:  # one block shared by every call: recursion breaks it
        return func(*args, **kwargs)

return decorated
"""

OWN_THEN_CHILDREN = """
found = [p for p in module._parameters.values() if p is not None]
for child in module._modules.values():
    found += parameters(child)  # a layer used twice is counted twice
return found
"""

UNBROADCAST_STRETCHED = """\
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
"""

WRONG = [
    Wrong(
        "ch01.Add",
        "one gradient for two inputs",
        (Replace("return grad, grad", "return grad  # b gets none"),),
        "got [1.0, None] at [a.grad, b.grad]: b.grad is None, no gradient reached it",
    ),
    Wrong(
        "ch01.Add",
        "ignores the incoming gradient",
        (Replace("return grad, grad", "return 1.0, 1.0"),),
        "the gradient that reaches the addition is 3, not 1: expected [3.0, 3.0], got [1.0, 1.0]",
    ),
    Wrong(
        "ch01.Add",
        "gradients as a list",
        (Replace("return grad, grad", "return [grad, grad]"),),
        "That means: a list took part in arithmetic: a backward returns its gradients as a tuple",
    ),
    Wrong(
        "ch01.Add",
        "forward forgets return",
        (Replace("        return a + b\n", "        a + b\n"),),
        "Add.forward never returns anything (is `return` missing?): it must return its result",
    ),
    Wrong(
        "ch01.Mul",
        "gradients swapped",
        (Replace("return grad * b, grad * a", "return grad * a, grad * b"),),
        "expected [-3.0, 2.0], got [2.0, -3.0] at [a.grad, b.grad]",
    ),
    Wrong(
        "ch01.Mul",
        "keeps its inputs as attributes of ctx",
        (
            Answer(0, "ctx.a, ctx.b = a, b\nreturn a * b"),
            Answer(1, "return grad * ctx.b, grad * ctx.a"),
        ),
        "That means: the ctx of a Scalar Function keeps only what save_for_backward saved",
    ),
    Wrong(
        "ch01.Mul",
        "ignores the incoming gradient",
        (Replace("return grad * b, grad * a", "return b, a"),),
        "the gradient that reaches a * b is 3, not 1: expected [-4.5, 6.0], got [-1.5, 2.0]",
    ),
    Wrong(
        "ch01.Tanh",
        "1 - x*x from the input",
        (Replace("ctx.save_for_backward(t)", "ctx.save_for_backward(x)"),),
        "expected 0.63474, got 0.51 at a.grad at a = 0.7",
    ),
    Wrong(
        "ch01.Tanh",
        "ignores the incoming gradient",
        (Replace("return grad * (1 - t * t)", "return 1 - t * t"),),
        "the gradient that reaches tanh is 3, not 1",
    ),
    Wrong(
        "ch02.topological_order",
        "recursive",
        (Answer(0, RECURSIVE_WALK),),
        "3000",
        says="raised RecursionError",
    ),
    Wrong(
        "ch02.topological_order", "breadth first", (Answer(0, BREADTH_FIRST_WALK),), "comes before"
    ),
    Wrong(
        "ch02.topological_order",
        "follows an edge (None, 0)",
        (Replace("if child is not None and child not in visited:", "if child not in visited:"),),
        "That means: a value on that line is None: a .grad before any gradient arrived, the "
        "grad_fn of a leaf, the node of an edge (None, 0) in next_functions",
    ),
    Wrong(
        "ch02.run_backward",
        "reads the gradient of a node that none reached",
        (Replace("grad = grads.pop(node, None)", "grad = grads[node]"),),
        "raised KeyError: <AccumulateGrad object at 0x",
        says="That means: a dict has no entry for that object: in a dict of gradients by node",
    ),
    Wrong(
        "ch02.run_backward",
        "runs nodes before all gradients arrived",
        (Answer(0, LOOP_WITHOUT_WAITING),),
        "the node of c (MulBackward0) ran with [1.0, 1.0], then was called again",
    ),
    Wrong(
        "ch02.run_backward",
        "the root's gradient to every node",
        (Answer(0, ROOT_GRAD_TO_EVERY_NODE),),
        "got [1.0, 1.0] at [a.grad, b.grad]",
    ),
    Wrong(
        "ch02.run_backward",
        "overwrites at fan-in",
        (
            Replace(
                "grads[child] + child_grad if child in grads else child_grad",
                "child_grad  # the sum at fan-in is lost",
            ),
        ),
        "(gradients meet at a and b): expected [-3.75, -2.0], got [-3.0, -3.0]",
    ),
    Wrong(
        "ch02.run_backward",
        "runs a node by backward_fn, as exercise 5's loop did",
        (Replace("node(grad)", "node.backward_fn(grad)"),),
        "a node in run_backward has no attribute 'backward_fn': call the node itself, node(grad)",
    ),
    Wrong(
        "ch02.run_backward",
        "skips a node that no gradient reached",
        (Answer(0, LOOP_SKIPPING_NODES_WITHOUT_GRADIENT),),
        "received no gradient and was never run, so what it saved was not freed",
    ),
    Wrong(
        "ch02.run_backward",
        "does not skip a None gradient",
        (Answer(0, LOOP_WITHOUT_NONE_CHECK),),
        "a node that returns None for an input: b gets no gradient: raised TypeError",
    ),
    Wrong(
        "ch03.Mul",
        "saves both inputs always",
        (
            Replace(
                "ctx.save(self=a if needs_b else None, other=b if needs_a else None)",
                "ctx.save(self=a, other=b)",
            ),
        ),
        "(and so a, not b, is saved): backward: raised RuntimeError: one of the variables "
        "needed for gradient computation has been modified by an inplace operation",
    ),
    Wrong(
        "ch03.Mul",
        "arrays saved with save_for_backward, as chapter 1's Mul saved its numbers",
        (Answer(0, "ctx.save_for_backward(a, b)\nreturn a * b"),),
        "`ctx.save_for_backward(a, b)`). That means: save_for_backward takes tensors only",
    ),
    Wrong(
        "ch03.Mul",
        "gradients swapped",
        (
            Replace(
                "(grad * b if b is not None else None, grad * a if a is not None else None)",
                "(grad * a if a is not None else None, grad * b if b is not None else None)",
            ),
        ),
        "no gradient reached it",
        says="no gradient reached it (a backward sends None to an input when it returns None "
        "for it, say from a formula that reads a saved value that is None",
    ),
    Wrong(
        "ch03.Mul",
        "backward forgets return",
        (Answer(1, "a, b = ctx.saved_tensors\n(grad * b, grad * a)"),),
        "Mul.backward never returns anything (is `return` missing?): it must return one "
        "gradient per input",
    ),
    Wrong(
        "ch03.Mul",
        "grad on the right of its products",
        (Answer(1, MUL_GRAD_ON_THE_RIGHT),),
        "backward's own graph shows the order of its products (PyTorch's: grad * other): "
        "expected 'AddBackward0(AddBackward0(MulBackward0(None, MulBackward0(",
    ),
    Wrong(
        "ch03.unbroadcast",
        "drops the size-1 dimensions",
        (Replace("axis=stretched, keepdims=True", "axis=stretched"),),
        "(2, 1)",
    ),
    Wrong(
        "ch03.unbroadcast",
        "sums only leading dimensions",
        (Replace(UNBROADCAST_STRETCHED, ""),),
        "expected shape (2, 1)",
    ),
    Wrong(
        "ch03.unbroadcast",
        "keeps the leading dimensions",
        (
            Replace(
                "grad.sum(axis=tuple(range(lead)))",
                "grad.sum(axis=tuple(range(lead)), keepdims=True)",
            ),
        ),
        "has shape (1, 3), expected shape (3,)",
    ),
    Wrong(
        "ch03.Mm",
        "numpy's @ instead of mm_numbers",
        (Replace("return mm_numbers(a, b)", "return a @ b"),),
        "expected '[[-0.0, -3.0], [0.0, 6.0]]', got '[[0.0, -3.0], [0.0, 6.0]]'",
    ),
    Wrong(
        "ch03.Mm",
        "forgets the transposes",
        (
            Replace("mm_numbers(grad, b.T) if", "mm_numbers(grad, b) if"),
            Replace("mm_numbers(a.T, grad) if", "mm_numbers(a, grad) if"),
        ),
        "That means: the sizes of that matrix product do not fit",
    ),
    Wrong(
        "ch03.Mm",
        "the two gradients swapped",
        (Answer(1, MM_GRADIENTS_SWAPPED),),
        "a.grad has shape (3, 2), expected (2, 3)",
    ),
    Wrong(
        "ch03.Mm",
        "saves both inputs always",
        (Answer(0, "ctx.save(self=a, mat2=b)\nreturn a @ b"),),
        "(and so a, not b, is saved): backward: raised RuntimeError: one of the variables",
    ),
    Wrong(
        "ch04.accumulate_grad",
        "no copy",
        (Replace("leaf.grad = grad.clone()", "leaf.grad = grad"),),
        "copy",
    ),
    Wrong(
        "ch04.accumulate_grad",
        "out of place",
        (Replace("leaf.grad.add_(grad)", "leaf.grad = leaf.grad + grad"),),
        "in place",
    ),
    Wrong(
        "ch04.store_retained_grad",
        "overwrites",
        (Answer(0, "tensor.grad = grad.clone()"),),
        "expected [6.0, 6.0], got [3.0, 3.0] at b.grad after the second pass",
    ),
    Wrong(
        "ch04.store_retained_grad",
        "adds in place",
        (Replace("tensor.grad = tensor.grad + grad", "tensor.grad.add_(grad)"),),
        "expected [3.0, 3.0], got [6.0, 6.0] at the first pass's b.grad tensor, read after the "
        "second pass",
    ),
    Wrong(
        "ch05.detach",
        "copies the numbers",
        (Answer(0, "return _wrap(tensor._data.copy())"),),
        "the detached tensor has its own copy of the numbers: share the memory",
    ),
    Wrong(
        "ch05.detach",
        "returns the tensor itself",
        (Answer(0, "return tensor"),),
        "detach must return a new tensor, not the tensor itself",
    ),
    Wrong(
        "ch05.detach",
        "forgets return",
        (Replace("    return out\n", ""),),
        "detach returned None: return the new tensor (is `return` missing?)",
    ),
    Wrong(
        "ch05.detach",
        "a new version counter",
        (Replace("    out._version_counter = tensor._version_counter\n", ""),),
        "version",
    ),
    Wrong(
        "ch06.bump_version",
        "forgets to count",
        (Answer(0, "pass"),),
        "expected [0, 1, 2, 3, 4, 5, 6], got [0, 0, 0, 0, 0, 0, 0] at versions",
    ),
    Wrong(
        "ch06.bump_version",
        "sets _version",
        (Answer(0, "tensor._version += 1"),),
        "That means: _version only reads the tensor's version counter",
    ),
    Wrong(
        "ch06.SavedTensor",
        "never refuses",
        (Answer(1, "return self.tensor"),),
        "must raise",
        says="unpack() returned, but t was changed in place after it was saved",
    ),
    Wrong(
        "ch06.SavedTensor",
        "lets one change through",
        (Replace("if now != self.version:", "if now > self.version + 1:"),),
        "after t.add_(1), unpack() returned the changed tensor: it must raise",
        says="changed in place after it was saved (version 0 -> 1): PyTorch raises RuntimeError",
    ),
    Wrong(
        "ch06.SavedTensor",
        "raises ValueError",
        (
            Answer(
                1,
                """
                if self.tensor._version != self.version:
                    raise ValueError("changed")
                return self.tensor
                """,
            ),
        ),
        "ValueError",
    ),
    Wrong(
        "ch07.GradState",
        "one state for all threads",
        (Replace("class GradState(threading.local):", "class GradState:"),),
        "thread",
    ),
    Wrong("ch07.GradState", "no defaults", (Answer(0, "pass"),), "AttributeError"),
    Wrong(
        "ch07.GradMode",
        "restores the opposite",
        (
            Answer(
                1,
                """
                grad_mode.set_modes(not self.mode, grad_mode.is_inference_mode_enabled())
                return False
                """,
            ),
        ),
        "expected False, got True at started with recording off, after no_grad()",
        says="is_grad_enabled() is False, expected True",
    ),
    Wrong(
        "ch07.GradMode",
        "one block for every call",
        (Answer(2, DECORATOR_REUSES_ITSELF),),
        "expected True, got False at after calling them",
        says="enter a fresh GradMode(self.mode) per call",
    ),
    Wrong(
        "ch07.GradMode",
        "__enter__ returns self",
        (
            Answer(
                0,
                """
                self.previous = (grad_mode.is_grad_enabled(), grad_mode.is_inference_mode_enabled())
                grad_mode.set_modes(self.mode, self.previous[1])
                return self
                """,
            ),
        ),
        "expected None, got 'no_grad' at x in `with no_grad() as x:` (what __enter__ returns)",
    ),
    Wrong(
        "ch07.GradMode",
        "the decorated function loses its name",
        (
            Replace(
                "        @functools.wraps(func)\n        def decorated", "        def decorated"
            ),
        ),
        "expected 'g', got 'decorated' at the name of a function decorated with @no_grad",
    ),
    Wrong(
        "ch08.parameters",
        "own parameters only",
        (Answer(0, "return [p for p in module._parameters.values() if p is not None]"),),
        "body[2].bias, head.weight missing: walk every sub-module",
    ),
    Wrong(
        "ch08.parameters",
        "a shared layer twice",
        (Answer(0, OWN_THEN_CHILDREN),),
        "appear(s) more than once: model.again is model.body[0]",
    ),
    Wrong(
        "ch08.parameters",
        "keeps a bias that is None",
        (Replace("if p is not None and id(p) not in seen:", "if id(p) not in seen:"),),
        "your list holds None",
    ),
    Wrong(
        "ch08.parameters",
        "listed once by `in` on the list",
        (
            Replace(
                "if p is not None and id(p) not in seen:", "if p is not None and p not in found:"
            ),
        ),
        "That means: a tensor stood where Python needs one True or False",
    ),
    Wrong(
        "ch08.parameters",
        "children first",
        (Answer(0, CHILDREN_THEN_OWN),),
        "the order is body[0].weight, body[0].bias, body[2].weight, body[2].bias, head.weight, "
        "model.scale; PyTorch's is model.scale",
    ),
    Wrong(
        "ch08.sgd_momentum_step",
        "buffer not copied",
        (Replace("buffers[i] = p.grad.clone()", "buffers[i] = p.grad"),),
        "three steps of a linear layer: expected [-0.332304, -0.121974, 0.248762], got",
        says="your buffer is probably the .grad tensor itself",
    ),
    Wrong(
        "ch08.sgd_momentum_step",
        "out of place",
        (Replace("p -= lr * buffers[i]", "p = p - lr * buffers[i]"),),
        "three steps of a linear layer: expected [-0.332304, -0.121974, 0.248762], got",
        says="the parameter never changed",
    ),
    Wrong(
        "ch10.ReLU",
        "saves its input",
        (Replace("ctx.save_for_backward(result)", "ctx.save_for_backward(x)"),),
        "no error was raised; PyTorch raises RuntimeError: one of the variables needed",
    ),
    Wrong(
        "ch10.ReLU",
        "changes its input in place",
        (Answer(0, "x[x < 0] = 0.0\nctx.save_for_backward(x)\nreturn x"),),
        "That means: forward returned its input (or a view of it), which was then changed",
    ),
    Wrong(
        "ch10.ReLU",
        "-0. where x is negative",
        (Answer(0, "result = x * (x > 0)\nctx.save_for_backward(result)\nreturn result"),),
        "got 'tensor([-0.0000, -0.0000, 0.0000, 0.5000, 3.0000], grad_fn=<ReluBackward0>)' "
        "at repr(x.relu())",
    ),
    Wrong(
        "ch10.ReLU",
        "forward calls relu itself",
        (Answer(0, "result = x.relu()\nctx.save_for_backward(result)\nreturn result"),),
        "recursed too deeply (RecursionError). Hint: x.relu(), mg.relu and F.relu run your ReLU",
    ),
    Wrong(
        "ch10.ReLU",
        "gradient 1 at zero",
        (Replace("(result > 0)", "(result >= 0)"),),
        "expected [0.0, 0.0, 0.0, 12.0, 15.0], got [3.0, 6.0, 9.0, 12.0, 15.0] at x.grad",
    ),
]


def named(piece_id: str, what: str) -> Wrong:
    """The wrong piece of ``piece_id`` that is wrong in the way ``what`` says."""
    return next(w for w in WRONG if (w.piece_id, w.what) == (piece_id, what))
