"""The template lines a view's prompt shows: what its entry points' templates print of what they pass.

A view that renders ``hello.html`` with ``name=...`` is only half the code: the
other half is the line ``{{ name|safe }}``. For every render call in the view's
entry points this picks the lines of the resolved template (and of what it
extends or includes) that print a passed variable, plus the ``{% autoescape %}``
/ ``{% filter safe %}`` lines that open the blocks around them, each annotated
with how it is printed unless it is simply escaped in an autoescaping template
(the excerpt's tag says that once). A note says when the environment does not
escape the template at all. The section is small and bounded (a token budget, a line cap
per template); whatever is cut is counted in the section.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..tokens import approx_tokens
from .entrypoints import EntryPoint
from .index import ModuleIndex, RepoIndex
from .render_calls import RenderSpec, dict_entries, render_calls, view_spec, view_template
from .rendering import Rendering, TemplateSearch
from .resolve import Symbol
from .templates import Output, TemplateFacts

MAX_LINES_PER_TEMPLATE = 40
MAX_TEMPLATES = 8
DEFAULT_BUDGET_TOKENS = 1500


@dataclass(frozen=True)
class TemplateExcerpt:
    """Lines of one template as the model is shown them."""

    path: str
    rendered_by: str  # "hello (app.py:9)"
    autoescape: bool
    lines: tuple[tuple[int, str, str], ...]  # (line number, text, annotation)
    note: str | None = None  # the environment does not escape this template
    omitted: int = 0  # printing lines left out by the caps


def excerpts(
    search: TemplateSearch,
    index: RepoIndex,
    file: str,
    entry_points: Sequence[EntryPoint],
    budget_tokens: int = DEFAULT_BUDGET_TOKENS,
    helpers: Mapping[str, Sequence[Symbol]] | None = None,
) -> list[TemplateExcerpt]:
    """The template lines for *entry_points* of *file* (and of the *helpers* each calls), within *budget_tokens*."""
    if file not in index.modules or not search.templates.facts:
        return []
    found: list[TemplateExcerpt] = []
    seen: set[tuple[str, frozenset[str] | None, str]] = set()  # one excerpt per template, names and escaping
    used = 0
    for entry in entry_points:
        places = [(file, entry.function)] + [(s.file, s.qualname) for s in (helpers or {}).get(entry.function, ())]
        for where, qualname in places:
            module = index.modules.get(where)
            function = _function(module, qualname) if module is not None else None
            if module is None or function is None:
                continue
            for line, spec, names in _renders(search, module, function, entry if where == file else None):
                rendering = search.resolve(spec, where, line)
                if rendering is None or (rendering.path, names, rendering.rule) in seen:
                    continue
                seen.add((rendering.path, names, rendering.rule))
                label = f"{qualname} ({where}:{line})" + ("" if where == file else f", called by {entry.function}")
                for excerpt in _for_rendering(search, rendering, names, label):
                    cost = approx_tokens("\n".join(text for _n, text, _a in excerpt.lines)) + 40
                    if len(found) >= MAX_TEMPLATES or used + cost > budget_tokens:
                        return found
                    used += cost
                    found.append(excerpt)
    return found


def _renders(
    search: TemplateSearch, module: ModuleIndex, function: ast.AST, entry: EntryPoint | None
) -> list[tuple[int, RenderSpec, frozenset[str] | None]]:
    """(line, spec, names passed) of each render in *function*; a Django class-based view renders its ``template_name``."""
    found = [(call.lineno, spec, _passed(spec, function, call.lineno)) for call, spec in render_calls(module, function, search.resolver)]
    if entry is not None and "." in entry.function and (entry.function.endswith(".get_context_data") or "render_to_response" in ast.dump(function)):
        name = view_template(search.index, search.resolver, module.path, entry.function.rsplit(".", 1)[0])
        if name is not None:
            found.append((entry.line, view_spec(name, None), None))
    return found


def _function(module: ModuleIndex, qualname: str) -> ast.AST | None:
    """The ``def`` of *qualname*: followed down the bodies its dotted name passes through, else searched by line."""
    definition = module.definitions_by_name.get(qualname)
    if definition is None or definition.kind not in ("function", "method"):  # a class or a variable renders nothing
        return None
    found: ast.AST | None = None
    body: list[ast.stmt] = module.tree.body
    for part in qualname.split("."):  # a walk of the whole module per lookup was most of a prompt's build time
        found = next((n for n in body if isinstance(n, _SCOPES) and n.name == part), None)
        if found is None:
            break
        body = found.body
    if isinstance(found, (ast.FunctionDef, ast.AsyncFunctionDef)) and found.lineno == definition.line:
        return found
    for node in ast.walk(module.tree):  # defined inside a block (if, try, with): found by its line
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.lineno == definition.line:
            return node
    return None


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _passed(spec: RenderSpec, function: ast.AST, line: int) -> frozenset[str] | None:
    """The variable names the call passes; None when a mapping of unknown keys is passed (show every output)."""
    names = {name for name, _expr in spec.pairs}
    for mapping in spec.dicts:
        entries = dict_entries(function, mapping.id, line) if isinstance(mapping, ast.Name) else None
        if entries is None:
            return None
        names |= {name for name, _expr in entries}
    return frozenset(names)


def _for_rendering(
    search: TemplateSearch, rendering: Rendering, names: frozenset[str] | None, rendered_by: str
) -> list[TemplateExcerpt]:
    result = []
    for path in search.templates.closure(rendering.path, rendering.folders):
        facts = search.templates.get(path)
        if facts is None:
            continue
        escapes = rendering.escapes(path)
        outputs = [o for o in facts.outputs if names is None or names.intersection(o.names)]
        if not outputs:
            continue
        lines, omitted = _lines(facts, outputs, escapes)
        note = rendering.autoescape_note if path == rendering.path else None
        result.append(TemplateExcerpt(path, rendered_by, escapes, lines, note, omitted))
    return result


def _lines(facts: TemplateFacts, outputs: list[Output], escapes: bool) -> tuple[tuple[tuple[int, str, str], ...], int]:
    notes: dict[int, list[str]] = {}
    for output in outputs:
        note = _annotation(output, escapes)
        notes.setdefault(output.line, []).extend([note] if note else [])
        if output.block_line is not None:
            notes.setdefault(output.block_line, [])
    numbers = sorted(notes)
    kept = numbers[:MAX_LINES_PER_TEMPLATE]
    lines = tuple(
        (n, facts.lines[n - 1] if n - 1 < len(facts.lines) else "", "; ".join(dict.fromkeys(notes[n]))) for n in kept
    )
    return lines, len(numbers) - len(kept)


def _annotation(output: Output, escapes: bool) -> str:
    """How an output is printed; nothing for an escaped one in an autoescaping template, which its tag already says."""
    shown = "{{ " + output.expression + " }}"
    if output.raw_under(escapes):
        how = output.why_raw or "environment does not autoescape"
        return f"RAW {shown}: {how}, {output.context} context"
    if output.context not in ("html", "attribute"):
        return f"escaped {shown}, {output.context} context"
    return "" if escapes else f"escaped {shown}"
