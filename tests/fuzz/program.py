"""A fuzz program: steps of Python source, run on a library and observed after each.

A program is a list of :class:`Step`. A step is a few lines of source that
use ``lib`` (``torch`` or ``minigrad``) and the names earlier steps made
(``t0``, ``t1``, ...); a block step (``with lib.no_grad():``) holds inner
steps. The same steps give two texts:

- :func:`instrumented_source`, which the runner executes: every step is
  wrapped in ``try``/``except`` and followed by a call that observes it;
- :func:`reproducer`, a plain script anyone can run against ``torch`` and
  ``minigrad`` to see a difference for themselves.

After every step the runner writes down (as ``tests/parity/observe.py``
does for the hand-written programs): the error the step raised, the warnings
it emitted, the grad mode, every tensor the step named (value, dtype, shape,
``requires_grad``, ``is_leaf``, ``grad_fn`` and ``next_functions``,
``_version``, ``repr``, ``.grad``...) and every call of a hook. At the end
every name is observed once more. ``tests/parity/compare.py`` compares two
runs.
"""

import re
import textwrap
import warnings
from dataclasses import dataclass, field

from tests.parity.observe import (
    describe_tensor,
    dtype_name,
    error_record,
    neutral_text,
    node_tree,
    plain,
    warning_records,
)

# Names the programs use besides their own t0, t1, ...: the library and the
# list hooks append their argument to.
LIBRARY_NAME = "lib"
HOOK_LOG = "log"
_NAME = re.compile(r"\b([tfg]\d+)\b")


@dataclass(frozen=True)
class Step:
    """One step of a program.

    ``code`` is its source (without indentation); ``kind`` names the kind of
    operation (``"view.index"``, ``"inplace.mul_"``), to group differences by;
    ``watch`` names the values observed after it (by default every ``t<N>``
    name in ``code``); ``body`` holds the inner steps of a block
    (``code`` is then its header, ``with ...:``); ``gradients`` names the
    values it binds that are gradients (results of ``autograd.grad``, a
    ``.grad`` read): their ``_version`` is not compared (``Observer.grad`` in
    tests/parity/observe.py says why).
    """

    code: str
    kind: str
    watch: tuple = None
    body: tuple = ()
    gradients: tuple = ()

    @property
    def is_block(self):
        return self.code.rstrip().endswith(":") and self.code.lstrip().startswith("with ")

    def names_used(self):
        """Every ``t<N>``/``f<N>``/``g<N>`` name in this step's own code (not its body)."""
        return set(_NAME.findall(self.code))

    def watched(self):
        if self.watch is not None:
            return tuple(self.watch)
        seen = []
        for name in _NAME.findall(self.code):
            if name.startswith("t") and name not in seen:
                seen.append(name)
        return tuple(seen)


@dataclass
class Program:
    """A list of steps, and where it came from (for the reproducer's header)."""

    steps: list
    seed: object = None
    features: frozenset = field(default_factory=frozenset)

    def flat(self):
        """Every step, blocks before their bodies (the order step numbers count in)."""
        return list(_flatten(self.steps))

    def __len__(self):
        return len(self.flat())


def _flatten(steps):
    for step in steps:
        yield step
        yield from _flatten(step.body)


# --- the instrumented source the runner executes ------------------------------


def instrumented_source(steps):
    """Source that runs ``steps`` with every step guarded and observed.

    Step *i* (counted as :meth:`Program.flat` counts) is followed by
    ``_observe(i, error)``; a block is observed after its body.
    """
    lines = []
    counter = iter(range(10**9))
    _emit(steps, 0, lines, counter)
    return "\n".join(lines) + "\n"


def _emit(steps, depth, lines, counter):
    pad = "    " * depth
    for step in steps:
        index = next(counter)
        lines.append(f"{pad}_error{index} = None")
        lines.append(f"{pad}try:")
        lines.extend(textwrap.indent(step.code, pad + "    ").splitlines())
        if step.is_block:
            if step.body:
                _emit(step.body, depth + 2, lines, counter)
            else:
                lines.append(f"{pad}        pass")
        lines.append(f"{pad}except Exception as _exception:")
        lines.append(f"{pad}    _error{index} = _exception")
        lines.append(f"{pad}_observe({index}, _error{index})")


# --- running and observing ----------------------------------------------------


