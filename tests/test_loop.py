"""The analysis loop with an in-process scripted provider: rounds, stopping rules, reuse."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from typing import Any

from vulnhuntr.analysis.loop import Analyst, LoopLimits
from vulnhuntr.findings import Usage, VulnType
from vulnhuntr.llm.base import LLMRequest, LLMResponse
from vulnhuntr.repo.entrypoints import find_entry_points
from vulnhuntr.repo.resolve import Resolver

REPO = {
    "app.py": '''
        from flask import Flask, request
        from . import helpers

        app = Flask(__name__)

        @app.route("/read")
        def read():
            return helpers.load(request.args["name"])

        @app.route("/run")
        def run():
            return helpers.run(request.args["cmd"])
        ''',
    "other.py": '''
        from flask import Blueprint, request
        from .helpers import load

        bp = Blueprint("b", __name__)

        @bp.route("/other")
        def other():
            return load(request.args["n"])
        ''',
    "helpers.py": '''
        import os
        from .deep import reader

        def load(name):
            return reader(os.path.join("/data", name))

        def run(cmd):
            return os.system(cmd)
        ''',
    "deep.py": '''
        def reader(path):
            with open(path) as fh:
                return fh.read()
        ''',
}


class MockProvider:
    """Answers from a function of the prompt; records every request."""

    name = "mock"
    model = "mock-1"

    def __init__(self, answer: Callable[[str], dict[str, Any]]) -> None:
        self.answer = answer
        self.prompts: list[str] = []

    async def complete(self, request: LLMRequest) -> LLMResponse:
        prompt = request.messages[-1].content
        self.prompts.append(prompt)
        return LLMResponse(json.dumps(self.answer(prompt)), Usage(calls=1, input_tokens=len(prompt) // 4, output_tokens=10))

    async def aclose(self) -> None:
        return None


def analyst_for(make_index, provider: MockProvider, **limits: int) -> tuple[Analyst, list]:
    index = make_index(REPO)
    resolver = Resolver(index)
    analyst = Analyst(provider, index, resolver, readme_summary=None, limits=LoopLimits(**limits))
    return analyst, find_entry_points(index, resolver)


def focus(prompt: str) -> str | None:
    match = re.search(r"Focus: ([A-Z]+) only", prompt)
    return match.group(1) if match else None


def analyse(analyst: Analyst, file: str, entries: list):
    return asyncio.run(analyst.analyse_file(file, [e for e in entries if e.file == file]))


def test_follows_the_chain_across_files_and_places_the_sink(make_index) -> None:
    def answer(prompt: str) -> dict[str, Any]:
        if focus(prompt) is None:
            return {"confidence_score": 5, "vulnerability_types": ["LFI"], "context_code": [{"name": "helpers.load"}]}
        if "def reader" not in prompt:
            return {"confidence_score": 5, "vulnerability_types": ["LFI"], "context_code": [
                {"name": "reader", "code_line": 'return reader(os.path.join("/data", name))'}]}
        return {"confidence_score": 9, "vulnerability_types": ["LFI"], "analysis": "path traversal", "poc": "GET /read?name=../../etc/passwd",
                "sinks": [{"code_line": "with open(path) as fh:", "entry_point": "read"}]}

    provider = MockProvider(answer)
    analyst, entries = analyst_for(make_index, provider)
    result = analyse(analyst, "app.py", entries)
    [finding] = result.findings
    assert (finding.type, finding.cwe, finding.file, finding.start_line) == (VulnType.LFI, 22, "deep.py", 2)
    assert (finding.entry_function, finding.route, finding.confidence) == ("read", "/read", 9)
    assert [c.name for c in finding.context] == ["load", "reader"]
    assert len(provider.prompts) == 3  # initial, round 1 (has load), round 2 (has reader): nothing new asked
    assert "def load(name)" in provider.prompts[1] and "def reader(path)" in provider.prompts[2]


def test_stops_when_the_model_repeats_its_request(make_index) -> None:
    provider = MockProvider(lambda p: {"confidence_score": 4, "vulnerability_types": ["RCE"], "context_code": [{"name": "helpers.run"}]})
    analyst, entries = analyst_for(make_index, provider)
    result = analyse(analyst, "app.py", entries)
    # initial asks for helpers.run; round 1 asks for it again (nothing new): the chain ends
    assert len(provider.prompts) == 2
    [finding] = result.findings
    assert finding.confidence == 4  # the last answer is kept


def test_round_limit_keeps_the_last_answer(make_index) -> None:
    names = iter(["helpers.load", "helpers.run", "reader", "nothing.here", "more.nothing"])

    def answer(prompt: str) -> dict[str, Any]:
        return {"confidence_score": 3, "vulnerability_types": ["SSRF"], "context_code": [{"name": next(names)}],
                "analysis": f"round {len(provider.prompts)}"}

    provider = MockProvider(answer)
    analyst, entries = analyst_for(make_index, provider, max_rounds=2)
    result = analyse(analyst, "app.py", entries)
    assert len(provider.prompts) == 3  # initial + the 2-round limit
    [finding] = result.findings
    assert finding.analysis == "round 3"


def test_unresolvable_names_are_explained_to_the_model(make_index) -> None:
    def answer(prompt: str) -> dict[str, Any]:
        if focus(prompt) is None:
            return {"confidence_score": 2, "vulnerability_types": ["SQLI"], "context_code": [{"name": "db.query"}, {"name": "request.args.get"}]}
        return {"confidence_score": 0, "vulnerability_types": []}

    provider = MockProvider(answer)
    analyst, entries = analyst_for(make_index, provider)
    result = analyse(analyst, "app.py", entries)
    assert result.findings == []
    assert "db.query: not found in the repository" in provider.prompts[1]
    assert "request.args.get: not in repo: flask" in provider.prompts[1]


def test_definitions_are_resolved_once_and_shared_across_files_and_types(make_index) -> None:
    def answer(prompt: str) -> dict[str, Any]:
        return {"confidence_score": 1, "vulnerability_types": ["LFI", "AFO"], "context_code": [{"name": "helpers.load"}]}

    provider = MockProvider(answer)
    analyst, entries = analyst_for(make_index, provider)
    calls: list[tuple] = []
    original = analyst.resolver._resolve

    def counting(*args):
        calls.append((args[0], args[1].path if args[1] is not None else None, args[2]))
        return original(*args)

    analyst.resolver._resolve = counting  # type: ignore[method-assign]
    analyse(analyst, "app.py", entries)
    analyse(analyst, "app.py", entries)
    assert "helpers.load" in [c[0] for c in calls]
    assert len(calls) == len(set(calls))  # each (name, module, scope) once, whoever asks (the sink tables resolve too)


def test_a_callee_no_data_reaches_is_named_not_shown(make_index) -> None:
    index = make_index({
        "app.py": '''
            from flask import Flask, request
            from . import helpers

            app = Flask(__name__)

            @app.route("/q")
            def query():
                return helpers.prepare(request.args["q"])
            ''',
        "helpers.py": '''
            from . import audit

            def prepare(text):
                audit.note()
                audit.tick()
                return text.strip()
            ''',
        "audit.py": '''
            def note():
                counter = 1
                for step in range(10):
                    counter += step * 2
                    if counter > 40:
                        counter -= 7
                    elif counter % 3 == 0:
                        counter += 5
                    else:
                        counter += 3
                return counter + 1

            def tick():
                return 1
            ''',
    })

    def answer(prompt: str) -> dict[str, Any]:
        if focus(prompt) is None:
            return {"confidence_score": 3, "vulnerability_types": ["SQLI"]}
        return {"confidence_score": 0, "vulnerability_types": []}

    provider = MockProvider(answer)
    resolver = Resolver(index)
    from vulnhuntr.analysis.context import ContextBuilder
    from vulnhuntr.config import PruningSettings

    analyst = Analyst(provider, index, resolver, readme_summary=None, limits=LoopLimits(),
                      context=ContextBuilder(index, resolver, PruningSettings()))
    analyse(analyst, "app.py", find_entry_points(index, resolver))
    [round_one] = [p for p in provider.prompts if focus(p) == "SQLI"]
    assert '<definition name="prepare"' in round_one  # called by the handler: the first thing a reader needs
    assert "def note():" not in round_one and "- note (audit.py:1)" in round_one  # no data, no sink: one line
    assert "def tick():" in round_one  # a few lines: cheaper shown than asked for


def test_a_request_for_what_was_shown_or_cannot_be_found_ends_the_chain(make_index) -> None:
    def answer(prompt: str) -> dict[str, Any]:
        if focus(prompt) is None:
            return {"confidence_score": 3, "vulnerability_types": ["LFI"]}
        if "def reader" not in prompt:
            return {"confidence_score": 3, "vulnerability_types": ["LFI"], "context_code": [{"name": "reader"}]}
        return {"confidence_score": 3, "vulnerability_types": ["LFI"],
                "context_code": [{"name": "reader"}, {"name": "nowhere.to_be_found"}]}

    provider = MockProvider(answer)
    analyst, entries = analyst_for(make_index, provider)
    analyse(analyst, "app.py", [e for e in entries if e.function == "read"])
    rounds = [p for p in provider.prompts if focus(p) == "LFI"]
    assert len(rounds) == len({p for p in rounds}) and len(rounds) <= 2  # no round after the repeat
