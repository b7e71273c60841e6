"""Context pruning: what the model is shown of an entry-point file, and which callees come with it."""

from __future__ import annotations

from vulnhuntr.analysis.context import ContextBuilder, prune
from vulnhuntr.llm.base import approx_tokens
from vulnhuntr.config import PruningSettings
from vulnhuntr.repo.entrypoints import find_entry_points
from vulnhuntr.repo.resolve import Resolver

HELPER_BODY = "".join(f"    total += {i}\n" for i in range(30))
APP = (
    "import os\n"
    "from flask import Flask, request\n"
    "from .store import Store\n"
    "from . import util\n"
    "\n"
    "app = Flask(__name__)\n"
    'CONFIG = {"root": "/data"}\n'
    'store = Store(CONFIG["root"])\n'
    "\n\n"
    "def export_csv(rows):\n    total = 0\n" + HELPER_BODY + "    return total\n"
    "\n\n"
    "def _fmt(x):\n    total = 0\n" + HELPER_BODY + "    return x\n"
    "\n\n"
    "def tiny(x):\n    return x.strip()\n"
    "\n\n"
    '@app.route("/read")\n'
    "def read():\n"
    '    name = tiny(request.args["name"])\n'
    "    return store.read(util.clean(name))\n"
    "\n\n"
    "class Admin:\n"
    '    """Not a view."""\n'
    "\n"
    "    def a(self):\n        total = 0\n" + HELPER_BODY.replace("    ", "        ") + "        return total\n"
    "\n\n"
    'if __name__ == "__main__":\n'
    "    app.run()\n"
)

REPO = {
    "app.py": APP,
    "store.py": '''
        import os
        from .disk import read_file

        class Store:
            def __init__(self, root):
                self.root = root

            def read(self, name):
                return read_file(os.path.join(self.root, name))

            def unused(self):
                return 1
        ''',
    "disk.py": '''
        def read_file(path):
            with open(path) as fh:
                return fh.read()
        ''',
    "util.py": '''
        def clean(name):
            return name.replace("..", "")
        ''',
}


def builder_for(make_index, **settings) -> tuple[ContextBuilder, list]:
    index = make_index(REPO)
    resolver = Resolver(index)
    pruning = PruningSettings(**settings)
    return ContextBuilder(index, resolver, pruning, depth=pruning.callee_depth), find_entry_points(index, resolver)


def test_prune_keeps_entry_points_and_module_code_and_names_what_it_left_out(make_index) -> None:
    builder, entries = builder_for(make_index)
    view = prune(builder.index.modules["app.py"], entries, keep_small=20)
    code = view.code
    assert "def read():" in code and 'name = tiny(request.args["name"])' in code  # the entry point, whole
    assert "app = Flask(__name__)" in code and "store = Store(CONFIG" in code  # module-level setup
    assert "# ... 68 lines omitted: def export_csv, def _fmt" in code  # two neighbours, one marker
    assert "def tiny(x):" in code  # short helpers stay: a marker would save nothing
    assert "class Admin:" in code and "    # ... " in code and "def Admin.a" in code  # class header kept
    assert "total += 29" not in code
    assert view.omitted == ("def export_csv", "def _fmt", "def Admin.a")
    assert approx_tokens(code) < approx_tokens(builder.index.modules["app.py"].source) / 2


def test_callees_are_resolved_across_files_nearest_first(make_index) -> None:
    builder, entries = builder_for(make_index)
    [view] = builder.views("app.py", entries, reserved_tokens=0)
    names = [(s.file, s.qualname) for s in builder.callees(view)]
    # distance 1: what read() calls (tiny is visible in the file already); distance 2: what those call
    assert names == [("store.py", "Store.read"), ("util.py", "clean"), ("disk.py", "read_file")]


def test_depth_limits_the_walk(make_index) -> None:
    builder, entries = builder_for(make_index, callee_depth=1)
    [view] = builder.views("app.py", entries, reserved_tokens=0)
    assert [s.qualname for s in builder.callees(view)] == ["Store.read", "clean"]


def test_budget_drops_the_farthest_definitions(make_index) -> None:
    builder, entries = builder_for(make_index)
    [view] = builder.views("app.py", entries, reserved_tokens=0)
    symbols = builder.callees(view)
    builder.prompt_budget = 100 + sum(approx_tokens(s.source) + 30 for s in symbols[:2])
    kept, dropped = builder.fit(symbols, used_tokens=100)
    assert [s.qualname for s in kept] == ["Store.read", "clean"]
    assert [s.qualname for s in dropped] == ["read_file"]


def test_no_prune_sends_the_whole_file(make_index) -> None:
    builder, entries = builder_for(make_index, enabled=False)
    [view] = builder.views("app.py", entries, reserved_tokens=0)
    assert view.code == builder.index.modules["app.py"].source


def test_a_file_too_big_even_pruned_is_split_per_entry_point(make_index) -> None:
    index = make_index({
        "big.py": "from flask import Flask\napp = Flask(__name__)\n" + "".join(
            f"\n@app.route('/r{i}')\ndef r{i}():\n" + "".join(f"    x{j} = {j}\n" for j in range(40)) + "    return 'ok'\n"
            for i in range(3)
        )
    })
    resolver = Resolver(index)
    entries = find_entry_points(index, resolver)
    builder = ContextBuilder(index, resolver, PruningSettings(), prompt_budget=300)
    views = builder.views("big.py", entries, reserved_tokens=100)
    assert [len(v.entry_points) for v in views] == [1, 1, 1]
    assert "def r0():" in views[0].code and "def r1():" not in views[0].code and "omitted: def r1" in views[0].code


def test_one_handler_bigger_than_the_budget_is_cut_into_windows_that_fit(make_index) -> None:
    body = "".join(f"    value_{i} = request.args.get('k{i}', '') + '{'x' * 40}'\n" for i in range(3000))
    source = (
        "from flask import Flask, request\nimport os\n\napp = Flask(__name__)\n\n\n"
        "@app.route('/huge')\ndef huge():\n" + body + "    os.system(value_2999)\n    return 'ok'\n"
    )
    index = make_index({"app.py": source})
    resolver = Resolver(index)
    entries = find_entry_points(index, resolver)
    builder = ContextBuilder(index, resolver, PruningSettings(), prompt_budget=5_000)
    views = builder.views("app.py", entries, reserved_tokens=1_000)
    assert len(views) > 10
    assert all(approx_tokens(v.code) <= 4_000 for v in views)
    assert [v.window for v in views] == [(i, len(views)) for i in range(1, len(views) + 1)]
    shown = set().union(*(v.kept_lines for v in views))
    assert shown == set(range(1, source.count("\n") + 1))  # every line is in exactly one window
    assert sum(len(v.kept_lines) for v in views) == len(shown)
    assert any("os.system(value_2999)" in v.code for v in views)
    assert builder.focus(views[0], []) is views[0]  # a window is never re-pruned back to its whole size


def test_the_same_dispatch_note_at_two_lines_is_sent_once() -> None:
    from vulnhuntr.analysis.context import merged_notes

    notes = ["s.py:31: getattr(self, route) dispatches to one of: a, b", "s.py:40: getattr(self, route) dispatches to one of: a, b",
             "s.py:50: TABLE[k] dispatches to one of: c"]
    assert merged_notes(notes) == [
        "s.py:31, 40: getattr(self, route) dispatches to one of: a, b", "s.py:50: TABLE[k] dispatches to one of: c"
    ]
