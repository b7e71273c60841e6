"""The provider SDKs cost seconds to import: only the chosen one is imported, and only when a scan needs it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from llm_helpers import EXAMPLES

from vulnhuntr.llm import registry

SDKS = ("anthropic", "openai", "ollama")


PIPELINE = ("vulnhuntr.scan", "vulnhuntr.repo.map", "vulnhuntr.static", "vulnhuntr.analysis.run", "pydantic")
"""What only a command that maps or scans needs: ``import vulnhuntr.cli`` must not pay for it."""


def _imported_after(code: str, watched: tuple[str, ...] = SDKS) -> set[str]:
    probe = f"import sys\n{code}\nprint('SDKS:', *(m for m in {watched!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    return set(done.stdout.splitlines()[-1].split()[1:])


def _cli(tmp_path, *args: str) -> str:
    """Code running the CLI's ``main`` with *args*, its log and store kept under *tmp_path*."""
    extra = ["--log-file", str(tmp_path / "log"), "--cache-dir", str(tmp_path / "cache")]
    return f"from vulnhuntr.cli import main\nmain({[*args, *extra]!r})"


def test_importing_the_cli_imports_no_provider_sdk() -> None:
    assert _imported_after("import vulnhuntr.cli") == set()


def test_a_scan_without_an_llm_imports_no_provider_sdk(tmp_path) -> None:
    code = (
        "from vulnhuntr.cli import main\n"
        f"main(['-r', {str(EXAMPLES / 'flask_notes')!r}, '-l', 'none', '-q', '--log-file', {str(tmp_path / 'l')!r},"
        f" '--cache-dir', {str(tmp_path / 'c')!r}])"
    )
    assert _imported_after(code) == set()


def test_importing_the_cli_imports_neither_the_pipeline_nor_pydantic() -> None:
    assert _imported_after("import vulnhuntr.cli", PIPELINE) == set()
    assert _imported_after("import vulnhuntr", PIPELINE) == set()


def test_the_public_api_is_still_there_when_asked_for() -> None:
    code = (
        "import vulnhuntr, vulnhuntr.cli, vulnhuntr.scan as module\n"
        "from vulnhuntr import Settings, load_settings, scan, ScanResult\n"
        "from vulnhuntr.scan import scan as function\n"
        "assert vulnhuntr.scan is scan is function and callable(scan) and module is function\n"
        "assert Settings.__name__ == 'Settings' and ScanResult.__name__ == 'ScanResult' and callable(load_settings)\n"
        "assert {'scan', 'Settings'} <= set(dir(vulnhuntr))"
    )
    assert _imported_after(code, ("vulnhuntr.scan",)) == {"vulnhuntr.scan"}


@pytest.mark.parametrize(
    "args",
    [
        ("--list-entrypoints",),
        ("--list-entrypoints", "--format", "json"),
        ("--dry-run",),
        ("--dry-run", "-l", "none"),
    ],
)
def test_commands_that_call_no_llm_import_no_provider_sdk(tmp_path, args) -> None:
    assert _imported_after(_cli(tmp_path, "-r", str(EXAMPLES / "flask_notes"), *args)) == set()


def test_cache_commands_import_neither_an_sdk_nor_the_pipeline(tmp_path) -> None:
    code = f"from vulnhuntr.cli import main\nmain(['cache', 'stats', '--cache-dir', {str(tmp_path)!r}])"
    assert _imported_after(code, SDKS + PIPELINE) == set()


def test_choosing_a_provider_imports_only_its_sdk() -> None:
    assert _imported_after("from vulnhuntr.llm.registry import provider_class\nprovider_class('ollama')") == {"ollama"}


def test_default_models_match_the_provider_modules() -> None:
    from vulnhuntr.llm import claude, ollama_chat, openai_chat

    modules = {"claude": claude, "gpt": openai_chat, "openai": openai_chat, "ollama": ollama_chat}
    assert registry.DEFAULT_MODELS == {llm: module.DEFAULT_MODEL for llm, module in modules.items()}
