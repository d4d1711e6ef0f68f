"""A class of submissions for the demo chapter, each with the grade it must get.

Built from the demo's solutions notebook (full marks), its released
exercise notebook (zero), partial and plausibly wrong solutions, and every
hostile submission the grader must survive.  Each entry says what the
grader must write for it: points per graded cell, status, and words that
must appear in the reason and in the feedback messages.  The expected
points are what the definition of each submission implies (which cells
were solved, which exercise a hostile cell sits in), not what the grader
happened to print.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
SOLUTIONS = FIXTURES / "solutions" / "ch99_demo.ipynb"
EXERCISES = FIXTURES / "exercises" / "ch99_demo.ipynb"
CHECKS_MODULE = Path(__file__).parents[2] / "coursekit" / "checks" / "ch99.py"

POINTS = {"ex1-check": 3, "ex2-check": 3, "ex3-check": 2, "ex4-check": 2}
SOLVED_IN = {
    "ex1-impl": "ex1-check",
    "ex2-impl": "ex2-check",
    "ex3-answer": "ex3-check",
    "ex4-fix": "ex4-check",
}

# Limits the test grades with (small, so that hostile cells cost little time).
CELL_S = 3
OUTPUT_MB = 2
MEMORY_MB = 1024


def run_grader(*args, timeout: float = 600, env=None) -> subprocess.CompletedProcess:
    """``python -m coursekit.grade ARGS`` from the repository, as an instructor runs it."""
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "coursekit.grade", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def tree_hashes(folder: Path) -> dict:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def read_gradebook(path: Path) -> dict:
    with open(path, newline="", encoding="utf-8") as f:
        return {row["learner"]: row for row in csv.DictReader(f)}


@dataclass
class Expect:
    points: dict
    status: str = "ok"
    reason: str = ""  # a phrase the reason must contain ("" = the reason is empty)
    messages: dict = field(default_factory=dict)  # grade_id -> phrase in that cell's message

    @property
    def total(self) -> int:
        return sum(self.points.values())


def points(*failed: str) -> dict:
    """Full marks except the graded cells named (by exercise number, e.g. "ex2")."""
    return {gid: (0 if gid.split("-")[0] in failed else p) for gid, p in POINTS.items()}


def load(path: Path) -> dict:
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        cell["source"] = (
            "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        )
    return nb


def dump(nb: dict) -> bytes:
    return json.dumps(nb, indent=1).encode()


def cell(nb: dict, grade_id: str) -> dict:
    return next(
        c
        for c in nb["cells"]
        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id
    )


def edited(
    nb: dict, grade_id: str, *, before: str = "", after: str = "", source: str | None = None
) -> dict:
    nb = copy.deepcopy(nb)
    target = cell(nb, grade_id)
    body = target["source"] if source is None else textwrap.dedent(source).strip("\n")
    target["source"] = (
        textwrap.dedent(before).strip("\n")
        + ("\n" if before else "")
        + body
        + ("\n" + textwrap.dedent(after).strip("\n") if after else "")
    )
    return nb


def with_cells_after(nb: dict, grade_id: str, sources: list) -> dict:
    """``nb`` with code cells of the learner's own added after the cell named."""
    nb = copy.deepcopy(nb)
    at = nb["cells"].index(cell(nb, grade_id)) + 1
    nb["cells"][at:at] = [
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": s}
        for s in sources
    ]
    return nb


def replaced(nb: dict, sources: dict) -> dict:
    """``nb`` with the cells named given new sources."""
    for grade_id, source in sources.items():
        nb = edited(nb, grade_id, source=source)
    return nb


def solved(grade_ids: list) -> dict:
    """The exercise notebook with the solution cells named copied from solutions/."""
    solution, nb = load(SOLUTIONS), load(EXERCISES)
    for grade_id in grade_ids:
        cell(nb, grade_id)["source"] = cell(solution, grade_id)["source"]
    return nb


