"""The static pass on the example apps: every expected vulnerability, no safe look-alike.

The mutation tests take a safe look-alike's protection away and check the
finding then appears, so a look-alike is silent for the right reason and not
because the pass never got there.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from vulnhuntr.config import load_settings
from vulnhuntr.repo.map import map_repository
from vulnhuntr.static import StaticResult, run_static

from example_apps import STATIC_APPS

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
APPS = sorted(STATIC_APPS)
STATIC_TYPES = {"LFI", "AFO", "RCE", "SSRF", "SQLI", "XSS", "IDOR"}


def expected(app: str) -> dict[str, Any]:
    return yaml.safe_load((EXAMPLES / app / "expected.yaml").read_text(encoding="utf-8"))


def scan(root: Path) -> StaticResult:
    return run_static(map_repository(load_settings({"root": str(root), "llm": "none"})))


@pytest.fixture(scope="module")
def results() -> dict[str, StaticResult]:
    return {app: scan(EXAMPLES / app) for app in APPS}


Key = tuple[str, int, str, int, str]


def keys(result: StaticResult, wanted: frozenset[Key] | set[Key] = frozenset()) -> set[Key]:
    """(type, CWE, sink file, sink line, entry point) of every finding and every entry point listed on it.

    The primary location stands in for the sink when it is the expected line: built HTML is expected
    where the markup is formed (the line to fix), whatever writes the response.
    """
    found = set()
    for f in result.findings:
        for entry in (f.entry_function, *(e.function for e in f.other_entry_points)):
            at_fix = (f.type.value, f.cwe, f.file, f.start_line, entry)
            at_sink = (f.type.value, f.cwe, f.sink_location.file, f.sink_location.start_line, entry)
            found.add(at_fix if at_fix in wanted else at_sink)
    return found


@pytest.mark.parametrize("app", APPS)
def test_every_expected_vulnerability_is_found_and_nothing_else(app: str, results: dict[str, StaticResult]) -> None:
    wanted = {
        (v["type"], v["cwe"], v["sink"]["file"], v["sink"]["line"], v["entry_point"]["function"])
        for v in expected(app)["vulnerabilities"]
        if v["type"] in STATIC_TYPES
    }
    assert keys(results[app], wanted) == wanted


@pytest.mark.parametrize("app", APPS)
def test_no_safe_look_alike_is_reported(app: str, results: dict[str, StaticResult]) -> None:
    for safe in expected(app)["safe"]:
        for finding in results[app].findings:
            same = (finding.type.value, finding.file, finding.entry_function) == (
                safe["type"],
                safe["sink"]["file"],
                safe["entry_point"]["function"],
            )
            assert not same, f"{safe['id']} reported: {finding.analysis}"


@pytest.mark.parametrize("app", APPS)
def test_findings_are_marked_static_with_a_path_from_source_to_sink(app: str, results: dict[str, StaticResult]) -> None:
    for finding in results[app].findings:
        assert finding.kind == "static" and "not confirmed by an LLM" in finding.analysis
        assert finding.path[0].file == finding.entry_file
        sink = finding.sink_location
        assert (finding.path[-1].file, finding.path[-1].line) == (sink.file, sink.start_line)
        assert (finding.file, finding.start_line) in {(s.file, s.line) for s in finding.path}  # placed on the path
        assert finding.poc.startswith("Tamper with")
    assert results[app].findings == sorted(results[app].findings, key=lambda f: f.sort_key)


def test_candidates_are_grouped_by_entry_point_file(results: dict[str, StaticResult]) -> None:
    candidates = results["django_shop"].candidates
    assert set(candidates) == {"shop/api.py", "shop/views.py"}
    weak = [
        c for c in candidates["shop/views.py"] if c.entry_function == "review_preview" and c.vuln_type.value == "IDOR"
    ]
    assert weak and weak[0].confidence < 4  # Product has no owner: a seed for the LLM, not a finding


def mutated(tmp_path: Path, app: str, file: str, old: str, new: str) -> Path:
    """A copy of *app* with *old* replaced by *new* in *file* (the protection taken away)."""
    root = tmp_path / app
    shutil.copytree(EXAMPLES / app, root)
    path = root / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("app", "file", "old", "new", "finding"),
    [
        (
            "flask_notes",
            "app.py",
            "store.read_attachment(secure_filename(filename))",
            "store.read_attachment(filename)",
            ("LFI", "storage.py", 26, "download_attachment"),
        ),
        (
            "flask_notes",
            "app.py",
            'if note["owner_id"] != current_user_id():',
            "if note is None:",
            ("IDOR", "db.py", 39, "show_note"),
        ),
        (
            "flask_notes",
            "db.py",
            'WHERE n.owner_id = ? AND t.name = ?",',
            'WHERE n.owner_id = ? AND t.name = \'" + tag + "\'",',
            ("SQLI", "db.py", 55, "notes_by_tag"),
        ),
        (
            "fastapi_files",
            "services/fetch.py",
            "parsed.hostname not in ALLOWED_MIRRORS",
            "not parsed.hostname",
            ("SSRF", "services/fetch.py", 21, "import_from_mirror"),
        ),
        (
            "fastapi_files",
            "storage.py",
            "        if os.path.commonpath([root, path]) != root:\n            raise PermissionError(name)\n",
            "",
            ("LFI", "storage.py", 14, "get_file"),
        ),
        (
            "fastapi_files",
            "services/convert.py",
            "{shlex.quote(str(path))}",
            "{path}",
            ("RCE", "services/convert.py", 15, "file_text"),
        ),
        (
            "django_shop",
            "shop/views.py",
            "if order.customer_id != request.user.id:",
            "if order is None:",
            ("IDOR", "shop/queries.py", 32, "OrderDetailView.get"),
        ),
        (
            "django_shop",
            "shop/queries.py",
            '"SELECT id, sku, name, price FROM shop_product WHERE category = %s ORDER BY name",\n'
            "            [category],",
            "\"SELECT id, sku, name, price FROM shop_product WHERE category = '%s'\" % category,",
            ("SQLI", "shop/queries.py", 24, "category_view"),
        ),
        (
            "django_shop",
            "shop/rendering.py",
            "return format_html('<h2>{} <small>({} products)</small></h2>', category, count)",
            "return mark_safe(f'<h2>{category} <small>({count} products)</small></h2>')",
            ("XSS", "shop/rendering.py", 16, "category_view"),
        ),
    ],
)
def test_removing_a_protection_reveals_the_finding(
    tmp_path: Path, app: str, file: str, old: str, new: str, finding: tuple[str, str, int, str]
) -> None:
    result = scan(mutated(tmp_path, app, file, old, new))
    reported = {(f.type.value, f.sink_location.file, f.sink_location.start_line, f.entry_function) for f in result.findings}
    assert finding in reported
