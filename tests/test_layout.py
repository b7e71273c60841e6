"""The package's layout: no pipeline stage imports a later one, and planning walks calls as the analysis does."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from vulnhuntr.analysis import prompts
from vulnhuntr.analysis.context import ContextBuilder
from vulnhuntr.analysis.reach import SinkReach
from vulnhuntr.analysis.selection import EntryContext, select_entries
from vulnhuntr.analysis.targets import selection_context, targets_by_file
from vulnhuntr.config import PruningSettings, load_settings
from vulnhuntr.repo.callgraph import Callees
from vulnhuntr.repo.map import map_repository
from vulnhuntr.tokens import approx_tokens

from conftest import write_tree

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _imports_bench():
    spec = importlib.util.spec_from_file_location("bench_imports", BENCH / "imports.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_imports"] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def test_no_stage_imports_a_later_one_and_every_module_has_a_stage() -> None:
    bench = _imports_bench()
    files = bench.modules(bench.PACKAGE)
    assert [name for name in files if bench.stage_of(name) == "?"] == []
    assert [f"{i.importer} -> {i.imported}" for i in bench.backward_imports(files)] == []


def test_the_direction_check_sees_a_planning_module_importing_the_analysis(tmp_path: Path) -> None:
    bench = _imports_bench()
    plan = tmp_path / "vulnhuntr" / "analysis" / "plan.py"
    plan.parent.mkdir(parents=True)
    plan.write_text("from ..config import Settings\n\ndef f():\n    from ..llm.base import approx_tokens\n")
    files = {"vulnhuntr.analysis.plan": plan, "vulnhuntr.llm.base": plan, "vulnhuntr.config": plan}
    found = bench.backward_imports(files)
    assert [(i.importer, i.imported, i.lazy) for i in found] == [("vulnhuntr.analysis.plan", "vulnhuntr.llm.base", True)]


def test_the_plan_is_told_the_system_prompt_size_the_analysis_sends() -> None:
    assert prompts.system_prompt_tokens() == approx_tokens(prompts.system_prompt("x" * prompts.TYPICAL_SUMMARY_CHARS))
    assert prompts.system_prompt_tokens(0) == approx_tokens(prompts.SYSTEM)
    assert prompts.system_prompt_tokens(4000) > prompts.system_prompt_tokens(400) + 800


APP = {
    "app.py": """
        from flask import Flask, render_template, request

        from actions import ACTIONS, Mailer, run

        app = Flask(__name__)


        @app.route("/")
        def home():
            return render_template("home.html", user=current())


        @app.route("/about")
        def about():
            return render_template("about.html")


        @app.route("/health")
        def health():
            return {"ok": True}


        @app.route("/do")
        def do():
            ACTIONS[request.args["a"]]()
            Mailer().send()
            return run()


        def current():
            return "someone"
        """,
    "actions.py": """
        import subprocess


        def start():
            return stop()


        def stop():
            return "stopped"


        def run():
            return subprocess.run(["true"], check=False)


        class Mailer:
            def __init__(self):
                self.to = start()

            def send(self):
                return self.to


        ACTIONS = {"start": start, "stop": stop}
        """,
    "templates/home.html": "<p>{{ user|safe }}</p>\n",
    "templates/about.html": "<p>{{ version }}</p>\n",
}


def test_planning_follows_the_calls_the_context_builder_shows(tmp_path: Path) -> None:
    write_tree(tmp_path, APP)
    settings = load_settings({"root": str(tmp_path), "llm": "none"})
    repository = map_repository(settings)
    index, resolver = repository.index, repository.resolver
    builder = ContextBuilder(index, resolver, PruningSettings(), templates=repository.template_search)
    calls = Callees(index, resolver)
    entries = repository.entry_points
    assert {e.function for e in entries} == {"home", "about", "health", "do"}
    for entry in entries:
        assert calls.reachable(entry.file, entry) == builder.reachable(entry.file, entry)
    do = next(e for e in entries if e.function == "do")
    assert {s.qualname for s in calls.reachable("app.py", do)} == {"start", "stop", "Mailer.__init__", "run"}
    targets = targets_by_file(repository)
    planned = selection_context(repository, settings)
    assert isinstance(planned, EntryContext) and planned.templates is not None
    by_planning = select_entries(targets, planned, SinkReach(index, resolver, planned))
    by_builder = select_entries(targets, builder, SinkReach(index, resolver, builder))
    assert by_planning == by_builder
    # about renders a template that prints nothing it passes; health renders none
    assert sorted(x.entry.function for x in by_planning.left_out) == ["about", "health"]
