"""Benchmark: mapping and static-pass time on a real application, optionally against another source tree.

Not a test: it prints a table. Each run is a fresh interpreter (so no memo or
import-time cache of a previous run hides work) with no store (every file is
parsed and indexed). Per stage it records CPU time (``time.process_time``, the
primary figure on a shared machine) and wall time, and keeps the best of N
runs. ``static_parse`` is the part of the static stage spent parsing again the
syntax trees mapping dropped to save memory (whole modules, or single definitions
from their own lines; zero for a tree that keeps them). With ``--baseline-src``
the same measurement runs with that vulnhuntr
source tree, alternating baseline and current runs, and the ratio is printed.

    python bench/realapp.py /tmp/realapp/wagtail-8.0.1
    git archive 21ea8c6 | tar -x -C /tmp/vh-base
    python bench/realapp.py /tmp/realapp/wagtail-8.0.1 --baseline-src /tmp/vh-base --runs 3

``--same-results`` fails (exit 1) unless both trees report the same entry
points and the same findings (type, CWE, place, entry points, sink), for checking
an optimisation against the tree it started from; every run of one tree must
agree with its other runs in any case.

``--callgrind`` counts instead the instructions of the static stage alone (one run per tree
under ``valgrind --tool=callgrind``, collection switched on only around the static pass):
steadier than CPU time on a shared machine, about a minute per tree.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
CURRENT_SRC = HERE.parent.parent
STAGES = ("discover", "index", "templates", "entry_points", "mapping", "static", "static_parse", "total")


# worker: one measured run, in the interpreter of the tree under test --------------------------------------
def _timed(times: dict[str, list[float]], stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """*fn*, adding its CPU and wall time to *times[stage]* on every call."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            slot = times.setdefault(stage, [0.0, 0.0])
            slot[0] += time.process_time() - cpu
            slot[1] += time.perf_counter() - wall

    return wrapper


def use_tree(src: str) -> None:
    """Import vulnhuntr from *src*: an editable install's finder would otherwise win over ``sys.path``."""
    sys.meta_path[:] = [f for f in sys.meta_path if not str(getattr(f, "__module__", "")).startswith("__editable__")]
    sys.path.insert(0, src)
    import vulnhuntr

    where = Path(vulnhuntr.__file__).resolve()
    if not where.is_relative_to(Path(src).resolve()):
        raise SystemExit(f"vulnhuntr imported from {where}, not from {src}")


def _count_instructions(on: bool) -> None:
    """Switch callgrind's collection for this process (it runs under ``valgrind --instr-atstart=no``)."""
    subprocess.run(["callgrind_control", "-i", "on" if on else "off", str(os.getpid())], check=True, capture_output=True)


def worker(root: str, include: list[str], callgrind: bool = False) -> dict[str, Any]:
    """Map *root* and run the static pass once; stage times and a digest of what was found."""
    from vulnhuntr.config import load_settings
    from vulnhuntr.repo import map as repo_map
    from vulnhuntr.static import run_static

    times: dict[str, list[float]] = {}
    for stage, name in (
        ("discover", "discover"),
        ("index", "build_index"),
        ("templates", "load_templates"),  # absent from older trees
        ("entry_points", "find_entry_points"),  # older trees
        ("entry_points", "detect_entry_points"),
    ):
        if hasattr(repo_map, name):
            setattr(repo_map, name, _timed(times, stage, getattr(repo_map, name)))
    settings = load_settings({"root": root, "llm": "none", "include": include})
    cpu0, wall0 = time.process_time(), time.perf_counter()
    repository = repo_map.map_repository(settings)  # no store: nothing is reused
    cpu1, wall1 = time.process_time(), time.perf_counter()
    from vulnhuntr.repo import index as repo_index  # a tree mapping dropped is parsed again inside the static stage

    if hasattr(repo_index, "parse_source"):
        repo_index.parse_source = _timed(times, "static_parse", repo_index.parse_source)  # type: ignore[attr-defined]
    _time_segments(times)
    if callgrind:
        _count_instructions(True)
    result = run_static(repository)
    if callgrind:
        _count_instructions(False)
    cpu2, wall2 = time.process_time(), time.perf_counter()
    times["mapping"] = [cpu1 - cpu0, wall1 - wall0]
    times["static"] = [cpu2 - cpu1, wall2 - wall1]
    times["total"] = [cpu2 - cpu0, wall2 - wall0]
    entries = sorted(json.dumps(e.to_dict(), sort_keys=True, default=str) for e in repository.entry_points)
    found = [json.dumps(_identity(f.to_dict()), sort_keys=True, default=str) for f in result.findings]
    detail = [json.dumps(f.to_dict(), sort_keys=True, default=str) for f in result.findings]
    return {
        "times": times,
        "files": len(repository.files),
        "indexed": len(repository.index.modules),
        "skipped": len(repository.skipped),
        "entry_points": len(entries),
        "findings": len(found),
        "static_errors": len(result.errors),
        "entry_digest": _digest(entries),
        "finding_digest": _digest(found),
        "finding_lines": found,
        "detail_digest": _digest(detail),
    }


