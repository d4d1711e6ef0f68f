"""What a lecture calls, so that its cells show the lesson and not the plumbing.

- ``show_source(obj)``: print the source of a piece of minigrad, at most
  ``MAX_SOURCE_LINES`` lines; ``start=``/``stop=`` print an excerpt (from the
  line containing ``start`` to the line containing ``stop``, both included),
  and say so; ``elide=`` replaces runs of lines the lesson does not need (a
  speed shortcut) by one ``...`` line that says what they do, and the heading
  says how many lines were left out.
- ``predict(question, choices)``: the learner commits to an answer before the
  reveal (a click on a button, or ``answer=`` written in the cell); the
  reveal cell calls ``.reveal(what the program gave)`` and says whether the
  prediction was right.
- Small helpers the lectures share: ``short``, ``names``, ``lines``,
  ``outcome``, ``saved_names``; ``walk_graph`` prints a graph node by node.

The lecture budgets (tests/notebooks/test_lecture_budgets.py): no printed
source over ``MAX_SOURCE_LINES`` lines, no code cell over ``MAX_CELL_LINES``.
"""

import inspect
import pathlib
import textwrap

MAX_SOURCE_LINES = 30
MAX_CELL_LINES = 15
_ROOT = pathlib.Path(__file__).resolve().parent.parent


# --- printing source ----------------------------------------------------------------


def _where(obj):
    """``minigrad/graph.py``: the file an object is defined in, inside the project."""
    try:
        path = pathlib.Path(inspect.getsourcefile(inspect.unwrap(obj))).resolve()
    except TypeError:
        return None
    try:
        return path.relative_to(_ROOT).as_posix()
    except ValueError:
        return path.name


def source_lines(obj, start=None, stop=None):
    """The lines of ``obj``'s source, dedented; from ``start`` to ``stop`` if given."""
    if isinstance(obj, property):
        obj = obj.fget
    lines = textwrap.dedent(inspect.getsource(obj)).splitlines()
    if start is None and stop is None:
        return lines, False
    first = 0 if start is None else _line_with(lines, start)
    last = len(lines) - 1 if stop is None else _line_with(lines, stop, after=first)
    return lines[first : last + 1], True


def _line_with(lines, text, after=0):
    for i in range(after, len(lines)):
        if text in lines[i]:
            return i
    raise ValueError(f"no line contains {text!r}")


def elided(lines, elide):
    """``lines`` with each ``(first, last, note)`` of ``elide`` applied: the lines from the
    one containing ``first`` to the one containing ``last`` become one line, ``...  # note
    (N lines)``, indented as the first of them. Returns the lines and how many went."""
    gone = 0
    for first, last, note in elide:
        i = _line_with(lines, first)
        j = _line_with(lines, last, after=i)
        indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
        lines = [*lines[:i], f"{indent}...  # {note} ({j - i + 1} lines)", *lines[j + 1 :]]
        gone += j - i + 1
    return lines, gone


def show_source(obj, start=None, stop=None, elide=()):
    """Print ``obj``'s source (an excerpt with ``start``/``stop``), under a line saying where
    it lives. Longer than ``MAX_SOURCE_LINES`` lines is refused: show an excerpt instead.

    ``elide`` leaves out what a lesson does not need, each ``(first, last, note)`` a run
    of lines printed as one ``...`` line with the note (see ``elided``); the heading says
    how many lines were left out, so a printout never passes for the whole code.
    """
    lines, excerpt = source_lines(obj, start, stop)
    lines, gone = elided(lines, elide)
    if len(lines) > MAX_SOURCE_LINES:
        raise ValueError(
            f"{getattr(obj, '__qualname__', obj)}: {len(lines)} lines, more than a lecture "
            f"prints ({MAX_SOURCE_LINES}); show an excerpt (start=..., stop=...)"
        )
    name = getattr(obj, "__qualname__", getattr(getattr(obj, "fget", None), "__qualname__", ""))
    where = _where(obj.fget if isinstance(obj, property) else obj)
    notes = ["excerpt"] * excerpt + [f"... marks {gone} lines left out"] * bool(gone)
    print(f"# {where}: {name}" + (f" ({', '.join(notes)})" if notes else ""))
    print("\n".join(lines), end="\n\n")  # a blank line before what follows


# --- predictions --------------------------------------------------------------------


