"""The build: the pieces a learner writes that together are minigrad's core.

Each piece is one implement exercise in the chapter that teaches it. Once its
check passes it is saved (``my_engine/``) and, from the next chapter on, the
engine runs on it. This module only *lists* the pieces; where each one plugs
into minigrad is ``plugs.py``, what its check tries is ``trials.py``.
coursekit/BUILD.md explains the whole design.
"""

from __future__ import annotations

from dataclasses import dataclass

FUNCTION = "function"  # a plain function
OP = "Function"  # a class with forward(ctx, ...) and backward(ctx, grad) static methods
CLASS = "class"  # another class (SavedTensor, GradState, GradMode)


@dataclass(frozen=True)
class Piece:
    """One piece of the learner's engine.

    ``id`` is ``chNN.<name>``; ``name`` is what the learner defines in the
    exercise notebook; ``uses`` are the other pieces its code calls by name
    (they are looked up in the learner's engine, not copied into it).
    """

    id: str
    kind: str
    signature: str
    does: str
    uses: tuple = ()

    @property
    def chapter(self) -> str:
        return self.id.split(".")[0]

    @property
    def name(self) -> str:
        return self.id.split(".")[1]


PIECES = (
    # -- chapter 01: an operation records a node (Scalar) -----------------------------
    Piece(
        "ch01.Add",
        OP,
        "forward(ctx, a, b) -> a + b; backward(ctx, grad) -> (grad, grad)",
        "Scalar addition as a Function: the gradient reaches both inputs unchanged",
    ),
    Piece(
        "ch01.Mul",
        OP,
        "forward(ctx, a, b) -> a * b, saving a and b; backward(ctx, grad) -> (grad * b, grad * a)",
        "Scalar multiplication as a Function: each input's gradient needs the other input",
    ),
    Piece(
        "ch01.Tanh",
        OP,
        "forward(ctx, x) -> tanh(x), saving the result t; backward(ctx, grad) -> grad * (1 - t*t)",
        "Scalar tanh as a Function: the backward reuses the forward's result",
    ),
    # -- chapter 02: the walk and the backward loop ------------------------------------
    Piece(
        "ch02.topological_order",
        FUNCTION,
        "topological_order(root) -> list of nodes",
        "every node reachable from root, each before the nodes it sends gradients to "
        "(iterative: no recursion limit)",
    ),
    Piece(
        "ch02.run_backward",
        FUNCTION,
        "run_backward(root, grad) -> None",
        "the backward loop: call each node once, with the sum of the gradients that reached "
        "it (fan-in), and pass what it returns to the nodes in its next_functions",
        uses=("ch02.topological_order",),
    ),
    # -- chapter 03: tensors -------------------------------------------------------------
    Piece(
        "ch03.Mul",
        OP,
        "forward(ctx, a, b) on arrays, ctx.save(self=..., other=...); backward(ctx, grad)",
        "tensor multiplication: saves each input only if the *other* input needs a gradient",
    ),
    Piece(
        "ch03.unbroadcast",
        FUNCTION,
        "unbroadcast(grad, shape) -> grad summed down to shape",
        "the backward of broadcasting, applied by the engine to every gradient of every op",
    ),
    Piece(
        "ch03.Mm",
        OP,
        "forward(ctx, a, b) -> a @ b, ctx.save(self=..., mat2=...); backward -> "
        "(grad @ b.T, a.T @ grad)",
        "the matrix product and its backward",
    ),
    # -- chapter 04: leaves and .grad --------------------------------------------------
    Piece(
        "ch04.accumulate_grad",
        FUNCTION,
        "accumulate_grad(leaf, grad) -> None",
        "AccumulateGrad: the first gradient is stored as a copy, later ones are added in place",
    ),
    Piece(
        "ch04.store_retained_grad",
        FUNCTION,
        "store_retained_grad(tensor, grad) -> None",
        "retain_grad(): a non-leaf tensor keeps the gradient that reached it (a copy, then sums)",
    ),
    # -- chapter 05: detach ----------------------------------------------------------------
    Piece(
        "ch05.detach",
        FUNCTION,
        "detach(tensor) -> Tensor",
        "a tensor with the same memory and the same version counter, and no history",
    ),
    # -- chapter 06: in-place changes and versions ---------------------------------------
    Piece(
        "ch06.bump_version",
        FUNCTION,
        "bump_version(tensor) -> None",
        "every in-place change adds one to the tensor's version counter",
    ),
    Piece(
        "ch06.SavedTensor",
        CLASS,
        "SavedTensor(tensor); .unpack() -> tensor, or RuntimeError if changed in place",
        "a saved tensor remembers its version and refuses to be used after an in-place change",
    ),
    # -- chapter 07: grad modes ------------------------------------------------------------
    Piece(
        "ch07.GradState",
        CLASS,
        "class GradState(threading.local): grad_enabled (True), inference_mode (False)",
        "the grad-mode switches, one set per thread: a new thread starts with recording on",
    ),
    Piece(
        "ch07.GradMode",
        CLASS,
        "GradMode(mode): __enter__, __exit__, __call__(func)",
        "one class that is both the context manager and the decorator behind no_grad() and "
        "enable_grad()",
    ),
    # -- chapter 08: training --------------------------------------------------------------
    Piece(
        "ch08.parameters",
        FUNCTION,
        "parameters(module) -> list of Parameters",
        "Module.parameters(): the module's own parameters, then its children's, each once",
    ),
    Piece(
        "ch08.sgd_momentum_step",
        FUNCTION,
        "sgd_momentum_step(params, buffers, lr, momentum) -> None",
        "optimizer.step() of SGD with momentum, in place, under no_grad",
    ),
    # -- chapter 10: your own Function ----------------------------------------------------
    Piece(
        "ch10.ReLU",
        OP,
        "class ReLU(mg.autograd.Function): forward(ctx, x) on tensors; backward(ctx, grad)",
        "a custom Function, written with the ctx API of chapter 10, that becomes the engine's "
        "relu (nn.ReLU, F.relu and Tensor.relu all run it)",
    ),
)

BY_ID = {piece.id: piece for piece in PIECES}
CHAPTERS = tuple(f"ch{n:02d}" for n in range(12))  # ch11: the "your engine" notebook


class UnknownPiece(LookupError):
    """No piece has this id."""


def get(piece_id: str) -> Piece:
    if piece_id not in BY_ID:
        raise UnknownPiece(f"no piece called {piece_id!r}; the pieces are: {', '.join(BY_ID)}")
    return BY_ID[piece_id]


def before(chapter: str) -> tuple:
    """The pieces of the chapters before ``chapter`` (``'ch04'`` -> ch01 to ch03).

    ``'all'`` (or ``'ch11'``, the "your engine" notebook) gives every piece.
    """
    if chapter == "all":
        return PIECES
    if chapter not in CHAPTERS:
        raise ValueError(f"{chapter!r} is not a chapter like 'ch04' (or 'all')")
    return tuple(p for p in PIECES if p.chapter < chapter)
