"""The pieces of incremental analysis: call chains, the git diff, the state and its merge policy."""

from __future__ import annotations

import json

from conftest import write_tree
from incremental_app import build_app, commit, git, git_identity  # noqa: F401

from vulnhuntr import vcs
from vulnhuntr.config import load_settings
from vulnhuntr.findings import ContextItem, ErrorEntry, Finding, VulnType
from vulnhuntr.incremental import FileState, RunState
from vulnhuntr.incremental.run import IncrementalRun
from vulnhuntr.repo.callgraph import call_chain_files
from vulnhuntr.repo.map import map_repository
from vulnhuntr.repo.resolve import Resolver
from vulnhuntr.results import FileResult
from vulnhuntr.store import Store

CHAIN = {
    "app.py": """
        from flask import Flask, request
        from services import Notes
        import util

        app = Flask(__name__)

        @app.route("/n")
        def show():
            return Notes().render(util.clean(request.args["q"]))
        """,
    "services.py": """
        from storage import load
        from models import Note

        class Notes:
            def render(self, name):
                return load(name) + Note.query.first()

        def unrelated():
            from mailer import send
            return send()
        """,
    "storage.py": """
        from deep import deeper

        def load(name):
            return deeper(name)
        """,
    "deep.py": """
        from deepest import bottom

        def deeper(name):
            return bottom(name)
        """,
    "deepest.py": "def bottom(name):\n    return open(name).read()\n",
    "models.py": "class Note:\n    query = None\n",
    "util.py": "def clean(text):\n    return text.strip()\n",
    "mailer.py": "def send():\n    return None\n",
    "other.py": "def helper():\n    return 1\n",
}


def test_call_chain_follows_calls_into_the_definitions_reached(make_index) -> None:
    index = make_index(CHAIN)
    files = call_chain_files(index, Resolver(index), "app.py")
    assert files == {"app.py", "services.py", "util.py", "storage.py", "models.py", "deep.py"}
    # mailer.py: called only from a function the route never reaches; other.py: never called;
    # deepest.py: four calls deep, past the default depth of three
    assert call_chain_files(index, Resolver(index), "app.py", depth=4) >= {"deepest.py"}


def test_finding_round_trips_through_json() -> None:
    finding = Finding(VulnType.LFI, 22, "h.py", 3, 4, "a.py", "view", 9, 8, "why", "curl", "/x",
                      context=(ContextItem("load", "h.py", 1, 5),))
    assert Finding.from_dict(json.loads(json.dumps(finding.to_dict()))) == finding


def test_state_round_trips_and_rejects_what_it_does_not_understand() -> None:
    finding = Finding(VulnType.RCE, 78, "a.py", 1, 1, "a.py", "f", 1, 9, "x", "y")
    state = RunState("https://example.com/r.git", "main", {"model": "m"}, {
        "a.py": FileState({"a.py": "1" * 64}, [{"function": "f"}], [finding], [ErrorEntry("a.py", "llm", "boom")])
    }, commit="abc", completed_at=1.0)
    data = json.loads(json.dumps(state.to_json()))
    assert RunState.from_json(data) == state
    assert RunState.from_json({**data, "version": 999}) is None
    assert RunState.from_json({**data, "files": {"a.py": {"nope": 1}}}) is None
    assert RunState.from_json(["not", "a", "state"]) is None


def test_moved_state_follows_the_new_path() -> None:
    finding = Finding(VulnType.LFI, 22, "old.py", 2, 2, "old.py", "f", 1, 9, "x", "y",
                      context=(ContextItem("h", "helper.py", 1, 2), ContextItem("g", "old.py", 3, 4)))
    state = FileState({"old.py": "a", "helper.py": "b"}, [], [finding], [ErrorEntry("old.py", "llm", "x")])
    moved = state.moved("old.py", "new.py")
    assert moved.dependencies == {"new.py": "a", "helper.py": "b"}
    assert (moved.findings[0].file, moved.findings[0].entry_file) == ("new.py", "new.py")
    assert [c.file for c in moved.findings[0].context] == ["helper.py", "new.py"]
    assert moved.errors[0].file == "new.py"


