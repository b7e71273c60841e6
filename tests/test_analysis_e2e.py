"""Each provider, through its real SDK, against the fake server on the example apps.

The scripted model confirms exactly the vulnerabilities in each app's
expected.yaml, so the reports must contain exactly those, at their sink lines,
with their CWEs, and none of the safe look-alikes.
"""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from vulnhuntr.cli import main
from fakes import FakeLLM
from fakes.scripted_model import ScriptedModel

from llm_helpers import APPS, EXAMPLES, PROVIDERS, point_providers_at, run_scan


def expected_set(app: str) -> set[tuple[str, str, int, str, str]]:
    data = yaml.safe_load((EXAMPLES / app / "expected.yaml").read_text())
    return {
        (v["type"], v["sink"]["file"], v["sink"]["line"], v["entry_point"]["function"], str(v["cwe"]))
        for v in data["vulnerabilities"]
    }


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("app", APPS)
def test_each_provider_finds_exactly_the_expected_vulnerabilities(app, provider, tmp_path, monkeypatch) -> None:
    with FakeLLM(ScriptedModel([EXAMPLES / app])) as fake:
        point_providers_at(fake, monkeypatch)
        code, report = run_scan(EXAMPLES / app, provider, tmp_path)
        protocols = {r.protocol for r in fake.requests}
    assert code == 1
    assert protocols == {{"claude": "anthropic", "gpt": "openai", "ollama": "ollama"}[provider]}
    found = {  # the sink: the primary location, or the related one when the finding is placed where it is fixed
        (f["type"], f["sink"]["file"], f["sink"]["start_line"], f["entry_function"], str(f["cwe"]))
        for f in report["findings"]
    }
    assert found == expected_set(app)
    assert report["errors"] == []
    assert report["complete"] is True
    summary = report["summary"]
    assert summary["llm_calls"] == len(fake.requests) and summary["input_tokens"] > 0


@pytest.mark.parametrize("app", APPS)
def test_sarif_report_is_valid_and_points_at_the_sinks(app, tmp_path, monkeypatch, sarif_schema) -> None:
    with FakeLLM(ScriptedModel([EXAMPLES / app])) as fake:
        point_providers_at(fake, monkeypatch)
        output = tmp_path / "out"
        code = main(["-r", str(EXAMPLES / app), "-l", "gpt", "--format", "sarif", "--format", "json", "-o", str(output)])
    assert code == 1
    sarif = json.loads((tmp_path / "out.sarif").read_text())
    jsonschema.Draft4Validator(sarif_schema).validate(sarif)
    results = sarif["runs"][0]["results"]
    located = {(r["ruleId"], *_sink_of(r)) for r in results}
    assert located == {(f"VH-{t}", file, line) for t, file, line, _, _ in expected_set(app)}
    assert json.loads((tmp_path / "out.json").read_text())["summary"]["findings"] == len(results)


def _sink_of(result: dict) -> tuple[str, int]:
    """The related "Sink" location of a SARIF result, else its primary location."""
    sinks = [r for r in result["relatedLocations"] if r.get("message", {}).get("text", "").startswith("Sink")]
    physical = (sinks[0] if sinks else result["locations"][0])["physicalLocation"]
    return physical["artifactLocation"]["uri"], physical["region"]["startLine"]


def test_min_confidence_decides_what_is_reported(tmp_path, monkeypatch) -> None:
    with FakeLLM(ScriptedModel([EXAMPLES / "flask_notes"])) as fake:
        point_providers_at(fake, monkeypatch)
        code, report = run_scan(EXAMPLES / "flask_notes", "gpt", tmp_path, "--min-confidence", "10")
    assert code == 0
    assert report["findings"] == [] and report["summary"]["below_threshold"] == 5


def test_analyze_one_file_still_resolves_helpers_elsewhere(tmp_path, monkeypatch) -> None:
    app = EXAMPLES / "django_shop"
    with FakeLLM(ScriptedModel([app])) as fake:
        point_providers_at(fake, monkeypatch)
        code, report = run_scan(app, "gpt", tmp_path, "-a", str(app / "shop" / "api.py"))
    assert code == 1
    assert {(f["type"], f["sink"]["file"]) for f in report["findings"]} == {("RCE", "shop/services.py"), ("IDOR", "shop/queries.py")}