def build(folder: Path, guarded: dict, marker: Path) -> dict:
    """Write the class into ``folder``; return ``{learner: Expect}``.

    ``guarded`` maps names (out, submissions, solutions) to paths the
    hostile submissions try to destroy; ``marker`` is a file they try to
    create on the host.
    """
    sol = load(SOLUTIONS)
    out = {}

    def add(learner: str, nb_or_bytes, expect: Expect) -> None:
        data = nb_or_bytes if isinstance(nb_or_bytes, bytes) else dump(nb_or_bytes)
        (folder / f"{learner}.ipynb").write_bytes(data)
        out[learner] = expect

    add(
        "full",
        sol,
        Expect(
            points(),
            messages={"ex1-check": "all 14 cases pass (7 visible, 7 hidden)", "ex3-check": "right"},
        ),
    )
    add(
        "zero",
        load(EXERCISES),
        Expect(
            points("ex1", "ex2", "ex3", "ex4"), messages={g: "not implemented yet" for g in POINTS}
        ),
    )
    add("partial", solved(["ex1-impl", "ex3-answer"]), Expect(points("ex2", "ex4")))
    add(
        "buggy_loop",
        edited(
            sol,
            "ex4-fix",
            source="""
        def train(xs, ys, steps, lr):
            w = 0.0
            grad = 0.0
            for _ in range(steps):
                for x, y in zip(xs, ys):
                    grad += 2 * (w * x - y) * x / len(xs)
                w -= lr * grad
            return w
        """,
        ),
        Expect(points("ex4"), messages={"ex4-check": "zero_grad"}),
    )
    add(
        "same_input",
        edited(
            sol,
            "ex2-impl",
            source="""
        def mul_backward(a, b, grad_out):
            return unbroadcast(grad_out * a, a.shape), unbroadcast(grad_out * b, b.shape)
        """,
        ),
        Expect(points("ex2"), messages={"ex2-check": "multiply grad_out by the other input"}),
    )
    add(
        "no_keepdims",
        edited(
            sol,
            "ex1-impl",
            source="""
        def unbroadcast(grad, shape):
            while grad.ndim > len(shape):
                grad = grad.sum(axis=0)
            for axis, size in enumerate(shape):
                if size == 1 and grad.shape[axis] != 1:
                    grad = grad.sum(axis=axis)
            return grad
        """,
        ),
        Expect(
            points("ex1", "ex2"),
            messages={
                "ex1-check": "expected shape (2, 1)",
                "ex2-check": "a of shape (2, 1) times b of shape (1, 4): grad_a has shape (2,)",
            },
        ),
    )

    # -- a busy machine ------------------------------------------------------------
    # Issue 16, hole 12: with -j 2, one learner's CPU hog slowed another's
    # legitimate cell past the limit. These two are first in the class, so the
    # two workers grade them side by side; the hog's processes run while the
    # other computes for half its cell's time (and while the rest of the class starts).
    # The hog's sandbox lives on through cells of its own that each sleep a third
    # of a cell's time (a sleep counts on the kernel's clock: one near the limit
    # would leave the verdict to how fast the grader reads the reply).
    hog = replaced(
        sol,
        {
            "ex1-impl": "import subprocess, sys, time\n"
            "hogs = [subprocess.Popen([sys.executable, '-c', 'while True: pass'])"
            " for _ in range(4)]\n" + cell(sol, "ex1-impl")["source"],
        },
    )
    for grade_id in ("ex1-impl", "ex2-impl", "ex3-answer", "ex4-fix"):
        hog = with_cells_after(hog, grade_id, [f"time.sleep({CELL_S / 3:g})"] * 2)
    add("aa_cpu_hog", hog, Expect(points()))
    add(
        "ab_slow_but_right",
        replaced(
            sol,
            {
                "ex1-impl": "import time\ntime.sleep(1)\n" + cell(sol, "ex1-impl")["source"],
                "ex2-impl": "start = time.process_time()\n"
                f"while time.process_time() - start < {CELL_S / 2}:  # honest computing\n"
                "    pass\n" + cell(sol, "ex2-impl")["source"],
            },
        ),
        Expect(points()),
    )

    # -- limits ----------------------------------------------------------------
    add(
        "infinite_loop",
        edited(sol, "ex2-impl", before="while True:\n    pass"),
        Expect(points("ex2"), "incidents", f"timed out after {CELL_S} s in exercise 2"),
    )
    add(
        "loops_when_called",
        edited(
            sol,
            "ex4-fix",
            source="""
        def train(xs, ys, steps, lr):
            while True:
                pass
        """,
        ),
        Expect(
            points("ex4"),
            "incidents",
            "while being checked (your function did not return) in exercise 4",
        ),
    )
    add(
        "memory_hog",
        edited(sol, "ex4-fix", before="hog = bytearray(20 * 1024**3)"),
        Expect(
            points("ex4"), "incidents", f"ran out of memory (limit {MEMORY_MB} MB) in exercise 4"
        ),
    )
    add(
        "prints_a_megabyte",
        edited(sol, "ex1-impl", before="print('x' * 1_000_000)"),
        Expect(points()),
    )
    add(
        "display_too_large",  # stopped in the kernel, before it is serialised and sent
        edited(
            sol,
            "ex2-impl",
            before="from IPython.display import display\n"
            "display({'text/plain': 'x' * 100_000_000}, raw=True)",
        ),
        Expect(points("ex2"), "incidents", f"printed more than {OUTPUT_MB} MB in exercise 2"),
    )
    add(
        "result_too_large",  # a cell's last expression is shown as its result: counted too
        edited(sol, "ex3-answer", after="'x' * 100_000_000"),
        Expect(points("ex3"), "incidents", f"printed more than {OUTPUT_MB} MB in exercise 3"),
    )
    add(
        "display_past_the_limiter",  # sent by the kernel's own session, around the limiter:
        # over the sockets' message limit, it cut the output channel, and every later
        # probe's frame was lost (ex3 and ex4, solved, failed "could not read")
        edited(
            sol,
            "ex2-impl",
            before="kernel = get_ipython().kernel\n"
            "kernel.session.send(kernel.iopub_socket, 'display_data',\n"
            "    {'data': {'text/plain': 'x'}, 'metadata': {}}, parent=kernel.get_parent(),\n"
            "    buffers=[bytes(65 << 20)])",  # a raw frame: neither serialised nor signed
        ),
        Expect(points("ex2"), "incidents", f"printed more than {OUTPUT_MB} MB in exercise 2"),
    )
    add(
        "output_flood",
        edited(sol, "ex3-answer", before="while True:\n    print('y' * 100_000)"),
        Expect(points("ex3"), "incidents", f"printed more than {OUTPUT_MB} MB in exercise 3"),
    )

    # -- ending the process --------------------------------------------------------
    add(
        "sys_exit",
        edited(sol, "ex3-answer", before="import sys\nsys.exit('bye')"),
        Expect(points("ex3"), messages={"ex3-check": "raised SystemExit"}),
    )
    add(
        "os_exit",
        edited(sol, "ex3-answer", after="import os\nos._exit(3)"),
        Expect(points("ex3"), "incidents", "the kernel died in exercise 3 (exit code 3"),
    )
    add(
        "kills_itself",
        edited(sol, "ex4-fix", before="import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"),
        Expect(points("ex4"), "incidents", "the kernel died in exercise 4 (killed by SIGKILL"),
    )
    add(
        "kills_everything",
        edited(
            sol,
            "ex2-impl",
            before="""
        import os, signal
        try:
            os.killpg(0, signal.SIGKILL)
        finally:
            os.kill(-1, signal.SIGKILL)
        """,
        ),
        Expect(points("ex2"), "incidents", "the kernel died in exercise 2"),
    )

    # -- tampering -------------------------------------------------------------------
    add(
        "files_around",
        edited(
            sol,
            "ex1-impl",
            before=f"""
        import glob, os, shutil, sys
        for target in {sorted(str(p) for p in guarded.values())!r} + glob.glob("/tmp/coursekit-*"):
            shutil.rmtree(target, ignore_errors=True)
        for path in [{str(marker)!r}, os.path.join(sys.prefix, "planted.txt"),
                     {str(guarded["out"] / "gradebook.csv")!r}, {str(guarded["submissions"] / "zz.ipynb")!r}]:
            try:
                with open(path, "w") as f:
                    f.write("planted")
            except OSError:
                pass
        """,
        ),
        Expect(points()),
    )
    add(
        "reads_hidden_tests",
        replaced(
            sol,
            {
                "ex1-impl": f"""
            import types
            leaked = None
            try:
                import coursekit.checks.ch99 as leaked
            except ImportError:
                for path in [{str(CHECKS_MODULE)!r}, "../coursekit/checks/ch99.py", "../../coursekit/checks/ch99.py"]:
                    try:
                        with open(path) as f:
                            namespace = {{}}
                            exec(f.read(), namespace)
                            leaked = types.SimpleNamespace(**namespace)
                            break
                    except OSError:
                        pass

            def unbroadcast(grad, shape):
                return leaked.unbroadcast_reference({{"grad": grad.tolist(), "shape": list(shape)}})
            """,
                "ex2-impl": """
            def mul_backward(a, b, grad_out):
                case = {"a": a.tolist(), "b": b.tolist(), "grad_out": grad_out.tolist()}
                return tuple(leaked.mul_backward_reference(case))
            """,
                "ex3-answer": """
            truth = leaked.broadcast_reference({"shapes": [[2, 1, 3], [4, 1]]})
            answer_shape, answer_grad_shape = tuple(truth[0]), tuple(truth[1])
            """,
                "ex4-fix": """
            def train(xs, ys, steps, lr):
                return leaked.train_reference({"xs": xs, "ys": ys, "steps": steps, "lr": lr})
            """,
            },
        ),
        Expect(  # the checks module is not in the sandbox (the check saw AttributeError); and
            # reading the grading's own code is tampering, which scores 0 whatever the check saw
            points("ex1", "ex2", "ex3", "ex4"),
            "tampered",
            "a cell in exercise 1 uses the grading machinery (its line 4: `import coursekit.checks.ch99",
            messages={"ex1-check": "AttributeError", "ex3-check": "not defined"},
        ),
    )
    add(
        "patches_everything",
        replaced(
            sol,
            {
                "ex1-impl": """
            import builtins
            import numpy as np
            import coursekit
            import coursekit.checks.core as core

            def check(*args, **kwargs):
                print("✓ all cases pass.")

            coursekit.check = check
            core.judge_all = lambda check, data, cases, hidden=False: core.Outcome(check.id, "passed", "ok")
            np.allclose = lambda *a, **k: True
            np.isclose = lambda *a, **k: np.array(True)
            np.array_equal = lambda *a, **k: True
            np.testing.assert_allclose = lambda *a, **k: None
            builtins.AssertionError = type("AssertionError", (Exception,), {})

            def unbroadcast(grad, shape):
                return grad
            """,
                "ex2-impl": """
            def mul_backward(a, b, grad_out):
                return grad_out, grad_out
            """,
                "ex3-answer": "answer_shape, answer_grad_shape = (1,), (1,)",
                "ex4-fix": """
            def train(xs, ys, steps, lr):
                return 0.0
            """,
            },
        ),
        Expect(  # the judge runs in the grader (the check saw wrong answers), and tampering scores 0
            points("ex1", "ex2", "ex3", "ex4"),
            "tampered",
            "a cell in exercise 1 replaces how results leave the kernel (its line 1: `import builtins`)",
            messages={"ex1-check": "expected", "ex4-check": "expected"},
        ),
    )
    add(
        "equals_everything",
        replaced(
            sol,
            {
                "ex1-impl": """
            class AlwaysEqual:
                def __eq__(self, other):
                    return True

                def __ne__(self, other):
                    return False

                __hash__ = object.__hash__


            def unbroadcast(grad, shape):
                return AlwaysEqual()
            """,
                "ex2-impl": """
            def mul_backward(a, b, grad_out):
                return AlwaysEqual(), AlwaysEqual()
            """,
                "ex3-answer": "answer_shape = answer_grad_shape = AlwaysEqual()",
                "ex4-fix": """
            class Sneaky(float):
                def __eq__(self, other):
                    return True

                __hash__ = float.__hash__


            def train(xs, ys, steps, lr):
                return Sneaky(0.0)
            """,
            },
        ),
        Expect(
            points("ex1", "ex2", "ex3", "ex4"),
            messages={
                "ex1-check": "AlwaysEqual",
                "ex2-check": "AlwaysEqual",
                "ex3-check": "AlwaysEqual",
                "ex4-check": "Sneaky",
            },
        ),
    )

    # Names built from pieces of strings, which the source scan's first rules cannot see:
    # each is caught by how the name is then used (grade/tamper.py).
    add(
        "disguised_import",  # the package itself, to take the checks from it by a built name
        edited(
            sol,
            "ex1-impl",
            before='import coursekit\n_checks = getattr(coursekit, "che" + "cks", None)',
        ),
        Expect(
            points("ex1", "ex2", "ex3", "ex4"),
            "tampered",
            "a cell in exercise 1 uses the grading machinery (its line 1: `import coursekit`",
        ),
    )
    add(
        "disguised_setattr",  # a module's function replaced through a built name
        edited(
            sol,
            "ex2-impl",
            before='import numpy\nsetattr(numpy, "all" + "close", lambda *args, **kwargs: True)',
        ),
        Expect(
            points("ex2", "ex3", "ex4"),
            "tampered",
            "a cell in exercise 2 sets another object's attributes by name "
            '(its line 2: `setattr(numpy, "all" + "close"',
        ),
    )
    add(
        "disguised_module",  # the checks' module, reached from the check function handed out
        edited(sol, "ex3-answer", before="import inspect\n_grading = inspect.getmodule(check)"),
        Expect(
            points("ex3", "ex4"),
            "tampered",
            "a cell in exercise 3 reaches into the interpreter "
            "(its line 2: `_grading = inspect.getmodule(check)`",
        ),
    )

    add(
        "shadows_builtins",  # the probe runs in the notebook's namespace: a name of the
        # notebook's own must not stand in for the exec, compile or globals it calls (an
        # exec of the learner's could rewrite what the probe runs, unseen by the scan)
        edited(sol, "ex1-impl", after="exec = compile = globals = None"),
        Expect(points()),
    )

    # -- data of unknown shape, crashes that strike later, what the kernel can see ---------
    add(
        "fake_array",  # issue 16, hole 2: a plain value the comparison did not foresee
        edited(
            sol,
            "ex4-fix",
            source="""
        def train(xs, ys, steps, lr):
            return {"__ndarray__": "abc", "shape": 5}
        """,
        ),
        Expect(points("ex4"), messages={"ex4-check": "a dict that imitates a numpy array"}),
    )
    add(
        "raises_interrupt",  # a BaseException the probe does not catch: named, not "unreadable"
        edited(
            sol,
            "ex4-fix",
            source="""
        def train(xs, ys, steps, lr):
            raise KeyboardInterrupt
        """,
        ),
        Expect(points("ex4"), messages={"ex4-check": "your code raised KeyboardInterrupt"}),
    )
    add(
        "deep_json",  # hole 3: a probe's frame nested 100000 deep
        edited(
            sol,
            "ex1-impl",
            before="""
        import json
        _dumps = json.dumps

        def _deep(obj, *args, **kwargs):
            if isinstance(obj, dict) and "results" in obj:
                return "[" * 100000 + "]" * 100000
            return _dumps(obj, *args, **kwargs)

        wire = json  # through another name, unseen by grade/tamper.py: the wire must hold
        wire.dumps = _deep
        """,
        ),
        Expect(
            points("ex1", "ex2", "ex3", "ex4"),
            messages={g: "could not read what your code produced" for g in POINTS},
        ),
    )
    add(
        "json_replaced",  # hole 3 at large: every message the kernel sends is garbage
        edited(
            sol,
            "ex1-impl",
            before="""
        import json
        wire = json  # through another name: unseen
        wire.dumps = lambda *args, **kwargs: "[" * 100000 + "]" * 100000
        """,
        ),
        Expect(
            points("ex1", "ex2"),  # ex2 uses ex1's unbroadcast, which never ran to the end
            "incidents",
            "the kernel sent messages that cannot be read in exercise 1",
        ),
    )
    add(
        "forged_messages",  # messages of the wrong shape, signed by the kernel itself
        edited(
            sol,
            "ex2-impl",
            before="""
        kernel = get_ipython().kernel
        session, parent = kernel.session, kernel.get_parent()
        for kind, content in [
            ("stream", b"[1, 2, 3]"),
            ("stream", b'{"name": "stdout", "text": ["x", "y"]}'),
            ("status", b'"idle"'),
            ("execute_reply", b"null"),
        ]:
            message = session.msg(kind, parent=parent)
            message["content"] = content  # bytes: sent as they are, no check
            kernel.iopub_socket.send_multipart(session.serialize(message))
        """,
        ),
        Expect(points()),
    )
    add(
        "delayed_crash",  # hole 5: a thread started in exercise 3 ends the kernel later
        replaced(
            sol,
            {
                "ex3-answer": "import os, threading\n"
                "threading.Timer(0.5, os._exit, args=(7,)).start()\n"
                + cell(sol, "ex3-answer")["source"],
                # Waits for the timer (at most a cell's time less a second), so the
                # kernel always dies in exercise 4, however slow the machine: never
                # after the last cell, where no one would notice.
                "ex4-fix": "import threading\nfor thread in threading.enumerate():\n"
                "    if isinstance(thread, threading.Timer):\n"
                f"        thread.join({CELL_S - 1})\n" + cell(sol, "ex4-fix")["source"],
            },
        ),
        Expect(
            points("ex3"),
            "incidents",
            "the kernel died in exercise 3 (exit code 7",
            messages={"ex3-check": "a thread or process its code started"},
        ),
    )
    host_paths = sorted({str(p) for p in guarded.values()} | {str(ROOT)})
    add(
        "host_paths",  # hole 11: nothing about the host's layout is visible in the kernel
        edited(
            sol,
            "ex1-impl",
            before=f"""
        import glob, os, sys
        texts = [repr(sys.path), sys.prefix, sys.exec_prefix, sys.executable, os.getcwd()]
        texts += [repr(dict(os.environ)), repr(sys.meta_path), repr(sys.path_hooks)]
        for top in ["/", "/tmp", "/home", "/run", "/opt", "/etc", os.getcwd()]:
            try:
                texts.append(repr(os.listdir(top)))
            except OSError:
                pass
        readable = ["/proc/1/cmdline", "/proc/self/cmdline", "/proc/self/mountinfo",
                    "/proc/self/environ", "/proc/1/environ"]
        # Not the working directory: it holds this notebook (which names the paths) and its history.
        for top in ["/etc", "/run", "/tmp", "/opt/coursekit/site"]:
            for folder, _, names in os.walk(top):
                readable += [os.path.join(folder, n) for n in names]
        for site in [p for p in sys.path if p.endswith("site-packages")]:
            readable += glob.glob(site + "/*.pth") + glob.glob(site + "/__editable__*")
            readable += glob.glob(site + "/*.dist-info/direct_url.json")
        for path in readable:
            try:
                with open(path, "rb") as f:
                    texts.append(f.read(1 << 20).decode("utf-8", "replace"))
            except OSError:
                pass
        leaks = [p for p in {host_paths!r} if any(p in t for t in texts)]
        leaks += [p for p in ["coursekit-run-", ".coursekit-grade"] if any(p in t for t in texts)]
        """,
            after="""
        _solution = unbroadcast

        def unbroadcast(grad, shape):
            if leaks:
                raise RuntimeError("LEAK " + " ".join(leaks))
            return _solution(grad, shape)
        """,
        ),
        Expect(points()),
    )

    # -- files that are not what they should be ------------------------------------------
    add(
        "lone_surrogate",  # valid JSON, not text: the grader failed on it (status error, exit 1)
        edited(sol, "ex3-answer", before="s = '\ud800'"),
        Expect(points(), "ok", "lone surrogates"),
    )
    add(
        "raises_a_surrogate",  # its message, not text, crashed the whole run writing feedback
        edited(
            sol,
            "ex4-fix",
            source="def train(xs, ys, steps, lr):\n    raise ValueError('bad \\udc80 value')",
        ),
        Expect(points("ex4"), messages={"ex4-check": "ValueError: bad ? value"}),
    )
    add("empty", b"", Expect(points("ex1", "ex2", "ex3", "ex4"), "rejected", "empty file"))
    add(
        "not_json",
        b"print('this is a script, not a notebook')\n",
        Expect(points("ex1", "ex2", "ex3", "ex4"), "rejected", "not valid JSON"),
    )
    add(
        "old_format",
        _to_nbformat3(SOLUTIONS.read_text()),
        Expect(points(), "ok", "converted from nbformat 3"),
    )
    other = copy.deepcopy(sol)
    other["metadata"]["coursekit"]["chapter"] = "ch02"
    add(
        "wrong_chapter",
        other,
        Expect(points("ex1", "ex2", "ex3", "ex4"), "rejected", "notebook of ch02"),
    )
    renamed = copy.deepcopy(sol)
    renamed["cells"].remove(cell(renamed, "ex1-check"))
    cell(renamed, "ex2-check")["metadata"]["nbgrader"]["grade_id"] = "my-own-id"
    add("cells_deleted", renamed, Expect(points(), "modified", "ex1-check, ex2-check"))
    add(
        "widgets_and_plots",  # each import in a cell of its own: a cold import of matplotlib
        # alone can take a good part of a cell's time on a slow machine
        with_cells_after(
            sol,
            "ex4-fix",
            [
                "import ipywidgets\nfrom IPython.display import display",
                "display(ipywidgets.IntSlider(value=3, max=10))",
                "import matplotlib.pyplot as plt",
                "plt.plot([0, 1], [0, 3])\nplt.show()",
            ],
        ),
        Expect(points()),
    )
    return out


def _to_nbformat3(text: str) -> bytes:
    import nbformat

    return nbformat.writes(nbformat.convert(nbformat.reads(text, as_version=4), 3), 3).encode()
