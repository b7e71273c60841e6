"""Benchmark: does the analysis overlap LLM calls, and do more workers change the findings?

Not a test: it prints a table. Each scan runs the real CLI in-process (provider
``gpt``) against a FakeLLM that answers like a good model (ScriptedModel) and
models a real endpoint's timing: every call takes ``latency + input tokens *
per_in + output tokens * per_out`` seconds, and calls beyond ``--limit`` in
flight get an immediate 429 with ``retry-after``.

From the recorded calls it derives the figures timing noise cannot blur:
simulated LLM seconds (what one call at a time would take) and the critical
path (README summary, then per file its initial call plus its longest
(file, type) chain, whose rounds must run one after another). No engine can
finish faster than the critical path, nor than simulated seconds / workers.

    python bench/parallel.py                      # examples/ and 10 copies of each app
    python bench/parallel.py --copies 4 --workers 1 8
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the fakes package (tests/fakes)
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import FindingKey, cli_args, finding_keys, run_cli, scripted_model  # noqa: E402
from repo_model import EXAMPLES, generate  # noqa: E402

from fakes import FakeLLM, FakeRequest, simulated_seconds  # noqa: E402
from fakes.scripted_model import FILE_TAG, FOCUS, ScriptedModel  # noqa: E402


@dataclass(frozen=True)
class Latency:
    """The endpoint's timing model, passed straight to FakeLLM."""

    base: float
    per_in: float
    per_out: float
    limit: int | None
    retry_after: str


@dataclass
class Run:
    """One scan's figures."""

    repo: str
    workers: int
    exit_code: int
    wall: float
    calls: int
    input_tokens: int
    output_tokens: int
    simulated: float
    critical: float
    rejected_429: int
    max_in_flight: int
    chains: int
    findings: list[FindingKey] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------- critical path


def critical_path(requests: list[FakeRequest]) -> float:
    """README call, then the slowest file: its initial call(s) plus its longest type chain.

    The chains of one file run concurrently once its initial answer is in, and
    files start together, so this is the shortest time any schedule can reach.
    """
    readme = 0.0
    initial: dict[str, float] = defaultdict(float)
    chains: dict[tuple[str, str], float] = defaultdict(float)
    for request in requests:
        if "<readme>" in request.prompt:
            readme += simulated_seconds(request)
            continue
        file = FILE_TAG.search(request.prompt)
        if file is None:
            continue
        focus = FOCUS.search(request.prompt)
        if focus is None:
            initial[file.group(1)] += simulated_seconds(request)
        else:
            chains[(file.group(1), focus.group(1))] += simulated_seconds(request)
    longest: dict[str, float] = defaultdict(float)
    for (file, _type), seconds in chains.items():
        longest[file] = max(longest[file], seconds)
    per_file = [initial[file] + longest[file] for file in set(initial) | set(longest)]
    return readme + max(per_file, default=0.0)


def independent_chains(requests: list[FakeRequest]) -> int:
    """How many (file, type) chains the scan ran: the parallelism the work offers."""
    return len({(f.group(1), t.group(1)) for r in requests
                if (f := FILE_TAG.search(r.prompt)) and (t := FOCUS.search(r.prompt))})


# ----------------------------------------------------------------------------- one scan


def scan_once(root: Path, model: ScriptedModel, workers: int, latency: Latency, tmp: Path, label: str) -> Run:
    """One in-process CLI run against a fresh fake server; the CLI's output goes to a file."""
    fake = FakeLLM(model, latency=latency.base, latency_per_input_token=latency.per_in,
                   latency_per_output_token=latency.per_out, concurrency_limit=latency.limit,
                   retry_after=latency.retry_after)
    with fake:
        run = run_cli(fake, root, tmp, f"{label}-w{workers}", "--workers", str(workers), "--no-cache")
        rejected, peak = fake.rejected_429, fake.max_concurrency
    if run.code not in (0, 1):
        sys.stderr.write(f"{label} workers={workers} exited {run.code}:\n{run.output.read_text()[-2000:]}\n")
    requests = run.requests
    return Run(
        repo=label, workers=workers, exit_code=run.code, wall=run.wall, calls=run.calls,
        input_tokens=sum(r.input_tokens for r in requests), output_tokens=sum(r.output_tokens for r in requests),
        simulated=sum(simulated_seconds(r) for r in requests), critical=critical_path(requests),
        rejected_429=rejected, max_in_flight=peak, chains=independent_chains(requests),
        findings=finding_keys(run.report),
        errors=[f"{e.get('file')}: {e.get('reason')}" for e in run.report.get("errors", [])],
    )


# ----------------------------------------------------------------------------- output


