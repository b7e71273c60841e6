"""Benchmark: precision and recall of the static pass on examples/, and its cost on a big repository.

Not a test: it prints figures. A true positive has the expected type, and its
primary location (where to fix) or its sink inside the expected file and ``lines`` range; each expected
vulnerability counts once. Everything else reported (a safe look-alike
included) is a false positive. Timing runs the pass on a generated repository
of 1,000+ files (the example apps copied as packages) next to its index time.

    python bench/static.py
    python bench/static.py --copies 120
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from repo_model import EXAMPLES, generate  # noqa: E402

from vulnhuntr.config import load_settings  # noqa: E402
from vulnhuntr.findings import Finding  # noqa: E402
from vulnhuntr.repo.map import map_repository  # noqa: E402
from vulnhuntr.static import run_static  # noqa: E402

TYPES = ("LFI", "AFO", "RCE", "SSRF", "SQLI", "XSS", "IDOR")


@dataclass
class Score:
    tp: Counter[str] = field(default_factory=Counter)
    fp: Counter[str] = field(default_factory=Counter)
    fn: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)


def matches(finding: Finding, vuln: dict[str, Any]) -> bool:
    """Same type, and the finding's primary location or its sink inside the expected lines (or, for a
    template sink, at the view's render call)."""
    low, high = vuln["lines"]
    if finding.type.value != vuln["type"]:
        return False
    render = vuln.get("render")
    if render is not None and finding.points_at(render["file"], render["line"], render["line"]):
        return True
    return finding.points_at(vuln["sink"]["file"], low, high)


def score_app(app: Path, score: Score) -> None:
    expected = yaml.safe_load((app / "expected.yaml").read_text(encoding="utf-8"))
    result = run_static(map_repository(load_settings({"root": str(app), "llm": "none"})))
    unmatched = [v for v in expected["vulnerabilities"] if v["type"] in TYPES]
    for finding in result.findings:
        vuln = next((v for v in unmatched if matches(finding, v)), None)
        if vuln is not None:
            unmatched.remove(vuln)
            score.tp[finding.type.value] += 1
            continue
        score.fp[finding.type.value] += 1
        score.notes.append(
            f"FP {app.name}: {finding.type.value} {finding.file}:{finding.start_line} from {finding.entry_function}"
        )
    for vuln in unmatched:
        score.fn[vuln["type"]] += 1
        score.notes.append(
            f"FN {app.name}: {vuln['id']} ({vuln['type']} {vuln['sink']['file']}:{vuln['sink']['line']})"
        )


def ratio(num: int, den: int) -> str:
    return f"{num / den:6.2f}" if den else "     -"


def print_scores(score: Score) -> None:
    print(f"{'type':6} {'TP':>3} {'FP':>3} {'FN':>3} {'precision':>10} {'recall':>7}")
    for vuln_type in (*TYPES, "all"):
        if vuln_type == "all":
            tp, fp, fn = (sum(c.values()) for c in (score.tp, score.fp, score.fn))
        else:
            tp, fp, fn = score.tp[vuln_type], score.fp[vuln_type], score.fn[vuln_type]
        print(f"{vuln_type:6} {tp:3} {fp:3} {fn:3} {ratio(tp, tp + fp):>10} {ratio(tp, tp + fn):>7}")
    for note in score.notes:
        print("  " + note)


def time_big_repository(copies: int) -> None:
    with tempfile.TemporaryDirectory(prefix="vulnhuntr-bench-static-") as tmp:
        root = generate(Path(tmp), copies)
        repository = map_repository(load_settings({"root": str(root), "llm": "none"}))
        started = time.perf_counter()
        result = run_static(repository)
        elapsed = time.perf_counter() - started
    timings = repository.timings
    print(f"generated repository: {len(repository.files)} files, {len(repository.entry_points)} entry points")
    print(f"discover:     {timings['discover']:7.3f} s")
    print(f"index:        {timings['index']:7.3f} s")
    print(f"entry points: {timings['entry_points']:7.3f} s")
    print(
        f"static pass:  {elapsed:7.3f} s  ({elapsed / timings['index']:.2f}x index time; "
        f"{len(result.findings)} findings, {sum(len(c) for c in result.candidates.values())} candidates, "
        f"{len(result.errors)} errors)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=60, help="copies of each example app (60 → 1,000+ files)")
    args = parser.parse_args()
    score = Score()
    for app in sorted(p.parent for p in EXAMPLES.glob("*/expected.yaml")):
        score_app(app, score)
    print("static pass on examples/ (primary location or sink within the expected file and lines)")
    print_scores(score)
    print()
    time_big_repository(args.copies)
    return 0


if __name__ == "__main__":
    sys.exit(main())
