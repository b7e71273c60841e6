"""Parse Python source of any version into a stdlib ``ast`` tree.

The stdlib parser only knows the syntax of the running interpreter, but scanned
repositories may use newer syntax (PEP 701 f-strings, ``type`` aliases and type
parameters from 3.12, ``except*`` from 3.11 when we run on 3.10, unparenthesised
``except A, B`` from 3.14). tree-sitter parses every version, so when ``ast``
refuses a file we let tree-sitter find the newer constructs and convert them:

* an f-string (or an implicit concatenation holding one) the old parser rejects is
  replaced by a placeholder of the same extent, and after parsing the placeholder
  becomes the ``JoinedStr`` Python 3.12 would build: literal parts decoded, every
  replacement field parsed on its own at its exact line and column (recursively,
  so nested f-strings of the same quote work too);
* statements are rewritten in place into older equivalents that keep every line.

The stdlib parser stays the judge: what it rejects after conversion is reported
with its own message and line, as invalid Python unless the error sits on a
construct newer than this interpreter. Everything downstream works on one tree type.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache

import tree_sitter
import tree_sitter_python

from .downlevel import Converter


class ParseFailure(Exception):
    """The source is not valid Python of any version (or could not be down-levelled)."""


@dataclass(frozen=True)
class Parsed:
    tree: ast.Module
    parser: str  # "ast" when the running interpreter parsed it, "tree-sitter" when down-levelled


# Limits of CPython's tokenizer and parser, not of the language: reported as nesting, not as an error in the file.
_NESTING_MESSAGES = ("too many nested parentheses", "too many levels of indentation", "too many statically nested")
_NEWER = "valid Python, but syntax newer than this interpreter could not be converted"


@lru_cache(maxsize=1)
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_python.language()))


def parse_source(source: str, filename: str = "<unknown>") -> Parsed:
    """Return the ``ast`` tree of *source*, down-levelling newer syntax when needed."""
    try:
        return Parsed(ast.parse(source, filename=filename), "ast")
    except SyntaxError as exc:
        first_error = exc
    except ValueError as exc:  # NUL bytes on older interpreters
        raise ParseFailure(f"cannot parse: {exc}") from exc
    except (RecursionError, MemoryError) as exc:
        raise ParseFailure(f"too deeply nested to parse: {type(exc).__name__}") from exc
    if _too_deep(first_error) or first_error.lineno is None:
        raise ParseFailure(_describe(first_error)) from first_error
    data = source.encode("utf-8", "surrogatepass")
    root = _parser().parse(data).root_node
    converter = Converter(data, filename)
    try:
        tree = converter.module(root)
    except SyntaxError as exc:
        raise ParseFailure(_reason(converter, exc, root.has_error)) from exc
    except (RecursionError, MemoryError) as exc:
        raise ParseFailure(f"too deeply nested to parse: {type(exc).__name__}") from exc
    return Parsed(tree, "tree-sitter")


def _too_deep(exc: SyntaxError) -> bool:
    return any(message in (exc.msg or "") for message in _NESTING_MESSAGES)


def _describe(exc: SyntaxError) -> str:
    if _too_deep(exc):
        where = f" (line {exc.lineno})" if exc.lineno else ""
        return f"too deeply nested to parse: {exc.msg}{where}"
    if exc.lineno is None:
        return f"cannot parse: {exc.msg}"
    return f"syntax error at line {exc.lineno}: {exc.msg}"


def _reason(converter: Converter, exc: SyntaxError, tree_has_error: bool) -> str:
    """Invalid Python, a nesting limit, or valid newer syntax we could not convert."""
    line = exc.lineno or 0
    if not tree_has_error and not _too_deep(exc) and any(a <= line <= b for a, b in converter.newer_lines):
        return f"{_NEWER}: {_describe(exc)}"
    return _describe(exc)
