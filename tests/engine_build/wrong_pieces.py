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
    """A wrong piece: which piece, what is wrong, the change, and what its check must say."""

    piece_id: str
    what: str
    changes: tuple
    phrase: str

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
        "c = a + b",
    ),
    Wrong(
        "ch01.Mul",
        "gradients swapped",
        (Replace("return grad * b, grad * a", "return grad * a, grad * b"),),
        "expected",
    ),
    Wrong(
        "ch01.Tanh",
        "1 - x*x from the input",
        (Replace("ctx.save_for_backward(t)", "ctx.save_for_backward(x)"),),
        "expected",
    ),
    Wrong("ch02.topological_order", "recursive", (Answer(0, RECURSIVE_WALK),), "3000"),
    Wrong(
        "ch02.topological_order", "breadth first", (Answer(0, BREADTH_FIRST_WALK),), "comes before"
    ),
    Wrong(
        "ch02.run_backward",
        "runs nodes before all gradients arrived",
        (Answer(0, LOOP_WITHOUT_WAITING),),
        "",
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
        "expected",
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
        "not needed",
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
        "expected",
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
        "expected",
    ),
    Wrong(
        "ch03.Mm",
        "forgets the transposes",
        (
            Replace("mm_numbers(grad, b.T) if", "mm_numbers(grad, b) if"),
            Replace("mm_numbers(a.T, grad) if", "mm_numbers(a, grad) if"),
        ),
        "",
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
        "expected",
    ),
    Wrong(
        "ch05.detach",
        "copies the numbers",
        (Answer(0, "return _wrap(tensor._data.copy())"),),
        "expected",
    ),
    Wrong(
        "ch05.detach",
        "a new version counter",
        (Replace("    out._version_counter = tensor._version_counter\n", ""),),
        "version",
    ),
    Wrong("ch06.bump_version", "forgets to count", (Answer(0, "pass"),), "expected"),
    Wrong("ch06.SavedTensor", "never refuses", (Answer(1, "return self.tensor"),), "must raise"),
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
                grad_mode._set_state(not self.mode, grad_mode.is_inference_mode_enabled())
                return False
                """,
            ),
        ),
        "expected",
    ),
    Wrong(
        "ch07.GradMode",
        "one block for every call",
        (Answer(2, DECORATOR_REUSES_ITSELF),),
        "expected",
    ),
    Wrong(
        "ch08.parameters",
        "own parameters only",
        (Answer(0, "return [p for p in module._parameters.values() if p is not None]"),),
        "expected",
    ),
    Wrong("ch08.parameters", "a shared layer twice", (Answer(0, OWN_THEN_CHILDREN),), "expected"),
    Wrong(
        "ch08.sgd_momentum_step",
        "buffer not copied",
        (Replace("buffers[i] = p.grad.clone()", "buffers[i] = p.grad"),),
        "expected",
    ),
    Wrong(
        "ch08.sgd_momentum_step",
        "out of place",
        (Replace("p -= lr * buffers[i]", "p = p - lr * buffers[i]"),),
        "expected",
    ),
    Wrong(
        "ch10.ReLU",
        "saves its input",
        (Replace("ctx.save_for_backward(result)", "ctx.save_for_backward(x)"),),
        "result changed in place",
    ),
    Wrong(
        "ch10.ReLU",
        "gradient 1 at zero",
        (Replace("(result > 0)", "(result >= 0)"),),
        "expected",
    ),
]


def named(piece_id: str, what: str) -> Wrong:
    """The wrong piece of ``piece_id`` that is wrong in the way ``what`` says."""
    return next(w for w in WRONG if (w.piece_id, w.what) == (piece_id, what))
