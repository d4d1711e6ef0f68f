"""A layered layout for graph pictures, in plain Python (no graphviz needed).

The classic recipe for drawing a directed graph (Sugiyama's) in four steps:

1. *layers*: each box goes one row below the lowest box pointing to it
   (longest path from the top), so every arrow points downwards;
2. *dummies*: an arrow that skips rows gets invisible way-points, one per
   row it crosses, so it can bend around the boxes in between;
3. *order*: inside each row, boxes are sorted by the mean position of their
   neighbours (barycenters), sweeping down and up, keeping the order with
   the fewest crossings;
4. *coordinates*: each box moves as close as it can to the median of its
   neighbours while keeping its row order and a gap to its neighbours
   (the median, unlike the mean, lines chains up straight).

Sizes are in "em" (multiples of the font size), so one layout fits any zoom.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import pairwise

H_GAP = 1.6  # em between boxes in a row
V_GAP = 3.2  # em between rows (room for arrows and their labels)
DUMMY_WIDTH = 0.8  # em reserved in a row for an arrow passing through it
SWEEPS = 12  # barycenter sweeps (down + up pairs); small graphs settle fast


@dataclass
class Layout:
    """Where everything goes: box centres and arrow way-points, in em.

    ``x`` and ``y`` grow to the right and *downwards*; boxes hang from the
    top of their row, ``row_bottom`` is where each box's row ends. ``routes[i]`` is the
    list of points arrow ``i`` passes through, from its source box's centre
    to its target box's centre; in between, two way-points (top and bottom)
    for each row it crosses.
    """

    x: dict[str, float]
    y: dict[str, float]
    layer: dict[str, int]
    rows: list[list[str]]
    routes: list[list[tuple[float, float]]]
    width: float
    height: float
    crossings: int = 0
    dummies: set = field(default_factory=set)
    row_bottom: dict[str, float] = field(default_factory=dict)


def assign_layers(ids: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Step 1: a box's row is one more than the deepest box pointing to it.

    Kahn's algorithm gives a topological order without recursion. If the
    edges had a cycle (they should not), its boxes go below everything else.
    """
    incoming = {i: 0 for i in ids}
    children = defaultdict(list)
    for u, v in edges:
        incoming[v] += 1
        children[u].append(v)
    layer = {i: 0 for i in ids}
    ready = [i for i in ids if incoming[i] == 0]
    done = set()
    while ready:
        u = ready.pop(0)
        done.add(u)
        for v in children[u]:
            layer[v] = max(layer[v], layer[u] + 1)
            incoming[v] -= 1
            if incoming[v] == 0:
                ready.append(v)
    bottom = max(layer.values(), default=0) + 1
    for i in ids:
        if i not in done:
            layer[i] = bottom
    return layer


def count_crossings(upper: list[str], lower: list[str], edges: list[tuple[str, str]]) -> int:
    """How many arrows between two adjacent rows cross each other."""
    pos_u = {n: i for i, n in enumerate(upper)}
    pos_l = {n: i for i, n in enumerate(lower)}
    pairs = [(pos_u[u], pos_l[v]) for u, v in edges if u in pos_u and v in pos_l]
    return sum(
        1 for i, (a, b) in enumerate(pairs) for c, d in pairs[i + 1 :] if (a - c) * (b - d) < 0
    )


def _total_crossings(rows, edges) -> int:
    return sum(count_crossings(rows[i], rows[i + 1], edges) for i in range(len(rows) - 1))


