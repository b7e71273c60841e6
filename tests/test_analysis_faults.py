"""Faults from the LLM side: the scan always finishes and says what failed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fakes import FakeLLM, Reply
from fakes import FakeRequest
from fakes.scripted_model import ScriptedModel

from llm_helpers import EXAMPLES, point_providers_at, run_scan

DJANGO = EXAMPLES / "django_shop"
API = '<file path="shop/api.py">'  # every prompt about one of the two entry-point files


def about(marker: str):
    """Calls about one file: the first is its opening round (its static paths leave it no initial pass)."""
    return lambda r: marker in r.prompt


def config(tmp_path: Path, **analysis: object) -> str:
    path = tmp_path / "vulnhuntr.yaml"
    path.write_text(json.dumps({"analysis": analysis}))
    return str(path)


def findings(report) -> set[tuple[str, str]]:
    return {(f["type"], f["sink"]["file"]) for f in report["findings"]}


ALL_DJANGO = {
    ("RCE", "shop/services.py"),
    ("IDOR", "shop/queries.py"),
    ("SQLI", "shop/queries.py"),
    ("XSS", "shop/rendering.py"),
}


@pytest.mark.parametrize("provider", ["claude", "gpt", "ollama"])
def test_rate_limit_with_retry_after_is_retried(provider, tmp_path, monkeypatch) -> None:
    with FakeLLM(ScriptedModel([DJANGO])) as fake:
        rule = fake.on(when=about(API), times=2).reply_error(429, "slow down", headers={"retry-after": "0.1"})
        point_providers_at(fake, monkeypatch)
        code, report = run_scan(DJANGO, provider, tmp_path)
    assert rule.hits == 2
    assert code == 1 and report["errors"] == []
    assert findings(report) == ALL_DJANGO


def test_persistent_server_error_fails_only_that_file(tmp_path, monkeypatch) -> None:
    with FakeLLM(ScriptedModel([DJANGO])) as fake:
        rule = fake.on(when=about(API)).reply_error(500, "boom")
        point_providers_at(fake, monkeypatch)
        code, report = run_scan(DJANGO, "gpt", tmp_path, "--config", config(tmp_path, retries=1))
    assert rule.hits == 2  # the first try and one retry
    assert code == 1
    assert findings(report) == {("SQLI", "shop/queries.py"), ("XSS", "shop/rendering.py"), ("RCE", "shop/services.py")}
    [error] = report["errors"]
    assert error["file"] == "shop/api.py" and "HTTP 500" in error["reason"]


def test_timeout_becomes_an_error_entry(tmp_path, monkeypatch) -> None:
    with FakeLLM(ScriptedModel([DJANGO])) as fake:
        fake.on(when=about(API)).reply(Reply({"analysis": "late"}, delay=3))
        point_providers_at(fake, monkeypatch)
        code, report = run_scan(DJANGO, "claude", tmp_path, "--config", config(tmp_path, retries=0, timeout_seconds=0.5))
    assert code == 1
    [error] = report["errors"]
    assert error["file"] == "shop/api.py" and "timed out" in error["reason"]


@pytest.mark.parametrize(
    "bad_answer",
    [
        Reply("{not json at all"),
        Reply("I think this is fine."),
        Reply({"analysis": "cut", "confidence_score": 3, "vulnerability_types": ["RCE"]}, truncated=True),
    ],
    ids=["malformed", "prose", "truncated"],
)
def test_bad_answer_is_asked_again(bad_answer, tmp_path, monkeypatch) -> None:
    with FakeLLM(ScriptedModel([DJANGO])) as fake:
        rule = fake.on(when=about(API), times=1).reply(bad_answer)
        point_providers_at(fake, monkeypatch)
        code, report = run_scan(DJANGO, "gpt", tmp_path)
        reasks = [r for r in fake.requests if "could not be used" in r.prompt]
    assert rule.hits == 1 and len(reasks) == 1
    assert report["errors"] == [] and findings(report) == ALL_DJANGO


def test_answer_that_stays_bad_is_an_error_for_that_file(tmp_path, monkeypatch) -> None:
    with FakeLLM(ScriptedModel([DJANGO])) as fake:
        rule = fake.on(when=about(API)).reply(Reply("```json\n{\"confidence_score\": \"high\"}\n```"))
        point_providers_at(fake, monkeypatch)
        code, report = run_scan(DJANGO, "ollama", tmp_path, "--config", config(tmp_path, reasks=1))
    assert rule.hits == 2
    [error] = report["errors"]
    assert error["file"] == "shop/api.py" and "confidence_score" in error["reason"]
    assert code == 1 and ("SQLI", "shop/queries.py") in findings(report)


def test_unknown_vulnerability_type_is_dropped(tmp_path, monkeypatch) -> None:
    scripted = ScriptedModel([DJANGO])

    def with_dos(request: FakeRequest) -> Reply:
        reply = scripted(request)
        if isinstance(reply.content, dict) and "vulnerability_types" in reply.content:
            reply.content["vulnerability_types"] = ["DoS", *reply.content["vulnerability_types"]]
        return reply

    with FakeLLM(with_dos) as fake:
        point_providers_at(fake, monkeypatch)
        code, report = run_scan(DJANGO, "claude", tmp_path)
    assert code == 1 and report["errors"] == [] and findings(report) == ALL_DJANGO
    log = (tmp_path / "log.jsonl").read_text()
    assert "unknown vulnerability type 'DoS' dropped" in log


def test_readme_answer_without_tags_is_reported_and_skipped(tmp_path, monkeypatch) -> None:
    with FakeLLM(ScriptedModel([DJANGO])) as fake:
        fake.on(contains="<readme>").reply(Reply("This app sells things."))
        point_providers_at(fake, monkeypatch)
        code, report = run_scan(DJANGO, "gpt", tmp_path)
        analysis_systems = {r.system for r in fake.requests if "<readme>" not in r.prompt}
    assert code == 1 and findings(report) == ALL_DJANGO
    [error] = report["errors"]
    assert error["stage"] == "readme" and "<summary>" in error["reason"]
    assert all("readme_summary" not in system for system in analysis_systems)


def test_readme_summary_goes_into_the_system_prompt(tmp_path, monkeypatch) -> None:
    with FakeLLM(ScriptedModel([DJANGO])) as fake:
        point_providers_at(fake, monkeypatch)
        run_scan(DJANGO, "claude", tmp_path)
        systems = {r.system for r in fake.requests if "<readme>" not in r.prompt}
    assert len(systems) == 1  # byte-identical across calls: provider prompt caching hits
    assert "A small web application used to exercise vulnhuntr." in systems.pop()


def test_missing_api_key_is_a_usage_error_naming_the_variable(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    code, _ = run_scan(DJANGO, "claude", tmp_path)
    assert code == 2
    assert "ANTHROPIC_API_KEY is not set" in capsys.readouterr().err


def test_unreachable_server_is_a_usage_error_naming_the_url(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("OLLAMA_BASE_URL", "http://127.0.0.1:9")
    code, _ = run_scan(DJANGO, "ollama", tmp_path)
    assert code == 2
    assert "cannot reach Ollama at http://127.0.0.1:9" in capsys.readouterr().err


def test_rejected_credentials_are_a_usage_error(tmp_path, monkeypatch, capsys) -> None:
    with FakeLLM(ScriptedModel([DJANGO])) as fake:
        fake.on().reply_error(401, "invalid x-api-key")
        point_providers_at(fake, monkeypatch)
        code, _ = run_scan(DJANGO, "claude", tmp_path)
    assert code == 2
    assert "check ANTHROPIC_API_KEY" in capsys.readouterr().err


def test_server_without_json_schema_falls_back(tmp_path, monkeypatch) -> None:
    with FakeLLM(ScriptedModel([DJANGO]), reject_json_schema=True) as fake:
        point_providers_at(fake, monkeypatch)
        # one call at a time: with several in flight, a json_schema call sent before the rejection
        # came back may reach the server after the first fallback, and the order below would race
        code, report = run_scan(DJANGO, "gpt", tmp_path, "--workers", "1")
        formats = [r.body.get("response_format", {}).get("type") for r in fake.requests]
    assert code == 1 and findings(report) == ALL_DJANGO
    first_fallback = formats.index("json_object")
    assert "json_schema" not in formats[first_fallback:]  # rejected, then remembered
    assert "json_object" in formats


def test_server_answering_500_to_json_schema_falls_back(tmp_path, monkeypatch) -> None:
    """llama.cpp's bundled server rejects response_format json_schema with HTTP 500."""

    def wants_schema(request) -> bool:
        return request.body.get("response_format", {}).get("type") == "json_schema"

    with FakeLLM(ScriptedModel([DJANGO])) as fake:
        rule = fake.on(when=wants_schema).reply_error(500, "Unsupported response_format type: json_schema")
        point_providers_at(fake, monkeypatch)
        code, report = run_scan(DJANGO, "gpt", tmp_path, "--workers", "1")
    assert rule.hits == 1  # rejected once, then json_object for every call
    assert code == 1 and report["errors"] == [] and findings(report) == ALL_DJANGO


def test_claude_model_refusing_forced_tool_use_gets_structured_output(tmp_path, monkeypatch) -> None:
    """Models that always think reject tool_choice forcing a tool: fall back to output_config's JSON schema."""

    def forces_tool(request) -> bool:
        return request.body.get("tool_choice", {}).get("type") == "tool"

    with FakeLLM(ScriptedModel([DJANGO])) as fake:
        rule = fake.on(when=forces_tool).reply_error(400, "Thinking may not be enabled when tool_choice forces tool use.")
        point_providers_at(fake, monkeypatch)
        code, report = run_scan(DJANGO, "claude", tmp_path, "--workers", "1")
        formats = [r.body.get("output_config", {}).get("format", {}).get("type") for r in fake.requests]
    assert rule.hits == 1
    assert code == 1 and report["errors"] == [] and findings(report) == ALL_DJANGO
    assert formats.count("json_schema") == len(formats) - 2  # all but the README call and the refused one