class _Recorder:
    """Writes the observations of one run (see the module docstring)."""

    def __init__(self, flat_steps, namespace, caught):
        self.steps = flat_steps
        self.namespace = namespace
        self.caught = caught  # the list warnings.catch_warnings fills
        self.warnings_seen = 0
        self.hook_calls_seen = 0
        self.records = []
        self.with_repr = False  # repr is most of the cost: observed in the final snapshot only
        self.gradient_names = set()

    def new_warnings(self):
        fresh = self.caught[self.warnings_seen :]
        self.warnings_seen = len(self.caught)
        return warning_records(fresh)

    def observe_step(self, index, error):
        step = self.steps[index]
        lib = self.namespace[LIBRARY_NAME]
        self.records.append(
            {
                "label": f"step {index} ({step.kind})",
                "kind": "step",
                "error": None if error is None else error_record(error),
                "warnings": self.new_warnings(),
                "grad_mode": [lib.is_grad_enabled(), lib.is_inference_mode_enabled()],
            }
        )
        self.gradient_names.update(step.gradients)
        for name in step.watched():
            self.observe_name(f"step {index} {name}", name)
        log = self.namespace[HOOK_LOG]
        for k in range(self.hook_calls_seen, len(log)):
            self.observe_value(f"step {index} hook call {k}", log[k], gradient=True)
        self.hook_calls_seen = len(log)

    def observe_name(self, label, name):
        if name not in self.namespace:
            self.records.append({"label": label, "kind": "unbound"})
            return
        self.observe_value(label, self.namespace[name], name in self.gradient_names)

    def observe_value(self, label, value, gradient=False):
        if isinstance(value, (tuple, list)) and any(_is_tensor(v) for v in value):
            self.records.append({"label": label, "kind": "sequence", "length": len(value)})
            for k, item in enumerate(value):
                self.observe_value(f"{label}[{k}]", item, gradient)
        elif _is_tensor(value):
            fields = describe_tensor(value) if self.with_repr else describe_quickly(value)
            if gradient:
                del fields["version"]
            self.records.append({"label": label, "kind": "tensor", **fields})
        elif value is None:
            self.records.append({"label": label, "kind": "none"})
        else:
            try:
                text = plain(value)
            except TypeError:
                text = f"<{type(value).__name__}>"
            self.records.append({"label": label, "kind": "value", "value": text})

    def observe_end(self, names):
        self.with_repr = True
        for name in names:
            self.observe_name(f"end {name}", name)
        stray = self.new_warnings()
        if stray:
            self.records.append({"label": "end warnings", "kind": "warnings", "warnings": stray})


def _read(fn):
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - an error is an observation too
        return {"error": error_record(exc)}


