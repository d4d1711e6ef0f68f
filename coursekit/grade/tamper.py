"""Learner code that reaches into the grading, found by reading it in the grader's process.

A probe runs in the learner's kernel, after the learner's own cells, so those
cells can change what it does: make the piece guard accept minigrad's own
code (``guard.refusal = lambda *a: None``), have the trials report
minigrad's own observations for a stub (``trials.observe = ...``), or rewrite
the probe's frame on its way out (a ``sys.stdout`` or ``json.dumps`` of their
own).  Every one of those was tried, and each got full marks for work not
done: the kernel holds the whole engine, so whoever controls it can compute
the expected answer.  The grader cannot see inside the kernel, but it reads
the notebook itself, which the kernel cannot change.

:func:`find` reads one cell's source and says which line reaches into the
grading machinery, the probe's way out, or the interpreter's own machinery
(``exec``, ``__code__``, ``sys.modules``...), none of which an exercise of
this course needs.  ``runner.py`` scores every exercise checked after such a
cell 0 and says why, naming the line, so that the instructor can look.

This is a net for the obvious, not a proof: code that builds the names it
uses from pieces of strings can get through it, and the README says so.  What
such code changes in the kernel, the kernel's snapshot catches (``watch.py``).
"""

from __future__ import annotations

import io
import re
import tokenize
import unicodedata

MAX_TOKENIZED = 20_000  # characters; a larger cell is read line by line, as it is
# (what the line does, pattern).  Each pattern names something no exercise needs.
RULES = [
    (
        "uses the grading machinery",
        r"\bcoursekit\s*\.\s*(checks|grade)\b"
        r"|\bfrom\s+coursekit\s+import\b[^\n]{0,200}\b(checks|grade|engine_build)\b"
        r"|\bengine_build\b(?!\s*\.\s*setup\b)"
        r"|\b(run_probe|NotPlainData|switch_off|switchboard|coursekit_probe)\b"
        r"|\b_coursekit|<<coursekit|<</coursekit"
        # coursekit itself, not a name imported from it (nor a path or a file name):
        # ``import coursekit`` to reach ``getattr(coursekit, "che" + "cks")``
        r"|(?<!\bfrom )(?<![\w/\-\"'.])coursekit\b(?![/\-*])",
    ),
    (
        "replaces how results leave the kernel",
        r"\bsys\s*\.\s*(stdout|stderr|__stdout__|__stderr__|displayhook|excepthook)[\s)]*=(?!=)"
        r"|\b(stdout|stderr|__stdout__|__stderr__)\b[\w.()\[\]\s'\"]{0,200}=(?!=)"
        r"|\bjson\s*\.\s*\w+[\s)]*=(?!=)|\b(setattr|delattr)\s*\(\s*(sys|json)\b"
        r"|\b__builtins__\b|\bbuiltins\b"
        r"|\b(input_transformers_\w+|ast_transformers|input_transformer_manager)\b"
        r"|\b(register_magic_function|run_cell|events\s*\.\s*register)\b",
    ),
    (
        "reaches into the interpreter",
        r"(?<![\w.])(exec|eval|compile)\s*\("
        r"|\b__import__\b|\bimportlib\b|\bctypes\b|\bmarshal\b"
        r"|\b(__getattribute__|runpy|InteractiveInterpreter|InteractiveConsole)\b"
        r"|\b__code__\b|\b__globals__\b|\b__closure__\b|\b(FunctionType|CodeType)\b"
        r"|\bsys\s*\.\s*(modules|_getframe|settrace|setprofile|addaudithook)\b"
        r"|\bgc\s*\.\s*get_\w+|\bf_globals\b|\bf_back\b"
        r"|\binspect\s*\.\s*(currentframe|stack|getmodule|getmembers|unwrap)\b|\b__wrapped__\b"
        r"|\bgetattr\s*\(\s*(sys|gc|inspect|types)\s*,",
    ),
    (
        # Names built from pieces of strings get past every rule above: a module's
        # attribute set by name, or its __dict__ written, is how they would be used.
        # (An object setting its own attributes, ``setattr(self, name, value)``, is fine.)
        "sets another object's attributes by name",
        r"(?<![\w.])(setattr|delattr)\s*\((?!\s*self\s*,)"
        r"|\b(object|type)\s*\.\s*__(setattr|delattr)__\s*\((?!\s*self\s*,)"
        # (What may stand in brackets is bounded: the scan stays linear in the cell's size.)
        r"|\b__dict__\s*(\[[^\]\n]{0,200}\]\s*)?(=(?!=)|\.\s*(update|setdefault|__setitem__|pop)\b)"
        r"|\bvars\s*\([^()\n]{0,200}\)\s*"
        r"(\[[^\]\n]{0,200}\]\s*=(?!=)|\.\s*(update|setdefault|__setitem__|pop)\b)",
    ),
]
_RULES = [(what, re.compile(pattern, re.MULTILINE)) for what, pattern in RULES]
# What the notebooks themselves import, as a learner may copy it into a cell of theirs.
_SAFE_NAME = r"(check|progress|setup|parity|course_progress)"
_HARMLESS_IMPORT = re.compile(
    r"^[ \t]*from[ \t]+coursekit(\.(checks|engine_build(\.progress)?))?[ \t]+import[ \t]+"
    rf"\(?[ \t]*{_SAFE_NAME}([ \t]*,[ \t]*{_SAFE_NAME})*[ \t]*,?[ \t]*\)?[ \t]*$"
    r"|^[ \t]*import[ \t]+importlib[ \t]*$"
    r"|\bimportlib\.import_module[ \t]*\([ \t]*[\"']minigrad(\.\w+)*[\"'][ \t]*\)",
    re.MULTILINE,
)


