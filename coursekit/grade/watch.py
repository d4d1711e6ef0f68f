"""What a probe relies on in the learner's kernel, and whether it is still what it was.

A probe runs in the learner's kernel, where the learner's cells ran first.  The
source scan (``tamper.py``) reads what those cells say; a cell that reaches a
grading module through an object it is handed, by a name it builds, and then
assigns to it plainly (``m.observe = fake``) says nothing the scan can see.
This module looks at what the kernel *is* instead.

Before the learner's first cell, the grader has the kernel import what the
chapter's probes import and :func:`take` a snapshot: every object the grading
relies on, reached from its modules (every module of minigrad and coursekit then
loaded: the engine build's, minigrad's..., and ``json``, ``builtins``, the
kernel's output streams and IPython's input and AST transformers), each with the
way it was reached (``minigrad.scalar.Scalar.__add__``).
What is followed: a module's attributes, a class's own dict, a function's
``__code__``, ``__defaults__``, ``__kwdefaults__``, closure cells and ``__dict__``,
the function inside a staticmethod, classmethod, property or bound method, the
items of lists, tuples, dicts and sets, and the ``__class__`` of an instance of a
class those modules define (and its ``__dict__`` if coursekit defines it: minigrad's
instances hold state that moves).  The snapshot keeps every object alive, so no
other object can come to have its ``id``.

Before every probe the kernel walks the same objects again, before it calls
anything of the learner's, and sends a hash of the ids it finds, salted with a
value that came with that probe.  The ids the snapshot found went to the grader
at the start, and it hashes them with the same salt in its own process, where
nothing in the kernel can change them: any attribute assigned, added or deleted,
any code, default or closure replaced, any item of those containers swapped,
however the code that did it was spelt, makes the two differ, and every exercise
checked from then on scores 0.  :func:`changes` names what changed, for the
reason the instructor reads.

State that moves by design while a notebook runs is not followed (``CHANGING``,
``SWITCHES``: the grad-mode switches, caches, the pieces installed), nor are
modules that were not loaded when the snapshot was taken.  What the walk cannot
see is the kernel lying about the walk itself: code that replaces Python's own
machinery before a probe runs (the interpreter's frames, the ``compile`` IPython
uses) can forge what the probe sends.  The source scan is the net for those.

This file runs in the learner's kernel: it is sent as source text and run in a
fresh namespace, so it imports only the standard library.
"""

import hashlib
import sys
import types
from collections import deque

PACKAGES = ("minigrad", "coursekit")
COURSEKIT = "coursekit"
# The standard library a probe's way out uses, and the names the interpreter looks up.
OTHERS = ("builtins", "json", "json.decoder", "json.encoder", "json.scanner")
# (module, attribute): state that changes while a notebook runs, by design.  Which
# object it is is watched; what is inside it is not.
CHANGING = (
    ("minigrad.grad_mode", "_state"),  # this thread's grad-mode switches
    ("minigrad._warn_once", "_given"),  # the warnings given once, already given
    ("coursekit.engine_build.plugs", "_owners_cache"),  # minigrad's modules, as last looked up
    ("coursekit.engine_build.switchboard", "BOARD"),  # the pieces setup() installed
    ("coursekit.checks.piece", "PIECE_OF"),  # filled as checks are defined
)
# (module, attribute): a switch a public function sets (``mg.set_warn_always(True)``).
SWITCHES = frozenset({("minigrad._warn_once", "_always")})
# Attributes Python, IPython or the kernel add or replace as code runs (ipykernel puts
# its own ``input`` into builtins for every cell).
VOLATILE_KEYS = frozenset({"__warningregistry__", "_", "__", "___", "input"})
MAX_SHOWN = 3  # changes named in a report


def watched_names(imports) -> list:
    """Import what the probes use (``imports``: what the chapter's probes import, and the
    names they import, which may be modules); the names of every module to watch."""
    for name in imports:
        try:
            __import__(name)
        except ModuleNotFoundError:
            continue  # (a name imported from a module, not a module)
    loaded = [n for n in sys.modules if n.split(".")[0] in PACKAGES and sys.modules[n] is not None]
    ours = sorted(loaded, key=lambda n: (PACKAGES.index(n.split(".")[0]), n))
    return ours + list(OTHERS)  # (minigrad first: its objects are named by minigrad's names)


