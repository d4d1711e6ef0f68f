"""coursekit.figures.sharing_groups: the groups chapter 5's picture draws.

The expected groups are not written down: they are observed. An in-place change made
through one tensor shows in every tensor that shares its memory (their values move) and
in every tensor that shares its counter (their versions move), in minigrad and in
PyTorch 2.13 alike.
"""

import matplotlib
import pytest

import minigrad as mg
from coursekit import figures

NAMES = ("y", "y.detach()", "y.data", "y.clone()")


def fresh(lib):
    """y (a result), and three tensors made from it, by name."""
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    return dict(zip(NAMES, (y, y.detach(), y.data, y.clone())))


def observed_groups(lib):
    """(memory, counters) groups seen by changing each tensor in place, one at a time."""
    memory, counters = [], []
    for name in NAMES:
        tensors = fresh(lib)
        before = {n: (t.tolist(), t._version) for n, t in tensors.items()}
        with lib.no_grad():
            tensors[name].add_(10)
        moved_values = [n for n in NAMES if tensors[n].tolist() != before[n][0]]
        moved_versions = [n for n in NAMES if tensors[n]._version != before[n][1]]
        if moved_values not in memory:
            memory.append(moved_values)
        if moved_versions not in counters:
            counters.append(moved_versions)
    return memory, counters


def library(name):
    return mg if name == "minigrad" else pytest.importorskip("torch")


@pytest.mark.parametrize("lib_name", ["minigrad", "torch"])
def test_sharing_groups_are_what_an_in_place_change_shows(lib_name):
    memory, counters = observed_groups(library(lib_name))
    assert figures.sharing_groups(fresh(mg)) == (memory, counters)


def test_draw_sharing_draws_one_box_per_tensor_memory_and_counter(monkeypatch):
    matplotlib.use("Agg")
    drawn = []
    monkeypatch.setattr(figures.plt, "show", lambda: drawn.append(figures.plt.gcf()))
    figures.draw_sharing(fresh(mg))
    texts = [t.get_text() for t in drawn[0].axes[0].texts]
    assert sorted(t for t in texts if t in NAMES) == sorted(NAMES)
    assert sum(t.startswith("memory ") for t in texts) == 2
    assert sum(t.startswith("counter ") for t in texts) == 3
    figures.plt.close(drawn[0])
