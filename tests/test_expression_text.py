"""The index's texts of expressions are what ``ast.unparse`` writes, also where a shortcut renders them."""

from __future__ import annotations

import ast

import pytest

from vulnhuntr.repo.collect import expression_text

SOURCES = [
    "request.GET.get('q')", "reverse('home', args=[1])", "f(*args, **kwargs)", "get_db().execute(sql, params)",
    "', '.join(names)", "b'x'.decode()", "(1).real", "1 .real", "x[0]", "x['k'].y", "x[1, 2]", "x[1:2]", "x[*a]",
    "f(a, b=None, c=True, d=...)", "f(1.5)", "f(-1)", "f('it''s')", "f(\"quote'\")", "f('\\n\\x00é')", "u'x'.upper()",
    "f(x for x in y)", "f(lambda: 1)", "(a or b)()", "f(*a or b)", "a.b(c)(d)[e].f", "f(**{'a': 1})", "f(g(h(i)))",
    "Optional[int]", "dict[str, int]", "f(x=1)(y)", "f'{x}'.strip()", "x if y else z", "await f()", "[*a]",
]


@pytest.mark.parametrize("source", SOURCES)
def test_expression_text_matches_unparse(source: str) -> None:
    tree = ast.parse(source, mode="eval") if "await" not in source else ast.parse(f"async def _():\n    {source}")
    for node in ast.walk(tree):
        if isinstance(node, ast.expr):
            expected = ast.unparse(node)
            expected = expected if len(expected) <= 200 else expected[:197] + "..."
            assert expression_text(node) == expected


def test_long_texts_are_shortened_but_dotted_names_are_not() -> None:
    call = ast.parse("f(" + ", ".join(f"'{i:04}'" for i in range(60)) + ")", mode="eval").body
    assert len(expression_text(call)) == 200 and expression_text(call).endswith("...")
    name = ast.parse(".".join(["part"] * 60), mode="eval").body
    assert expression_text(name) == ".".join(["part"] * 60)
