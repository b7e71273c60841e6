"""Where settings come from: the command line's root, config files, the environment, merged in layers.

Each source becomes a plain nested dict (a layer); :class:`Layered` deep-merges
them in precedence order and remembers which layer set every key, so a
validation error can name the file, environment variable or option to fix.
Nothing is validated here: :mod:`vulnhuntr.config` checks the merged result against the schema.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

YAML_NAMES = (".vulnhuntr.yaml", ".vulnhuntr.yml")
"""Config files looked up in the scan root, in order, before pyproject.toml."""

ENV_KEYS: dict[str, tuple[str, ...]] = {
    "ANTHROPIC_MODEL": ("providers", "claude", "model"),
    "ANTHROPIC_BASE_URL": ("providers", "claude", "base_url"),
    "OPENAI_MODEL": ("providers", "openai", "model"),
    "OPENAI_BASE_URL": ("providers", "openai", "base_url"),
    "OLLAMA_MODEL": ("providers", "ollama", "model"),
    "OLLAMA_BASE_URL": ("providers", "ollama", "base_url"),
}
"""Environment variables honoured, mapped to the setting they fill."""

PATH_KEYS: tuple[tuple[str, ...], ...] = (
    ("analyze",),
    ("performance", "cache", "directory"),
    ("performance", "incremental", "state_file"),
    ("log_file",),
    ("triage", "triage_file"),
    ("triage", "baseline"),
)
"""Path-valued settings: relative values are resolved against a layer's base directory."""

CLI_ONLY_KEYS = ("root", "config_file", "config", "run")
"""Keys a config file may not set: they decide which file is read in the first place, or describe one run."""


# --------------------------------------------------------------------------- layers

Key = tuple[str, ...]


class Layered:
    """A merged settings dict plus, for every key set, the layer that set it last."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.sources: dict[Key, str] = {}

    def apply(self, layer: Mapping[str, Any], source: str) -> None:
        """Deep-merge ``layer`` over what is already there, recording ``source``."""
        _merge(self.data, layer, (), source, self.sources)

    def source_of(self, loc: tuple[Any, ...]) -> str | None:
        """The layer that set ``loc`` or its nearest parent, if any layer did."""
        key = tuple(str(part) for part in loc)
        for end in range(len(key), 0, -1):
            if key[:end] in self.sources:
                return self.sources[key[:end]]
        return None


def _merge(
    into: dict[str, Any],
    layer: Mapping[str, Any],
    prefix: Key,
    source: str,
    sources: dict[Key, str],
) -> None:
    """Mappings merge recursively; any other value replaces what was there."""
    for name, value in layer.items():
        key = (*prefix, str(name))
        sources[key] = source
        if isinstance(value, Mapping) and isinstance(into.get(name), dict):
            _merge(into[name], value, key, source, sources)
        elif isinstance(value, Mapping):
            into[name] = {}
            _merge(into[name], value, key, source, sources)
        else:
            into[name] = value


def resolve_paths(layer: dict[str, Any], base: Path) -> dict[str, Any]:
    """Anchor relative path settings of one layer at ``base`` (root or cwd)."""
    for key in PATH_KEYS:
        parent: Any = layer
        for part in key[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
        value = parent.get(key[-1]) if isinstance(parent, dict) else None
        if isinstance(value, (str, Path)) and str(value):
            path = Path(value).expanduser()
            parent[key[-1]] = path if path.is_absolute() else base / path
    return layer


def copy_layer(data: Mapping[str, Any]) -> dict[str, Any]:
    """Nested copy of the mapping levels so callers' dicts are never mutated."""
    return {k: copy_layer(v) if isinstance(v, Mapping) else v for k, v in data.items()}


# --------------------------------------------------------------------------- sources