def take(imports) -> tuple:
    """``(names, found)``: the snapshot the probes are compared with (the module docstring)."""
    names = watched_names(imports)
    return names, walk(names)


def numbers(found) -> list:
    """The ``id`` of every object the walk found, in its order."""
    return [id(value) for _, value in found]


def digest(salt: str, ids) -> str:
    """The walk's ids in one hash, salted: the grader sends a new salt with every probe,
    and computes the same hash of the snapshot's ids in its own process."""
    text = salt + ":" + ",".join(str(number) for number in ids)
    return hashlib.sha256(text.encode()).hexdigest()


def report(holder_name: str, salt: str) -> dict:
    """What a probe sends: the salted digest of a walk now and, if it differs from the
    snapshot kept in module ``holder_name``, what changed.  Never raises: a walk that fails
    is a change."""
    try:
        holder = sys.modules.get(holder_name)
        names, before = vars(holder)["snapshot"]
        found = walk(names)
    except Exception as exc:  # noqa: BLE001 - whatever stopped the walk, the kernel changed
        return {"digest": "", "changed": [f"the walk stopped ({type(exc).__name__})"]}
    now = numbers(found)
    changed = changes(before, found) if now != numbers(before) else []
    return {"digest": digest(salt, now), "changed": changed}


def changes(before, after) -> list:
    """The first paths whose object differs between two walks (replaced, added or gone),
    each without what was reached through it."""
    old, new = dict(before), dict(after)
    found = [(path, "added") for path, _ in after if path not in old]
    found += [(path, "replaced") for path, value in after if path in old and old[path] is not value]
    found += [(path, "deleted") for path, _ in before if path not in new]
    shown = []
    for path, how in sorted(found, key=lambda change: len(change[0])):
        if not any(path.startswith((earlier + ".", earlier + "[")) for earlier, _ in shown):
            shown.append((path, how))
    return [f"{_readable(path)} ({how})" for path, how in shown[:MAX_SHOWN]]


def _readable(path: str) -> str:
    """``minigrad.scalar.Scalar.__add__`` for ``sys.modules['minigrad.scalar'].Scalar.__add__``."""
    if path.startswith("sys.modules['") and "']" in path:
        name, rest = path[len("sys.modules['") :].split("']", 1)
        return name + rest
    return path


def _roots(names):
    """``(path, object)`` where the walk starts."""
    roots = [(f"sys.modules[{name!r}]", sys.modules.get(name)) for name in names]
    roots += [("sys.stdout", sys.stdout), ("sys.stderr", sys.stderr)]
    roots.append(("type(sys.stdout)", type(sys.stdout)))
    ipython = _ipython()
    if ipython is not None:
        for name in ("ast_transformers", "input_transformers_cleanup", "input_transformers_post"):
            roots.append((f"get_ipython().{name}", getattr(ipython, name, None)))
        manager = getattr(ipython, "input_transformer_manager", None)
        for name in ("cleanup_transforms", "line_transforms", "token_transformers"):
            roots.append((f"input_transformer_manager.{name}", getattr(manager, name, None)))
    return roots


def _ipython():
    """The IPython shell the kernel runs, if any (read from its class: no code runs)."""
    module = sys.modules.get("IPython.core.interactiveshell")
    shell_class = vars(module).get("InteractiveShell") if module is not None else None
    if not issubclass(type(shell_class), type):
        return None
    return type.__dict__["__dict__"].__get__(shell_class).get("_instance")


def _defined_in(value, names) -> bool:
    """Was this class defined in a watched module?  (Read from its own dict: no code runs.)"""
    module = type.__dict__["__dict__"].__get__(value).get("__module__")
    return isinstance(module, str) and module in names


