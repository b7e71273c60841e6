"""--since REF (pull-request mode) through the CLI: branches, detached HEADs, shallow clones, errors."""

from __future__ import annotations

from incremental_app import ALL_ROUTES, build_app, commit, git, git_identity, scan_app, touch_helper  # noqa: F401

OTHERS = ALL_ROUTES - {"routes/users.py"}


def feature_branch(root) -> None:
    """``feature`` changes the users helper; ``main`` stays as it was."""
    git(root, "checkout", "-q", "-b", "feature")
    touch_helper(root, "users")
    commit(root, "change the users helper")


def test_since_without_state_analyses_only_what_the_diff_touches(tmp_path, monkeypatch) -> None:
    root = build_app(tmp_path / "repo")
    feature_branch(root)
    run = scan_app(root, tmp_path, monkeypatch, "--since", "main")
    assert run.code == 1 and run.files == {"routes/users.py"}
    assert run.entry_files == {"routes/users.py"}  # nothing to re-use: the others are not reported
    assert run.reasons("reanalysed") == {"routes/users.py": "helper helpers/users.py changed since main"}
    assert run.reasons("not_analysed") == dict.fromkeys(sorted(OTHERS), "unchanged since main (no previous results)")
    assert run.incremental["mode"] == "since" and run.incremental["since"] == "main"


def test_since_with_state_reuses_the_rest(tmp_path, monkeypatch) -> None:
    root = build_app(tmp_path / "repo")
    git(root, "checkout", "-q", "-b", "feature")
    scan_app(root, tmp_path, monkeypatch, "--incremental")  # an earlier run of this branch
    touch_helper(root, "users")  # uncommitted work counts too
    run = scan_app(root, tmp_path, monkeypatch, "--since", "main")
    assert run.files == {"routes/users.py"} and run.entry_files == ALL_ROUTES
    assert set(run.reasons("reused")) == OTHERS and run.incremental["not_analysed"] == []


def test_since_on_a_detached_head(tmp_path, monkeypatch) -> None:
    root = build_app(tmp_path / "repo")
    feature_branch(root)
    git(root, "checkout", "-q", "--detach", "HEAD")
    run = scan_app(root, tmp_path, monkeypatch, "--since", "main")
    assert run.files == {"routes/users.py"} and run.entry_files == {"routes/users.py"}
    again = scan_app(root, tmp_path, monkeypatch, "--since", "main")  # state is kept for the detached HEAD too
    assert again.calls == 0 and again.reasons("reused") == {"routes/users.py": "unchanged"}
    assert ", branch - at " in again.incremental["baseline"]


def test_since_on_a_shallow_clone_falls_back_to_a_two_dot_diff(tmp_path, monkeypatch) -> None:
    origin = build_app(tmp_path / "origin")
    feature_branch(origin)
    git(origin, "checkout", "-q", "main")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "feature", f"file://{origin}", str(clone))
    # what actions/checkout does for the base branch of a pull request
    git(clone, "fetch", "-q", "--depth=1", "origin", "+refs/heads/main:refs/remotes/origin/main")
    run = scan_app(clone, tmp_path, monkeypatch, "--since", "origin/main")
    assert run.code == 1 and run.files == {"routes/users.py"}
    assert any("two-dot" in note for note in run.incremental["notes"])
    assert "two-dot diff origin/main HEAD" in (tmp_path / "log.jsonl").read_text()  # and the log says so


def test_renamed_route_is_not_analysed(tmp_path, monkeypatch) -> None:
    root = build_app(tmp_path / "repo")
    git(root, "checkout", "-q", "-b", "feature")
    git(root, "mv", "routes/pages.py", "routes/preview_pages.py")
    commit(root, "rename")
    run = scan_app(root, tmp_path, monkeypatch, "--since", "main")
    assert run.calls == 0
    assert run.reasons("not_analysed")["routes/preview_pages.py"].startswith("renamed from routes/pages.py")


def test_missing_ref_is_a_usage_error_with_a_fetch_hint(tmp_path, monkeypatch, capsys) -> None:
    root = build_app(tmp_path / "repo")
    run = scan_app(root, tmp_path, monkeypatch, "--since", "origin/release")
    assert run.code == 2 and run.calls == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "git fetch origin release --depth=1" in err and "fetch-depth: 0" in err
    assert "+refs/heads/release:refs/remotes/origin/release" in err


def test_since_outside_git_is_a_usage_error(tmp_path, monkeypatch, capsys) -> None:
    root = build_app(tmp_path / "plain", with_git=False)
    run = scan_app(root, tmp_path, monkeypatch, "--since", "main")
    assert run.code == 2 and run.calls == 0
    assert "not in one; use --incremental" in " ".join(capsys.readouterr().err.split())


def test_since_from_a_subdirectory_of_the_checkout(tmp_path, monkeypatch) -> None:
    top = tmp_path / "mono"
    app = build_app(top / "services" / "web", with_git=False)
    git(top, "init", "-q", "-b", "main")
    commit(top, "monorepo")
    git(top, "checkout", "-q", "-b", "feature")
    touch_helper(app, "proxy")
    (top / "unrelated.py").write_text("print('elsewhere')\n")
    commit(top, "change")
    run = scan_app(app, tmp_path, monkeypatch, "--since", "main")
    assert run.files == {"routes/proxy.py"}


def test_cli_shows_the_incremental_summary(tmp_path, monkeypatch, capsys) -> None:
    root = build_app(tmp_path / "repo")
    feature_branch(root)
    monkeypatch.setenv("COLUMNS", "250")  # one line per reason
    scan_app(root, tmp_path, monkeypatch, "--since", "main")  # the console report goes to stdout
    text = " ".join(capsys.readouterr().out.split())
    assert "Incremental" in text and "0 reused, 1 re-analysed, 4 not analysed" in text
    assert "routes/users.py: helper helpers/users.py changed since main" in text
