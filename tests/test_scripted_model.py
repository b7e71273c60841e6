"""The scripted model over apps that sit below the scan root.

A benchmark scans ``examples/`` as a whole and generated repositories of
``app_NNNN_<name>/`` copies; the scripted model must then name files relative
to that root and ask for definitions by names that reach the right copy.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from vulnhuntr.repo.discover import discover
from vulnhuntr.repo.index import build_index
from vulnhuntr.repo.resolve import Resolver
from fakes import FakeLLM
from fakes.scripted_model import ScriptedModel, load_expected

from llm_helpers import APPS, EXAMPLES, point_providers_at, run_scan

Found = tuple[str, str, int, str, str]


def repo_model() -> ModuleType:
    """bench/repo_model.py, which generates the copies (bench/ is not a package)."""
    path = EXAMPLES.parent / "bench" / "repo_model.py"
    spec = importlib.util.spec_from_file_location("bench_repo_model", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def expected_under(app: str, prefix: str) -> set[Found]:
    data = yaml.safe_load((EXAMPLES / app / "expected.yaml").read_text())
    return {
        (v["type"], prefix + v["sink"]["file"], v["sink"]["line"], v["entry_point"]["function"], str(v["cwe"]))
        for v in data["vulnerabilities"]
    }


def found_in(report: dict) -> set[Found]:
    return {(f["type"], f["sink"]["file"], f["sink"]["start_line"], f["entry_function"], str(f["cwe"])) for f in report["findings"]}


def test_without_root_names_stay_relative_to_the_app() -> None:
    (first, *_) = load_expected(EXAMPLES / "flask_notes")
    assert not first.entry_file.startswith("flask_notes/")
    assert first.sink_definition is not None and not first.sink_definition.startswith("flask_notes.")


def test_with_root_files_and_definitions_are_named_from_the_root(tmp_path: Path) -> None:
    root = repo_model().generate(tmp_path, 2, APPS)
    model = ScriptedModel(sorted(root.iterdir()), root=root, expected_from=[EXAMPLES / app for app in APPS])
    copy = model.expected["app_0001_flask_notes/app.py"]
    assert copy and all(v.sink_file.startswith("app_0001_flask_notes/") for v in copy)
    assert all((v.sink_definition or "").startswith("app_0001_flask_notes.") for v in copy)
    found = discover(root)
    resolver = Resolver(build_index(found.root, found.files))
    for vulnerabilities in model.expected.values():
        for v in vulnerabilities:
            symbol = resolver.resolve(v.sink_definition or "", v.entry_file).symbol
            assert symbol is not None and symbol.file == v.sink_file, v.id
            assert symbol.start_line <= v.sink_line <= symbol.end_line


def test_a_copy_without_expected_yaml_needs_its_original(tmp_path: Path) -> None:
    root = repo_model().generate(tmp_path, 1, APPS)
    with pytest.raises(FileNotFoundError, match="expected_from"):
        ScriptedModel(sorted(root.iterdir()), root=root)


def test_scan_of_the_examples_folder_finds_every_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeLLM(ScriptedModel([EXAMPLES / app for app in APPS], root=EXAMPLES)) as fake:
        point_providers_at(fake, monkeypatch)
        code, report = run_scan(EXAMPLES, "gpt", tmp_path)
    assert code == 1 and report["errors"] == []
    assert found_in(report) == set().union(*(expected_under(app, f"{app}/") for app in APPS))


def test_scan_of_a_generated_repository_finds_every_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = repo_model().generate(tmp_path / "repo", 3, APPS)
    apps = sorted(p for p in root.iterdir() if p.is_dir())
    with FakeLLM(ScriptedModel(apps, root=root, expected_from=[EXAMPLES / app for app in APPS])) as fake:
        point_providers_at(fake, monkeypatch)
        code, report = run_scan(root, "gpt", tmp_path)
    assert code == 1 and report["errors"] == [] and report["complete"] is True
    expected = set().union(*(expected_under(app.name.split("_", 2)[2], f"{app.name}/") for app in apps))
    single = sum(len(expected_under(app, "")) for app in APPS)
    assert len(expected) == 3 * single
    assert found_in(report) == expected
    assert len(report["findings"]) == 3 * single
