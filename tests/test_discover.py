"""Discovery: default excludes by path component, .gitignore, globs, symlinks, README."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vulnhuntr.repo.discover import discover


def make(root: Path, *paths: str, content: str = "") -> None:
    """Create files (and their parents) relative to ``root``."""
    for rel in paths:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")


def reasons(discovery) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {s.path: s.reason for s in discovery.skipped}


# --------------------------------------------------------------------------- default excludes


def test_default_excludes_match_whole_components_only(tmp_path: Path) -> None:
    root = tmp_path / "test_area"  # a test-like name above or at the root never matters
    make(
        root,
        "app.py",
        "latest_x.py",
        "contest.py",
        "distributed/worker.py",
        "testimony/views.py",
        "builder/make.py",
        "pkg/test/x.py",
        "tests/test_app.py",
        "tests/helpers.py",
        "testing/h.py",
        "docs/conf.py",
        "doc/x.py",
        "examples/demo.py",
        "example/demo.py",
        ".venv/lib/mod.py",
        "venv/lib/mod.py",
        "virtualenv/lib/mod.py",
        "lib/python3.11/site-packages/dep.py",
        "usr/dist-packages/dep.py",
        "build/lib/app.py",
        "dist/app.py",
        "node_modules/x/y.py",
        "__pycache__/app.py",
        ".git/hooks/h.py",
        ".tox/py/x.py",
        ".hidden/x.py",
        "app.egg-info/x.py",
        "test_foo.py",
        "pkg/foo_test.py",
        "pkg/conftest.py",
        "setup.py",
        "notes.txt",
    )
    found = discover(root)
    assert found.root == root.resolve()
    assert found.files == (
        "app.py",
        "builder/make.py",
        "contest.py",
        "distributed/worker.py",
        "latest_x.py",
        "setup.py",
        "testimony/views.py",
    )
    assert found.skipped == ()  # default exclusions are not problems


def test_root_below_an_excluded_name_is_scanned(tmp_path: Path) -> None:
    root = tmp_path / "tests" / "myapp"
    make(root, "main.py")
    assert discover(root).files == ("main.py",)


def test_env_dir_excluded_only_when_it_is_a_virtualenv(tmp_path: Path) -> None:
    make(tmp_path, "env/settings.py", "myvenv/pyvenv.cfg", "myvenv/lib/x.py")
    assert discover(tmp_path).files == ("env/settings.py",)
    make(tmp_path, "env/pyvenv.cfg")
    assert discover(tmp_path).files == ()


def test_result_is_sorted_posix_relative(tmp_path: Path) -> None:
    make(tmp_path, "b/z.py", "a.py", "b/a/y.py", "B.py")
    assert discover(tmp_path).files == ("B.py", "a.py", "b/a/y.py", "b/z.py")


# --------------------------------------------------------------------------- .gitignore


def test_root_and_nested_gitignore(tmp_path: Path) -> None:
    make(
        tmp_path,
        "app.py",
        "generated.py",
        "secrets/keys.py",
        "pkg/a.py",
        "pkg/local.py",
        "pkg/keep.py",
        "pkg/sub/local.py",
        "other/local.py",
        "other/keep.py",
    )
    make(tmp_path, ".gitignore", content="generated.py\nsecrets/\nkeep.py\n")
    make(tmp_path, "pkg/.gitignore", content="/local.py\n!keep.py\n")
    assert discover(tmp_path).files == (
        "app.py",
        "other/local.py",  # pkg's anchored pattern does not leak into siblings
        "pkg/a.py",
        "pkg/keep.py",  # nested negation overrides the root rule
        "pkg/sub/local.py",  # '/local.py' is anchored to pkg/
    )


def test_gitignore_above_root_is_not_used(tmp_path: Path) -> None:
    make(tmp_path, ".gitignore", content="*.py\n")
    make(tmp_path, "repo/app.py")
    assert discover(tmp_path / "repo").files == ("app.py",)


# --------------------------------------------------------------------------- include / exclude


def test_exclude_globs_are_gitignore_style(tmp_path: Path) -> None:
    make(tmp_path, "app.py", "migrations/0001.py", "pkg/migrations/0002.py", "pkg/gen_pb2.py", "pkg/views.py")
    found = discover(tmp_path, exclude=["migrations/", "*_pb2.py"])
    assert found.files == ("app.py", "pkg/views.py")
    assert found.skipped == ()  # a deliberate exclusion is not a problem to report


def test_include_forces_files_back_in(tmp_path: Path) -> None:
    make(tmp_path, "app.py", "tests/test_api.py", "tests/fixtures/f.py", "docs/conf.py", "gen/out.py", "test_top.py")
    make(tmp_path, ".gitignore", content="gen/\n")
    assert discover(tmp_path, include=["tests/**"]).files == (
        "app.py",
        "tests/fixtures/f.py",
        "tests/test_api.py",
    )
    assert discover(tmp_path, include=["gen/out.py", "test_*.py"]).files == (
        "app.py",
        "gen/out.py",
        "test_top.py",
        "tests/test_api.py",
    )


def test_explicit_exclude_beats_include(tmp_path: Path) -> None:
    make(tmp_path, "tests/test_api.py", "tests/fixtures/f.py")
    found = discover(tmp_path, include=["tests/**"], exclude=["tests/fixtures/"])
    assert found.files == ("tests/test_api.py",)


def test_excluded_dirs_are_walked_only_when_include_could_match(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make(tmp_path, "app.py", "tests/t.py", ".venv/lib/x.py", ".git/objects/o.py")
    listed: list[str] = []
    real_scandir = os.scandir

    def spy(path):  # type: ignore[no-untyped-def]
        listed.append(Path(path).relative_to(tmp_path).as_posix())
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", spy)
    assert discover(tmp_path).files == ("app.py",)
    assert not any(p.startswith((".venv", ".git", "tests")) for p in listed)

    listed.clear()
    assert discover(tmp_path, include=["tests/**"]).files == ("app.py", "tests/t.py")
    assert "tests" in listed
    assert not any(p.startswith((".venv", ".git")) for p in listed)

    assert discover(tmp_path, include=["*.py"]).files == (".git/objects/o.py", ".venv/lib/x.py", "app.py", "tests/t.py")


# --------------------------------------------------------------------------- symlinks and errors


def test_symlink_loop_is_recorded_and_walk_finishes(tmp_path: Path) -> None:
    make(tmp_path, "app/a.py", "app/inner/b.py")
    os.symlink("..", tmp_path / "app" / "inner" / "up")
    os.symlink("../..", tmp_path / "app" / "inner" / "top")
    found = discover(tmp_path)
    assert found.files == ("app/a.py", "app/inner/b.py")
    assert reasons(found) == {
        "app/inner/up": "symlink loop: app/inner/up points back to app",
        "app/inner/top": "symlink loop: app/inner/top points back to .",
    }


def test_self_referencing_symlink(tmp_path: Path) -> None:
    make(tmp_path, "app.py")
    os.symlink("me", tmp_path / "me")
    found = discover(tmp_path)
    assert found.files == ("app.py",)
    assert "me" in reasons(found)


def test_symlinked_directory_inside_followed_once_outside_never(tmp_path: Path) -> None:
    make(tmp_path / "outside", "lib/x.py")
    make(tmp_path / "repo", "app.py", "real/y.py")
    os.symlink(tmp_path / "outside" / "lib", tmp_path / "repo" / "vendored")
    os.symlink("real", tmp_path / "repo" / "alias")
    found = discover(tmp_path / "repo")
    assert found.files == ("app.py", "real/y.py")  # the scan never reads outside the root
    assert reasons(found) == {
        "alias": "same directory as real, already scanned",
        "vendored": f"symlink to {tmp_path / 'outside' / 'lib'}, outside the root: not followed",
    }


def test_symlinked_python_file_is_kept(tmp_path: Path) -> None:
    make(tmp_path, "real.py")
    os.symlink("real.py", tmp_path / "alias.py")
    assert discover(tmp_path).files == ("alias.py", "real.py")


def test_broken_symlink_is_recorded(tmp_path: Path) -> None:
    make(tmp_path, "app.py")
    os.symlink("gone.py", tmp_path / "dangling.py")
    os.symlink("gone", tmp_path / "tests")  # where nothing would be scanned: not a problem
    found = discover(tmp_path)
    assert found.files == ("app.py",)
    assert list(reasons(found)) == ["dangling.py"]
    assert "broken symlink" in reasons(found)["dangling.py"]


def test_unreadable_directory_is_recorded(tmp_path: Path) -> None:
    make(tmp_path, "app.py", "locked/secret.py")
    locked = tmp_path / "locked"
    locked.chmod(0o000)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("running with privileges that ignore permissions (root)")
        found = discover(tmp_path)
    finally:
        locked.chmod(0o755)
    assert found.files == ("app.py",)
    assert reasons(found)["locked"].startswith("unreadable directory")


# --------------------------------------------------------------------------- README and scale


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["README.md", "README.rst"], "README.md"),
        (["readme.rst", "README.txt"], "readme.rst"),
        (["Readme.Md", "README"], "Readme.Md"),
        (["README"], "README"),
        (["docs/README.md"], None),
        ([], None),
    ],
)
def test_readme_detection(tmp_path: Path, names: list[str], expected: str | None) -> None:
    make(tmp_path, "app.py", *names)
    assert discover(tmp_path).readme == expected


def test_readme_directory_is_not_a_readme(tmp_path: Path) -> None:
    make(tmp_path, "README/x.txt", "README.txt")
    assert discover(tmp_path).readme == "README.txt"


def test_ten_thousand_files(tmp_path: Path) -> None:
    for d in range(500):
        folder = tmp_path / f"pkg{d % 10}" / f"mod{d}"
        folder.mkdir(parents=True)
        for f in range(20):
            (folder / f"f{f}.py").touch()
    make(tmp_path, ".gitignore", content="*.pyc\nbuild/\n")
    found = discover(tmp_path, exclude=["*_generated.py"])
    assert len(found.files) == 10_000
