"""Run every benchmark, print its table and targets, and write results/latest.json.

    python benchmarks/run_all.py              # everything (several minutes)
    python benchmarks/run_all.py --quick      # few rounds, small sizes, no notebooks (< 1 min)
    python benchmarks/run_all.py --only ops   # one benchmark (repeat --only for more)

The optional backends (PyTorch, MyGrad, micrograd) are compared when they are
installed and reported as "not installed" otherwise. Only ratios measured in
one run mean something: the machine, its load and the thread settings below
change the absolute times.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from pathlib import Path

BENCHMARKS = ["ops", "scalar", "training", "matmul", "memory", "depth", "course"]
RESULTS = Path(__file__).resolve().parent / "results"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="few rounds and small sizes, skips the notebooks (under a minute)",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=BENCHMARKS,
        metavar="NAME",
        help=f"run only this benchmark (one of: {', '.join(BENCHMARKS)}); may be repeated",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads for numpy's BLAS and PyTorch (default 1: steadier on a "
        "shared machine; 0 keeps the libraries' own defaults)",
    )
    parser.add_argument(
        "--markdown",
        action="store_true",
        help="also print the targets as a Markdown table (for README.md)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=RESULTS / "latest.json",
        help="where to write the JSON results (default: %(default)s)",
    )
    return parser.parse_args(argv)


def limit_threads(threads):
    """Cap BLAS and PyTorch threads before numpy is imported (env vars reach subprocesses too)."""
    if threads <= 0:
        return
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cpu_flags():
    """The vector instruction sets numpy's kernels and BLAS can use (from /proc/cpuinfo)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                return [f for f in ("sse4_2", "avx", "avx2", "fma", "avx512f") if f in flags]
    except OSError:
        pass
    return None


def source_version():
    """The commit measured, and whether minigrad/ had uncommitted changes (they count too)."""
    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "minigrad"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "minigrad_uncommitted_changes": None}
    return {"commit": commit, "minigrad_uncommitted_changes": bool(dirty)}


