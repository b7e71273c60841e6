"""Benchmark: the static pass on the OWASP Benchmark for Python, scored by the shared scorer.

Not a test: it prints figures. The corpus is GPL-3.0 and stays outside the
project; this script only reads it. It scans the corpus in-process with the
CLI (``-l none --format sarif --no-cache``: a shared index cache may hold
modules another interpreter parsed), prints the scorer's table, and writes, per
category, the case ids missed and falsely flagged (each with the findings
located in its file) to ``bench/out/owasp-<category>.txt`` for study. Files
the parser skipped are listed too: they count as misses.

    python bench/owasp.py ../shared/corpora/BenchmarkPython ../shared/tools/score_owasp.py
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import importlib.util
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from types import ModuleType

from vulnhuntr.cli import main as cli_main

OUT = Path(__file__).resolve().parent / "out"
CASE = re.compile(r"(\d{5})")


def load_scorer(path: Path) -> ModuleType:
    """The scorer as a module, for its CWE families and its reading of a SARIF file."""
    spec = importlib.util.spec_from_file_location("owasp_scorer", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load the scorer at {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def scan(corpus: Path, sarif: Path, log: Path) -> float:
    """Run the CLI on *corpus* with the static pass only; the console output goes to *log*."""
    with open(log, "w", encoding="utf-8") as sink, contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        started = time.perf_counter()
        code = cli_main(["-r", str(corpus), "-l", "none", "--format", "sarif", "-o", str(sarif), "-q", "--no-cache"])
        elapsed = time.perf_counter() - started
    if not sarif.exists():
        raise SystemExit(f"the scan wrote no report (exit code {code}); see {log}")
    return elapsed


def expected_cases(corpus: Path) -> dict[int, tuple[str, bool]]:
    """Case number -> (category, really vulnerable), from the corpus's expected-results file."""
    found: dict[int, tuple[str, bool]] = {}
    with open(_expected(corpus)[0], encoding="utf-8") as handle:
        for row in csv.reader(handle):
            if row and not row[0].startswith("#"):
                found[int(row[0][-5:])] = (row[1].strip(), row[2].strip() == "true")
    return found


def findings_by_case(sarif: Path) -> dict[int, list[str]]:
    """Every result in a case's files, as "CWE-n line l: message head", for the study lists."""
    found: dict[int, list[str]] = defaultdict(list)
    for run in json.loads(sarif.read_text(encoding="utf-8")).get("runs", []):
        for result in run.get("results", []):
            for location in result.get("locations", [])[:1]:
                physical = location.get("physicalLocation") or {}
                uri = (physical.get("artifactLocation") or {}).get("uri", "")
                match = CASE.search(uri)
                if match:
                    line = (physical.get("region") or {}).get("startLine")
                    cwe = (result.get("properties") or {}).get("cwe")
                    found[int(match.group(1))].append(f"CWE-{cwe} {uri}:{line}")
    return found


def skipped_files(log: Path) -> set[int]:
    """Cases whose file the parser skipped (they count as misses)."""
    text = log.read_text(encoding="utf-8", errors="replace")
    return {int(m.group(1)) for m in re.finditer(r"testcode/\w*?(\d{5})\.py\s*│\s*(?:valid Python|invalid)", text)}


def study_lists(
    scorer: ModuleType, corpus: Path, sarif: Path, skipped: set[int], out: Path
) -> dict[str, tuple[list[int], list[int]]]:
    """Per category: (missed, false positives), also written to ``out/owasp-<category>.txt``."""
    flagged: dict[int, set[int]] = scorer.flagged(str(sarif))
    details = findings_by_case(sarif)
    lists: dict[str, tuple[list[int], list[int]]] = {}
    for case, (category, vulnerable) in sorted(expected_cases(corpus).items()):
        if category not in scorer.COVERED:
            continue
        missed, false = lists.setdefault(category, ([], []))
        hit = bool(flagged.get(case, set()) & scorer.FAMILY[category])
        if vulnerable and not hit:
            missed.append(case)
        elif hit and not vulnerable:
            false.append(case)
    out.mkdir(parents=True, exist_ok=True)
    for category, (missed, false) in lists.items():
        lines = [f"# {category}: {len(missed)} missed, {len(false)} false positives", "", "## missed"]
        lines += [f"{c:05d}{'  (file skipped by the parser)' if c in skipped else ''}" for c in missed]
        lines += ["", "## false positives"]
        lines += [f"{c:05d}  " + "; ".join(details.get(c, [])) for c in false]
        (out / f"owasp-{category}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lists


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path, help="the OWASP Benchmark for Python checkout")
    parser.add_argument("scorer", type=Path, help="score_owasp.py")
    parser.add_argument("--out", type=Path, default=OUT, help="where the study lists go (default bench/out)")
    args = parser.parse_args(argv)
    scorer = load_scorer(args.scorer)
    with tempfile.TemporaryDirectory(prefix="vulnhuntr-owasp-") as tmp:
        sarif, log = Path(tmp) / "owasp.sarif", Path(tmp) / "scan.out"
        elapsed = scan(args.corpus.resolve(), sarif, log)
        table = subprocess.run(
            [sys.executable, str(args.scorer), str(sarif), "--expected", *_expected(args.corpus)],
            capture_output=True,
            text=True,
            check=False,
        )
        skipped = skipped_files(log)
        lists = study_lists(scorer, args.corpus, sarif, skipped, args.out)
    print(table.stdout, end="")
    if table.returncode != 0:
        print(table.stderr, file=sys.stderr)
        return table.returncode
    print(f"scan: {elapsed:.1f} s; files skipped by the parser: {len(skipped)} (they count as misses)")
    for category, (missed, false) in sorted(lists.items()):
        where = args.out / f"owasp-{category}.txt"
        print(f"  {category:16} missed {len(missed):3}  false positives {len(false):3}  -> {where}")
    return 0


def _expected(corpus: Path) -> list[str]:
    tables = sorted(corpus.glob("expectedresults*.csv"))
    if not tables:
        raise SystemExit(f"no expectedresults*.csv in {corpus}")
    return [str(tables[-1])]


if __name__ == "__main__":
    sys.exit(main())