def _barycenter_sweeps(rows, edges) -> tuple[list[list[str]], int]:
    """Step 3: reorder rows by neighbours' mean position; keep the best order seen."""
    parents, children = defaultdict(list), defaultdict(list)
    for u, v in edges:
        children[u].append(v)
        parents[v].append(u)
    best = [list(r) for r in rows]
    best_count = _total_crossings(rows, edges)
    for sweep in range(SWEEPS):
        downwards = sweep % 2 == 0
        order = range(1, len(rows)) if downwards else range(len(rows) - 2, -1, -1)
        for i in order:
            fixed = rows[i - 1] if downwards else rows[i + 1]
            pos = {n: k for k, n in enumerate(fixed)}
            neighbours = parents if downwards else children
            current = {n: k for k, n in enumerate(rows[i])}

            def key(n, pos=pos, neighbours=neighbours, current=current):
                ks = [pos[m] for m in neighbours[n] if m in pos]
                # Boxes without neighbours there keep their place.
                return sum(ks) / len(ks) if ks else current[n]

            rows[i] = sorted(rows[i], key=key)  # stable: ties keep their order
        count = _total_crossings(rows, edges)
        if count < best_count:
            best, best_count = [list(r) for r in rows], count
    return best, best_count


def closest_in_order(targets: list[float], widths: list[float], gap: float = H_GAP) -> list[float]:
    """Centres as close as possible to ``targets``, in order, ``gap`` apart at least.

    Subtracting each box's minimal offset from the row's start turns
    "keep a gap" into "stay sorted"; the closest sorted sequence (least
    squares) is then found by pooling adjacent violators.
    """
    offsets = [0.0]
    for a, b in pairwise(widths):
        offsets.append(offsets[-1] + (a + b) / 2 + gap)
    shifted = [t - o for t, o in zip(targets, offsets)]
    blocks: list[list[float]] = []  # [mean, count]
    for value in shifted:
        blocks.append([value, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, c2 = blocks.pop()
            m1, c1 = blocks.pop()
            blocks.append([(m1 * c1 + m2 * c2) / (c1 + c2), c1 + c2])
    fitted = [m for m, c in blocks for _ in range(c)]
    return [f + o for f, o in zip(fitted, offsets)]


def _assign_x(rows, edges, widths) -> dict[str, float]:
    """Step 4: pull each box towards its neighbours, row by row, a few times."""
    x = {}
    for row in rows:  # start packed, centred on 0
        xs = closest_in_order([0.0] * len(row), [widths[n] for n in row])
        x.update(zip(row, xs))
    neighbours = defaultdict(list)
    for u, v in edges:
        neighbours[u].append(v)
        neighbours[v].append(u)
    for sweep in range(8):
        order = range(len(rows)) if sweep % 2 == 0 else range(len(rows) - 1, -1, -1)
        for i in order:
            row = rows[i]
            targets = []
            for n in row:
                near = sorted(x[m] for m in neighbours[n])
                targets.append(_median(near) if near else x[n])
            x.update(zip(row, closest_in_order(targets, [widths[n] for n in row])))
    return x


def _median(values: list[float]) -> float:
    """The middle value (the mean of the two middle ones for an even count)."""
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def _straighten(dummy_chains, ends, rows, x, widths) -> None:
    """Make each long arrow run straight down where its rows leave room.

    Pulling towards neighbours leaves long arrows slightly wavy. For each
    chain of dummies we try one x for all of them: the x of the box the arrow
    ends at, else their median; it is taken only if every dummy stays
    between its row neighbours, so the order (and the crossings) do not change.
    Otherwise the arrow runs straight as long as it can, and bends only
    where a box is in the way.
    """
    where = {n: (i, k) for i, row in enumerate(rows) for k, n in enumerate(row)}

    def fits(d, value):
        i, k = where[d]
        row = rows[i]
        room = widths[d] / 2 + H_GAP / 2
        if k > 0 and value - room < x[row[k - 1]] + widths[row[k - 1]] / 2:
            return False
        return not (k + 1 < len(row) and value + room > x[row[k + 1]] - widths[row[k + 1]] / 2)

    for dummies, end in zip(dummy_chains, ends):
        if not dummies:
            continue
        xs = sorted(x[d] for d in dummies)
        for value in (x[end], xs[len(xs) // 2]):
            if all(fits(d, value) for d in dummies):
                for d in dummies:
                    x[d] = value
                break
        else:  # no single x fits: straight runs, bending only where a box is in the way
            value = x[dummies[0]]
            for d in dummies:
                if fits(d, value):
                    x[d] = value
                else:
                    value = x[d]


def layered_layout(
    sizes: dict[str, tuple[float, float]],
    edges: list[tuple[str, str]],
    v_gap: float = V_GAP,
) -> Layout:
    """Place boxes of the given ``(width, height)`` so that every edge points down.

    ``sizes`` keeps its order: it is the starting left-to-right order of each
    row (give boxes in the order a walk found them, inputs left to right).
    ``v_gap`` is the space between rows, in em (more for labelled arrows).
    """
    ids = list(sizes)
    layer = assign_layers(ids, edges)

    # Step 2: split edges that skip rows into a chain through dummy points.
    widths = {i: sizes[i][0] for i in ids}
    chains, short_edges, dummies = [], [], set()
    for k, (u, v) in enumerate(edges):
        chain = [u]
        for row in range(layer[u] + 1, layer[v]):
            d = f"_d{k}_{row}"
            layer[d], widths[d] = row, DUMMY_WIDTH
            dummies.add(d)
            chain.append(d)
        chain.append(v)
        chains.append(chain)
        short_edges.extend(pairwise(chain))

    rows: list[list[str]] = [[] for _ in range(max(layer.values(), default=0) + 1)]
    for n in _first_seen_order(ids, chains):
        rows[layer[n]].append(n)
    rows, crossings = _barycenter_sweeps(rows, short_edges)
    x = _assign_x(rows, short_edges, widths)
    _straighten([chain[1:-1] for chain in chains], [chain[-1] for chain in chains], rows, x, widths)

    y, spans, top = _row_heights(rows, sizes, v_gap)
    left = min((x[n] - widths[n] / 2 for n in x), default=0.0)
    right = max((x[n] + widths[n] / 2 for n in x), default=0.0)
    for n in x:
        x[n] -= left
    routes = []
    for chain in chains:
        # An arrow crosses a row straight down its full height, so it
        # cannot cut through the corner of a box standing in that row.
        route = [(x[chain[0]], y[chain[0]])]
        for d in chain[1:-1]:
            route += [(x[d], spans[d][0]), (x[d], spans[d][1])]
        routes.append(route + [(x[chain[-1]], y[chain[-1]])])
    return Layout(
        x={n: x[n] for n in ids},
        y={n: y[n] for n in ids},
        layer={n: layer[n] for n in ids},
        rows=[[n for n in row if n not in dummies] for row in rows],
        routes=routes,
        width=right - left,
        height=max(top - v_gap, 0.0),
        crossings=crossings,
        dummies=dummies,
        row_bottom={n: spans[n][1] for n in ids},
    )


def _row_heights(rows, sizes, v_gap):
    """Each box's y, each row's span (top, bottom), and the y below the last row."""
    y, top, spans = {}, 0.0, {}
    for row in rows:
        height = max((sizes[n][1] for n in row if n in sizes), default=0.0)
        for n in row:
            # Boxes hang from the top of their row: every arrow coming in
            # ends on the same line, above any taller box beside it.
            y[n] = top + (sizes[n][1] / 2 if n in sizes else height / 2)
            spans[n] = (top, top + height)
        top += height + v_gap
    return y, spans, top


def _first_seen_order(ids: list[str], chains: list[list[str]]) -> list[str]:
    """Boxes in the caller's order, each edge's dummies right after its source."""
    order, seen = [], set()
    after = defaultdict(list)
    for chain in chains:
        after[chain[0]].extend(chain[1:-1])
    for n in ids:
        for m in [n, *after[n]]:
            if m not in seen:
                seen.add(m)
                order.append(m)
    return order
