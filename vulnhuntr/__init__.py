"""vulnhuntr: find remotely exploitable vulnerabilities in Python web applications.

The public names are imported on first use (PEP 562): ``import vulnhuntr.cli`` or
``vulnhuntr --list-entrypoints`` need neither the analysis pipeline nor pydantic
until they run it.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, UsageError, VulnhuntrError

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .config import Settings, load_settings
    from .scan import ScanResult, scan

_LAZY = {"Settings": "config", "load_settings": "config", "ScanResult": "scan", "scan": "scan"}
"""Public name → the submodule that defines it."""

__all__ = ["ConfigError", "ScanResult", "Settings", "UsageError", "VulnhuntrError", "load_settings", "scan"]


def __getattr__(name: str) -> Any:
    """``vulnhuntr.scan`` and friends, imported when first asked for."""
    home = _LAZY.get(name)
    if home is None:
        raise AttributeError(f"module 'vulnhuntr' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


class _Package(types.ModuleType):
    """Keeps ``vulnhuntr.scan`` the function when the submodule of that name is imported.

    Importing ``vulnhuntr.scan`` (the module) binds it on the package; an eager
    ``from .scan import scan`` used to rebind the function right after, so it does here.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "scan" and isinstance(value, types.ModuleType) and hasattr(value, "scan"):
            value = value.scan
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
