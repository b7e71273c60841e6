"""The resolver's answer for a call through a lookup by key: every definition it can reach."""

from __future__ import annotations

import pytest
from conftest import write_tree

from vulnhuntr.repo.dispatch import MAX_CANDIDATES, MAX_NAMED, KeyPattern, key_pattern
from vulnhuntr.repo.index import ModuleIndex, Registration, build_index
from vulnhuntr.repo.resolve import Resolver

REPO = {
    "app/__init__.py": "",
    "app/views.py": '''
        import importlib
        from flask import Flask, request
        from . import actions
        from .registry import HANDLERS
        from .actions import archive

        app = Flask(__name__)

        def ping(v):
            return v

        def report(v):
            return v

        ACTIONS = {"ping": ping, "report": report}
        STEPS = [ping, report]
        CONFIG = {"root": "/srv", "debug": False}

        @app.route("/a")
        def by_table():
            name = request.args["a"]
            ACTIONS[name](request.args["v"])
            ACTIONS["ping"](1)
            STEPS[int(request.args["i"])](2)
            CONFIG[request.args["k"]]
            return ACTIONS.get(name)(3)

        @app.route("/m")
        def by_module():
            getattr(actions, request.args["a"])(1)
            return getattr(actions, "cmd_" + request.args["a"])(1)

        @app.route("/g")
        def by_globals():
            globals()[request.args["f"]](1)
            return globals().get(request.args["f"])(1)

        @app.route("/h")
        def by_registry():
            return HANDLERS[request.path].run(request)

        @app.route("/p")
        def by_import():
            importlib.import_module("app.plugins." + request.args["p"]).main(1)
            return __import__(request.args["p"])

        def local_table():
            table = {"p": ping, "r": report}
            handler = table.get(request.args["k"])
            return handler(1)
        ''',
    "app/actions.py": '''
        def cmd_list(v):
            return v

        def cmd_delete(v):
            return v

        def archive(v):
            return v

        class Exporter:
            pass
        ''',
    "app/registry.py": '''
        HANDLERS = {}
        PLUGINS = []

        def register(path):
            def deco(cls):
                HANDLERS[path] = cls
                return cls
            return deco

        def plugin(fn):
            PLUGINS.append(fn)
            return fn

        COMMANDS = {}

        def add_command(name, fn):
            COMMANDS[name] = fn

        class Registry:
            def __init__(self):
                self.commands = {}

            def add_command(self, name, fn):
                self.commands[name] = fn

            def run(self, name, arg):
                return self.commands[name](arg)

        REGISTRY = Registry()
        ''',
    "app/handlers.py": '''
        from .registry import register, HANDLERS
        from . import registry

        @register("/x")
        class Upload:
            def run(self, req):
                return req

        class Download:
            def run(self, req):
                return req

        class Status:
            def run(self, req):
                return req

        HANDLERS["/down"] = Download
        registry.HANDLERS.setdefault("/status", Status)

        @registry.plugin
        def audit(v):
            return v

        def export(v):
            return v

        registry.add_command("export", export)
        registry.REGISTRY.add_command("audit", fn=audit)
        ''',
    "app/plugins/__init__.py": "",
    "app/plugins/alpha.py": "def main(v):\n    return v\n",
    "app/plugins/beta.py": "def main(v):\n    return v\n",
    "app/plugins/gamma.py": "def other(v):\n    return v\n",
    "app/base.py": '''
        class Handler:
            def dispatch(self, verb, arg):
                return getattr(self, "do_" + verb)(arg)

            def do_get(self, arg):
                return arg

            def helper(self):
                return 1

        class Admin(Handler):
            def do_delete(self, arg):
                return arg

            def do_get(self, arg):
                return arg
        ''',
    "app/exporters.py": '''
        class Exporter:
            formats = {}

            def __init_subclass__(cls, **kwargs):
                Exporter.formats[cls.name] = cls

            @classmethod
            def build(cls, kind):
                return cls.formats[kind]()

        class Csv(Exporter):
            name = "csv"

        class Pdf(Exporter):
            name = "pdf"

        class Tsv(Csv):
            name = "tsv"
        ''',
    "app/shadow.py": '''
        def getattr(obj, name):
            return name

        def use(obj, name):
            return getattr(obj, name)()
        ''',
}


@pytest.fixture(scope="module")
def resolver(tmp_path_factory: pytest.TempPathFactory) -> Resolver:
    root = tmp_path_factory.mktemp("dispatch")
    write_tree(root, REPO)
    return Resolver(build_index(root, sorted(REPO)))


