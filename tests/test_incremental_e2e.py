"""--incremental through the CLI: only what changed is asked again, the report stays complete."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from incremental_app import ALL_ROUTES, Run, build_app, commit, git, git_identity, scan_app, touch_helper  # noqa: F401

from vulnhuntr.config import load_settings
from vulnhuntr.scan import scan
from fakes import FakeLLM, Reply
from fakes.scripted_model import ScriptedModel


def scan_after_commit(tmp_path, monkeypatch, message: str, *git_change: str) -> tuple[Path, Run]:
    """A first ``--incremental`` run, one git change committed, and the ``--incremental`` run after it."""
    root = build_app(tmp_path / "repo")
    scan_app(root, tmp_path, monkeypatch, "--incremental")
    git(root, *git_change)
    commit(root, message)
    return root, scan_app(root, tmp_path, monkeypatch, "--incremental")


def test_changing_one_helper_reanalyses_only_its_route(tmp_path, monkeypatch) -> None:
    root = build_app(tmp_path / "repo")
    full = scan_app(root, tmp_path, monkeypatch, "--incremental")
    assert full.code == 1 and full.files == ALL_ROUTES and full.entry_files == ALL_ROUTES
    assert full.reasons("reanalysed") == dict.fromkeys(sorted(ALL_ROUTES), "no previous run")

    touch_helper(root, "users")
    commit(root, "change one helper")
    again = scan_app(root, tmp_path, monkeypatch, "--incremental")
    assert again.files == {"routes/users.py"}
    assert 0 < again.calls < full.calls
    assert again.entry_files == ALL_ROUTES  # the other four findings come from the previous run
    assert again.report["findings"] == full.report["findings"]
    assert again.reasons("reanalysed") == {"routes/users.py": "helper helpers/users.py changed"}
    assert again.reasons("reused") == dict.fromkeys(sorted(ALL_ROUTES - {"routes/users.py"}), "unchanged")
    assert again.report["summary"]["entry_points_analysed"] == 5

    unchanged = scan_app(root, tmp_path, monkeypatch, "--incremental")
    assert unchanged.calls == 0 and unchanged.entry_files == ALL_ROUTES and unchanged.code == 1


def test_min_confidence_applies_to_reused_findings(tmp_path, monkeypatch) -> None:
    root = build_app(tmp_path / "repo")
    full = scan_app(root, tmp_path, monkeypatch, "--incremental")
    strict = scan_app(root, tmp_path, monkeypatch, "--incremental", "--min-confidence", "10")
    assert strict.calls == 0 and strict.report["findings"] == [] and strict.code == 0
    assert strict.report["summary"]["below_threshold"] == len(full.report["findings"])


def test_deleted_entry_point_takes_its_findings_along(tmp_path, monkeypatch) -> None:
    _root, after = scan_after_commit(tmp_path, monkeypatch, "drop the proxy", "rm", "-q", "routes/proxy.py")
    assert after.calls == 0
    assert after.entry_files == ALL_ROUTES - {"routes/proxy.py"}
    assert after.reasons("removed") == {"routes/proxy.py": "deleted"}
    assert "SSRF" not in after.report["summary"]["findings_by_type"]


def test_rename_with_the_same_content_is_not_reanalysed(tmp_path, monkeypatch) -> None:
    root, after = scan_after_commit(tmp_path, monkeypatch, "rename", "mv", "routes/tools.py", "routes/network_tools.py")
    assert after.calls == 0
    assert after.entry_files == ALL_ROUTES - {"routes/tools.py"} | {"routes/network_tools.py"}
    assert after.reasons("reused")["routes/network_tools.py"] == "renamed from routes/tools.py, content unchanged"
    assert after.incremental["removed"] == []
    rce = next(f for f in after.report["findings"] if f["type"] == "RCE")
    assert (rce["entry_file"], rce["sink"]["file"]) == ("routes/network_tools.py", "helpers/tools.py")
    assert scan_app(root, tmp_path, monkeypatch, "--incremental").calls == 0  # the state follows the rename


def test_new_entry_point_and_edited_route(tmp_path, monkeypatch) -> None:
    root = build_app(tmp_path / "repo")
    scan_app(root, tmp_path, monkeypatch, "--incremental")
    shutil.copy(root / "routes/pages.py", root / "routes/more_pages.py")
    (root / "routes/files.py").write_text((root / "routes/files.py").read_text() + "\n# reviewed\n")
    after = scan_app(root, tmp_path, monkeypatch, "--incremental")  # uncommitted: content decides
    assert after.files == {"routes/more_pages.py", "routes/files.py"}
    assert after.reasons("reanalysed") == {"routes/files.py": "changed", "routes/more_pages.py": "new"}


def test_non_git_directory_uses_content_hashes(tmp_path, monkeypatch) -> None:
    root = build_app(tmp_path / "plain", with_git=False)
    full = scan_app(root, tmp_path, monkeypatch, "--incremental")
    assert full.files == ALL_ROUTES
    touch_helper(root, "files")
    after = scan_app(root, tmp_path, monkeypatch, "--incremental")
    assert after.files == {"routes/files.py"} and after.entry_files == ALL_ROUTES
    assert str(root) in after.incremental["baseline"] and "branch -" in after.incremental["baseline"]


def test_a_failed_file_is_analysed_again_and_the_rest_is_kept(tmp_path, monkeypatch) -> None:
    root = build_app(tmp_path / "repo")
    scripted = ScriptedModel([root])

    def failing_tools(request):  # routes/tools.py always fails in the first run
        return Reply("overloaded", status=400) if 'path="routes/tools.py"' in request.prompt else scripted(request)

    scan_app(root, tmp_path, monkeypatch, "--incremental", responder=failing_tools)
    after = scan_app(root, tmp_path, monkeypatch, "--incremental")
    assert after.files == {"routes/tools.py"}
    assert after.reasons("reanalysed") == {"routes/tools.py": "had errors last time"}
    assert after.entry_files == ALL_ROUTES and after.report["errors"] == []


def test_state_file_is_written_only_when_asked_and_read_back(tmp_path, monkeypatch) -> None:
    root = build_app(tmp_path / "repo")
    scan_app(root, tmp_path, monkeypatch, "--incremental")
    assert git(root, "status", "--porcelain") == ""  # nothing written into the scanned tree by default
    state_file = tmp_path / "state" / "vulnhuntr-state.json"
    config = tmp_path / "vulnhuntr.yaml"
    config.write_text(f"performance:\n  incremental: {{enabled: true, state_file: {state_file}}}\n")
    scan_app(root, tmp_path, monkeypatch, "--config", str(config))
    state = json.loads(state_file.read_text())
    assert state["format"] == "vulnhuntr-run-state" and set(state["files"]) == ALL_ROUTES
    assert state["files"]["routes/users.py"]["dependencies"].keys() >= {"routes/users.py", "helpers/users.py"}
    # a fresh store (another CI runner): the state file alone is enough
    after = scan_app(root, tmp_path, monkeypatch, "--config", str(config), "--cache-dir", str(tmp_path / "fresh"))
    assert after.calls == 0 and after.entry_files == ALL_ROUTES


def test_other_model_does_not_reuse(tmp_path, monkeypatch) -> None:
    root = build_app(tmp_path / "repo")
    scan_app(root, tmp_path, monkeypatch, "--incremental")
    monkeypatch.setenv("OPENAI_MODEL", "other-model")  # through the library API this time
    with FakeLLM(ScriptedModel([root])) as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.openai_base_url)
        settings = load_settings({"root": str(root), "llm": "gpt", "performance": {
            "incremental": {"enabled": True}, "cache": {"enabled": False}}})
        report = scan(settings).report
        assert len(fake.requests) > 0
    assert report.incremental is not None and len(report.incremental.reanalysed) == 5
    assert any("model" in note for note in report.incremental.notes)