def _inside(value, names, open_classes):
    """``(step, member)`` for what the walk follows from ``value`` (the module docstring)."""
    kind = type(value)
    if kind is types.ModuleType:
        if getattr(value, "__name__", None) not in names:
            return []
        return [
            (f".{key}", member)
            for key, member in sorted(vars(value).items())
            if key not in VOLATILE_KEYS
            and (value.__name__, key) not in SWITCHES
            and not _submodule_loaded_later(value, key, member, names)
        ]
    if issubclass(kind, type):
        if value not in open_classes and not _defined_in(value, names):
            return []
        own = type.__dict__["__dict__"].__get__(value)
        grows = "_function" in own  # an operation's node class: it gains _saved_<name> as used
        return [
            (f".{key}", member)
            for key, member in sorted(own.items())
            if not (grows and (key.startswith("_saved_") or key == "_exposed"))
        ]
    if kind is types.FunctionType:
        steps = [
            (".__code__", value.__code__),
            (".__defaults__", value.__defaults__),
            (".__kwdefaults__", value.__kwdefaults__),
        ]
        for number, cell in enumerate(value.__closure__ or ()):
            try:
                steps.append((f".__closure__[{number}]", cell.cell_contents))
            except ValueError:  # an empty cell
                steps.append((f".__closure__[{number}]", None))
        steps += [(f".{key}", member) for key, member in sorted(value.__dict__.items())]
        return steps
    if kind in (staticmethod, classmethod, types.MethodType):
        return [(".__func__", value.__func__)]
    if kind is property:
        return [(".fget", value.fget), (".fset", value.fset), (".fdel", value.fdel)]
    if kind in (list, tuple):
        return [(f"[{number}]", member) for number, member in enumerate(value)]
    if kind is dict:
        steps = []
        for key, member in value.items():
            shown = key if type(key) is str else f"<{type(key).__name__} {id(key):x}>"
            steps += [(f"[{shown!r}]", member)]
            if type(key) is not str:
                steps.append((f"[{shown!r}].key", key))
        return steps
    if kind in (set, frozenset):
        return [(f"{{{number}}}", member) for number, member in enumerate(sorted(value, key=id))]
    if _defined_in(kind, names):
        steps = [(".__class__", kind)]
        if not type.__dict__["__dict__"].__get__(kind)["__module__"].startswith(COURSEKIT):
            return steps  # minigrad's objects (a generator, a thread's state) hold state that moves
        own = getattr(value, "__dict__", None)
        if type(own) is dict:
            steps += [(f".{key}", member) for key, member in own.items()]
        return steps
    return []


def _submodule_loaded_later(module, key, member, names) -> bool:
    """A package's attribute for a submodule imported after the snapshot (not watched)."""
    if type(member) is not types.ModuleType:
        return False
    name = getattr(member, "__name__", None)
    return name == f"{module.__name__}.{key}" and name not in names


def walk(names) -> list:
    """Every ``(path, object)`` the grading relies on, breadth first, in a fixed order."""
    names = set(names)
    open_classes = {type(sys.stdout)}
    # A module's __builtins__ is the builtins module's dict, which is walked as a module;
    # what the output streams' class holds (the kernel's output limiter) moves every cell.
    not_followed = {id(vars(sys.modules["builtins"]))}
    not_followed.update(id(member) for member in vars(type(sys.stdout)).values())
    for module, attribute in CHANGING:
        if module in names:
            not_followed.add(id(vars(sys.modules[module]).get(attribute)))
    found, seen, queue = [], set(), deque()
    for path, value in _roots(names):
        found.append((path, value))
        if id(value) not in seen:
            seen.add(id(value))
            queue.append((path, value))
    while queue:
        path, value = queue.popleft()
        if id(value) in not_followed:
            continue
        for step, member in _inside(value, names, open_classes):
            found.append((path + step, member))
            if id(member) not in seen:
                seen.add(id(member))
                queue.append((_canonical(member, names) or path + step, member))
    return found


def _canonical(value, names):
    """A class's own name, ``minigrad.scalar.Scalar``, whatever route reached it first (if
    its module has it under that name)."""
    if not issubclass(type(value), type) or not _defined_in(value, names):
        return None
    module = type.__dict__["__dict__"].__get__(value)["__module__"]
    name = type.__dict__["__qualname__"].__get__(value)
    if vars(sys.modules[module]).get(name) is not value:
        return None
    return f"sys.modules[{module!r}].{name}"
