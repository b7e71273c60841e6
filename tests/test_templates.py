"""Template facts: discovery of template files and the scanner (raw vs escaped, blocks, contexts, edges)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write_tree
from vulnhuntr.repo.discover import discover, is_template_path
from vulnhuntr.repo.templates import Output, TemplateSet, load_templates, scan_template


def outputs(text: str) -> dict[str, Output]:
    """The outputs of *text* by expression (each test uses distinct expressions)."""
    return {o.expression: o for o in scan_template("t.html", text).outputs}


# --------------------------------------------------------------------------- discovery


def test_discovery_lists_templates_beside_python_files(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "app/views.py": "",
            "app/templates/index.html": "",
            "app/templates/page.jinja2": "",
            "app/templates/mail/reset.txt": "",
            "app/templates/x.djhtml": "",
            "app/tpl/a.j2": "",
            "app/notes.txt": "",  # a .txt outside a template folder is not a template
            "tests/templates/t.html": "",  # excluded like tests/*.py
            "node_modules/pkg/index.html": "",
            "app/ignored/page.html": "",
            ".gitignore": "app/ignored/\n",
        },
    )
    found = discover(tmp_path)
    assert found.files == ("app/views.py",)
    assert found.templates == (
        "app/templates/index.html",
        "app/templates/mail/reset.txt",
        "app/templates/page.jinja2",
        "app/templates/x.djhtml",
        "app/tpl/a.j2",
    )


def test_template_paths_by_name() -> None:
    assert is_template_path("a/b.HTML") and is_template_path("x.htm") and is_template_path("t/x.jinja")
    assert is_template_path("pkg/templates/email/body.txt")
    assert not is_template_path("requirements.txt") and not is_template_path("pkg/x.py")


def test_unreadable_or_non_utf8_templates_are_skipped_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "bad.html").write_bytes(b"<p>\xff\xfe</p>")
    (tmp_path / "big.html").write_text("x" * 100, encoding="utf-8")
    (tmp_path / "ok.html").write_text("{{ a }}", encoding="utf-8")
    found = load_templates(tmp_path, ["bad.html", "big.html", "ok.html"], max_bytes=50)
    assert set(found.facts) == {"ok.html"}
    reasons = {s.path: s.reason for s in found.skipped}
    assert reasons["bad.html"].startswith("not UTF-8") and reasons["big.html"].startswith("file too large")


# --------------------------------------------------------------------------- raw or escaped


def test_safe_filter_prints_raw_and_plain_output_is_escaped() -> None:
    found = outputs("<p>{{ name|safe }}</p>\n<p>{{ other }}</p>\n<p>{{ items | safeseq }}</p>")
    assert found["name|safe"].raw and found["name|safe"].line == 1 and found["name|safe"].why_raw == "|safe"
    assert not found["other"].raw and found["other"].raw_under(False)
    assert found["items | safeseq"].raw


def test_escape_filters_neutralise_unless_the_value_is_marked_safe() -> None:
    found = outputs("{{ a|e }} {{ b|escape }} {{ c|safe|escape }} {{ d|safe|forceescape }} {{ f|safe|length }}")
    assert not found["a|e"].raw_under(False) and not found["b|escape"].raw_under(False)
    assert found["c|safe|escape"].raw  # escaping markup does nothing in Jinja2 and Django
    assert not found["d|safe|forceescape"].raw and not found["f|safe|length"].raw


def test_autoescape_blocks_jinja_and_django() -> None:
    text = (
        "{% autoescape false %}\n{{ one }}\n{% endautoescape %}\n"
        "{% autoescape off %}{{ two }}{% endautoescape %}\n"
        "{{ three }}\n"
        "{% autoescape true %}{{ four }}{% endautoescape %}\n"
        "{%- autoescape false -%}{{ five|e }}{% endautoescape %}\n"
    )
    found = outputs(text)
    assert found["one"].raw and found["one"].why_raw == "autoescape off block" and found["one"].block_line == 1
    assert found["two"].raw
    assert not found["three"].raw
    assert not found["four"].raw_under(False)  # escaped even when the environment is not
    assert not found["five|e"].raw


def test_django_filter_safe_block() -> None:
    found = outputs("{% filter safe %}{{ inside }}{% endfilter %}{{ outside }}")
    assert found["inside"].raw and found["inside"].why_raw == "filter safe block"
    assert not found["outside"].raw


def test_raw_verbatim_and_comment_blocks_are_not_outputs() -> None:
    found = outputs("{% raw %}{{ a|safe }}{% endraw %}{% verbatim %}{{ b }}{% endverbatim %}{# {{ c }} #}{{ d }}")
    assert set(found) == {"d"}


# --------------------------------------------------------------------------- contexts


@pytest.mark.parametrize(
    ("text", "context"),
    [
        ("<p>{{ x }}</p>", "html"),
        ('<a title="{{ x }}">', "attribute"),
        ("<a title={{ x }}>", "unquoted attribute"),
        ('<a href="{{ x }}">', "url"),
        ("<img src='{{ x }}'>", "url"),
        ('<div onclick="go({{ x }})">', "event handler"),
        ("<div {{ x }}>", "attribute name"),
        ("<script>var a = {{ x }};</script>", "script"),
        ("<style>p { color: {{ x }} }</style>", "style"),
        ("<script>1</script><p>{{ x }}</p>", "html"),
        ("<!-- <script> -->{{ x }}", "html"),
        ('<a href="/p" title="{{ y }}" class={{ z }}>{{ x }}</a>', "html"),
    ],
)
def test_output_context(text: str, context: str) -> None:
    assert outputs(text)["x"].context == context


# --------------------------------------------------------------------------- names and edges


def test_variable_names_with_loop_and_set_aliases() -> None:
    text = (
        "{% for post in posts if post.public %}{{ post.body|safe }}{% endfor %}\n"
        "{% for k, v in data.items() %}{{ v }}{% endfor %}\n"
        "{% set shown = user.bio %}{{ shown }}\n"
        "{% with author=article.author %}{{ author.name }}{% endwith %}\n"
        "{{ loop_free | default('x|y') }} {{ fmt(a, key=b) }} {{ 'lit' ~ c }}\n"
    )
    found = outputs(text)
    assert found["post.body|safe"].names == ("posts",) and found["post.body|safe"].attributes == ("body",)
    assert found["v"].names == ("data",)
    assert found["shown"].names == ("user",)
    assert found["author.name"].names == ("article",)
    assert found["loop_free | default('x|y')"].filters == ("default",)
    assert set(found["fmt(a, key=b)"].names) == {"fmt", "a", "b"}
    assert found["'lit' ~ c"].names == ("c",)


def test_extends_include_import_edges() -> None:
    facts = scan_template(
        "t.html",
        '{% extends "base.html" %}{% include "parts/nav.html" with x=1 %}{% include ["a.html", "b.html"] %}'
        '{% import "macros.html" as m %}{% from "forms.html" import field %}{% include name %}',
    )
    assert facts.extends == ("base.html",)
    assert facts.includes == ("parts/nav.html", "a.html", "b.html")
    assert facts.imports == ("macros.html", "forms.html")


def test_malformed_templates_give_facts_and_problems() -> None:
    facts = scan_template("t.html", "{{ ok|safe }}\n{% endfor %}\n{{ broken ")
    assert [o.expression for o in facts.outputs] == ["ok|safe"]
    assert any("endfor without for" in p for p in facts.problems)
    assert any("unclosed" in p for p in facts.problems)


def test_template_set_lookups_never_leave_their_folder() -> None:
    found = TemplateSet({p: scan_template(p, "") for p in ("app/templates/a.html", "b/templates/x/y.html", "z.html")})
    assert found.find("a.html", ["app/templates"]) == "app/templates/a.html"
    assert found.find("../a.html", ["app/templates/sub"]) is None
    assert found.fallback("x/y.html") == "b/templates/x/y.html"
    assert found.fallback("z.html") is None  # not under a templates folder


def test_outputs_that_can_only_print_fixed_text_are_neutral() -> None:
    found = outputs(
        '<option {{ "selected" if a == b }}>{{ "on" if c else "off" }} {{ "x" if d else e }}'
        "<a href=\"{{ url_for('page', q=f) }}\">"
    )
    assert found['"selected" if a == b'].neutralised and not found['"selected" if a == b'].raw_under(False)
    assert found['"on" if c else "off"'].neutralised
    assert not found['"x" if d else e'].neutralised and found['"x" if d else e'].raw_under(False)
    assert found["url_for('page', q=f)"].neutralised
