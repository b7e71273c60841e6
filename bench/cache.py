"""Benchmark: what the persistent answer cache saves on a re-run and after an interruption.

Not a test: it prints a table measured in one run. The real CLI scans a
repository three times against a fake LLM with simulated latency, sharing one
fresh cache folder: cold (empty cache), warm (nothing changed: every answer
from the store), and after ``--refresh`` (asks again and overwrites).

    python bench/cache.py                  # examples/
    python bench/cache.py --copies 5       # 5 copies of each example app
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


def run(root: Path, fake: FakeLLM, tmp: Path, label: str, *extra: str) -> tuple[int, float, dict]:
    report = tmp / f"{label}.json"
    argv = ["-r", str(root), "-l", "gpt", "--quiet", "--cache-dir", str(tmp / "store"), "--format", "json",
            "-o", str(report), "--log-file", str(tmp / "log.jsonl"), *extra]
    before = len(fake.requests)
    with open(tmp / f"{label}.out", "w") as sink, contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        started = time.perf_counter()
        cli_main(argv)
        wall = time.perf_counter() - started
    return len(fake.requests) - before, wall, json.loads(report.read_text())


def findings(report: dict) -> list:
    return [(f["type"], f["file"], f["start_line"], f["entry_function"]) for f in report["findings"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=0, help="scan N copies of each app instead of examples/")
    parser.add_argument("--latency", type=float, default=0.15, help="base seconds per simulated call")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vulnhuntr-cache-bench-") as name:
        tmp = Path(name)
        apps = sorted(p for p in EXAMPLES.iterdir() if (p / "expected.yaml").exists())
        if args.copies:
            root = generate(tmp / "repo", args.copies)
            model = ScriptedModel(sorted(p for p in root.iterdir() if p.is_dir()), root=root, expected_from=apps)
        else:
            root, model = EXAMPLES, ScriptedModel(apps, root=EXAMPLES)
        print(f"command: python bench/cache.py {' '.join(sys.argv[1:])}".rstrip())
        print(f"repository: {root if not args.copies else f'{args.copies} copies of each example app'}; "
              f"fake LLM latency {args.latency} s + 0.001 s/output token; provider gpt; workers 8")
        with FakeLLM(model, latency=args.latency, latency_per_output_token=0.001) as fake:
            os.environ["OPENAI_API_KEY"] = "bench"
            os.environ["OPENAI_BASE_URL"] = fake.openai_base_url
            cold = run(root, fake, tmp, "cold")
            warm = run(root, fake, tmp, "warm")
            refresh = run(root, fake, tmp, "refresh", "--refresh")
        print(f"\n{'run':>8}  {'LLM calls':>9}  {'wall s':>7}  {'cache hits':>10}  {'tokens saved':>12}  findings")
        for label, (calls, wall, report) in (("cold", cold), ("warm", warm), ("refresh", refresh)):
            cache = report["summary"]["cache"] or {}
            saved = cache.get("saved_input_tokens", 0) + cache.get("saved_output_tokens", 0)
            print(f"{label:>8}  {calls:>9}  {wall:>7.2f}  {cache.get('hits', 0):>10}  {saved:>12,}  {len(report['findings'])}")
        print(f"\nwarm vs cold: calls {warm[0]}/{cold[0]}, wall time {warm[1] / cold[1]:.3f}x "
              f"({cold[1] / warm[1]:.0f}x faster); findings identical: {findings(warm[2]) == findings(cold[2])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
