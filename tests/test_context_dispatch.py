"""The callee walk follows calls through a lookup by key: a few candidates shown, every one named."""

from __future__ import annotations

from vulnhuntr.analysis.context import DISPATCH_SHOWN, ContextBuilder
from vulnhuntr.config import PruningSettings
from vulnhuntr.repo.entrypoints import find_entry_points
from vulnhuntr.repo.resolve import Resolver

COMMANDS = "".join(f"def cmd_{i}(arg):\n    return run_{i}(arg)\n\n\ndef run_{i}(arg):\n    return arg\n\n\n" for i in range(6))
REPO = {
    "pkg/__init__.py": "",
    "pkg/commands.py": COMMANDS + "TABLE = {" + ", ".join(f'"{i}": cmd_{i}' for i in range(6)) + "}\n",
    "pkg/views.py": '''
        from flask import Flask, request
        from .commands import TABLE

        app = Flask(__name__)

        @app.post("/cmd")
        def command():
            handler = TABLE.get(request.form["c"])
            return handler(request.form["arg"])
        ''',
}


def test_dispatch_candidates_join_the_walk_nearest_first_and_the_rest_are_named(make_index) -> None:
    index = make_index(REPO)
    resolver = Resolver(index)
    builder = ContextBuilder(index, resolver, PruningSettings(), depth=2)
    entries = [e for e in find_entry_points(index, resolver) if e.file == "pkg/views.py"]
    view = builder.views("pkg/views.py", entries, reserved_tokens=0)[0]
    names = [s.qualname for s in builder.callees(view)]
    shown = [f"cmd_{i}" for i in range(DISPATCH_SHOWN)]
    assert names[:DISPATCH_SHOWN] == shown  # distance 1: the candidates
    assert "run_0" in names and "cmd_5" not in names  # their own callees at distance 2; the rest only named
    (note,) = builder.dispatch_notes(view)
    assert note.startswith("pkg/views.py:8: TABLE.get(request.form['c']) dispatches to one of: pkg.commands.cmd_0")
    assert note.endswith("not shown, ask for them by name if needed: pkg.commands.cmd_4, pkg.commands.cmd_5")


def test_the_type_prompt_shows_the_nearest_candidates_and_names_the_others(make_index) -> None:
    import asyncio

    from test_loop import MockProvider, focus

    from vulnhuntr.analysis.loop import Analyst, LoopLimits

    provider = MockProvider(
        lambda prompt: {"confidence_score": 3, "vulnerability_types": ["RCE"]}
        if focus(prompt) is None
        else {"confidence_score": 0, "vulnerability_types": []}
    )
    index = make_index(REPO)
    resolver = Resolver(index)
    context = ContextBuilder(index, resolver, PruningSettings(), depth=2)
    analyst = Analyst(provider, index, resolver, readme_summary=None, limits=LoopLimits(), context=context)
    entries = [e for e in find_entry_points(index, resolver) if e.file == "pkg/views.py"]
    asyncio.run(analyst.analyse_file("pkg/views.py", entries))
    typed = next(p for p in provider.prompts if focus(p) == "RCE")
    assert "def cmd_0(arg)" in typed and "def cmd_5(arg)" not in typed
    assert "dispatches to one of: pkg.commands.cmd_0" in typed and "pkg.commands.cmd_5" in typed