def memory_total():
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def describe_machine(settings):
    """CPU, cores, memory, Python, numpy and its BLAS (threadpoolctl), PyTorch: where we ran."""
    import numpy as np
    from harness import version_of

    machine = {
        "cpu": cpu_model(),
        "cpu_flags": cpu_flags(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_bytes": memory_total(),
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "threads_setting": settings.threads or "library defaults",
        "source": source_version(),
        "blas": None,
        "versions": {
            name: version_of(name) for name in ("torch", "mygrad", "micrograd", "threadpoolctl")
        },
    }
    threadpoolctl = None
    try:
        import threadpoolctl
    except ImportError:
        machine["blas"] = "unknown (threadpoolctl not installed)"
    if threadpoolctl is not None:
        machine["blas"] = [
            {
                key: info.get(key)
                for key in (
                    "user_api",
                    "internal_api",
                    "version",
                    "num_threads",
                    "architecture",
                    "threading_layer",
                )
            }
            for info in threadpoolctl.threadpool_info()
        ]
    if machine["versions"]["torch"]:
        import torch

        machine["torch_threads"] = torch.get_num_threads()
    return machine


def print_machine(machine):
    print("machine")
    print(
        f"  cpu: {machine['cpu']} ({', '.join(machine['cpu_flags'] or [])}), "
        f"{machine['logical_cpus']} logical CPUs ({machine['usable_cpus']} usable), "
        f"{(machine['memory_bytes'] or 0) / 2**30:.1f} GiB RAM"
    )
    source = machine["source"]
    print(
        f"  measured: commit {source['commit']}"
        + (" + uncommitted changes in minigrad/" if source["minigrad_uncommitted_changes"] else "")
    )
    print(
        f"  load average at start: {machine['load_average_at_start']} "
        "(a shared machine: figures are noisy, compare ratios within this run)"
    )
    print(
        f"  python {machine['python']}, numpy {machine['numpy']}, "
        f"threads setting: {machine['threads_setting']}"
    )
    blas = machine["blas"]
    if isinstance(blas, list):
        for info in blas:
            details = " ".join(str(info[k]) for k in ("internal_api", "version") if info[k])
            if info["architecture"]:
                details += f" ({info['architecture']})"
            print(f"  {info['user_api']}: {details}, {info['num_threads']} thread(s)")
    else:
        print(f"  blas: {blas}")
    for name, version in machine["versions"].items():
        print(f"  {name}: {version or 'not installed'}")
    if "torch_threads" in machine:
        print(f"  torch threads: {machine['torch_threads']}")


def markdown_summary(results):
    """The targets of one run as a Markdown table, with the machine underneath."""
    from harness import fmt_near

    lines = ["| target (issue 7) | measured | needs | verdict |", "|---|---|---|---|"]
    for section in results["benchmarks"].values():
        for t in section.get("targets", []):
            sign = "<=" if t["at_most"] else ">="
            measured = (
                "-"
                if t["ratio"] is None
                else f"{t['ratio_name']} = {fmt_near(t['ratio'], t['limit'])}"
            )
            verdict = {True: "met", False: "missed", None: "not measured"}[t["met"]]
            lines.append(f"| {t['target']} | {measured} | {sign} {t['limit']:g} | {verdict} |")
    m = results["machine"]
    blas = m["blas"][0] if isinstance(m["blas"], list) and m["blas"] else {}
    lines.append("")
    lines.append(
        f"{m['cpu']}, {m['logical_cpus']} logical CPUs (shared, load "
        f"{m['load_average_at_start'][0]:.1f}), Python {m['python']}, numpy "
        f"{m['numpy']} ({blas.get('internal_api', '?')} {blas.get('version', '')}, "
        f"{blas.get('num_threads', '?')} thread), torch {m['versions']['torch']}; "
        f"{results['started'][:10]}, commit {m['source']['commit']}."
    )
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    limit_threads(args.threads)  # before anything imports numpy

    benchmarks_dir = str(Path(__file__).resolve().parent)
    if benchmarks_dir not in sys.path:
        sys.path.insert(0, benchmarks_dir)
    import importlib

    from harness import Settings, fmt_near

    settings = Settings(quick=args.quick, threads=args.threads)
    if args.threads > 0:
        try:
            import torch
        except ImportError:
            pass
        else:
            torch.set_num_threads(args.threads)
    machine = describe_machine(settings)
    print_machine(machine)

    chosen = args.only or BENCHMARKS
    results = {
        "started": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name] + sys.argv[1:]),
        "quick": args.quick,
        "machine": machine,
        "benchmarks": {},
    }
    failed = []
    for name in chosen:
        module = importlib.import_module(f"bench_{name}")
        started = time.perf_counter()
        try:
            section = module.run(settings)
        except Exception:  # noqa: BLE001 - one broken benchmark must not hide the others
            traceback.print_exc()
            failed.append(name)
            results["benchmarks"][name] = {"error": traceback.format_exc()}
            continue
        section.seconds = time.perf_counter() - started
        results["benchmarks"][name] = section.as_dict()
        print(f"  ({section.seconds:.0f} s)")

    results["machine"]["load_average_at_end"] = (
        list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    )
    summary = [t for section in results["benchmarks"].values() for t in section.get("targets", [])]
    print()
    print("targets of issue 7")
    for t in summary:
        verdict = {True: "met", False: "MISSED", None: "not measured"}[t["met"]]
        ratio = "-" if t["ratio"] is None else fmt_near(t["ratio"], t["limit"])
        print(f"  {verdict:>12}  {t['ratio_name']} = {ratio}  ({t['target']})")
    if args.markdown:
        print()
        print(markdown_summary(results))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"\nresults written to {args.out}")
    if failed:
        print(f"benchmarks that failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