def _logical_lines(source: str) -> list:
    """``(first line number, text)`` for each logical line of ``source``: comments left out,
    a statement split over lines (brackets, backslashes) joined, no space around dots."""
    as_they_are = list(enumerate(source.split("\n"), start=1))
    if len(source) > MAX_TOKENIZED:
        return as_they_are  # (tokenizing is slow: megabytes would take minutes)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, ValueError):
        return as_they_are  # not Python (a magic, a syntax error)
    lines, parts, first, last_end = [], [], None, None
    for token in tokens:
        if token.type == tokenize.NEWLINE or token.type == tokenize.ENDMARKER:
            if parts:
                lines.append((first, "".join(parts)))
            parts, first, last_end = [], None, None
        elif token.type not in (tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT):
            if first is None:
                first = token.start[0]
            if (
                last_end is not None
                and token.start != last_end
                and "." not in (token.string, parts[-1])
            ):
                parts.append(" ")  # (none around a dot: ``sys . stdout`` is ``sys.stdout``)
            parts.append(token.string)
            last_end = token.end
    return lines


def find(source: str) -> tuple | None:
    """``(what, line number, line)`` for the first statement of ``source`` that reaches into
    the grading (see the module docstring), or None.

    Names are read as Python reads them (NFKC: a fullwidth ``ｅｘｅｃ`` is ``exec``).
    """
    if not isinstance(source, str):
        return None
    lines = _logical_lines(unicodedata.normalize("NFKC", source))
    # One text, one logical line per line, each rule searched once: linear in the cell's size.
    text = _HARMLESS_IMPORT.sub("", "\n".join(line.replace("\n", " ") for _, line in lines))
    found = []
    for order, (what, pattern) in enumerate(_RULES):
        match = pattern.search(text)
        if match:
            found.append((text.count("\n", 0, match.start()), order, what))
    if not found:
        return None
    index, _, what = min(found)
    number = lines[index][0]
    original = source.split("\n")
    shown = original[number - 1] if number <= len(original) else lines[index][1]
    return what, number, shown.strip()
