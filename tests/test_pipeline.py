"""The scan's shape: one event loop, the provider closed once, the report built in one place, early stops."""

from __future__ import annotations

import asyncio
import importlib
import signal
from pathlib import Path

import pytest
from conftest import write_tree

from vulnhuntr.analysis.run import AnalysisOutcome
from vulnhuntr.analysis.targets import select_targets
from vulnhuntr.config import load_settings
from vulnhuntr.findings import ErrorEntry, Finding, Usage, VulnType
from vulnhuntr.llm.base import LLMRequest, LLMResponse
from vulnhuntr.report.build import Analysed, Touched, build_report
from vulnhuntr.repo.map import map_repository
from vulnhuntr.results import FileResult
from vulnhuntr.scan import scan, survey
from vulnhuntr.static import run_static

scan_module = importlib.import_module("vulnhuntr.scan")  # the package's ``scan`` attribute is the function

APP = {
    "app.py": """
        import os
        from flask import Flask, request
        app = Flask(__name__)

        @app.route("/run")
        def run():
            return os.popen(request.args["cmd"]).read()

        @app.route("/ping")
        def ping():
            return "pong"
        """,
    "other.py": """
        from flask import Blueprint, request
        bp = Blueprint("b", __name__)

        @bp.route("/read")
        def read():
            return open(request.args["p"]).read()
        """,
}


class QuietModel:
    """A provider that finds nothing, and counts its calls and closes."""

    name = "openai"
    model = "quiet-model"
    endpoint = "http://127.0.0.1:9/v1"

    def __init__(self) -> None:
        self.calls = 0
        self.closed = 0

    async def complete(self, request: LLMRequest) -> LLMResponse:
        self.calls += 1
        return LLMResponse('{"confidence_score": 0}', Usage(1, 100, 10))

    async def aclose(self) -> None:
        self.closed += 1


def settings_for(root: Path, tmp_path: Path, **extra: object):
    return load_settings({"root": str(root), "performance": {"cache": {"directory": str(tmp_path / "store")}}, **extra})


def test_a_scan_runs_one_event_loop_and_closes_the_provider_once(tmp_path, monkeypatch) -> None:
    write_tree(tmp_path / "app", APP)
    loops: list[object] = []
    real_run = asyncio.run

    def counted(main, **kwargs):
        loops.append(main)
        return real_run(main, **kwargs)

    monkeypatch.setattr(scan_module.asyncio, "run", counted)
    model = QuietModel()
    result = scan(settings_for(tmp_path / "app", tmp_path, llm="gpt"), model)
    assert len(loops) == 1 and model.closed == 1 and model.calls > 0
    assert result.report.provider == "gpt" and result.report.model == "quiet-model"
    assert result.report.analyses_total == 2 and result.report.complete


def test_a_failing_stage_still_closes_the_provider(tmp_path, monkeypatch) -> None:
    write_tree(tmp_path / "app", APP)

    def broken(*_args, **_kwargs):
        raise RuntimeError("the static pass broke")

    monkeypatch.setattr(scan_module, "run_static", broken)
    model = QuietModel()
    with pytest.raises(RuntimeError, match="static pass broke"):
        scan(settings_for(tmp_path / "app", tmp_path, llm="gpt"), model)
    assert model.closed == 1 and model.calls == 0


def test_without_an_llm_the_analysis_never_runs(tmp_path, monkeypatch) -> None:
    write_tree(tmp_path / "app", APP)

    async def must_not_run(*_args, **_kwargs):
        raise AssertionError("the static-only path ran the LLM analysis")

    monkeypatch.setattr(scan_module, "analyse", must_not_run)
    report = scan(settings_for(tmp_path / "app", tmp_path, llm="none")).report
    assert report.provider == "none" and report.model is None and report.cost_usd == 0.0
    assert {f.type for f in report.findings} == {VulnType.RCE, VulnType.LFI}
    assert report.notes == [scan_module.STATIC_ONLY_NOTE]


def test_ctrl_c_interrupts_synchronous_stages_at_once_inside_the_loop() -> None:
    reached: list[str] = []

    async def stages() -> None:
        with scan_module._interrupt_now():
            signal.raise_signal(signal.SIGINT)
            reached.append("after the signal")  # asyncio.run's own handler would let this run

    with pytest.raises(KeyboardInterrupt):
        asyncio.run(stages())
    assert reached == []


def _finding(file: str, confidence: int, line: int) -> Finding:
    return Finding(VulnType.RCE, 78, file, line, line, file, "run", 1, confidence, "why", "poc")


def test_the_report_is_built_from_this_runs_and_reused_results(tmp_path) -> None:
    write_tree(tmp_path / "app", APP)
    settings = settings_for(tmp_path / "app", tmp_path, llm="gpt")
    repository = map_repository(settings)
    static = run_static(repository, repository.resolver)
    targets = select_targets(repository, settings, static, only={"app.py"})
    assert set(targets.files) == {"app.py"} and set(targets.every) == {"app.py", "other.py"} and not targets.full
    assert [x.entry.function for x in targets.left_out] == ["ping"]  # reads no request data, reaches no sink
    outcome = AnalysisOutcome(
        results={"app.py": FileResult("app.py", [_finding("app.py", 9, 8), _finding("app.py", 3, 12)])},
        errors=[ErrorEntry("app.py", "interrupted", "not finished")],
        usage=Usage(3, 300, 30),
        cost_usd=0.5,
        stop_reason="interrupted",
    )
    reused = [FileResult("other.py", [_finding("other.py", 8, 7)])]
    report = build_report(repository, settings, static, Analysed("m", targets, outcome, reused=reused))
    assert [(f.file, f.confidence) for f in report.findings] == [("app.py", 9), ("other.py", 8)]
    assert report.below_threshold == 1 and report.entry_points_analysed == 2  # run and read; ping got no pass
    assert (report.complete, report.stop_reason, report.cost_usd) == (False, "interrupted", 0.5)
    assert (report.analyses_total, report.analyses_failed, report.usage.calls) == (1, 0, 3)
    assert report.unreached is None and any(n.startswith("incomplete: 1 analysis step") for n in report.notes)


def test_since_without_an_llm_keeps_the_touched_files_static_findings(tmp_path) -> None:
    write_tree(tmp_path / "app", APP)
    settings = settings_for(tmp_path / "app", tmp_path, llm="none")
    repository = map_repository(settings)
    static = run_static(repository, repository.resolver)
    report = build_report(repository, settings, static, touched=Touched("main", {"other.py"}), notes=["a note"])
    assert [f.entry_file for f in report.findings] == ["other.py"]
    assert report.notes[0] == "a note" and report.notes[1].startswith("--since main: static findings of the 1 ")


def test_survey_is_the_scans_set_up_stopped_early(tmp_path) -> None:
    write_tree(tmp_path / "app", APP)
    settings = settings_for(tmp_path / "app", tmp_path, llm="gpt", performance={
        "incremental": {"enabled": True}, "cache": {"directory": str(tmp_path / "store")}})
    mapped = survey(settings, plan=False)
    assert mapped.incremental is None
    assert {e.function for e in mapped.repository.entry_points} == {"run", "ping", "read"}
    planned = survey(settings, plan=True)
    assert planned.incremental is not None
    assert planned.incremental.plan.to_analyse == {"app.py", "other.py"}
    assert planned.incremental.summary().baseline == "no previous run"
