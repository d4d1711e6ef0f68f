"""The graph behind a tensor, walked into plain data that pictures are drawn from.

Autograd records a graph while the forward pass runs: every result that
requires grad points to its backward node (``grad_fn``), and each node points
to the nodes of its inputs through ``next_functions``. Leaves that require
grad end in an ``AccumulateGrad`` node whose ``.variable`` is the leaf; it is
where ``backward()`` adds into ``.grad``. Inputs that do not require grad are
not in the graph at all: at most a node keeps them as a *saved tensor*
(``node._saved_self`` ...), because its backward formula needs their values.

``build_graph`` walks that structure (iteratively, so deep graphs are fine)
and returns a :class:`GraphData`: nodes with label lines and a role, and edges
pointing the way PyTorch points them, from a node to its ``next_functions``,
which is also the way gradients flow during ``backward()``. It works the same
on minigrad and on PyTorch tensors.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .labels import is_tensor, node_name, saved_value_text, tensor_lines

# Each role gets one fill colour (soft tones, told apart by colour-blind
# readers too) and the words the legend uses for it.
ROLE_COLORS = {
    "leaf": "#a6dba0",  # leaf tensor that requires grad: .grad lands here
    "constant": "#dddddd",  # tensor that does not require grad
    "nonleaf": "#fee08b",  # result of an operation (has a grad_fn)
    "backward": "#abd9e9",  # backward node (grad_fn)
    "accumulate": "#c2a5cf",  # AccumulateGrad: adds into a leaf's .grad
    "freed": "#f4a582",  # backward node whose saved tensors were freed
}
ROLE_DESCRIPTIONS = {
    "leaf": "leaf, requires grad",
    "constant": "does not require grad",
    "nonleaf": "non-leaf result",
    "backward": "backward node",
    "accumulate": "AccumulateGrad",
    "freed": "saved tensors freed",
}

# PyTorch's message when saved tensors are read after backward freed them.
_FREED_MESSAGE = "Trying to backward through the graph a second time"


@dataclass
class GraphNode:
    """One box of the picture: a tensor or a backward node.

    ``lines`` is the label, title first. ``role`` chooses the colour (see
    ``ROLE_COLORS``). ``obj`` is the tensor or node itself, kept so that tools
    such as the backward stepper can find a node again by identity. ``saved``
    maps a node's saved names (``'self'``) to how the label lists them.
    """

    id: str
    kind: str  # 'tensor' or 'node'
    role: str
    lines: list[str]
    obj: Any = field(default=None, repr=False, compare=False)
    saved: dict[str, str] = field(default_factory=dict)
    name: str | None = None  # the learner's name for this tensor, if given

    @property
    def title(self) -> str:
        return self.lines[0]

    @property
    def label(self) -> str:
        return "\n".join(self.lines)

    @property
    def color(self) -> str:
        return ROLE_COLORS[self.role]


@dataclass
class GraphEdge:
    """One arrow, pointing the way PyTorch's graph points.

    kinds:
    - ``'next'``: a node to one of its ``next_functions`` (``slot`` is the
      position in ``next_functions``, ``output_nr`` the second number there);
    - ``'grad_fn'``: a result tensor to its ``grad_fn``;
    - ``'variable'``: an ``AccumulateGrad`` node to its leaf (``.variable``);
    - ``'saved'``: a tensor to a node that saved it (``slot`` is the name,
      e.g. ``'self'`` for ``_saved_self``). Saved edges are not gradient flow.
    """

    src: str
    dst: str
    kind: str
    slot: Any = None
    output_nr: int = 0


@dataclass
class GraphData:
    """Plain data of a graph: ``nodes`` (in the order they were found) and ``edges``.

    ``root`` is the id of the tensor the walk started from. Helpers find
    nodes by their title and list edges by titles, which reads well in tests
    and in notebooks: ``graph.edge_titles()``.
    """

    nodes: list[GraphNode]
    edges: list[GraphEdge]
    root: str

    def __post_init__(self) -> None:
        self.by_id = {n.id: n for n in self.nodes}

    def __len__(self) -> int:
        return len(self.nodes)

    def node(self, title: str) -> GraphNode:
        """The only node with this title; KeyError if there are none or several."""
        found = [n for n in self.nodes if n.title == title]
        if len(found) != 1:
            raise KeyError(f"{len(found)} nodes titled {title!r}")
        return found[0]

    def find(self, obj: Any) -> GraphNode | None:
        """The node drawn for this tensor or backward node (by identity)."""
        return next((n for n in self.nodes if n.obj is obj), None)

    def edge_titles(self, kind: str | None = None) -> list[tuple[str, str, str]]:
        """Edges as ``(source title, destination title, kind)``."""
        return [
            (self.by_id[e.src].title, self.by_id[e.dst].title, e.kind)
            for e in self.edges
            if kind is None or e.kind == kind
        ]

    def saved_only(self) -> set[str]:
        """Ids of tensors that are in the picture only because a node saved them."""
        in_flow = {self.root}
        for e in self.edges:
            if e.kind != "saved":
                in_flow.update((e.src, e.dst))
        return {n.id for n in self.nodes if n.id not in in_flow}

    def drawn_edges(self) -> list[tuple[GraphEdge, GraphEdge]]:
        """The edges as pictures draw them, each paired with the edge it comes from.

        One change from PyTorch's edges: when a result tensor is named, every
        ``next`` edge into its ``grad_fn`` is drawn into the tensor's box
        instead, followed by the tensor's own ``grad_fn`` edge. That is what the
        edge carries: the gradient with respect to that tensor.
        """
        named_outputs = {(e.dst, e.output_nr): e.src for e in self.edges if e.kind == "grad_fn"}
        drawn = []
        for e in self.edges:
            via = named_outputs.get((e.dst, e.output_nr)) if e.kind == "next" else None
            if via is None:
                drawn.append((e, e))
            else:
                drawn.append((GraphEdge(e.src, via, "next", e.slot, e.output_nr), e))
        return drawn


class _Builder:
    """The state of one walk: nodes found so far, keyed by the object's identity."""

    def __init__(self, names: dict[str, Any] | None, show_grads: bool):
        self.names = {id(t): name for name, t in (names or {}).items()}
        self.named = list((names or {}).values())
        self.show_grads = show_grads
        self.nodes: list[GraphNode] = []
        self.edges: list[GraphEdge] = []
        self.by_obj: dict[int, GraphNode] = {}

    def _add(self, obj: Any, kind: str, role: str, lines: list[str]) -> GraphNode:
        node = GraphNode(f"n{len(self.nodes)}", kind, role, lines, obj)
        self.nodes.append(node)
        self.by_obj[id(obj)] = node
        return node

    def tensor(self, t: Any, default_title: str = "tensor") -> GraphNode:
        """The box of a tensor, created the first time the tensor is met."""
        if id(t) in self.by_obj:
            return self.by_obj[id(t)]
        if t.grad_fn is not None:
            role = "nonleaf"
        else:
            role = "leaf" if t.requires_grad else "constant"
        name = self.names.get(id(t))
        lines = tensor_lines(t, name or default_title, self.show_grads)
        box = self._add(t, "tensor", role, lines)
        box.name = name
        return box

    def backward_node(self, fn: Any) -> tuple[GraphNode, bool]:
        """The box of a backward node, and whether it is new."""
        if id(fn) in self.by_obj:
            return self.by_obj[id(fn)], False
        name = node_name(fn)
        role = "accumulate" if name == "AccumulateGrad" else "backward"
        return self._add(fn, "node", role, [name]), True

    def edge(self, src: GraphNode, dst: GraphNode, kind: str, slot=None, output_nr=0):
        self.edges.append(GraphEdge(src.id, dst.id, kind, slot, output_nr))


