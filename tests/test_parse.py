"""Parsing newer syntax on older interpreters, encodings, and skip reasons that say what went wrong."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from vulnhuntr.repo.index import ModuleIndex, build_index, index_file
from vulnhuntr.repo.parse import ParseFailure, parse_source

OLD = sys.version_info < (3, 12)


def _shape(tree: ast.AST) -> tuple[str, list[tuple[object, ...]]]:
    """The tree without positions, plus the positions of everything that is not an f-string part.

    (Python 3.11 gives every f-string part the span of the whole string, 3.12 their own.)
    """
    parts: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts.update(id(v) for v in node.values)
    located = [
        (type(n).__name__, n.lineno, n.col_offset, n.end_lineno, n.end_col_offset)
        for n in ast.walk(tree)
        if isinstance(n, (ast.expr, ast.stmt)) and not isinstance(n, (ast.JoinedStr, ast.FormattedValue))
        and id(n) not in parts
    ]
    return ast.dump(tree), sorted(located)


# Each PEP 701 source next to the same code written the old way, with the same length on every line.
SAME_AS_OLD_SPELLING = [
    ("x = f'{x.decode('utf-8')}'\n", "x = f'{x.decode(\"utf-8\")}'\n"),
    (
        "def read(d, name):\n    return open(f'{os.environ['ROOT']}/{d['dir']}/{name}').read()\n",
        "def read(d, name):\n    return open(f'{os.environ[\"ROOT\"]}/{d[\"dir\"]}/{name}').read()\n",
    ),
    (  # implicit concatenation mixing old-style, new-style and plain pieces, across lines
        "x = (\n    f'file \\'{esc(name)}\\' is:\\n'\n    f'{esc(fd.read(9).decode('utf-8'))}' 'end'\n)\n",
        "x = (\n    f'file \\'{esc(name)}\\' is:\\n'\n    f'{esc(fd.read(9).decode(\"utf-8\"))}' 'end'\n)\n",
    ),
    (  # conversions, format specs with nested fields, self-documenting fields, doubled braces
        "x = f'a{{b}}\\n{x!r:>{w}.{p}} {y=} {z = !s:3} {d['k']!a}'\n",
        "x = f'a{{b}}\\n{x!r:>{w}.{p}} {y=} {z = !s:3} {d[\"k\"]!a}'\n",
    ),
    ("x = rf'\\d+{d['k']}\\n{{'\n", "x = rf'\\d+{d[\"k\"]}\\n{{'\n"),
    ("x = f'\\N{EM DASH}é{d['k']}\\x41\\101\\u20ac€'\n", "x = f'\\N{EM DASH}é{d[\"k\"]}\\x41\\101\\u20ac€'\n"),
    ("x = f'{a:{'>'}10}'\n", "x = f'{a:{\">\"}10}'\n"),
]


@pytest.mark.parametrize(("new", "old"), SAME_AS_OLD_SPELLING)
def test_pep701_fstrings_give_the_tree_of_the_old_spelling(new: str, old: str) -> None:
    parsed = parse_source(new)
    assert parsed.parser == ("tree-sitter" if OLD else "ast")
    assert _shape(parsed.tree) == _shape(ast.parse(old))


def test_fstrings_nested_in_fstrings_of_the_same_quote() -> None:
    tree = parse_source("x = f'{f'{f'{a['b']}'}'}'\n").tree
    inner = [n for n in ast.walk(tree) if isinstance(n, ast.Subscript)]
    assert len(inner) == 1 and isinstance(inner[0].value, ast.Name) and inner[0].value.id == "a"
    assert (inner[0].lineno, inner[0].col_offset, inner[0].end_col_offset) == (1, 13, 19)
    assert sum(isinstance(n, ast.JoinedStr) for n in ast.walk(tree)) == 3


def test_multiline_fields_with_comments_and_backslashes_keep_their_lines() -> None:
    source = (
        "def view(request):\n"                       # 1
        "    msg = f'''head {\n"                      # 2
        "        request.args['q']  # the user's query\n"  # 3
        "        + '\\n'.join(items)\n"              # 4
        "    } tail'''\n"                             # 5
        "    return open(f'{'\\\\'.join(parts)}')\n"  # 6
    )
    tree = parse_source(source).tree
    joins = {
        n.func.value.value: (n.lineno, n.col_offset)
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Constant)
    }
    assert joins == {"\n": (4, 10), "\\": (6, 19)}
    query = next(n for n in ast.walk(tree) if isinstance(n, ast.Subscript))
    assert (query.lineno, query.col_offset) == (3, 8)
    function = tree.body[0]
    assert isinstance(function, ast.FunctionDef) and function.end_lineno == 6
    assert function.body[1].lineno == 6  # the statement after the multi-line string


def test_code_after_a_converted_string_keeps_its_column() -> None:
    tree = parse_source("x = (f'{d['k']}', sink(y))\n").tree
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call))
    assert (call.lineno, call.col_offset) == (1, 18)


def test_other_newer_syntax_is_converted() -> None:
    source = (
        "type Alias[T] = list[T]\n"
        "def generic[T](a: T) -> T:\n"
        "    return a\n"
        "try:\n"
        "    pass\n"
        "except* ValueError:\n"
        "    pass\n"
        "try:\n"
        "    pass\n"
        "except KeyError, IndexError:\n"  # 3.14, PEP 758
        "    handle(f'{e['x']}')\n"
    )
    tree = parse_source(source).tree
    handlers = [n for n in ast.walk(tree) if isinstance(n, ast.ExceptHandler)]
    assert isinstance(handlers[-1].type, ast.Tuple) and len(handlers[-1].type.elts) == 2
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call))
    assert call.lineno == 11


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("def f(:\n    pass\n", "syntax error at line 1: invalid syntax"),
        ("x = f'{'a'}'\n\ndef f(:\n    pass\n", "syntax error at line 3: invalid syntax"),  # newer syntax AND an error
        ("x = 1\nprint 'hello'\n", "syntax error at line 2: Missing parentheses"),  # tree-sitter knows Python 2
        ("x = 1\0\n", "cannot parse: source code string cannot contain null bytes"),
        ("x = " + "(" * 5000 + "1" + ")" * 5000 + "\n", "too deeply nested to parse"),
        ("".join("    " * i + "def f():\n" for i in range(110)) + "    " * 110 + "pass\n", "too deeply nested to parse"),
    ],
)
def test_skip_reasons_tell_invalid_code_from_limits(source: str, reason: str) -> None:
    with pytest.raises(ParseFailure) as caught:
        parse_source(source)
    message = str(caught.value)
    assert message.startswith(reason), message
    assert "line None" not in message and "newer" not in message


@pytest.mark.parametrize("expression", ["not " * 5000 + "y", "-" * 5000 + "y", "a" + ".b" * 5000, "+".join("a" * 5000)])
def test_a_5000_deep_expression_is_skipped_as_too_deeply_nested(tmp_path: Path, expression: str) -> None:
    (tmp_path / "deep.py").write_text(f"x = {expression}\n")
    skipped = build_index(tmp_path, ["deep.py"]).skipped
    assert len(skipped) == 1 and skipped[0].reason.startswith("too deeply nested to"), skipped


@pytest.mark.skipif(not OLD, reason="the running interpreter parses PEP 646 itself")
@pytest.mark.skipif(sys.version_info >= (3, 11), reason="PEP 646 is 3.11 syntax")
def test_newer_syntax_that_is_not_converted_says_so() -> None:
    with pytest.raises(ParseFailure, match="syntax newer than this interpreter"):
        parse_source("def f(*args: *Ts):\n    return a[*b]\n")


def test_coding_declarations_are_honoured(tmp_path: Path) -> None:
    (tmp_path / "latin.py").write_bytes(
        b"# -*- coding: latin-1 -*-\ndef caf\xe9():\n    return open(f'{d['\xe9t\xe9']}').read()\n"
    )
    (tmp_path / "bom.py").write_bytes(b"\xef\xbb\xbfname = '\xc3\xa9t\xc3\xa9'\n")
    (tmp_path / "unknown.py").write_bytes(b"# coding: no-such-codec\nx = 1\n")
    (tmp_path / "liar.py").write_bytes(b"# coding: utf-8\nx = '\xe9'\n")
    index = build_index(tmp_path, ["bom.py", "latin.py", "liar.py", "unknown.py"])
    assert set(index.modules) == {"bom.py", "latin.py"}
    latin = index.modules["latin.py"]
    assert [d.qualname for d in latin.definitions] == ["café"]
    assert "été" in latin.source
    assert ("open", 3) in {(c.callee, c.line) for c in latin.calls}
    reasons = {s.path: s.reason for s in index.skipped}
    assert reasons["unknown.py"].startswith("bad coding declaration")
    assert reasons["liar.py"] == "not UTF-8: invalid byte 0xe9 at offset 21"


def test_a_file_parsed_through_tree_sitter_is_indexed(tmp_path: Path) -> None:
    (tmp_path / "views.py").write_text(
        "def view(request):\n    name = request.args['n']\n    return open(f'{ROOT}/{name.decode('utf-8')}').read()\n"
    )
    module = index_file(tmp_path, "views.py")
    assert isinstance(module, ModuleIndex)
    assert ("open", 3) in {(c.callee, c.line) for c in module.calls}
    assert module.tree.body[0].end_lineno == 3


def test_a_string_annotation_with_a_nul_byte_does_not_stop_indexing(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text('def f(a: "x\\0y"):\n    pass\n')
    module = index_file(tmp_path, "a.py")
    assert isinstance(module, ModuleIndex) and [d.qualname for d in module.definitions] == ["f"]
