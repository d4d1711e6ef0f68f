"""What every benchmark shares: optional backends, interleaved timing, tables, targets.

Timing rule: the backends of one case take turns, round after round, in one
process. A moment when the (shared) machine is busy then slows every backend
alike, and the median of the rounds ignores the rounds slowed most. Only the
ratios between backends of one run mean something; absolute times depend on
the machine and on what else it is doing.
"""

from __future__ import annotations

import gc
import importlib
import math
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as `python benchmarks/run_all.py` from a checkout
    sys.path.insert(0, str(ROOT))

# Optional backends: module name -> how to install it (printed when it is missing).
OPTIONAL = {
    "torch": "make torch  (exactly torch==2.13.0, the CPU build)",
    "mygrad": 'pip install -e ".[bench]"  (mygrad)',
    "micrograd": 'pip install -e ".[bench]"  (micrograd)',
    "threadpoolctl": 'pip install -e ".[bench]"  (threadpoolctl)',
}


# Processor time of this process, not wall-clock time: on a shared machine the wall
# clock also counts the moments other programs had the processor, which can be most
# of them; the processor time counts the work timed (numpy and PyTorch run one thread).
CLOCK = time.process_time


def optional(name):
    """The module ``name`` if it can be imported, else None (a missing backend is no error)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def version_of(name):
    module = optional(name)
    if module is None:
        return None
    found = getattr(module, "__version__", None)
    if found is None:
        from importlib import metadata

        try:
            found = metadata.version(name)
        except metadata.PackageNotFoundError:
            found = "unknown"
    return str(found)


def not_installed(name):
    return f"{name}: not installed ({OPTIONAL.get(name, 'pip install ' + name)})"


@dataclass
class Settings:
    """Options shared by every benchmark (set by run_all.py's command line)."""

    quick: bool = False
    threads: int = 1  # BLAS/PyTorch threads; 0 leaves the libraries' defaults

    @property
    def rounds(self):
        """How many interleaved rounds each case gets (more rounds: steadier medians)."""
        return 5 if self.quick else 15

    @property
    def round_seconds(self):
        """Roughly how long one backend's turn in a round lasts (several calls if short)."""
        return 0.01 if self.quick else 0.1


# --- timing ---------------------------------------------------------------------
@dataclass
class Timing:
    """Seconds per call of one backend on one case: median and quartiles of the rounds."""

    median: float
    q1: float
    q3: float
    rounds: int
    calls_per_round: int

    def as_dict(self):
        return {
            "median_s": self.median,
            "q1_s": self.q1,
            "q3_s": self.q3,
            "rounds": self.rounds,
            "calls_per_round": self.calls_per_round,
        }


def _calls_for(fn, seconds):
    """How many calls of ``fn`` fill about ``seconds`` (at least one); fn is warmed up."""
    fn()  # warm-up: first calls pay for caches, lazy imports, allocator growth
    start = CLOCK()
    fn()
    once = CLOCK() - start
    return max(1, min(10_000, int(seconds / max(once, 1e-7))))


def interleaved(fns, settings, rounds=None, collect=True):
    """Time each of ``fns`` ({label: zero-argument callable}) in interleaved rounds.

    Each round times every function once (``calls_per_round`` calls, so that a
    turn lasts about ``settings.round_seconds``); the starting function moves
    one place each round, so no backend always runs first.

    Garbage: every object alive before the timing is frozen (``gc.freeze``),
    so the cyclic collector never re-examines it, and each turn ends with a
    ``gc.collect()`` *inside* the timing: a backend pays for collecting the
    reference cycles it made itself (micrograd's closures make them; minigrad,
    PyTorch and MyGrad leave none) and for nothing else. ``collect=False``
    turns the collector off during the turns instead: the engines' own code only.
    """
    rounds = rounds or settings.rounds
    labels = list(fns)
    calls = {label: _calls_for(fns[label], settings.round_seconds) for label in labels}
    samples = {label: [] for label in labels}
    gc.collect()
    gc.freeze()
    was_enabled = gc.isenabled()
    if not collect:
        gc.disable()
    try:
        for r in range(rounds):
            for i in range(len(labels)):
                label = labels[(r + i) % len(labels)]
                fn, n = fns[label], calls[label]
                start = CLOCK()
                for _ in range(n):
                    fn()
                if collect:
                    gc.collect()
                samples[label].append((CLOCK() - start) / n)
                if not collect:
                    gc.collect()  # outside the timing: the next turn starts clean
    finally:
        if was_enabled:
            gc.enable()
        gc.unfreeze()
    result = {}
    for label, values in samples.items():
        if len(values) >= 2:
            q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
        else:
            q1 = q3 = values[0]
        result[label] = Timing(statistics.median(values), q1, q3, len(values), calls[label])
    return result


def spread(timing):
    """The interquartile range as a fraction of the median: how noisy the rounds were."""
    return (timing.q3 - timing.q1) / timing.median if timing.median else 0.0


# --- printing --------------------------------------------------------------------
def fmt_seconds(seconds):
    """A duration with a unit a reader can compare at a glance."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def fmt_bytes(n):
    if n is None:
        return "-"
    if abs(n) < 2**10:
        return f"{n} B"
    if abs(n) < 2**20:
        return f"{n / 2**10:.1f} KiB"
    if abs(n) < 2**30:
        return f"{n / 2**20:.1f} MiB"
    return f"{n / 2**30:.2f} GiB"


def fmt_ratio(ratio):
    return "-" if ratio is None else f"{ratio:.2f}x"


def print_table(header, rows):
    """Rows of strings under a header, each column as wide as its widest cell."""
    cells = [list(map(str, header))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for n, row in enumerate(cells):
        print(
            "  "
            + "  ".join(
                c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))
            )
        )
        if n == 0:
            print("  " + "  ".join("-" * w for w in widths))


def heading(title):
    print()
    print(title)
    print("=" * len(title))


# --- targets ----------------------------------------------------------------------
@dataclass
class Target:
    """One target of issue 7: a measured ratio and the limit it must stay under (or above).

    ``at_most=True``: the ratio must be <= limit (e.g. minigrad/PyTorch <= 1.0).
    ``at_most=False``: it must be >= limit (e.g. micrograd/minigrad >= 1.5).
    A ratio of None means it could not be measured (a backend is missing).
    """

    text: str
    ratio_name: str
    ratio: float | None
    limit: float
    at_most: bool = True
    why_missing: str = ""

    @property
    def met(self):
        if self.ratio is None:
            return None
        return self.ratio <= self.limit if self.at_most else self.ratio >= self.limit

    def line(self):
        sign = "<=" if self.at_most else ">="
        if self.ratio is None:
            return f"  target: {self.text}: not measured ({self.why_missing})"
        verdict = "MET" if self.met else "MISSED"
        if not self.met:
            # How far off, as a factor: 1.30 means 30% too slow (or too little gain).
            off = self.ratio / self.limit if self.at_most else self.limit / self.ratio
            verdict += f" by {off:.2f}x" if off >= 1.05 else f" by {(off - 1) * 100:.1f}%"
        return (
            f"  target: {self.text}: {self.ratio_name} = {fmt_near(self.ratio, self.limit)} "
            f"(needs {sign} {self.limit:g}) -> {verdict}"
        )

    def as_dict(self):
        return {
            "target": self.text,
            "ratio_name": self.ratio_name,
            "ratio": self.ratio,
            "limit": self.limit,
            "at_most": self.at_most,
            "met": self.met,
            "why_missing": self.why_missing or None,
        }


@dataclass
class Section:
    """What one benchmark hands back to run_all.py for the JSON file."""

    name: str
    title: str
    rows: list = field(default_factory=list)
    targets: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    seconds: float = 0.0

    def note(self, text):
        """Print a remark under the table and keep it for the JSON file."""
        print(f"  note: {text}")
        self.notes.append(text)

    def check(self, target):
        print(target.line())
        self.targets.append(target)

    def as_dict(self):
        return {
            "title": self.title,
            "rows": self.rows,
            "targets": [t.as_dict() for t in self.targets],
            "notes": self.notes,
            "seconds": round(self.seconds, 1),
        }


def fmt_near(ratio, limit):
    """Two decimals, or three when two would round onto the limit (1.503 is not 1.50)."""
    text = f"{ratio:.2f}"
    return f"{ratio:.3f}" if float(text) == limit and ratio != limit else text


def geometric_mean(values):
    values = [v for v in values if v]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None
