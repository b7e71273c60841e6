"""The README and QUICKSTART examples of judged findings, baselines, the Action and pre-commit work as written."""

from __future__ import annotations

import re
import shlex
import shutil
import textwrap
from pathlib import Path

import yaml

from vulnhuntr.cli import main
from vulnhuntr.triage.decisions import load_decisions
from vulnhuntr.triage.inline import comments_in

from llm_helpers import EXAMPLES

PROJECT = Path(__file__).resolve().parent.parent
README = (PROJECT / "README.md").read_text(encoding="utf-8")
QUICKSTART = (PROJECT / "QUICKSTART.md").read_text(encoding="utf-8")


def section(text: str, heading: str) -> str:
    return text.split(heading, 1)[1].split("\n## ", 1)[0]


def blocks(text: str, language: str) -> list[str]:
    return [textwrap.dedent(b) for b in re.findall(rf"```{language}\n(.*?)```", text, re.S)]


def test_the_inline_example_is_a_suppression_comment() -> None:
    (code,) = blocks(section(README, "## Suppressions and baselines"), "python")
    (comment,) = comments_in("notes.py", code)
    assert comment.types == frozenset({"SQLI"}) and comment.reason == "order is one of SORT_COLUMNS"


def test_the_triage_file_example_loads(tmp_path: Path) -> None:
    (example,) = blocks(section(README, "## Suppressions and baselines"), "yaml")
    path = tmp_path / ".vulnhuntr-triage.yaml"
    path.write_text(example, encoding="utf-8")
    (decision,) = load_decisions(path)
    assert decision.status == "false_positive" and decision.expires is not None


def test_the_baseline_commands_run_as_documented(tmp_path: Path) -> None:
    root = tmp_path / "app"
    shutil.copytree(EXAMPLES / "flask_notes", root)
    (console,) = blocks(section(README, "## Suppressions and baselines"), "console")
    commands = [line[2:].split("  #")[0] for line in console.splitlines() if line.startswith("$ vulnhuntr ")]
    codes = []
    for command in commands:
        args = shlex.split(command)[1:]
        args = [str(root) if a == "." else str(tmp_path / a) if a.endswith(".json") else a for a in args]
        codes.append(main([*args, "-q", "--log-file", str(tmp_path / "log"), "--cache-dir", str(tmp_path / "c")]))
    assert codes == [0, 0, 1]  # create; nothing new; the plain scan still reports the app's findings


def test_the_quickstart_commands_and_workflow_match_the_action() -> None:
    quick = section(QUICKSTART, "## 6. Judged findings, baselines and pre-commit")
    assert "vulnhuntr baseline create -r . -l none -o vulnhuntr-baseline.json" in quick
    (workflow,) = blocks(section(QUICKSTART, "## 5. In CI, with SARIF upload"), "yaml")
    steps = yaml.safe_load(workflow)["jobs"]["scan"]["steps"]
    action_step = next(s for s in steps if "vulnhuntr" in s.get("uses", ""))
    inputs = yaml.safe_load((PROJECT / "action.yml").read_text())["inputs"]
    assert set(action_step["with"]) <= set(inputs)
    (readme_workflow,) = [b for b in blocks(README, "yaml") if "on: pull_request" in b]
    readme_step = next(s for s in yaml.safe_load(readme_workflow)["jobs"]["vulnhuntr"]["steps"]
                       if "vulnhuntr" in s.get("uses", ""))
    assert set(readme_step["with"]) <= set(inputs)


def test_the_pre_commit_examples_name_the_shipped_hook() -> None:
    (hook,) = yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text())
    for text in (section(README, "## In CI and before each commit"), QUICKSTART):
        config = next(yaml.safe_load(b) for b in blocks(text, "yaml") if "repos:" in b)
        assert config["repos"][0]["hooks"] == [{"id": hook["id"]}]
