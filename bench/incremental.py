"""Benchmark: a full re-scan versus ``--incremental`` after a one-file change.

Not a test: it prints a table measured in one run. The real CLI scans a
generated repository (copies of the example apps) against a fake LLM with
simulated latency: a first run records the state, one helper file of one copy
is edited, then the repository is scanned again in full and incrementally.
Every run passes ``--no-cache`` so the answer cache cannot hide the difference.

    python bench/incremental.py                 # 20 copies of each example app
    python bench/incremental.py --copies 60     # 1,000+ files
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the fakes package (tests/fakes)
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import finding_keys, run_cli, scripted_model  # noqa: E402
from repo_model import generate  # noqa: E402

from fakes import FakeLLM  # noqa: E402

CHANGED = "app_0000_flask_notes/render.py"
"""The one file edited between the runs: a helper two of flask_notes' routes call into."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=20, help="copies of each example app")
    parser.add_argument("--latency", type=float, default=0.15, help="base seconds per simulated call")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vulnhuntr-incremental-bench-") as name:
        tmp = Path(name)
        root = generate(tmp / "repo", args.copies)
        files = sum(1 for _ in root.rglob("*.py"))
        print(f"command: python bench/incremental.py {' '.join(sys.argv[1:])}".rstrip())
        print(f"repository: {args.copies} copies of each example app ({files} Python files); fake LLM latency "
              f"{args.latency} s + 0.001 s/output token; provider gpt; workers 8; --no-cache on every run")
        store = ("--no-cache", "--cache-dir", str(tmp / "store"))
        with FakeLLM(scripted_model(root), latency=args.latency, latency_per_output_token=0.001) as fake:
            first = run_cli(fake, root, tmp, "first", *store, "--incremental")
            with (root / CHANGED).open("a", encoding="utf-8") as handle:
                handle.write("\n\ndef footer():\n    return '<footer/>'\n")
            full = run_cli(fake, root, tmp, "full", *store)
            incremental = run_cli(fake, root, tmp, "incremental", *store, "--incremental")
        print(f"\nchanged: {CHANGED} (a function appended)")
        print(f"\n{'run':>22}  {'LLM calls':>9}  {'wall s':>7}  {'files analysed':>14}  {'reused':>6}  findings")
        rows = (("first (records state)", first), ("full re-scan", full), ("incremental", incremental))
        for label, run in rows:
            summary = run.report.get("incremental") or {}
            analysed = len(summary["reanalysed"]) if summary else "all"
            reused = len(summary.get("reused", []))
            print(f"{label:>22}  {run.calls:>9}  {run.wall:>7.2f}  {analysed!s:>14}  {reused:>6}  "
                  f"{len(run.report['findings'])}")
        reasons = "; ".join(f"{n['file']}: {n['reason']}" for n in incremental.report["incremental"]["reanalysed"])
        print(f"\nre-analysed: {reasons}")
        print(f"incremental vs full: calls {incremental.calls}/{full.calls}, "
              f"wall time {incremental.wall / full.wall:.3f}x ({full.wall / incremental.wall:.0f}x faster); "
              f"findings identical: {finding_keys(incremental.report) == finding_keys(full.report)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