def _time_segments(times: dict[str, list[float]]) -> None:
    """Count in ``static_parse`` the definitions the static pass parses from their own lines (newer trees)."""
    try:
        from vulnhuntr.static import segments
    except ImportError:  # an older tree parses whole modules only
        return
    segments.parse_definition = _timed(times, "static_parse", segments.parse_definition)  # type: ignore[method-assign]


DESCRIPTIVE = ("analysis", "path", "poc", "context")
"""Text and code flow that describe a finding: which of several tainted sources they name may differ
from one interpreter to the next (at 32ca20d as well), so they are left out of a finding's identity."""


def _identity(finding: dict[str, Any]) -> dict[str, Any]:
    """Type, CWE, place, entry points and sink: what makes two findings the same finding."""
    return {k: v for k, v in finding.items() if k not in DESCRIPTIVE}


def _digest(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


# driver ------------------------------------------------------------------------------------------------------
def run_worker(script: Path, src: Path, args: list[str], wrapper: tuple[str, ...] = ()) -> dict[str, Any]:
    """Run *script* ``--worker`` in a fresh interpreter importing vulnhuntr from *src*; its last line is JSON.

    *wrapper* is a command the interpreter runs under (valgrind).
    """
    proc = subprocess.run(
        [*wrapper, sys.executable, str(script), "--worker", "--src", str(src), *args],
        env={**os.environ, "PYTHONHASHSEED": "0"},
        cwd=str(src),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"worker with {src} failed:\n{proc.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.splitlines()[-1])
    return result


def run_once(src: Path, root: Path, include: list[str]) -> dict[str, Any]:
    """One fresh interpreter importing vulnhuntr from *src*."""
    return run_worker(HERE, src, [str(root), *(f"--include={p}" for p in include)])


def count_static(src: Path, root: Path, include: list[str]) -> tuple[int, dict[str, Any]]:
    """Instructions of *src*'s static stage on *root* (callgrind, collection on around the pass only)."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "callgrind.out"
        wrapper = ("valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}")
        run = run_worker(HERE, src, [str(root), "--callgrind", *(f"--include={p}" for p in include)], wrapper)
        totals = [line for line in out.read_text().splitlines() if line.startswith(("summary:", "totals:"))]
    return int(totals[-1].split()[1]), run


def callgrind_table(counts: list[tuple[str, int]]) -> str:
    lines = [f"{label}: {count / 1e9:.3f} G instructions in the static stage" for label, count in counts]
    if len(counts) == 2:
        lines.append(f"ratio new/base: {counts[1][1] / counts[0][1]:.2f}")
    return "\n".join(lines)


def best(runs: list[dict[str, Any]], stage: str, which: int) -> float:
    values = [r["times"][stage][which] for r in runs if stage in r["times"]]
    return min(values) if values else float("nan")


def check_stable(label: str, runs: list[dict[str, Any]]) -> None:
    """Every run of one tree finds the same things (the pass is deterministic)."""
    keys = {(r["entry_digest"], r["finding_digest"]) for r in runs}
    if len(keys) != 1:
        raise SystemExit(f"{label}: runs disagree on entry points or findings: {keys}")


def table(columns: list[tuple[str, list[dict[str, Any]]]]) -> str:
    head = f"{'stage':<14}" + "".join(f"{label + ' cpu':>14}{label + ' wall':>14}" for label, _ in columns)
    if len(columns) == 2:
        head += f"{'ratio cpu':>11}{'ratio wall':>11}"
    lines = [head, "-" * len(head)]
    for stage in STAGES:
        row = f"{stage:<14}"
        for _, runs in columns:
            row += f"{best(runs, stage, 0):>14.2f}{best(runs, stage, 1):>14.2f}"
        if len(columns) == 2:
            for which in (0, 1):
                base, new = best(columns[0][1], stage, which), best(columns[1][1], stage, which)
                row += f"{new / base:>11.2f}" if base > 0 else f"{'-':>11}"
        lines.append(row)
    return "\n".join(lines)


def describe(label: str, run: dict[str, Any]) -> str:
    return (
        f"{label}: {run['files']} files, {run['indexed']} indexed, {run['skipped']} skipped, "
        f"{run['entry_points']} entry points, {run['findings']} findings, {run['static_errors']} static errors "
        f"(entry points {run['entry_digest']}, findings {run['finding_digest']})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", type=Path, help="the application's source folder")
    parser.add_argument("--runs", type=int, default=3, help="runs per tree; the best is kept (default 3)")
    parser.add_argument("--baseline-src", type=Path, help="another vulnhuntr source tree to measure alongside")
    parser.add_argument("--src", type=Path, default=CURRENT_SRC, help="the tree under test (default: this one)")
    parser.add_argument("--same-results", action="store_true", help="fail unless both trees find the same")
    parser.add_argument(
        "--include", action="append", default=[], help="gitignore-style pattern kept although excluded by default"
    )
    parser.add_argument("--callgrind", action="store_true", help="count the static stage's instructions instead")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        use_tree(str(args.src))
        print(json.dumps(worker(str(args.root), args.include, args.callgrind)))
        return 0
    root = args.root.resolve()
    trees: list[tuple[str, Path]] = [("new", args.src.resolve())]
    if args.baseline_src is not None:
        trees.insert(0, ("base", args.baseline_src.resolve()))
    if args.callgrind:
        return _callgrind_main(trees, root, args.include)
    results: dict[str, list[dict[str, Any]]] = {label: [] for label, _ in trees}
    for i in range(args.runs):  # alternate the trees so load on the shared machine hits both alike
        for label, src in trees:
            run = run_once(src, root, args.include)
            results[label].append(run)
            print(f"run {i + 1}/{args.runs} {label}: static cpu {run['times']['static'][0]:.2f}s, "
                  f"total cpu {run['times']['total'][0]:.2f}s", file=sys.stderr)
    for label, runs in results.items():
        check_stable(label, runs)
    print(f"application: {root}")
    for label, src in trees:
        print(f"{label} = {src}")
        print(describe(label, results[label][0]))
    print(f"best of {args.runs} runs, seconds")
    print(table([(label, results[label]) for label, _ in trees]))
    if args.same_results and len(trees) == 2:
        base, new = results["base"][0], results["new"][0]
        if (base["entry_digest"], base["finding_digest"]) != (new["entry_digest"], new["finding_digest"]):
            only_base = sorted(set(base["finding_lines"]) - set(new["finding_lines"]))
            only_new = sorted(set(new["finding_lines"]) - set(base["finding_lines"]))
            print(f"DIFFERENT RESULTS: {len(only_base)} findings only in base, {len(only_new)} only in new")
            for line in only_base[:5]:
                print("  base:", line[:300])
            for line in only_new[:5]:
                print("  new: ", line[:300])
            return 1
        same_text = base["detail_digest"] == new["detail_digest"]
        print("same entry points and findings in both trees" + ("" if same_text else " (descriptions differ)"))
    return 0


def _callgrind_main(trees: list[tuple[str, Path]], root: Path, include: list[str]) -> int:
    counts: list[tuple[str, int]] = []
    for label, src in trees:
        count, run = count_static(src, root, include)
        counts.append((label, count))
        print(describe(label, run))
    print(callgrind_table(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
