"""Run the differential fuzzer by hand (needs PyTorch 2.13.0).

    python -m tests.fuzz                          # the CI run: seed "ci", CI features
    python -m tests.fuzz --count 20000 --seed 7   # many more programs
    python -m tests.fuzz --features all           # every feature, known differences too
    python -m tests.fuzz --features ci+view_in_no_grad   # CI plus one known difference
    python -m tests.fuzz --program 7:123          # show one program and how it fares
    python -m tests.fuzz --list-features

Differences are grouped by where they first show (kind of step, field);
each group's first program is shrunk and printed as a runnable script.
"""

import argparse
import sys
import time

from .features import CI, KNOWN_DIFFERENCES, PYTORCH_QUIRKS, resolve
from .fuzzer import compare_program, describe_failure, fuzz, shrink_outcome
from .generate import ALL, SITUATION_FEATURES, STEP_FEATURES, generate
from .program import reproducer


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m tests.fuzz", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--seed", default="ci", help="base seed (program k gets SEED:k)")
    parser.add_argument("--count", type=int, default=2000, help="how many programs")
    parser.add_argument(
        "--features",
        default="ci",
        help="'ci', 'all', a comma-separated list, or ci+name / all-name combinations",
    )
    parser.add_argument("--program", help="run only the program with this full seed (SEED:k)")
    parser.add_argument("--no-shrink", action="store_true", help="report without shrinking")
    parser.add_argument("--show", type=int, default=3, help="reproducers shown per group")
    parser.add_argument("--list-features", action="store_true")
    args = parser.parse_args(argv)

    if args.list_features:
        for name, text in {**STEP_FEATURES, **SITUATION_FEATURES}.items():
            if name in KNOWN_DIFFERENCES:
                mark = "  [off in CI: FINDINGS.md]"
            elif name in PYTORCH_QUIRKS:
                mark = "  [off in CI: a PyTorch quirk, COVERAGE.md]"
            else:
                mark = ""
            print(f"{name:32} {text}{mark}")
        return 0

    features = resolve(args.features)
    from tests.parity.libraries import load

    torch, minigrad = load("torch"), load("minigrad")

    if args.program:
        program = generate(args.program, features, torch)
        outcome = compare_program(program, torch, minigrad)
        print(reproducer(program, note=f"seed {args.program!r}"))
        if outcome.agrees:
            print("torch and minigrad agree on this program.")
            return 0
        print(describe_failure(shrink_outcome(outcome, torch, minigrad), len(program)))
        return 1

    def progress(k, outcome):
        if (k + 1) % 500 == 0:
            print(f"  {k + 1} programs...", file=sys.stderr)

    print(f"features: {'CI' if features == CI else 'ALL' if features == ALL else sorted(features)}")
    summary = fuzz(args.seed, args.count, features, torch, minigrad, on_program=progress)
    print(
        f"{summary.count} programs in {summary.seconds:.1f} s: {summary.failed} differ, "
        f"{len(summary.failures)} groups"
    )
    groups = sorted(summary.failures.items(), key=lambda kv: -len(kv[1]))
    for sig, outcomes in groups:
        seeds = ", ".join(repr(o.program.seed) for o in outcomes[:6])
        print(f"  {len(outcomes):5d}  {sig}  e.g. {seeds}")
    for sig, outcomes in groups:
        for outcome in outcomes[: args.show]:
            print("\n" + "=" * 78)
            start = time.monotonic()
            small = outcome if args.no_shrink else shrink_outcome(outcome, torch, minigrad)
            print(f"group {sig}: shrunk in {time.monotonic() - start:.1f} s")
            print(describe_failure(small, len(outcome.program)))
    return 1 if summary.failed else 0


if __name__ == "__main__":
    sys.exit(main())
