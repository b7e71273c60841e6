"""What the CLI benchmarks share: the scripted model of a repository, and one timed in-process CLI run.

Each run is ``vulnhuntr -r ROOT -l gpt --quiet --format json`` against a
:class:`FakeLLM` (the real OpenAI SDK talks to it through ``OPENAI_BASE_URL``),
with the console output sent to a file so the benchmark's table stays readable.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repo_model import EXAMPLES

from vulnhuntr.cli import main as cli_main

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the fakes package (tests/fakes)

from fakes import FakeLLM, FakeRequest  # noqa: E402
from fakes.scripted_model import ScriptedModel  # noqa: E402

FindingKey = tuple[str, str, int, str]


def example_apps() -> list[Path]:
    """The example apps that come with an expected.yaml."""
    return sorted(p for p in EXAMPLES.iterdir() if (p / "expected.yaml").exists())


def scripted_model(root: Path) -> ScriptedModel:
    """The scripted model of examples/ itself, or of a generated repository of ``app_NNNN_<name>`` copies."""
    apps = example_apps()
    if root == EXAMPLES:
        return ScriptedModel(apps, root=EXAMPLES)
    return ScriptedModel(sorted(p for p in root.iterdir() if p.is_dir()), root=root, expected_from=apps)


def cli_args(root: Path | str, report: Path | str, log: Path | str, *options: str) -> list[str]:
    """The vulnhuntr command line of one benchmark run."""
    return ["-r", str(root), "-l", "gpt", "--quiet", "--format", "json", "-o", str(report),
            "--log-file", str(log), *options]


@dataclass
class CliRun:
    """One CLI run: exit code, wall seconds, the model calls it made, its JSON report and console output."""

    code: int
    wall: float
    requests: list[FakeRequest]
    report: dict[str, Any]  # {} when the run wrote none
    output: Path

    @property
    def calls(self) -> int:
        return len(self.requests)


def run_cli(fake: FakeLLM, root: Path, tmp: Path, label: str, *options: str) -> CliRun:
    """Scan *root* in-process against *fake*; files go to ``tmp/<label>.{json,jsonl,out}``."""
    report = tmp / f"{label}.json"
    output = tmp / f"{label}.out"
    os.environ["OPENAI_API_KEY"] = "sk-bench-0000"
    os.environ["OPENAI_BASE_URL"] = fake.openai_base_url
    os.environ.pop("OPENAI_MODEL", None)
    before = len(fake.requests)
    with open(output, "w", encoding="utf-8") as sink, contextlib.redirect_stdout(sink), \
            contextlib.redirect_stderr(sink):
        started = time.perf_counter()
        code = cli_main(cli_args(root, report, tmp / f"{label}.jsonl", *options))
        wall = time.perf_counter() - started
    data = json.loads(report.read_text()) if report.exists() else {}
    return CliRun(code, wall, fake.requests[before:], data, output)


def finding_keys(report: dict[str, Any]) -> list[FindingKey]:
    """The report's findings as sorted (type, file, line, entry function): what must not change between runs."""
    return sorted((f["type"], f["file"], f["start_line"], f["entry_function"]) for f in report.get("findings", []))