class Prediction:
    """One question, its choices, and the learner's answer once committed.

    The answer is committed by a click (the buttons then lock) or by
    ``answer=`` in the cell; ``reveal(actual)`` compares it with what the
    program gave, which must be one of the choices.
    """

    def __init__(self, question, choices, answer=None):
        self.question = question
        self.choices = [str(c) for c in choices]
        self.answer = None if answer is None else self._choice(answer)
        self.buttons = None
        self.right = None

    def _choice(self, answer):
        """The choice meant by ``answer``: its text, or its letter ("b")."""
        answer = str(answer)
        if answer in self.choices:
            return answer
        letters = "abcdefgh"[: len(self.choices)]
        if len(answer) == 1 and answer in letters:
            return self.choices[letters.index(answer)]
        raise ValueError(f"{answer!r} is not one of the choices {self.choices}")

    def commit(self, answer):
        """Record the answer (what a click does); a committed answer does not change."""
        if self.answer is None:
            self.answer = self._choice(answer)
        if self.buttons is not None:
            self.buttons.disabled = True
        return self.answer

    def show(self):
        print(f"Predict: {self.question}")
        for letter, choice in zip("abcdefgh", self.choices):
            print(f"  {letter}) {choice}")
        if self.answer is not None:
            print(f"Your answer: {self.answer}. Run the next cell to see.")
            return
        print('Click your answer (or write answer="a" in this cell), then run the next cell.')
        if not _in_a_kernel():
            return
        import ipywidgets
        from IPython.display import display

        self.buttons = ipywidgets.ToggleButtons(options=self.choices, value=None)
        self.buttons.observe(lambda change: self.commit(change["new"]), names="value")
        display(self.buttons)

    def reveal(self, actual):
        """Say what the program gave, and whether the committed answer was right.

        ``self.right`` keeps the verdict: True, False, or None when nothing was committed.
        Nothing is returned, so a reveal at the end of a cell shows only its sentence.
        """
        actual = str(actual)
        if actual not in self.choices:
            raise ValueError(f"the program gave {actual!r}, which is none of {self.choices}")
        self.right = None if self.answer is None else self.answer == actual
        if self.right is None:  # the buttons stay open: click, then run this cell again
            print(f"The program gives: {actual}. (No prediction was committed above.)")
        elif self.right:
            print(f"The program gives: {actual}. You predicted it: right.")
        else:
            print(f"The program gives: {actual}. You predicted {self.answer}: not this time.")


def _in_a_kernel():
    """True in a Jupyter kernel, where buttons can be clicked (not in plain Python)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def predict(question, choices, answer=None):
    """Ask, show the choices, and return the Prediction that ``reveal`` will judge."""
    prediction = Prediction(question, choices, answer)
    prediction.show()
    return prediction


# --- small formatting helpers -------------------------------------------------------


def short(node):
    """A node's name without the library prefix (PyTorch says torch::autograd::...)."""
    return None if node is None else node.name().split("::")[-1]


def names(fns):
    """The names of the nodes in ``next_functions``, without the library prefix."""
    return [short(fn) for fn, _ in fns]


def lines(seen):
    """Observations one per line: easier to read than one long dict."""
    return "\n".join(
        f"{key}: {value if isinstance(value, str) else repr(value)}" for key, value in seen.items()
    )


def outcome(action):
    """What ``action()`` returns, or the RuntimeError it raises, as text."""
    try:
        return action()
    except RuntimeError as error:
        return f"RuntimeError: {error}"


def saved_names(node, lib):
    """The names of the tensors a backward node saved (PyTorch also lists numbers, sizes)."""
    return [
        a[len("_saved_") :]
        for a in dir(node)
        if a.startswith("_saved_") and isinstance(getattr(node, a), lib.Tensor)
    ]


# --- walking a graph ----------------------------------------------------------------


def walk_graph(output, names):
    """Print each node behind ``output`` once, with the nodes its edges lead to.

    ``names`` maps a name to each value of the program; a node is labelled with
    the value it produced, an ``AccumulateGrad`` with the leaf it feeds. A stack
    of nodes still to visit, not recursion: graphs can be deep.
    """
    made_by = {v.grad_fn: n for n, v in names.items() if v.grad_fn is not None}
    leaf_name = {id(v): n for n, v in names.items()}

    def label(node):
        if node is None:
            return "None"
        if short(node) == "AccumulateGrad":
            return f"AccumulateGrad({leaf_name[id(node.variable)]})"
        return f"{short(node)}({made_by[node]})"

    seen, stack = set(), [output.grad_fn]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        print(f"{label(node):22} -> {', '.join(label(fn) for fn, _ in node.next_functions)}")
        stack.extend(fn for fn, _ in reversed(node.next_functions) if fn is not None)
    print(len(seen), "nodes")


def param_versions(model):
    """The ``_version`` of each of a model's parameters, in order."""
    return [p._version for p in model.parameters()]