def calls(resolver: Resolver, file: str, marker: str) -> tuple[str, int]:
    """The callee (as the index records it) of the call on the first line containing *marker*."""
    module = resolver.index.modules[file]
    line = next(n for n, text in enumerate(module.lines, 1) if marker in text)
    sites = [c for c in [*module.calls, *module.lookups] if c.line == line]
    return max(sites, key=lambda c: len(c.callee)).callee, line


def names(resolver: Resolver, file: str, marker: str) -> list[str] | None:
    callee, line = calls(resolver, file, marker)
    found = resolver.resolve(callee, file, line).dispatch
    return found.names if found is not None else None


def test_dict_literal_reaches_every_value_and_a_constant_key_only_its_own(resolver: Resolver) -> None:
    assert names(resolver, "app/views.py", 'ACTIONS[name](request') == ["app.views.ping", "app.views.report"]
    assert names(resolver, "app/views.py", 'ACTIONS["ping"](1)') == ["app.views.ping"]
    assert names(resolver, "app/views.py", "ACTIONS.get(name)(3)") == ["app.views.ping", "app.views.report"]


def test_list_literal(resolver: Resolver) -> None:
    assert names(resolver, "app/views.py", "STEPS[int(") == ["app.views.ping", "app.views.report"]


def test_a_table_of_data_is_no_dispatch(resolver: Resolver) -> None:
    module = resolver.index.modules["app/views.py"]
    line = next(n for n, text in enumerate(module.lines, 1) if "CONFIG[request" in text)
    assert resolver.dispatch('CONFIG[request.args["k"]]', "app/views.py", line) is None
    assert resolver.dispatch('request.args["k"]', "app/views.py", line) is None


def test_registry_filled_by_a_decorator_an_assignment_and_setdefault_across_files(resolver: Resolver) -> None:
    found = names(resolver, "app/views.py", "HANDLERS[request.path]")
    assert found == ["app.handlers.Upload.run", "app.handlers.Download.run", "app.handlers.Status.run"]


def test_registry_filled_by_append_in_a_plain_decorator(resolver: Resolver) -> None:
    line = resolver.index.modules["app/registry.py"].line_count
    found = resolver.dispatch("PLUGINS[0]", "app/registry.py", line)
    assert found is not None and found.names == ["app.handlers.audit"]


def test_registry_filled_by_calls_of_a_registering_function_or_method(resolver: Resolver) -> None:
    module = resolver.index.modules["app/registry.py"]
    found = resolver.dispatch("COMMANDS[name]", "app/registry.py", module.line_count)
    assert found is not None and found.names == ["app.handlers.export"]
    line = next(n for n, text in enumerate(module.lines, 1) if "return self.commands[name](arg)" in text)
    on_self = resolver.dispatch("self.commands[name]", "app/registry.py", line)
    assert on_self is not None and on_self.names == ["app.handlers.audit"]


def test_registry_filled_by_init_subclass_holds_every_subclass(resolver: Resolver) -> None:
    module = resolver.index.modules["app/exporters.py"]
    line = next(n for n, text in enumerate(module.lines, 1) if "cls.formats[kind]()" in text)
    found = resolver.dispatch("cls.formats[kind]", "app/exporters.py", line)
    assert found is not None and found.names == ["app.exporters.Csv", "app.exporters.Pdf", "app.exporters.Tsv"]


def test_getattr_on_a_module_and_a_prefix_narrows(resolver: Resolver) -> None:
    every = names(resolver, "app/views.py", 'getattr(actions, request.args["a"])(1)')
    assert every == ["app.actions.cmd_list", "app.actions.cmd_delete", "app.actions.archive", "app.actions.Exporter"]
    callee, line = calls(resolver, "app/views.py", '"cmd_" + request')
    found = resolver.resolve(callee, "app/views.py", line).dispatch
    assert found is not None and found.open and found.narrowed
    assert found.names == ["app.actions.cmd_list", "app.actions.cmd_delete"]


def test_getattr_on_self_with_prefix_gives_bound_methods_of_the_class_and_its_runtime_subclass(resolver: Resolver) -> None:
    callee, line = calls(resolver, "app/base.py", 'getattr(self, "do_"')
    found = resolver.dispatch(callee, "app/base.py", line)
    assert found is not None and found.names == ["app.base.Handler.do_get"]
    assert all(t.bound for t in found.targets)
    as_admin = resolver.dispatch(callee, "app/base.py", line, receiver=("app/base.py", "Admin"))
    assert as_admin is not None and as_admin.names == ["app.base.Admin.do_delete", "app.base.Admin.do_get"]


def test_globals_reaches_module_functions_and_repository_imports(resolver: Resolver) -> None:
    found = names(resolver, "app/views.py", 'globals()[request.args["f"]](1)')
    assert found is not None and "app.views.ping" in found and "app.actions.archive" in found
    assert names(resolver, "app/views.py", "globals().get(") == found
    callee, line = calls(resolver, "app/views.py", 'globals()[request.args["f"]](1)')
    assert resolver.resolve(callee, "app/views.py", line).dispatch.open  # type: ignore[union-attr]