def saved_attributes(fn: Any) -> list[str]:
    """Names of a node's saved values: ``['self', 'other']`` for ``_saved_self``, ``_saved_other``."""
    return [a[len("_saved_") :] for a in dir(fn) if a.startswith("_saved_")]


def read_saved(fn: Any) -> tuple[dict[str, Any], bool]:
    """A node's saved tensors by name, and whether backward has freed them.

    Nodes save only what their backward formula needs: ``mm(x, y)`` with
    only ``y`` requiring grad saves ``x`` (``_saved_self``) and leaves
    ``_saved_mat2`` as None. After a backward without ``retain_graph=True``,
    reading them raises PyTorch's "backward through the graph a second time".
    Sizes, strides and dims saved beside the tensors are left out.
    """
    # PyTorch keeps listing the attributes after freeing (reading them raises);
    # minigrad may stop listing them, so its node's own flag is asked too.
    tensors, freed = {}, getattr(fn, "_freed", False) is True
    for name in saved_attributes(fn):
        try:
            value = getattr(fn, "_saved_" + name)
        except RuntimeError as err:
            if _FREED_MESSAGE not in str(err):
                raise
            freed = True
            continue
        if is_tensor(value):
            tensors[name] = value
        elif isinstance(value, (list, tuple)) and value and all(map(is_tensor, value)):
            for i, item in enumerate(value):  # e.g. a list saved by cat/stack
                tensors[f"{name}[{i}]"] = item
    return tensors, freed