def cli_root(cli: Mapping[str, Any], cwd: Path) -> Path:
    """The scan root given with ``--root``, checked early: it locates the config file."""
    raw = cli.get("root")
    if raw is None or str(raw) == "":
        raise ConfigError("--root: a directory to scan is required")
    root = Path(raw).expanduser()
    root = root if root.is_absolute() else cwd / root
    if not root.is_dir():
        problem = "not a directory" if root.exists() else "no such directory"
        raise ConfigError(f"--root {raw}: {problem}")
    return root.resolve()


def find_config(cli: Mapping[str, Any], root: Path, cwd: Path) -> Path | None:
    """``--config`` if given, else the first config file present in the root."""
    given = cli.get("config")
    if given is not None and str(given) != "":
        path = Path(given).expanduser()
        path = path if path.is_absolute() else cwd / path
        if not path.is_file():
            raise ConfigError(f"--config {given}: no such file")
        return path
    for name in YAML_NAMES:
        if (root / name).is_file():
            return root / name
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and _pyproject_table(pyproject, required=False) is not None:
        return pyproject
    return None


def read_config(path: Path) -> dict[str, Any]:
    """The settings mapping stored in ``path`` (YAML, or TOML for ``*.toml``)."""
    if path.suffix == ".toml":
        return _toml_settings(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(_yaml_problem(path, exc)) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings, got {_kind(data)}")
    return data


def _yaml_problem(path: Path, exc: yaml.YAMLError) -> str:
    """One line naming the file, and the line if PyYAML knows it."""
    mark = getattr(exc, "problem_mark", None)
    where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
    problem = getattr(exc, "problem", None) or str(exc)
    return f"{where}: invalid YAML: {problem}"


def _read_toml(path: Path, *, required: bool) -> dict[str, Any] | None:
    """Parse a TOML file; a broken one found by chance is ignored unless it mentions us.

    The scanned repository's pyproject.toml is not ours to police, but an explicit
    ``--config`` or a file that tries to configure vulnhuntr must be valid.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        if required:
            raise ConfigError(f"{path}: cannot read: {exc}") from exc
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        if required or "vulnhuntr" in text:
            raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
        return None


def _pyproject_table(path: Path, *, required: bool) -> dict[str, Any] | None:
    """The ``[tool.vulnhuntr]`` table of a TOML file, or ``None`` if it has none."""
    document = _read_toml(path, required=required)
    tool = (document or {}).get("tool")
    table = tool.get("vulnhuntr") if isinstance(tool, dict) else None
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: tool.vulnhuntr: expected a table, got {_kind(table)}")
    return table


def _toml_settings(path: Path) -> dict[str, Any]:
    """Settings from an explicit TOML ``--config``: its [tool.vulnhuntr] table, or the whole file.

    A standalone ``vulnhuntr.toml`` holds the settings at its top level; a
    pyproject.toml without the table is a mistake worth reporting.
    """
    table = _pyproject_table(path, required=True)
    if table is not None:
        return table
    if path.name == "pyproject.toml":
        raise ConfigError(f"{path}: no [tool.vulnhuntr] table")
    return _read_toml(path, required=True) or {}


def check_file_keys(data: Mapping[str, Any], path: Path) -> None:
    """Keys that choose the root or the config file cannot come from a config file."""
    for name in CLI_ONLY_KEYS:
        if name in data:
            raise ConfigError(f"{path}: {name}: cannot be set in a config file, use the command line")


def environment_layers(environ: Mapping[str, str]) -> list[tuple[dict[str, Any], str]]:
    """One single-key layer per non-empty variable, so errors can name the variable."""
    layers = []
    for variable, key in ENV_KEYS.items():
        value = environ.get(variable, "")
        if value.strip():
            layer: dict[str, Any] = {}
            node = layer
            for part in key[:-1]:
                node = node.setdefault(part, {})
            node[key[-1]] = value.strip()
            layers.append((layer, f"environment variable {variable}"))
    return layers


def _kind(value: Any) -> str:
    """Short human name of a YAML/TOML value's type."""
    names = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}
    return names.get(type(value), f"a {type(value).__name__}")
