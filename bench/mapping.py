"""Benchmark: mapping a real application cold and warm, with the store, against another source tree.

Not a test: it prints a table. "Mapping" is what ``vulnhuntr -r ROOT --list-entrypoints``
does: discover, index, templates, entry points. Each round gives every tree a fresh
store folder and runs two fresh interpreters on it: *cold* (the store is empty: every
file is parsed and indexed) and *warm* (the store holds the per-file indexes of the cold
run). Per run it records the mapping's wall and CPU time inside the interpreter, the
whole process's wall time (interpreter start and imports included) and its peak RSS
(``resource.getrusage``). The trees are measured alternately and the best of N rounds
is kept, so load on a shared machine hits both alike.

    git -C /work/main archive main | tar -x -C /tmp/mapping-base
    python bench/mapping.py /tmp/realapp/wagtail-8.0.1 --baseline-src /tmp/mapping-base --runs 3 \\
        --include 'tests/' --include 'test_*.py' --include 'test/' --same-results

``--same-results`` fails (exit 1) unless both trees, cold and warm, report the same entry
points and skipped files; a warm run must agree with its cold run in any case.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from realapp import run_worker, use_tree  # bench/ is the script's folder, first on sys.path

HERE = Path(__file__).resolve()
CURRENT_SRC = HERE.parent.parent
STAGES = ("discover", "index", "templates", "entry_points")


def worker(root: str, include: list[str], store_dir: str) -> dict[str, Any]:
    """Map *root* once with the store in *store_dir*; times, peak RSS and a digest of what was found."""
    from vulnhuntr.config import load_settings
    from vulnhuntr.repo.map import map_repository
    from vulnhuntr.store import Store

    settings = load_settings({"root": root, "llm": "none", "include": include})
    store = Store.open(Path(store_dir))
    cpu, wall = time.process_time(), time.perf_counter()
    try:
        repository = map_repository(settings, store)
    finally:
        store.close()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    entries = sorted(json.dumps(e.to_dict(), sort_keys=True) for e in repository.entry_points)
    skipped = sorted(f"{s.path}: {s.reason}" for s in repository.skipped)
    return {
        "cpu": cpu,
        "wall": wall,
        "stages": dict(repository.timings),
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "files": len(repository.files),
        "entry_points": len(entries),
        "digest": hashlib.sha256("\n".join(entries + ["--"] + skipped).encode()).hexdigest()[:16],
    }


def run_once(src: Path, root: Path, include: list[str], store_dir: str) -> dict[str, Any]:
    """One fresh interpreter importing vulnhuntr from *src*; adds the whole process's wall time."""
    started = time.perf_counter()
    result = run_worker(HERE, src, [str(root), "--store", store_dir, *(f"--include={p}" for p in include)])
    result["process"] = time.perf_counter() - started
    return result


def best(runs: list[dict[str, Any]], key: str) -> float:
    values = [r["stages"].get(key, float("nan")) if key in STAGES else r[key] for r in runs]
    return min(values) if values else float("nan")


def table(results: dict[tuple[str, str], list[dict[str, Any]]], labels: list[str]) -> str:
    columns = [(label, phase) for phase in ("cold", "warm") for label in labels]
    head = f"{'':<18}" + "".join(f"{label + ' ' + phase:>13}" for label, phase in columns)
    if len(labels) == 2:
        head += f"{'cold new/base':>15}{'warm new/base':>15}"
    lines = [head, "-" * len(head)]
    rows = [("map wall s", "wall"), ("map cpu s", "cpu"), ("process wall s", "process"), ("peak rss MB", "rss_mb")]
    rows += [(f"  {stage} s", stage) for stage in STAGES]
    for title, key in rows:
        row = f"{title:<18}" + "".join(f"{best(results[c], key):>13.2f}" for c in columns)
        if len(labels) == 2:
            for phase in ("cold", "warm"):
                base, new = best(results[(labels[0], phase)], key), best(results[(labels[1], phase)], key)
                row += f"{new / base:>15.2f}" if base > 0 else f"{'-':>15}"
        lines.append(row)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", type=Path, help="the application's source folder")
    parser.add_argument("--runs", type=int, default=3, help="rounds per tree; the best is kept (default 3)")
    parser.add_argument("--baseline-src", type=Path, help="another vulnhuntr source tree to measure alongside")
    parser.add_argument("--src", type=Path, default=CURRENT_SRC, help="the tree under test (default: this one)")
    parser.add_argument("--same-results", action="store_true", help="fail unless both trees find the same")
    parser.add_argument("--include", action="append", default=[], help="pattern kept although excluded by default")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        use_tree(str(args.src))
        print(json.dumps(worker(str(args.root), args.include, args.store)))
        return 0
    root = args.root.resolve()
    trees = [("new", args.src.resolve())]
    if args.baseline_src is not None:
        trees.insert(0, ("base", args.baseline_src.resolve()))
    results: dict[tuple[str, str], list[dict[str, Any]]] = {(t, p): [] for t, _ in trees for p in ("cold", "warm")}
    for i in range(args.runs):
        for label, src in trees:
            with tempfile.TemporaryDirectory(prefix="vh-mapping-") as store_dir:
                for phase in ("cold", "warm"):
                    run = run_once(src, root, args.include, store_dir)
                    results[(label, phase)].append(run)
                    print(f"round {i + 1}/{args.runs} {label} {phase}: map wall {run['wall']:.2f}s "
                          f"cpu {run['cpu']:.2f}s rss {run['rss_mb']:.0f} MB", file=sys.stderr)
    digests = {key: {r["digest"] for r in runs} for key, runs in results.items()}
    for label, _ in trees:
        if len(digests[(label, "cold")] | digests[(label, "warm")]) != 1:
            raise SystemExit(f"{label}: runs disagree on entry points or skipped files: {digests}")
    print(f"application: {root} ({results[(trees[0][0], 'cold')][0]['files']} Python files mapped, "
          f"{results[(trees[0][0], 'cold')][0]['entry_points']} entry points)")
    for label, src in trees:
        print(f"{label} = {src}")
    print(f"best of {args.runs} rounds; cold = empty store, warm = the store the cold run filled")
    print(table(results, [label for label, _ in trees]))
    if args.same_results and len(trees) == 2:
        if digests[("base", "cold")] != digests[("new", "cold")]:
            print(f"DIFFERENT RESULTS: base {digests[('base', 'cold')]}, new {digests[('new', 'cold')]}")
            return 1
        print("same entry points and skipped files in both trees, cold and warm")
    return 0


if __name__ == "__main__":
    sys.exit(main())