def test_diff_since_sees_renames_edits_deletions_and_untracked_files(tmp_path) -> None:
    root = tmp_path / "repo"
    write_tree(root, {"same.py": "x = 1\n" * 20, "edit.py": "y = 2\n" * 20, "gone.py": "z = 3\n",
                      "moved.py": "w = 4\n" * 20, "staged.py": "v = 5\n" * 20})
    git(root, "init", "-q", "-b", "main")
    commit(root, "base")
    git(root, "checkout", "-q", "-b", "pr")
    git(root, "mv", "same.py", "renamed.py")  # identical content: R100
    git(root, "mv", "moved.py", "moved_and_edited.py")
    (root / "moved_and_edited.py").write_text("w = 4\n" * 19 + "w = 5\n")
    git(root, "rm", "-q", "gone.py")
    commit(root, "pr work")
    (root / "edit.py").write_text("y = 3\n" * 20)  # uncommitted
    git(root, "mv", "staged.py", "staged_new.py")  # staged, not committed
    (root / "fresh.py").write_text("new = True\n")  # untracked
    checkout = vcs.find_checkout(root)
    assert checkout is not None
    diff = vcs.diff_since(checkout, "main")
    assert diff.renamed == {"renamed.py": "same.py", "staged_new.py": "staged.py"}
    assert diff.changed == {"moved_and_edited.py", "edit.py"}
    assert diff.added == {"fresh.py"}
    assert diff.deleted == {"same.py", "moved.py", "gone.py", "staged.py"}
    assert not diff.two_dot
    (root / "sub").mkdir()
    sub = vcs.find_checkout(root / "sub")
    assert sub is not None and sub.prefix == "sub/" and sub.to_root("edit.py") is None


def test_identity_hides_credentials_and_knows_detached_heads(tmp_path) -> None:
    root = build_app(tmp_path / "repo")
    git(root, "remote", "add", "origin", "https://user:ghp_secret@github.com/acme/app.git")
    checkout = vcs.find_checkout(root)
    assert checkout is not None
    assert vcs.remote_url(checkout) == "https://github.com/acme/app.git"
    assert vcs.branch(checkout) == "main"
    git(root, "checkout", "-q", "--detach")
    assert vcs.branch(checkout) == vcs.DETACHED
    git(root, "remote", "set-url", "origin", "git@github.com:acme/app.git")
    assert vcs.remote_url(checkout) == "git@github.com:acme/app.git"
    assert vcs.find_checkout(tmp_path) is None


def _result(file: str) -> FileResult:
    finding = Finding(VulnType.LFI, 22, file, 1, 1, file, "f", 1, 9, "x", "y")
    return FileResult(file, [finding], [], {file})


def test_an_interrupted_run_records_only_the_files_that_finished(tmp_path) -> None:
    root = build_app(tmp_path / "repo")
    settings = load_settings({"root": str(root), "llm": "gpt", "performance": {"cache": {"directory": str(tmp_path)}}})
    repository = map_repository(settings)
    store = Store.open(tmp_path)
    first = IncrementalRun.begin(repository, settings, store, model="m", since=None)
    assert len(first.plan.to_analyse) == 5
    finished = {"routes/files.py": _result("routes/files.py")}  # the only file that finished
    first.finish(finished, complete=False, store=store)  # interrupted
    second = IncrementalRun.begin(repository, settings, store, model="m", since=None)
    assert second.plan.to_analyse == {f"routes/{n}.py" for n in ("users", "proxy", "pages", "tools")}
    assert [r.file for r in second.plan.reused] == ["routes/files.py"]
    assert second.baseline.startswith("partial results of an unfinished run of ")
    store.close()


def test_states_saved_before_entry_point_kinds_are_still_reused() -> None:
    from vulnhuntr.incremental.plan import _Now, _staleness
    from vulnhuntr.repo.entrypoints import EntryPoint

    entry = EntryPoint("a.py", "f", 1, "flask", "/", ("GET",))
    now = _Now({"a.py": "1" * 64}, {"a.py": [entry]}, {"a.py": {"a.py"}}, lambda _path: True)
    old = {"function": "f", "line": 1, "framework": "flask", "route": "/", "methods": ["GET"]}
    assert _staleness("a.py", FileState({"a.py": "1" * 64}, [old]), now) is None
    hook = {**old, "kind": "hook"}
    assert _staleness("a.py", FileState({"a.py": "1" * 64}, [hook]), now) == "entry points changed"
