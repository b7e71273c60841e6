"""Consistency checks for the deliberately vulnerable example apps in examples/.

Every ``examples/<app>/expected.yaml`` must follow a strict schema and point at
real lines of real files, so that benchmark results can be scored against it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EXPECTED_FILES = sorted(EXAMPLES.glob("*/expected.yaml"))
APP_DIRS = [p.parent for p in EXPECTED_FILES]

TYPES_TO_CWES: dict[str, set[int]] = {
    "LFI": {22},
    "AFO": {22, 73},
    "RCE": {78, 94, 502, 1336},
    "SSRF": {918},
    "SQLI": {89},
    "XSS": {79},
    "IDOR": {639},
}
FRAMEWORKS = {"flask", "fastapi", "django", "connexion", "http.server"}
TEMPLATE_SUFFIXES = (".html", ".htm", ".jinja", ".jinja2", ".j2", ".djhtml", ".txt")
"""A sink in a file with one of these suffixes is a template line; the vulnerability then names its render call."""
HTTP_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
GIVEAWAYS = re.compile(r"vulnerab|insecure|exploit|#\s*(safe|unsafe|bad|danger)", re.IGNORECASE)


VULNERABILITY_KEYS: dict[str, type | tuple[type, ...]] = {
    "id": str, "type": str, "cwe": int, "entry_point": dict, "source": dict, "sink": dict, "lines": list,
}


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path}: top level must be a mapping"
    return data


def check_keys(obj: Any, required: dict[str, type | tuple[type, ...]], where: str) -> None:
    assert isinstance(obj, dict), f"{where}: expected a mapping, got {obj!r}"
    assert set(obj) == set(required), f"{where}: keys {sorted(obj)} != {sorted(required)}"
    for key, typ in required.items():
        value = obj[key]
        # bool is a subclass of int; never accept it where an int is wanted.
        assert isinstance(value, typ) and not isinstance(value, bool), (
            f"{where}.{key}: {value!r} is not {typ}"
        )


def line_of(app: Path, rel: str, line: int, where: str) -> str:
    assert not rel.startswith("/") and "\\" not in rel and ".." not in rel.split("/"), (
        f"{where}: path {rel!r} must be relative POSIX inside the app"
    )
    path = app / rel
    assert path.is_file(), f"{where}: {rel} does not exist"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert 1 <= line <= len(lines), f"{where}: line {line} outside {rel} (1..{len(lines)})"
    return lines[line - 1]


def check_location(app: Path, loc: Any, where: str) -> None:
    check_keys(loc, {"file": str, "line": int, "text": str}, where)
    assert loc["text"], f"{where}: empty text"
    actual = line_of(app, loc["file"], loc["line"], where)
    assert loc["text"] in actual, f"{where}: {loc['text']!r} not in {loc['file']}:{loc['line']}: {actual!r}"


def check_entry_ref(ref: Any, entry_points: set[tuple[str, str]], where: str) -> None:
    check_keys(ref, {"file": str, "function": str}, where)
    assert (ref["file"], ref["function"]) in entry_points, f"{where}: {ref} is not a listed entry point"


def check_app(app: Path, data: dict[str, Any]) -> None:
    check_keys(
        data,
        {"app": str, "framework": str, "entry_points": list, "vulnerabilities": list, "safe": list},
        app.name,
    )
    assert data["app"] == app.name
    assert data["framework"] in FRAMEWORKS

    entry_points: set[tuple[str, str]] = set()
    for i, ep in enumerate(data["entry_points"]):
        where = f"{app.name}.entry_points[{i}]"
        check_keys(ep, {"file": str, "function": str, "line": int, "route": str, "methods": list}, where)
        assert ep["methods"] and set(ep["methods"]) <= HTTP_METHODS, f"{where}: bad methods {ep['methods']}"
        name = ep["function"].split(".")[-1]
        actual = line_of(app, ep["file"], ep["line"], where).lstrip()
        assert re.match(rf"(async\s+)?def\s+{re.escape(name)}\s*\(", actual), (
            f"{where}: line {ep['line']} is not `def {name}(`: {actual!r}"
        )
        key = (ep["file"], ep["function"])
        assert key not in entry_points, f"{where}: duplicate entry point {key}"
        entry_points.add(key)

    assert data["vulnerabilities"], f"{app.name}: no vulnerabilities"
    for i, vuln in enumerate(data["vulnerabilities"]):
        where = f"{app.name}.vulnerabilities[{i}]"
        in_template = isinstance(vuln.get("sink"), dict) and str(vuln["sink"].get("file", "")).endswith(TEMPLATE_SUFFIXES)
        check_keys(vuln, VULNERABILITY_KEYS | ({"render": dict} if in_template else {}), where)
        if in_template:  # the view's render call that hands the data to the template printing it raw
            check_location(app, vuln["render"], f"{where}.render")
            assert vuln["render"]["file"].endswith(".py"), f"{where}.render: must be a line of Python"
        assert vuln["type"] in TYPES_TO_CWES, f"{where}: unknown type {vuln['type']}"
        assert vuln["cwe"] in TYPES_TO_CWES[vuln["type"]], f"{where}: CWE {vuln['cwe']} wrong for {vuln['type']}"
        check_entry_ref(vuln["entry_point"], entry_points, where)
        check_location(app, vuln["source"], f"{where}.source")
        check_location(app, vuln["sink"], f"{where}.sink")
        span = vuln["lines"]
        assert len(span) == 2 and all(type(n) is int for n in span), f"{where}: lines must be [start, end]"
        assert span[0] <= vuln["sink"]["line"] <= span[1], f"{where}: sink line outside {span}"
        line_of(app, vuln["sink"]["file"], span[1], f"{where}.lines")

    assert data["safe"], f"{app.name}: needs at least one safe look-alike"
    for i, safe in enumerate(data["safe"]):
        where = f"{app.name}.safe[{i}]"
        check_keys(safe, {"id": str, "type": str, "entry_point": dict, "sink": dict, "reason": str}, where)
        assert safe["type"] in TYPES_TO_CWES, f"{where}: unknown type {safe['type']}"
        assert safe["reason"].strip(), f"{where}: empty reason"
        check_entry_ref(safe["entry_point"], entry_points, where)
        check_location(app, safe["sink"], f"{where}.sink")


def test_examples_exist() -> None:
    assert {p.name for p in APP_DIRS} >= {
        "flask_notes", "fastapi_files", "django_shop",
        "connexion_inventory", "httpserver_status", "flask_helpdesk", "django_forum", "flask_jobs",
    }


def test_every_framework_has_an_app() -> None:
    assert {load(expected)["framework"] for expected in EXPECTED_FILES} == FRAMEWORKS


@pytest.mark.parametrize("expected", EXPECTED_FILES, ids=lambda p: p.parent.name)
def test_expected_yaml_matches_code(expected: Path) -> None:
    check_app(expected.parent, load(expected))


@pytest.mark.parametrize("app", APP_DIRS, ids=lambda p: p.name)
def test_app_sources_are_valid_and_unlabelled(app: Path) -> None:
    sources = sorted(app.rglob("*.py"))
    assert 4 <= len(sources) <= 8, f"{app.name}: {len(sources)} Python files"
    for path in sources:
        ast.parse(path.read_text(encoding="utf-8"), filename=str(path), feature_version=(3, 10))
    for path in sorted(p for p in app.rglob("*") if p.is_file() and p.name != "expected.yaml"):
        text = path.read_text(encoding="utf-8")  # templates and spec files are read by the tool too
        assert not GIVEAWAYS.search(text), f"{path}: comment or text gives the answer away"
    readme = app / "README.md"
    assert readme.is_file() and not GIVEAWAYS.search(readme.read_text(encoding="utf-8"))


def test_ids_unique_and_all_types_covered() -> None:
    ids: list[str] = []
    types: set[str] = set()
    for expected in EXPECTED_FILES:
        data = load(expected)
        ids += [v["id"] for v in data["vulnerabilities"]] + [s["id"] for s in data["safe"]]
        types |= {v["type"] for v in data["vulnerabilities"]}
    assert len(ids) == len(set(ids)), f"duplicate ids: {sorted(i for i in ids if ids.count(i) > 1)}"
    assert types == set(TYPES_TO_CWES), f"missing types: {set(TYPES_TO_CWES) - types}"