def test_import_module_with_a_package_prefix_reaches_the_modules_members(resolver: Resolver) -> None:
    found = names(resolver, "app/views.py", "importlib.import_module(")
    assert found == ["app.plugins.alpha.main", "app.plugins.beta.main"]
    _callee, line = calls(resolver, "app/views.py", "__import__(")
    dispatch = resolver.dispatch('__import__(request.args["p"])', "app/views.py", line)
    assert dispatch is not None and dispatch.kind == "import" and dispatch.open and not dispatch.narrowed


def test_local_table_and_the_lookup_bound_to_a_name(resolver: Resolver) -> None:
    assert names(resolver, "app/views.py", "table.get(") == ["app.views.ping", "app.views.report"]


def test_a_local_function_named_getattr_is_not_the_builtin(resolver: Resolver) -> None:
    assert names(resolver, "app/shadow.py", "return getattr(obj, name)()") is None


def test_the_answer_says_where_the_lookup_goes(resolver: Resolver) -> None:
    callee, line = calls(resolver, "app/views.py", 'ACTIONS[name](request')
    resolution = resolver.resolve(callee, "app/views.py", line)
    assert resolution.symbol is None
    assert resolution.reason == f"{callee} dispatches to one of: app.views.ping, app.views.report"


def test_candidates_are_bounded_and_the_rest_named(make_index) -> None:
    count = MAX_CANDIDATES + MAX_NAMED + 2
    functions = "".join(f"def f{i}(v):\n    return v\n\n" for i in range(count))
    table = "T = {" + ", ".join(f'"{i}": f{i}' for i in range(count)) + "}\n"
    index = make_index({"t.py": functions + table + "def go(k):\n    return T[k](1)\n"})
    resolver = Resolver(index)
    found = resolver.dispatch("T[k]", "t.py", index.modules["t.py"].line_count)
    assert found is not None and len(found.targets) == MAX_CANDIDATES
    assert found.more == tuple(f"t.f{i}" for i in range(MAX_CANDIDATES, MAX_CANDIDATES + MAX_NAMED))
    assert found.unnamed == 2 and found.describe().endswith(f"t.f{MAX_CANDIDATES + MAX_NAMED - 1} and 2 more")


def test_index_records_registrations_and_keeps_them_through_the_cache(make_index) -> None:
    index = make_index({"r.py": 'R = {"a": f}\nR["b"] = g\nR.append(h)\nfn = R.get(k)\nx = [1, 2]\nR.register("c", i)\nR["d"] = Handler()\n'})
    module = index.modules["r.py"]
    assert module.registrations == (
        Registration("R", "f", 1, "<module>", "a"),
        Registration("R", "g", 2, "<module>", "b"),
        Registration("R", "h", 3, "<module>", None),
        Registration("R", "i", 6, "<module>", "c"),
        Registration("R", "Handler()", 7, "<module>", "d"),
    )
    assert [c.callee for c in module.lookups] == ["R.get(k)"]
    again = ModuleIndex.from_dict(module.to_dict(), module.source)
    assert again.registrations == module.registrations and again.lookups == module.lookups


@pytest.mark.parametrize(
    ("key", "pattern"),
    [
        ('"run"', KeyPattern(exact="run")),
        ('"do_" + verb', KeyPattern(prefix="do_")),
        ('f"cmd_{x}_view"', KeyPattern(prefix="cmd_", suffix="_view")),
        ('"%s_handler" % x', KeyPattern(suffix="_handler")),
        ("name", KeyPattern()),
        ("name.lower()", KeyPattern()),
    ],
)
def test_key_pattern(key: str, pattern: KeyPattern) -> None:
    import ast

    assert key_pattern(ast.parse(key, mode="eval").body) == pattern


def test_incremental_call_chain_counts_every_dispatch_candidate_as_a_dependency(resolver: Resolver) -> None:
    from vulnhuntr.repo.callgraph import call_chain_files

    files = call_chain_files(resolver.index, resolver, "app/views.py")
    assert {"app/handlers.py", "app/plugins/alpha.py", "app/plugins/beta.py", "app/actions.py"} <= files
    assert "app/plugins/gamma.py" not in files  # has no ``main``: not reached by ``import_module(...).main``


def test_a_pathological_key_is_no_crash() -> None:
    import ast

    key: ast.expr = ast.Name("x")
    for _ in range(5000):  # deeper than the interpreter's recursion limit
        key = ast.BinOp(key, ast.Add(), ast.Name("x"))
    assert key_pattern(key) == KeyPattern()
