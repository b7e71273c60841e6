"""Template expressions: the filters an output applies and the context variables it names.

Jinja2 and Django expressions are read as text (never compiled): the filter chain is split
outside string literals, and names are traced as dotted paths.
"""

from __future__ import annotations

import re

NOT_VARIABLES = frozenset(
    "and or not in is if else elif true false none True False None loop super self caller varargs kwargs "
    "range dict lipsum cycler joiner namespace forloop block csrf_token request".split()
)
"""Names in expressions that are Jinja2/Django builtins, not context variables."""
STRING_LITERAL = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_NAME_PATH = re.compile(r"(?<![\w.])([A-Za-z_]\w*)((?:\s*\.\s*[A-Za-z_]\w*)*)")
SAFE_CALLS = frozenset({"url_for", "static", "csrf_token", "csrf_input"})
"""Template globals whose result is fixed text or a URL the app builds (its arguments are URL-quoted)."""
_LITERAL = r"""(?:'[^'\\]*'|"[^"\\]*"|\d+)"""
_LITERAL_CHOICE = re.compile(rf"{_LITERAL}\s+if\s+.+?(?:\s+else\s+{_LITERAL})?", re.S)


def split_filters(expression: str) -> tuple[str, list[str]]:
    """``user.name|default("x")|safe`` → (``user.name``, [``default``, ``safe``]); pipes in strings ignored."""
    parts, depth, current, i = [], 0, [], 0
    while i < len(expression):
        ch = expression[i]
        string = STRING_LITERAL.match(expression, i) if ch in "'\"" else None
        if string is not None:
            current.append(string.group(0))
            i = string.end()
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        if ch == "|" and depth == 0 and expression[i + 1 : i + 2] != "|":
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    base = parts[0].strip()
    filters = [re.match(r"\s*([A-Za-z_]\w*)", p).group(1) for p in parts[1:] if re.match(r"\s*[A-Za-z_]", p)]  # type: ignore[union-attr]
    return base, filters


def fixed_result(base: str) -> bool:
    """Outputs that can only print fixed text or an app-built URL: ``'selected' if x == y``, ``url_for(...)``."""
    text = STRING_LITERAL.sub('""', base.strip())
    if _LITERAL_CHOICE.fullmatch(base.strip()):
        return " else " not in text or bool(re.search(rf"\selse\s+{_LITERAL}$", text))
    head = re.match(r"([A-Za-z_]\w*)\s*\(", base.strip())
    return head is not None and head.group(1) in SAFE_CALLS


def name_paths(expression: str) -> list[tuple[str, tuple[str, ...]]]:
    """Variables read by an expression with the attributes read on them: ``a.b.c + d`` → [(a, (b, c)), (d, ())]."""
    text = STRING_LITERAL.sub('""', expression)
    found = []
    for match in _NAME_PATH.finditer(text):
        name = match.group(1)
        after = text[match.end() :].lstrip()
        if name in NOT_VARIABLES or after.startswith("=") and not after.startswith("=="):
            continue  # a builtin, or a keyword argument's name
        if match.start() > 0 and text[: match.start()].rstrip().endswith("|"):
            continue  # a filter name
        attrs = tuple(a.strip() for a in match.group(2).split(".")[1:])
        found.append((name, attrs))
    return found

