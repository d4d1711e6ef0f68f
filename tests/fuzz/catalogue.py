"""Find, for each switched-off feature, the differences it lets in (needs PyTorch 2.13.0).

    python -m tests.fuzz.catalogue                     # every feature off in CI
    python -m tests.fuzz.catalogue view_in_no_grad     # one
    python -m tests.fuzz.catalogue --count 3000 --groups 3

For a feature F the fuzzer runs the CI features plus F alone. CI by itself
finds nothing, so what differs comes from F: the first program of each
group is shrunk and printed. This is how FINDINGS.md was written and how
to check it again (a feature whose run finds nothing can be switched on).
"""

import argparse
import sys

from .features import CI, KNOWN_DIFFERENCES, PYTORCH_QUIRKS
from .fuzzer import compare_program, describe_failure, shrink_outcome, signature
from .generate import generate


def catalogue(feature, torch, minigrad, count=2000, groups=2, seed=None):
    """Up to ``groups`` shrunk failing outcomes of ``CI + {feature}``, by signature."""
    features = CI | {feature}
    found = {}
    tried = 0
    for k in range(count):
        tried += 1
        program = generate(f"{seed or feature}:{k}", features, torch)
        outcome = compare_program(program, torch, minigrad)
        if outcome.agrees:
            continue
        sig = signature(outcome)
        if sig in found:
            continue
        found[sig] = (len(program), shrink_outcome(outcome, torch, minigrad, budget_seconds=30))
        if len(found) >= groups:
            break
    return tried, found


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz.catalogue")
    parser.add_argument("features", nargs="*", help="default: every feature off in CI")
    parser.add_argument("--count", type=int, default=2000, help="programs tried per feature")
    parser.add_argument("--groups", type=int, default=2, help="differences shown per feature")
    args = parser.parse_args(argv)
    from tests.parity.libraries import load

    torch, minigrad = load("torch"), load("minigrad")
    names = args.features or list(KNOWN_DIFFERENCES) + list(PYTORCH_QUIRKS)
    quiet = []
    for feature in names:
        tried, found = catalogue(feature, torch, minigrad, args.count, args.groups)
        print("#" * 78)
        print(f"# {feature}: {len(found)} group(s) in {tried} programs")
        if not found:
            quiet.append(feature)
        for length, outcome in found.values():
            print(f"## {signature(outcome)}")
            print(describe_failure(outcome, length, limit=4))
    if quiet:
        print(f"no difference found for: {', '.join(quiet)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