def _same_memory(a: Any, b: Any) -> bool:
    """Whether two tensor objects are views of the same values.

    PyTorch may hand back a new tensor object for a saved tensor (for a
    saved output, always), so identity is not enough: we compare where the
    values live and how they are viewed, and that both require grad alike.
    """
    if a is b:
        return True
    if list(a.shape) != list(b.shape) or a.requires_grad != b.requires_grad:
        return False
    if hasattr(a, "untyped_storage") and hasattr(b, "untyped_storage"):  # PyTorch
        return (
            a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()
            and a.storage_offset() == b.storage_offset()
            and a.stride() == b.stride()
        )
    da, db = getattr(a, "_data", None), getattr(b, "_data", None)  # minigrad: numpy
    if da is None or db is None:
        return False
    return (
        da.__array_interface__["data"][0] == db.__array_interface__["data"][0]
        and da.strides == db.strides
    )


def build_graph(
    tensor: Any,
    names: dict[str, Any] | None = None,
    show_grads: bool = True,
    show_saved: bool = True,
) -> GraphData:
    """Walk the graph behind ``tensor`` into a :class:`GraphData`.

    ``names`` maps the learner's names to tensors, e.g. ``{'x': x, 'y': y}``:
    named leaves and named results get their name as title, and a named
    result gets its own box beside its ``grad_fn``. With ``show_grads`` the
    labels show ``.grad`` where it is set; with ``show_saved`` nodes list their
    saved tensors, and tensors that are only saved (inputs that do not require
    grad) get a box joined to the node by a ``'saved'`` edge.
    """
    b = _Builder(names, show_grads)
    root = b.tensor(tensor, default_title="output")
    if tensor.grad_fn is not None:
        first, _ = b.backward_node(tensor.grad_fn)
        b.edge(root, first, "grad_fn", output_nr=getattr(tensor, "output_nr", 0))
        _walk(b, first)
        _attach_named_results(b)
        if show_saved:
            _attach_saved(b)
    return GraphData(b.nodes, b.edges, root.id)


def _walk(b: _Builder, first: GraphNode) -> None:
    """Breadth-first over ``next_functions`` with a queue: no recursion limit."""
    queue = deque([first])
    while queue:
        box = queue.popleft()
        fn = box.obj
        for slot, (nxt, output_nr) in enumerate(fn.next_functions):
            if nxt is None:  # that input needs no gradient
                continue
            child, new = b.backward_node(nxt)
            b.edge(box, child, "next", slot, output_nr)
            if new:
                queue.append(child)
        if box.role == "accumulate":
            b.edge(box, b.tensor(fn.variable), "variable")


def _attach_named_results(b: _Builder) -> None:
    """Give each named non-leaf tensor whose grad_fn is in the graph its own box."""
    for t in b.named:
        if id(t) in b.by_obj or getattr(t, "grad_fn", None) is None:
            continue
        fn_box = b.by_obj.get(id(t.grad_fn))
        if fn_box is not None:
            b.edge(b.tensor(t), fn_box, "grad_fn", output_nr=getattr(t, "output_nr", 0))


def _attach_saved(b: _Builder) -> None:
    """List each node's saved tensors, and join the tensors to the node.

    A saved tensor already drawn (a leaf, a named result) gets a dotted
    ``'saved'`` edge; so does a named tensor or a tensor that does not
    require grad, which gets its own box. An unnamed intermediate result or
    an unnamed scalar is only listed in the node's label.
    """
    tensor_boxes = [n for n in b.nodes if n.kind == "tensor"]
    for box in [n for n in b.nodes if n.kind == "node"]:
        saved, freed = read_saved(box.obj)
        if freed:
            box.role = "freed"
            box.lines.append("saved: freed")
            continue
        for name, value in saved.items():
            match = next((t for t in tensor_boxes if _same_memory(t.obj, value)), None)
            if match is None:
                # The learner's name for it, even if the node holds another object.
                named = next((t for t in b.named if _same_memory(t, value)), None)
                # A wrapped number such as the 2 in ``a * 2`` stays in the label.
                constant = not value.requires_grad and len(list(value.shape)) > 0
                if named is not None or constant:
                    match = b.tensor(value if named is None else named)
                    tensor_boxes.append(match)
            if match is not None:
                b.edge(match, box, "saved", slot=name)
            text = saved_value_text(value)
            if match is not None and match.name:  # say which tensor: 'saved self: x [3, 3]'
                text = f"{match.name} {text}"
            box.saved[name] = text
            box.lines.append(f"saved {name}: {text}")