def header(args: argparse.Namespace, latency: Latency) -> None:
    print("command: " + " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv]))
    print(f"cpus: {os.cpu_count()}  python: {sys.version.split()[0]}")
    print(f"fake LLM: latency {latency.base} s + {latency.per_in} s/input token + {latency.per_out} s/output token; "
          f"concurrency limit {latency.limit} (429, retry-after {latency.retry_after} s)")
    print(f"repositories: examples/ and {args.copies} copies of each app; workers {args.workers}")
    argv = cli_args("<root>", "<tmp>.json", "<tmp>.jsonl", "--workers", "N", "--no-cache")
    print("each scan: vulnhuntr " + " ".join(argv) + "  (in-process, OPENAI_BASE_URL=<fake>/v1)")
    print()


COLUMNS = ("repo", "workers", "chains", "calls", "in tok", "out tok", "LLM s", "critical s", "ideal s", "wall s",
           "speedup", "wall/crit", "wall/ideal", "429s", "peak", "findings", "errors")


def row(run: Run, baseline: Run) -> list[str]:
    ideal = max(run.critical, run.simulated / run.workers)  # no schedule beats either bound
    return [run.repo, str(run.workers), str(run.chains), str(run.calls), f"{run.input_tokens:,}", f"{run.output_tokens:,}",
            f"{run.simulated:.1f}", f"{run.critical:.2f}", f"{ideal:.2f}", f"{run.wall:.2f}",
            f"{baseline.wall / run.wall:.2f}x", f"{run.wall / run.critical:.2f}" if run.critical else "-",
            f"{run.wall / ideal:.2f}" if ideal else "-", str(run.rejected_429), str(run.max_in_flight),
            str(len(run.findings)), str(len(run.errors))]


def table(rows: list[list[str]]) -> None:
    widths = [max(len(COLUMNS[i]), *(len(r[i]) for r in rows)) for i in range(len(COLUMNS))]
    print("  ".join(c.rjust(w) for c, w in zip(COLUMNS, widths)))
    for r in rows:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths)))


def determinism(runs: list[Run]) -> None:
    """Every run's findings must equal those of the workers=1 run of the same repository."""
    print("\ndeterminism (findings as (type, file, line, entry function) vs workers=1):")
    for label in dict.fromkeys(run.repo for run in runs):
        group = [run for run in runs if run.repo == label]
        baseline = sorted(group[0].findings)
        for run in group[1:]:
            same = sorted(run.findings) == baseline
            extra = "" if same else _difference(baseline, sorted(run.findings))
            print(f"  {label} workers={run.workers}: {'identical' if same else 'DIFFERENT'}{extra}")
        for run in group:
            for error in run.errors[:3]:
                print(f"  {label} workers={run.workers} error: {error}")


def _difference(baseline: list[FindingKey], other: list[FindingKey]) -> str:
    missing = set(baseline) - set(other)
    added = set(other) - set(baseline)
    return f" ({len(missing)} missing, {len(added)} extra; e.g. {sorted(missing or added)[:2]})"


# ----------------------------------------------------------------------------- main


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=10, help="copies of each example app in the large repository")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4, 8, 16], help="--workers values to run")
    parser.add_argument("--latency", type=float, default=0.15, help="base seconds per call")
    parser.add_argument("--per-in", type=float, default=0.00002, help="seconds per input token")
    parser.add_argument("--per-out", type=float, default=0.001, help="seconds per output token")
    parser.add_argument("--limit", type=int, default=12, help="calls in flight before the server answers 429")
    parser.add_argument("--retry-after", default="0.5", help="retry-after header of those 429s")
    return parser.parse_args()


def repositories(tmp: Path, copies: int) -> list[tuple[str, Path, ScriptedModel]]:
    """examples/ as one root, and a generated repository of copies, each with its scripted model."""
    large = generate(tmp / "repo", copies)
    return [("examples", EXAMPLES, scripted_model(EXAMPLES)), (f"copies{copies}", large, scripted_model(large))]


def main() -> int:
    args = parse_args()
    latency = Latency(args.latency, args.per_in, args.per_out, args.limit, args.retry_after)
    header(args, latency)
    runs: list[Run] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="vulnhuntr-parallel-") as tmp:
        for label, root, model in repositories(Path(tmp), args.copies):
            for workers in args.workers:
                runs.append(scan_once(root, model, workers, latency, Path(tmp), label))
    rows = []
    for run in runs:
        baseline = next(r for r in runs if r.repo == run.repo)
        rows.append(row(run, baseline))
    table(rows)
    determinism(runs)
    print(f"\ntotal benchmark time: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
