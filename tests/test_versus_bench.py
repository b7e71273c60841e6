"""bench/versus.py: which chain a call belongs to, the critical path, the tokens counted per call."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from fakes import FakeRequest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture(scope="module")
def versus() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_versus", BENCH / "versus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def call(prompt: str, seconds: float, body: dict | None = None, system: str = "") -> FakeRequest:
    return FakeRequest("anthropic", "m", system, prompt, None, body or {}, {}, simulated=seconds)


def test_chains_are_read_from_either_tools_prompt(versus: ModuleType) -> None:
    assert versus.chain_of(call('<file path="app.py">\nx\n</file>\nFocus: SQLI only.', 1)) == ("app.py", "SQLI")
    theirs = "<file_code><file_path>/r/app.py</file_path></file_code>\n" \
        "analyze for remotely-exploitable Arbitrary File Overwrite (AFO) vulnerabilities by following"
    assert versus.chain_of(call(theirs, 1)) == ("/r/app.py", "AFO")
    assert versus.chain_of(call("<readme>x</readme>", 1)) == (None, None)


def test_critical_path_is_the_summary_then_the_slowest_file(versus: ModuleType) -> None:
    calls = [
        call("<readme>x</readme>", 0.5),
        call('<file path="a.py">', 1.0), call('<file path="a.py">Focus: LFI only.', 2.0),
        call('<file path="a.py">Focus: LFI only.', 2.0), call('<file path="a.py">Focus: XSS only.', 3.0),
        call('<file path="b.py">', 1.0), call('<file path="b.py">Focus: RCE only.', 4.5),
    ]
    # a.py: 1 + max(LFI 4, XSS 3) = 5; b.py: 1 + 4.5 = 5.5; plus the summary 0.5
    assert versus.critical_path(calls) == pytest.approx(6.0)
    assert versus.critical_path([]) == 0.0


def test_tool_schemas_count_as_input(versus: ModuleType) -> None:
    plain = call("x" * 400, 0)
    with_tools = call("x" * 400, 0, body={"tools": [{"name": "answer", "input_schema": {"d": "y" * 400}}]})
    assert versus.request_tokens(plain) == 100
    assert versus.request_tokens(with_tools) > 200


def test_project_names_are_folders_and_modules(versus: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "shop" / "views").mkdir(parents=True)
    (tmp_path / "shop" / "views" / "cart.py").write_text("")
    (tmp_path / "README.md").write_text("")
    assert {"shop", "views", "cart"} <= versus.project_names(tmp_path)
    assert "README" not in versus.project_names(tmp_path)
