"""The resolver's speed-ups (name index for the repo-wide search, import tables, scope memo) answer
exactly what the linear scans they replace answered, on a generated repository full of look-alikes."""

from __future__ import annotations

import ast
import random

from vulnhuntr.repo.index import MODULE_SCOPE, Definition, ModuleIndex, RepoIndex
from vulnhuntr.repo.resolve import Resolver, _BUILTINS, _MAX_DEPTH, _Def, _External, _Module, _scopes_outward, _has_star
from vulnhuntr.repo.resolve import _Target, scope_at

NAMES = ["read", "write", "load", "Store", "Base", "helper", "run", "open", "path", "get"]


class NaiveResolver(Resolver):
    """The resolver as it was: every search scans every definition, every lookup every import."""

    def _search(self, name: str) -> object:
        return self._search_once(name)

    def _named(self, last: str) -> list[_Def]:
        return [_Def(m, d) for m in self.index.modules.values() for d in m.definitions]

    def _lookup(self, module: ModuleIndex, name: str, scope: str, depth: int) -> _Target | None:
        if depth > _MAX_DEPTH:
            return None
        for enclosing in _scopes_outward(scope):
            qualname = name if enclosing == MODULE_SCOPE else f"{enclosing}.{name}"
            definition = module.definitions_by_name.get(qualname)
            if definition is not None:
                return _Def(module, definition)
            for record in module.imports:
                if record.scope == enclosing and record.alias == name and record.name != "*":
                    return self._import_target(record, depth + 1, module.module)
        for record in module.imports:
            if record.name == "*" and record.scope == MODULE_SCOPE:
                source = self.index.find_module(record.module, module.module)
                found = self._lookup(source, name, MODULE_SCOPE, depth + 1) if source is not None else None
                if found is not None:
                    return found
        if name in _BUILTINS:
            return _External(f"builtins.{name}")
        return None

    def _module_member(self, module: ModuleIndex, attribute: str, depth: int) -> _Target | None:
        definition = module.definitions_by_name.get(attribute)
        if definition is not None:
            return _Def(module, definition)
        submodule = self.index.by_module.get(f"{module.module}.{attribute}" if module.module else attribute)
        for record in module.imports:
            if record.scope == MODULE_SCOPE and record.alias == attribute and record.name != "*":
                return self._import_target(record, depth + 1, module.module)
        if submodule is not None:
            return _Module(submodule)
        return self._lookup(module, attribute, MODULE_SCOPE, depth + 1) if _has_star(module) else None


def naive_scope_at(module: ModuleIndex, line: int) -> str:
    best: Definition | None = None
    for definition in module.definitions:
        if definition.kind == "variable" or not definition.start_line <= line <= definition.end_line:
            continue
        if best is None or definition.start_line >= best.start_line:
            best = definition
    return best.qualname if best is not None else MODULE_SCOPE


def _module_source(rng: random.Random, me: int, count: int) -> str:
    """Classes, nested functions, module and function imports (aliases reused, star imports) and calls."""
    lines: list[str] = []
    for _ in range(rng.randint(1, 4)):
        other = rng.randrange(count)
        if other == me:
            continue
        kind = rng.random()
        if kind < 0.2:
            lines.append(f"from pkg.m{other} import *")
        elif kind < 0.6:
            lines.append(f"from pkg.m{other} import {rng.choice(NAMES)} as {rng.choice(NAMES)}")
        elif kind < 0.8:
            lines.append(f"from .m{other} import {rng.choice(NAMES)}")
        else:
            lines.append(f"import pkg.m{other} as {rng.choice(NAMES)}")
    for c in range(rng.randint(0, 3)):
        base = rng.choice(NAMES) if rng.random() < 0.5 else "object"
        lines.append(f"class {rng.choice(NAMES)}{c}({base}):")
        lines.append(f"    store = {rng.choice(NAMES)}()")
        for _ in range(rng.randint(1, 3)):
            lines.append(f"    def {rng.choice(NAMES)}(self, x):")
            lines.append(f"        self.{rng.choice(NAMES)} = {rng.choice(NAMES)}(x)")
            lines.append(f"        return self.{rng.choice(NAMES)}.{rng.choice(NAMES)}(x)")
    for _ in range(rng.randint(1, 4)):
        lines.append(f"def {rng.choice(NAMES)}(x):")
        if rng.random() < 0.5:
            lines.append(f"    from pkg.m{rng.randrange(count)} import {rng.choice(NAMES)} as {rng.choice(NAMES)}")
        lines.append(f"    def {rng.choice(NAMES)}(y):")
        lines.append(f"        return {rng.choice(NAMES)}.{rng.choice(NAMES)}(y)")
        lines.append(f"    return {rng.choice(NAMES)}(x)")
    lines.append(f"{rng.choice(NAMES)} = {rng.choice(NAMES)}()")
    return "\n".join(lines) + "\n"


