"""Helpers shared by the tests that drive the real provider SDKs against the fake server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vulnhuntr.cli import main
from fakes import FakeLLM

from example_apps import STATIC_APPS

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
APPS = tuple(a for a in STATIC_APPS if a in ("flask_notes", "fastapi_files", "django_shop"))
"""The apps the scripted-model runs check exactly. The others are left out while the LLM loop does not
report template and ``mark_safe`` XSS the static pass finds (django_forum, flask_helpdesk), and while
these checks compare the sink rather than where HTML built in a helper is placed (httpserver_status)."""
PROVIDERS = ("claude", "gpt", "ollama")


def point_providers_at(fake: FakeLLM, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every provider talks to *fake*; keys are set so no real credentials are ever needed."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-key-0000000000")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-key-0000000000")
    monkeypatch.setenv("OPENAI_BASE_URL", fake.openai_base_url)
    monkeypatch.setenv("OLLAMA_BASE_URL", fake.base_url)
    for name in ("ANTHROPIC_MODEL", "OPENAI_MODEL", "OLLAMA_MODEL"):
        monkeypatch.delenv(name, raising=False)


def run_scan(root: Path, provider: str, tmp_path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    """Run the CLI with a JSON report and return the exit code and the report."""
    output = tmp_path / f"report-{provider}.json"
    code = main(
        ["-r", str(root), "-l", provider, "--format", "json", "-o", str(output), "--log-file", str(tmp_path / "log.jsonl"), *extra]
    )
    return code, json.loads(output.read_text()) if output.exists() else {}
