"""The check of a piece of the learner's engine (coursekit/BUILD.md), as a graded exercise.

Its cases are the piece's cases (``coursekit.engine_build.trials``). The
probe installs the piece in the learner's kernel, with minigrad's own code
for it switched off, and runs the cases there (refusing minigrad's own
answer); it returns plain observations. The reference runs the same cases on
minigrad's own engine in the grader's process, and the judge compares the
two: a notebook and the grader give the same verdict.
"""

from __future__ import annotations

from coursekit.checks.core import IMPLEMENT, Check

PIECE_OF = {}  # check id -> the piece of the engine its exercise writes


def piece_probe(learner, case):
    from coursekit.engine_build import guard, trials

    (obj,) = learner.values()
    if case.get("guard"):  # the learner's own code, of the right form? (before any case)
        from coursekit.engine_build import pieces

        piece = pieces.get(case["piece"])
        return {"refused": guard.refusal(piece.id, obj) or trials.shape_problem(piece, obj)}
    observed = trials.observe(case["piece"], obj, only=case["index"])
    if "not-implemented" in observed:
        raise NotImplementedError(case["piece"])
    return observed


def piece_reference(case):
    from coursekit.engine_build import trials

    if case.get("guard"):
        return {"refused": None}
    return {"expected": trials.expect(case["piece"], only=case["index"])}


def piece_judge(got, expected, case):
    from coursekit.engine_build import trials

    if not isinstance(got, dict):
        return False, "the check could not read what your piece did"
    if case.get("guard"):
        refused = got.get("refused")
        return (False, str(refused)) if refused else (True, "ok")
    verdict = trials.judge(case["piece"], got, expected["expected"], only=case["index"])
    return verdict.passed, verdict.message.removeprefix(case["label"] + ": ")


def piece_check(piece_id: str, points: int, rule: str = "", hint: str = "") -> Check:
    """The graded check of piece ``piece_id``, reading the name the exercise asks for."""
    from coursekit.engine_build import pieces
    from coursekit.engine_build.trials import CASES

    piece = pieces.get(piece_id)
    labels = [one.label for one in CASES[piece_id]]

    def cases(rng, hidden):
        return [{"piece": piece_id, "index": i, "label": label} for i, label in enumerate(labels)]

    title = {
        pieces.OP: f"class {piece.name}(Function)",
        pieces.CLASS: f"class {piece.name}",
    }.get(piece.kind, piece.signature.split(" -> ")[0])

    PIECE_OF[piece_id] = piece_id
    return Check(
        id=piece_id,
        kind=IMPLEMENT,
        points=points,
        reads=(piece.name,),
        title=title,
        cases=cases,
        probe=piece_probe,
        reference=piece_reference,
        judge=piece_judge,
        rule=rule or piece.does,
        hint=hint,
    )


def pieces_name(piece_id: str) -> str:
    from coursekit.engine_build import pieces

    return pieces.get(piece_id).name


def with_piece(check: Check, piece_id: str) -> Check:
    """An existing exercise's check that also checks the function as a piece of the engine.

    First a case that refuses minigrad's own answer (imported, it would fail the
    exercise's cases with a puzzling error, or pass them); then the exercise's own cases
    (their messages teach); then the piece's. The exercise's probe must hand a piece case
    to :func:`piece_probe` (a probe runs alone in the learner's kernel, so it cannot be
    wrapped from here).
    """
    import dataclasses

    piece = piece_check(piece_id, check.points)
    name = pieces_name(piece_id)
    guard_case = {"piece": piece_id, "guard": True, "label": f"your {name}"}

    def cases(rng, hidden):
        return [guard_case, *check.cases(rng, hidden), *piece.cases(rng, hidden)]

    def reference(case):
        return piece.reference(case) if "piece" in case else check.reference(case)

    def judge(got, expected, case):
        return (
            piece.judge(got, expected, case)
            if "piece" in case
            else check.judge(got, expected, case)
        )

    PIECE_OF[check.id] = piece_id
    return dataclasses.replace(check, cases=cases, reference=reference, judge=judge)