def describe_quickly(t):
    """``describe_tensor`` without ``repr`` (PyTorch's repr costs a millisecond)."""
    record = {
        "value": _read(lambda: plain(t.tolist())),
        "dtype": _read(lambda: dtype_name(t.dtype)),
        "shape": _read(lambda: list(t.shape)),
        "requires_grad": _read(lambda: t.requires_grad),
        "is_leaf": _read(lambda: t.is_leaf),
        "retains_grad": _read(lambda: t.retains_grad),
        "is_inference": _read(lambda: t.is_inference()),
        "grad_fn": _read(lambda: None if t.grad_fn is None else neutral_text(t.grad_fn.name())),
        "next_functions": _read(lambda: node_tree(t.grad_fn)),
        "version": _read(lambda: t._version),
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        grad = _read(lambda: t.grad)
    record["grad_warnings"] = warning_records(caught)
    if isinstance(grad, dict) or grad is None:
        record["grad"] = grad
    else:
        record["grad"] = {
            "value": _read(lambda: plain(grad.tolist())),
            "dtype": _read(lambda: dtype_name(grad.dtype)),
            "requires_grad": _read(lambda: grad.requires_grad),
            "grad_fn": _read(
                lambda: None if grad.grad_fn is None else neutral_text(grad.grad_fn.name())
            ),
        }
    return record


def _is_tensor(value):
    # Not hasattr(value, "grad_fn"): reading grad_fn can raise (a view made in no_grad
    # whose base changed in place), and that error is an observation.
    module = type(value).__module__ or ""
    return type(value).__name__ == "Tensor" and module.split(".")[0] in ("torch", "minigrad")


def defined_names(steps):
    """The ``t<N>`` names a program assigns, in order of first appearance."""
    names = []
    for step in _flatten(steps):
        for name in _NAME.findall(step.code):
            if name.startswith("t") and name not in names:
                names.append(name)
    return names


def run(program, lib, compiled=None):
    """Run ``program`` on ``lib``; its list of observations.

    Grad mode is put back to its default afterwards (a program may call
    ``set_grad_enabled(False)`` and never undo it); the observations end with
    a ``grad mode at end`` record so that a leak is still compared.
    """
    steps = program.steps if isinstance(program, Program) else program
    code = compiled or compile(instrumented_source(steps), "<fuzz program>", "exec")
    namespace = {LIBRARY_NAME: lib, HOOK_LOG: []}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        recorder = _Recorder(list(_flatten(steps)), namespace, caught)
        namespace["_observe"] = recorder.observe_step
        try:
            exec(code, namespace)  # noqa: S102 - the program is ours, generated from steps
        except Exception as exc:  # noqa: BLE001 - a harness failure is an observation too
            recorder.records.append(
                {"label": "<crash>", "kind": "crash", "error": error_record(exc)}
            )
        finally:
            state = [lib.is_grad_enabled(), lib.is_inference_mode_enabled()]
            lib.set_grad_enabled(True)
        recorder.records.append({"label": "grad mode at end", "kind": "mode", "mode": state})
        recorder.observe_end(defined_names(steps))
    return recorder.records


# --- the reproducer -------------------------------------------------------------


def reproducer(program, note="", failing_step=None, guarded=()):
    """A runnable script: the program as a function of ``lib``, run on both libraries.

    The steps numbered in ``guarded`` (those that raised in either run) are
    wrapped in ``try`` so the script goes on and prints the error; the step
    numbered ``failing_step`` is followed by prints of what it touched.
    """
    lines = [
        '"""Differential fuzz reproducer: torch and minigrad disagree on this program.',
        "",
    ]
    lines += [line.rstrip() for line in note.strip().splitlines()] if note else []
    lines += [
        '"""',
        "",
        "import warnings",
        "",
        "import torch",
        "",
        "import minigrad as mg",
        "",
        'warnings.simplefilter("always")',
        "",
        "",
        "def show(name, t):",
        '    """Print what the fuzzer compares of a tensor."""',
        "    if not hasattr(t, 'grad_fn'):",
        "        print(name, '=', t)",
        "        return",
        "    version = 'inference' if t.is_inference() else t._version",
        "    print(name, '=', t, t.dtype, 'requires_grad', t.requires_grad, 'is_leaf', t.is_leaf,",
        "          'grad_fn', t.grad_fn, '_version', version)",
        "    with warnings.catch_warnings():",
        '        warnings.simplefilter("ignore")',
        "        print('   ', name + '.grad =', t.grad)",
        "",
        "",
        f"def program({LIBRARY_NAME}):",
        f"    {HOOK_LOG} = []  # hooks append their argument here",
    ]
    counter = iter(range(10**9))
    _emit_plain(program.steps, 1, lines, counter, failing_step, set(guarded))
    lines += [
        f"    return {HOOK_LOG}",
        "",
        "",
        "for library in (torch, mg):",
        '    print(f"--- {library.__name__}")',
        "    program(library)",
        "    library.set_grad_enabled(True)",
    ]
    return "\n".join(lines) + "\n"


def _emit_plain(steps, depth, lines, counter, failing_step, guarded):
    pad = "    " * depth
    for step in steps:
        index = next(counter)
        if index in guarded and not step.is_block:
            lines.append(f"{pad}try:")
            lines.extend(textwrap.indent(step.code, pad + "    ").splitlines())
            lines.append(f"{pad}except Exception as error:")
            lines.append(f"{pad}    print('step {index} raised', type(error).__name__, error)")
        else:
            lines.extend(textwrap.indent(step.code, pad).splitlines())
            if step.body:
                _emit_plain(step.body, depth + 1, lines, counter, failing_step, guarded)
            elif step.is_block:
                lines.append(f"{pad}    pass")
        if index == failing_step:
            for name in step.watched():
                lines.append(f"{pad}show('{name}', {name})")
            lines.append(f"{pad}print('hook calls:', {HOOK_LOG})")