def _repo(make_index, seed: int, count: int = 30) -> RepoIndex:
    rng = random.Random(seed)
    files = {"pkg/__init__.py": "from .m0 import *\n"}
    files.update({f"pkg/m{i}.py": _module_source(rng, i, count) for i in range(count)})
    return make_index(files)


def _queries(index: RepoIndex) -> list[tuple[str, str | None, int | None]]:
    """Every name and attribute chain as written, where it is written; and each, from nowhere."""
    found: list[tuple[str, str | None, int | None]] = []
    for path, module in index.modules.items():
        for node in ast.walk(module.tree):
            if isinstance(node, (ast.Name, ast.Attribute)):
                text = ast.unparse(node)
                found += [(text, path, node.lineno), (text, None, None)]
        for definition in module.definitions:
            found += [(definition.qualname, None, None), (definition.qualname, path, definition.line)]
    return found


def _answer(resolver: Resolver, name: str, file: str | None, line: int | None) -> tuple[object, ...]:
    r = resolver.resolve(name, file, line)
    symbol = (r.symbol.file, r.symbol.qualname, r.symbol.start_line) if r.symbol is not None else None
    return (symbol, r.external, r.approximate)


def test_resolver_answers_equal_the_linear_reference(make_index) -> None:
    for seed in range(3):
        index = _repo(make_index, seed)
        fast, naive = Resolver(index), NaiveResolver(index)
        queries = _queries(index)
        assert len(queries) > 500
        approximate = 0
        for name, file, line in queries:
            expected = _answer(naive, name, file, line)
            assert _answer(fast, name, file, line) == expected, (name, file, line)
            approximate += bool(expected[2])
        assert approximate > 0  # the repo-wide search was exercised, not only imports
        for name, file, line in queries[::7]:  # memoised answers stay the same on the second ask
            assert _answer(fast, name, file, line) == _answer(naive, name, file, line)


def test_scope_memo_equals_the_scan(make_index) -> None:
    index = _repo(make_index, 7)
    for module in index.modules.values():
        for line in [*range(0, module.line_count + 2), *range(module.line_count + 1, -1, -1)]:
            assert scope_at(module, line) == naive_scope_at(module, line)


def test_import_tables_keep_the_first_binding(make_index) -> None:
    index = make_index(
        {
            "a.py": "def f(): pass\n",
            "b.py": "def f(): pass\n",
            "app.py": "from a import f\nfrom b import f\nfrom a import *\ndef g():\n    from b import f\n    return f()\n",
        }
    )
    app = index.modules["app.py"]
    assert app.imports_by_alias[(MODULE_SCOPE, "f")].module == "a"
    assert app.imports_by_alias[("g", "f")].module == "b"
    assert [r.module for r in app.star_imports] == ["a"]
    fast, naive = Resolver(index), NaiveResolver(index)
    for name, line in (("f", 1), ("f", 6), ("g", 6)):
        assert _answer(fast, name, "app.py", line) == _answer(naive, name, "app.py", line)


def _definitions_by_every_child(tree: ast.Module) -> dict[str, ast.AST]:
    """The walk ``static.lookup._definitions`` did before it kept to statement blocks."""
    found: dict[str, ast.AST] = {}
    stack: list[tuple[str, ast.AST]] = [("", tree)]
    while stack:
        prefix, node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                qualname = f"{prefix}{child.name}"
                found.setdefault(qualname, child)
                stack.append((qualname + ".", child))
            elif not isinstance(child, ast.expr):
                stack.append((prefix, child))
    return found


TRICKY = '''
def f(): pass
if x:
    def f(): return 1
else:
    class f: pass
try:
    def g(): pass
except E as e:
    def g(): return e
else:
    def g(): return 2
finally:
    def h(): pass
match v:
    case [a, *_] if a:
        def h(): return 3
    case _:
        class K:
            def m(self): pass
            def m(self): return 4
for i in y:
    async def run(): pass
else:
    def run(): pass
while z:
    with ctx() as c:
        def w(): pass
class K:
    @dec
    def m(self, a: int = lambda: 0) -> None:
        def inner(): pass
        class Inner:
            def inner(self): pass
'''


def test_definition_table_keeps_the_same_nodes() -> None:
    from pathlib import Path

    import vulnhuntr
    from vulnhuntr.static.lookup import _definitions

    sources = [TRICKY, *(p.read_text(encoding="utf-8") for p in Path(vulnhuntr.__file__).parent.rglob("*.py"))]
    for source in sources:
        tree = ast.parse(source)
        fast, reference = _definitions(tree), _definitions_by_every_child(tree)
        assert list(fast) == list(reference)
        assert all(fast[name] is reference[name] for name in reference)
    tricky = _definitions(ast.parse(TRICKY))
    assert {"f", "g", "h", "K.m", "run", "w", "K.m.inner", "K.m.Inner.inner"} <= set(tricky)
