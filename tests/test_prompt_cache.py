"""Prompt caching: a stable prefix first, byte-identical across rounds, marked for Claude, counted and priced.

Through the real CLI and the real anthropic and openai SDKs against the fake LLM
server, whose usage reports cache reads and writes the way the providers do.
"""

from __future__ import annotations

import json
import textwrap

from vulnhuntr.analysis import prompts
from vulnhuntr.config import ModelPrice
from vulnhuntr.findings import Usage, VulnType
from vulnhuntr.llm.base import Message
from vulnhuntr.llm.claude import _message
from vulnhuntr.llm.pricing import cost, price_for
from vulnhuntr.repo.resolve import Symbol
from fakes import FakeLLM
from fakes import Reply

from conftest import write_tree
from llm_helpers import point_providers_at, run_scan

APP = {
    "app.py": """
        from flask import Flask, request

        from . import files

        app = Flask(__name__)


        @app.route("/read")
        def read():
            name = request.args["name"]
            return files.load(name)
        """,
    "files.py": """
        from . import paths


        def load(name):
            return paths.open_under(name)
        """,
    "paths.py": """
        import os

        from . import audit


        def open_under(name):
            audit.record(name)
            with open(os.path.join("/srv/data", name)) as handle:
                return handle.read()
        """,
    "audit.py": """
        def record(name):
            print("read", name)
        """,
}


def _model(request):
    """Initial pass: LFI. LFI rounds ask for names until they have seen each of them, then conclude."""
    prompt = request.prompt
    if "<readme>" in prompt:
        return Reply("<summary>x</summary>")
    if "Focus:" not in prompt:
        return Reply({"analysis": "a file is read", "confidence_score": 5, "vulnerability_types": ["LFI"]})
    for name in ("audit.record", "paths.open_under", "files.load"):
        short = name.split(".")[1]
        if f'name="{short}"' not in prompt:
            return Reply({"analysis": f"need {name}", "confidence_score": 3, "vulnerability_types": ["LFI"],
                          "context_code": [{"name": name, "reason": "the name flows there", "code_line": ""}]})
    return Reply({"analysis": "done", "confidence_score": 0, "vulnerability_types": []})


def _rounds(requests) -> list:
    return [r for r in requests if "Focus: LFI only." in r.prompt]


def test_claude_marks_the_stable_prefix_and_each_round_starts_with_the_last_ones(tmp_path, monkeypatch) -> None:
    write_tree(tmp_path / "app", APP)
    with FakeLLM(_model) as fake:
        point_providers_at(fake, monkeypatch)
        code, report = run_scan(tmp_path / "app", "claude", tmp_path, "--no-cache")
        requests = fake.requests
    assert code in (0, 1), report
    rounds = _rounds(requests)
    assert len(rounds) >= 2, "the chain fetched context round by round"
    for request in rounds:
        assert request.body["system"][-1]["cache_control"] == {"type": "ephemeral"}
        blocks = request.body["messages"][0]["content"]
        assert isinstance(blocks, list) and blocks[0]["text"].startswith('<file path="app.py">')
        assert all("cache_control" in b for b in blocks[:-1]) and "cache_control" not in blocks[-1]
        assert len(blocks) - 1 + 1 <= 4  # Anthropic's limit of four breakpoints, the system's included
    for earlier, later in zip(rounds, rounds[1:]):
        stable = "".join(b["text"] for b in earlier.body["messages"][0]["content"][:-1])
        assert "".join(b["text"] for b in later.body["messages"][0]["content"]).startswith(stable)
    summary = report["summary"]
    assert summary["cached_input_tokens"] > 0 and summary["cache_write_input_tokens"] > 0
    assert summary["cached_input_tokens"] + summary["cache_write_input_tokens"] < summary["input_tokens"]
    price = price_for("claude", report["model"])
    usage = Usage(summary["llm_calls"], summary["input_tokens"], summary["output_tokens"],
                  summary["cached_input_tokens"], summary["cache_write_input_tokens"])
    assert summary["estimated_cost_usd"] == cost(usage, price)


def test_the_initial_pass_and_the_chains_of_a_view_share_its_file_block(tmp_path, monkeypatch) -> None:
    write_tree(tmp_path / "app", APP)
    with FakeLLM(_model) as fake:
        point_providers_at(fake, monkeypatch)
        run_scan(tmp_path / "app", "claude", tmp_path, "--no-cache")
        requests = [r for r in fake.requests if "<readme>" not in r.prompt]
    first_blocks = [r.body["messages"][0]["content"][0]["text"] for r in requests]
    assert len(set(first_blocks)) == 1  # initial pass and rounds: the same first block, byte for byte


