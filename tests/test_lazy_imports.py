"""The provider SDKs cost seconds to import: only the chosen one is imported, and only when a scan needs it."""

from __future__ import annotations

import subprocess
import sys

from llm_helpers import EXAMPLES

from vulnhuntr.llm import registry

SDKS = ("anthropic", "openai", "ollama")


def _imported_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint('SDKS:', *(m for m in {SDKS!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    return set(done.stdout.splitlines()[-1].split()[1:])


def test_importing_the_cli_imports_no_provider_sdk() -> None:
    assert _imported_after("import vulnhuntr.cli") == set()


def test_a_scan_without_an_llm_imports_no_provider_sdk(tmp_path) -> None:
    code = (
        "from vulnhuntr.cli import main\n"
        f"main(['-r', {str(EXAMPLES / 'flask_notes')!r}, '-l', 'none', '-q', '--log-file', {str(tmp_path / 'l')!r},"
        f" '--cache-dir', {str(tmp_path / 'c')!r}])"
    )
    assert _imported_after(code) == set()


def test_choosing_a_provider_imports_only_its_sdk() -> None:
    assert _imported_after("from vulnhuntr.llm.registry import provider_class\nprovider_class('ollama')") == {"ollama"}


def test_default_models_match_the_provider_modules() -> None:
    from vulnhuntr.llm import claude, ollama_chat, openai_chat

    modules = {"claude": claude, "gpt": openai_chat, "openai": openai_chat, "ollama": ollama_chat}
    assert registry.DEFAULT_MODELS == {llm: module.DEFAULT_MODEL for llm, module in modules.items()}
