"""One definition's syntax tree, parsed from its own lines when mapping dropped its module's tree.

The static pass walks a few functions of most modules it enters (on a 1,400-file
application, under a tenth of their lines), so parsing every such module again in
full costs more than the walks. A definition's lines are parsed alone, at their own
line numbers and columns (blank lines before them; an indented one under ``if 1:``),
which gives the node the whole module's parse would, field for field.

It is done only where that holds for certain: a module the stdlib parser read (not a
down-levelled one), ``\\n`` or ``\\r\\n`` line ends, and exactly one definition of
that name in the index; anything else, or a segment that does not parse back to that
definition, is left to the module's tree (None here).
"""

from __future__ import annotations

import ast

from ..heap import settle
from ..repo.index import ModuleIndex
from ..repo.records import Definition

_DEFINITION_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def tree_held(module: ModuleIndex) -> bool:
    """Has the module's tree been kept by mapping (or parsed already)? Then it costs nothing to use."""
    return "tree" in vars(module)  # ``ModuleIndex.tree`` is a cached property: present once computed


def segmentable(module: ModuleIndex) -> bool:
    """Can this module's definitions be parsed line-exactly on their own?"""
    source = module.source
    return (
        module.parser == "ast"
        and bool(source)
        and source.count("\r") == source.count("\r\n")  # a lone ``\r`` ends a line for the parser, not for split
        and "barry_as_FLUFL" not in source  # the one future import that changes how the parser reads code
    )


def definitions_by_name(module: ModuleIndex) -> dict[str, list[Definition]]:
    """Every ``def`` and ``class`` of the index by qualified name, in index order (a name may repeat)."""
    found: dict[str, list[Definition]] = {}
    for definition in module.definitions:
        if definition.kind != "variable":
            found.setdefault(definition.qualname, []).append(definition)
    return found


def parse_definition(module: ModuleIndex, lines: list[str], definition: Definition) -> ast.AST | None:
    """The node of *definition* parsed from its own lines (*lines*: the source split at ``\\n``)."""
    first = lines[definition.start_line - 1]
    text = "\n".join(lines[definition.start_line - 1 : definition.end_line])
    indented = first[:1] in (" ", "\t")
    if (indented and definition.start_line < 2) or "\x0c" in text:  # a form feed resets the indentation count
        return None
    head = "\n" * (definition.start_line - 2) + "if 1:\n" if indented else "\n" * (definition.start_line - 1)
    try:
        tree = ast.parse(head + text + "\n", filename=module.path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    settle()  # kept for the rest of the run, like a module's tree
    body = tree.body[0].body if indented and isinstance(tree.body[0], ast.If) else tree.body
    node = body[0] if body else None
    if not isinstance(node, _DEFINITION_NODES) or node.lineno != definition.line:
        return None
    return node if node.name == definition.name else None


def parse_fields(
    module: ModuleIndex, lines: list[str], definition: Definition, members: list[Definition]
) -> ast.ClassDef | None:
    """The ``class`` of *definition* parsed with each of its *members* (its own ``def`` and ``class``
    statements) written as ``pass``: its header and the statements that declare its fields, field for
    field as the whole parse has them, for the rules that read nothing else of a class."""
    blanked = list(lines)
    for member in members:
        first = lines[member.start_line - 1]
        indent = first[: len(first) - len(first.lstrip(" \t"))]
        blanked[member.start_line - 1 : member.end_line] = [indent + "pass"] + [""] * (member.end_line - member.start_line)
    node = parse_definition(module, blanked, definition)
    return node if isinstance(node, ast.ClassDef) else None