def test_openai_reports_the_automatically_cached_prefix(tmp_path, monkeypatch) -> None:
    files = dict(APP)
    files["app.py"] = textwrap.dedent(APP["app.py"]) + "".join(
        f'\n\n@app.route("/page{i}")\ndef page{i}():\n    return "static text of page {i} " * 3\n' for i in range(60)
    )
    write_tree(tmp_path / "app", files)
    with FakeLLM(_model) as fake:
        point_providers_at(fake, monkeypatch)
        _code, report = run_scan(tmp_path / "app", "gpt", tmp_path, "--no-cache", "--all-entrypoints")
        rounds = _rounds(fake.requests)
    assert len(rounds) >= 2
    summary = report["summary"]
    assert summary["cached_input_tokens"] >= 1024  # the rounds' shared start, as the server reported it
    assert summary["cache_write_input_tokens"] == 0  # OpenAI bills no cache writes
    usage = Usage(summary["llm_calls"], summary["input_tokens"], summary["output_tokens"], summary["cached_input_tokens"])
    assert summary["estimated_cost_usd"] == cost(usage, price_for("openai", report["model"]))


def test_type_request_keeps_its_stable_part_a_prefix_of_the_next_round() -> None:
    one = Symbol("a.py", "a", "load", "function", 1, 2, "def load(x):\n    return x\n")
    two = Symbol("b.py", "b", "save", "function", 4, 5, "def save(x):\n    pass\n")
    first, (view_end, stable_end) = prompts.type_request(
        VulnType.LFI, "app.py", "code", [one], "first analysis", ["static hint"], standing=1, others=["x (c.py:3)"]
    )
    second, points = prompts.type_request(
        VulnType.LFI, "app.py", "code", [one, two], "second analysis", ["static hint", "save2: not found"], standing=1,
        others=["x (c.py:3)"],
    )
    assert second.startswith(first[:stable_end]) and points[0] == view_end
    assert first[:view_end] == prompts.view_block("app.py", "code")
    assert "first analysis" not in first[:stable_end] and "save2: not found" in second[points[1]:]
    initial, (initial_end,) = prompts.initial_request("app.py", "code", ["read"])
    assert initial[:initial_end] == first[:view_end]


def test_claude_messages_get_one_block_per_stable_part() -> None:
    message = Message("user", "aaaabbbbcccc", breakpoints=(4, 8))
    blocks = _message(message)["content"]
    assert [b["text"] for b in blocks] == ["aaaa", "bbbb", "cccc"]
    assert [("cache_control" in b) for b in blocks] == [True, True, False]
    assert _message(Message("user", "plain"))["content"] == "plain"
    many = Message("user", "abcdefgh", breakpoints=(1, 2, 3, 4, 5))
    assert sum("cache_control" in b for b in _message(many)["content"]) == 3  # the last three: 4 with the system's


def test_cache_reads_and_writes_are_priced_at_their_rates() -> None:
    price = ModelPrice(input=2.0, output=10.0, cached_input=0.2, cache_write=2.5)
    usage = Usage(calls=2, input_tokens=1_000_000, output_tokens=0, cached_input_tokens=500_000,
                  cache_write_input_tokens=250_000)
    assert cost(usage, price) == round((250_000 * 2.0 + 500_000 * 0.2 + 250_000 * 2.5) / 1e6, 6)
    assert price_for("claude", "claude-sonnet-5").cache_write == 2.5  # Anthropic: 1.25x input
    plain = ModelPrice(input=2.0, output=10.0)
    assert cost(Usage(1, 100, 0, 0, 100), plain) == cost(Usage(1, 100, 0), plain)  # no write surcharge by default


def test_the_report_carries_cache_writes(tmp_path) -> None:
    from vulnhuntr.findings import Report
    from vulnhuntr.report.json_report import render_json

    report = Report(root=str(tmp_path), provider="claude", model="claude-sonnet-5", min_confidence=7,
                    entry_points_total=0, entry_points_analysed=0)
    report.usage = Usage(3, 9_000, 300, 4_000, 2_000)
    summary = json.loads(render_json(report))["summary"]
    assert (summary["cached_input_tokens"], summary["cache_write_input_tokens"]) == (4_000, 2_000)
