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
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the fakes package (tests/fakes)
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import finding_keys, run_cli, scripted_model  # noqa: E402
from repo_model import EXAMPLES, generate  # noqa: E402

from fakes import FakeLLM  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=0, help="scan N copies of each app instead of examples/")
    parser.add_argument("--latency", type=float, default=0.15, help="base seconds per simulated call")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vulnhuntr-cache-bench-") as name:
        tmp = Path(name)
        root = generate(tmp / "repo", args.copies) if args.copies else EXAMPLES
        print(f"command: python bench/cache.py {' '.join(sys.argv[1:])}".rstrip())
        print(f"repository: {root if not args.copies else f'{args.copies} copies of each example app'}; "
              f"fake LLM latency {args.latency} s + 0.001 s/output token; provider gpt; workers 8")
        store = ("--cache-dir", str(tmp / "store"))
        with FakeLLM(scripted_model(root), latency=args.latency, latency_per_output_token=0.001) as fake:
            cold = run_cli(fake, root, tmp, "cold", *store)
            warm = run_cli(fake, root, tmp, "warm", *store)
            refresh = run_cli(fake, root, tmp, "refresh", *store, "--refresh")
        print(f"\n{'run':>8}  {'LLM calls':>9}  {'wall s':>7}  {'cache hits':>10}  {'tokens saved':>12}  findings")
        for label, run in (("cold", cold), ("warm", warm), ("refresh", refresh)):
            cache = run.report["summary"]["cache"] or {}
            saved = cache.get("saved_input_tokens", 0) + cache.get("saved_output_tokens", 0)
            print(f"{label:>8}  {run.calls:>9}  {run.wall:>7.2f}  {cache.get('hits', 0):>10}  {saved:>12,}  "
                  f"{len(run.report['findings'])}")
        print(f"\nwarm vs cold: calls {warm.calls}/{cold.calls}, wall time {warm.wall / cold.wall:.3f}x "
              f"({cold.wall / warm.wall:.0f}x faster); "
              f"findings identical: {finding_keys(warm.report) == finding_keys(cold.report)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
