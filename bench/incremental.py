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
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from repo_model import EXAMPLES, generate  # noqa: E402

from vulnhuntr.cli import main as cli_main  # noqa: E402
from vulnhuntr.testing.fake_llm import FakeLLM  # noqa: E402
from vulnhuntr.testing.scripted_model import ScriptedModel  # noqa: E402

CHANGED = "app_0000_flask_notes/render.py"
"""The one file edited between the runs: a helper two of flask_notes' routes call into."""


def run(root: Path, fake: FakeLLM, tmp: Path, label: str, *extra: str) -> tuple[int, float, dict]:
    report = tmp / f"{label}.json"
    argv = ["-r", str(root), "-l", "gpt", "--quiet", "--no-cache", "--cache-dir", str(tmp / "store"),
            "--format", "json", "-o", str(report), "--log-file", str(tmp / "log.jsonl"), *extra]
    before = len(fake.requests)
    with open(tmp / f"{label}.out", "w") as sink, contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        started = time.perf_counter()
        cli_main(argv)
        wall = time.perf_counter() - started
    return len(fake.requests) - before, wall, json.loads(report.read_text())


def findings(report: dict) -> list:
    return sorted((f["type"], f["file"], f["start_line"], f["entry_function"]) for f in report["findings"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=20, help="copies of each example app")
    parser.add_argument("--latency", type=float, default=0.15, help="base seconds per simulated call")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vulnhuntr-incremental-bench-") as name:
        tmp = Path(name)
        apps = sorted(p for p in EXAMPLES.iterdir() if (p / "expected.yaml").exists())
        root = generate(tmp / "repo", args.copies)
        model = ScriptedModel(sorted(p for p in root.iterdir() if p.is_dir()), root=root, expected_from=apps)
        files = sum(1 for _ in root.rglob("*.py"))
        print(f"command: python bench/incremental.py {' '.join(sys.argv[1:])}".rstrip())
        print(f"repository: {args.copies} copies of each example app ({files} Python files); fake LLM latency "
              f"{args.latency} s + 0.001 s/output token; provider gpt; workers 8; --no-cache on every run")
        with FakeLLM(model, latency=args.latency, latency_per_output_token=0.001) as fake:
            os.environ["OPENAI_API_KEY"] = "bench"
            os.environ["OPENAI_BASE_URL"] = fake.openai_base_url
            first = run(root, fake, tmp, "first", "--incremental")
            with (root / CHANGED).open("a", encoding="utf-8") as handle:
                handle.write("\n\ndef footer():\n    return '<footer/>'\n")
            full = run(root, fake, tmp, "full")
            incremental = run(root, fake, tmp, "incremental", "--incremental")
        print(f"\nchanged: {CHANGED} (a function appended)")
        print(f"\n{'run':>22}  {'LLM calls':>9}  {'wall s':>7}  {'files analysed':>14}  {'reused':>6}  findings")
        rows = (("first (records state)", first), ("full re-scan", full), ("incremental", incremental))
        for label, (calls, wall, report) in rows:
            summary = report.get("incremental") or {}
            analysed = len(summary["reanalysed"]) if summary else "all"
            reused = len(summary.get("reused", []))
            print(f"{label:>22}  {calls:>9}  {wall:>7.2f}  {analysed!s:>14}  {reused:>6}  {len(report['findings'])}")
        reasons = "; ".join(f"{n['file']}: {n['reason']}" for n in incremental[2]["incremental"]["reanalysed"])
        print(f"\nre-analysed: {reasons}")
        print(f"incremental vs full: calls {incremental[0]}/{full[0]}, wall time {incremental[1] / full[1]:.3f}x "
              f"({full[1] / incremental[1]:.0f}x faster); findings identical: "
              f"{findings(incremental[2]) == findings(full[2])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
