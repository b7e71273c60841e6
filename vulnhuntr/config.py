"""One validated :class:`Settings` object built from every configuration layer.

Precedence, lowest first: model defaults < config file < environment < command
line. Layers are plain nested dicts, deep-merged (mappings merge key by key,
lists and scalars are replaced), then validated once by pydantic. Every value
remembers which layer set it so an error can name the file, environment
variable or option the user has to fix.

API keys are deliberately never read here: they stay in the environment and
are picked up by the provider clients, so they can never leak into a dumped
Settings object or a cache key.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from vulnhuntr.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

_STRICT = ConfigDict(extra="forbid", frozen=True)

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

_FILE_ONLY_FORBIDDEN = ("root", "config_file", "config")
"""Keys a config file may not set: they decide which file is read in the first place."""


# --------------------------------------------------------------------------- models


class ParallelSettings(BaseModel):
    """How many files are analysed at once."""

    model_config = _STRICT
    enabled: StrictBool = True
    workers: int = Field(default=8, ge=1)

    @property
    def in_flight(self) -> int:
        """LLM calls allowed at once: ``workers``, or one when parallelism is off."""
        return self.workers if self.enabled else 1


class CacheSettings(BaseModel):
    """On-disk cache of LLM answers; ``ttl_days == 0`` means entries never expire."""

    model_config = _STRICT
    enabled: StrictBool = True
    directory: Path | None = None
    ttl_days: float = Field(default=7, ge=0)


class PruningSettings(BaseModel):
    """Limits on the code context sent to the model, in tokens and lines."""

    model_config = _STRICT
    enabled: StrictBool = True
    max_context_size: int = Field(default=60000, gt=0)  # tokens per prompt (also capped by the model's window)
    entry_point_context_lines: int = Field(default=20, ge=0)  # definitions shorter than this are never pruned
    callee_depth: int = Field(default=2, ge=0)  # call distance of callees resolved into the first type prompt


class IncrementalSettings(BaseModel):
    """Re-scan only files changed since the state file was written."""

    model_config = _STRICT
    enabled: StrictBool = False
    state_file: Path | None = None


class PerformanceSettings(BaseModel):
    """Knobs trading cost and speed against thoroughness."""

    model_config = _STRICT
    parallel: ParallelSettings = ParallelSettings()
    cache: CacheSettings = CacheSettings()
    pruning: PruningSettings = PruningSettings()
    incremental: IncrementalSettings = IncrementalSettings()


class TriageSettings(BaseModel):
    """What a team has already judged: inline comments, a triage file, a baseline report."""

    model_config = _STRICT
    inline: StrictBool = True  # honour ``# vulnhuntr: ignore[TYPE] -- reason`` comments
    triage_file: Path | None = None  # default: .vulnhuntr-triage.yaml at the root, when it exists
    baseline: Path | None = None  # a JSON report of an earlier run: only findings not in it are reported
    show_suppressed: StrictBool = False  # list suppressed findings in the console and Markdown reports
    report_unused_suppressions: StrictBool = False  # list suppression comments that matched nothing


class ProviderSettings(BaseModel):
    """Model name and endpoint override of one LLM provider (never its key)."""

    model_config = _STRICT
    model: str | None = None
    base_url: str | None = None


class ProvidersSettings(BaseModel):
    """Per-provider overrides; ``llm: gpt`` and ``llm: openai`` share ``openai``."""

    model_config = _STRICT
    claude: ProviderSettings = ProviderSettings()
    openai: ProviderSettings = ProviderSettings()
    ollama: ProviderSettings = ProviderSettings()


class AnalysisSettings(BaseModel):
    """How hard the analysis loop works on each entry point, and how long it waits."""

    model_config = _STRICT
    max_rounds: int = Field(default=7, ge=1)  # context rounds per vulnerability type
    reasks: int = Field(default=2, ge=0)  # re-asks after an answer that does not validate
    retries: int = Field(default=3, ge=0)  # retries of a call after 429, 5xx or a timeout
    timeout_seconds: float = Field(default=180, gt=0)  # per LLM call
    max_output_tokens: int = Field(default=4096, gt=0)
    prefilter: StrictBool = False  # send to the LLM only entry-point files where the static pass found a candidate
    unreached_modules: int = Field(default=10, ge=0)  # sink modules no entry point reaches that get a chain; 0: none
    all_entrypoints: StrictBool = False  # also routes that read no request data and reach no sink (see analysis.selection)


class RateLimit(BaseModel):
    """Client-side pacing for one provider; None = no limit (the server's 429s still slow us down)."""

    model_config = _STRICT
    requests_per_minute: float | None = Field(default=None, gt=0)
    tokens_per_minute: float | None = Field(default=None, gt=0)


class RateLimitsSettings(BaseModel):
    """Defaults suit entry-level tiers of the hosted APIs; raise them to your account's limits.

    A local or compatible server (OPENAI_BASE_URL other than api.openai.com, Ollama) is not paced.
    """

    model_config = _STRICT
    claude: RateLimit = RateLimit(requests_per_minute=50, tokens_per_minute=100_000)
    openai: RateLimit = RateLimit(requests_per_minute=500, tokens_per_minute=200_000)
    ollama: RateLimit = RateLimit()


class ModelPrice(BaseModel):
    """US dollars per million tokens; cached input defaults to a tenth of input, cache writes to input."""

    model_config = _STRICT
    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cached_input: float | None = Field(default=None, ge=0)
    cache_write: float | None = Field(default=None, ge=0)  # input written to the prompt cache (Anthropic: 1.25x input)


LlmName = Literal["claude", "gpt", "ollama", "openai", "none"]


class Settings(BaseModel):
    """Everything a scan needs to know, validated once at start-up."""

    model_config = _STRICT
    root: Path
    analyze: Path | None = None
    llm: LlmName = "claude"
    verbosity: int = Field(default=0, ge=0)
    include: list[str] = []
    exclude: list[str] = []
    max_file_bytes: int = Field(default=2_000_000, gt=0)
    config_file: Path | None = None
    providers: ProvidersSettings = ProvidersSettings()
    performance: PerformanceSettings = PerformanceSettings()
    analysis: AnalysisSettings = AnalysisSettings()
    min_confidence: int = Field(default=7, ge=0, le=10)  # findings below are not reported
    pricing: dict[str, ModelPrice] = {}  # per model name, overrides the built-in price table
    rate_limits: RateLimitsSettings = RateLimitsSettings()
    log_file: Path | None = None  # JSON-lines log; default in the user state directory
    triage: TriageSettings = TriageSettings()

    @field_validator("root")
    @classmethod
    def _root_is_directory(cls, value: Path) -> Path:
        """A scan root must exist so every other path can be checked against it."""
        value = value.expanduser()
        if not value.is_absolute():
            raise ValueError("must be an absolute path")
        if not value.is_dir():
            raise ValueError("not a directory" if value.exists() else "no such directory")
        return value.resolve()

    @field_validator("verbosity")
    @classmethod
    def _cap_verbosity(cls, value: int) -> int:
        """``-vvv`` should not be an error; anything above 2 is simply 'most verbose'."""
        return min(value, 2)

    @field_validator("analyze")
    @classmethod
    def _analyze_inside_root(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        """Only code under the root is reachable from the app's entry points."""
        root = info.data.get("root")
        if value is None or root is None:
            return value
        return _inside_root(root, value)

    def provider(self) -> ProviderSettings:
        """Settings of the chosen LLM; ``llm: none`` has no provider, so they are empty."""
        if self.llm == "none":
            return ProviderSettings()
        name = "openai" if self.llm in ("gpt", "openai") else self.llm
        return getattr(self.providers, name)


def _inside_root(root: Path, value: Path) -> Path:
    """Absolute path of ``value`` (relative to ``root``) if it exists inside ``root``."""
    candidate = Path(os.path.normpath(root / value.expanduser()))
    if not candidate.exists():
        raise ValueError(f"{candidate}: no such file or directory")
    if candidate.is_relative_to(root):
        return candidate
    resolved = candidate.resolve()
    if resolved.is_relative_to(root):
        return resolved
    raise ValueError(f"{candidate} is outside the root {root}")


# --------------------------------------------------------------------------- layers

Key = tuple[str, ...]


class _Layered:
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


def _resolve_paths(layer: dict[str, Any], base: Path) -> dict[str, Any]:
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


def _copy(data: Mapping[str, Any]) -> dict[str, Any]:
    """Nested copy of the mapping levels so callers' dicts are never mutated."""
    return {k: _copy(v) if isinstance(v, Mapping) else v for k, v in data.items()}


# --------------------------------------------------------------------------- sources


def _cli_root(cli: Mapping[str, Any], cwd: Path) -> Path:
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


def _find_config(cli: Mapping[str, Any], root: Path, cwd: Path) -> Path | None:
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


def _read_config(path: Path) -> dict[str, Any]:
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


def _check_file_keys(data: Mapping[str, Any], path: Path) -> None:
    """Keys that choose the root or the config file cannot come from a config file."""
    for name in _FILE_ONLY_FORBIDDEN:
        if name in data:
            raise ConfigError(f"{path}: {name}: cannot be set in a config file, use the command line")


def _environment_layers(environ: Mapping[str, str]) -> list[tuple[dict[str, Any], str]]:
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


# --------------------------------------------------------------------------- errors

_EXPECTED = {
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "string": "a string",
    "list": "a list",
    "dict": "a mapping",
    "model": "a mapping",
    "path": "a path",
}


def _kind(value: Any) -> str:
    """Short human name of a YAML/TOML value's type."""
    names = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}
    return names.get(type(value), f"a {type(value).__name__}")


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The settings model that owns the keys found at ``loc``."""
    model: type[BaseModel] = Settings
    for part in loc:
        field = model.model_fields.get(str(part))
        if field is None or not (isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)):
            return None
        model = field.annotation
    return model


def _describe(error: Mapping[str, Any]) -> str:
    """Turn one pydantic error into a short explanation without pydantic jargon."""
    kind: str = error["type"]
    ctx = error.get("ctx") or {}
    got = error.get("input")
    if kind == "extra_forbidden":
        model = _model_at(error["loc"][:-1])
        allowed = [name for name in (model.model_fields if model else ()) if name not in ("root", "config_file")]
        return f"unknown key (allowed: {', '.join(allowed)})"
    if kind == "missing":
        return "required"
    if kind == "literal_error":
        return f"expected one of {ctx.get('expected')}, got {got!r}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    bounds = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}
    if kind in bounds:
        limit = next(iter(ctx.values()), "?")
        return f"must be {bounds[kind]} {limit}, got {got!r}"
    for prefix, wanted in _EXPECTED.items():
        if kind.startswith(prefix + "_"):
            return f"expected {wanted}, got {got!r}"
    return f"{error['msg']}, got {got!r}"


def _config_error(exc: ValidationError, layers: _Layered) -> ConfigError:
    """One line per problem: ``<source>: <dotted.key>: <what is wrong>``."""
    lines = []
    for error in exc.errors():
        loc = error["loc"]
        key = ".".join(str(part) for part in loc) or "(settings)"
        source = layers.source_of(loc)
        line = f"{key}: {_describe(error)}"
        lines.append(f"{source}: {line}" if source else line)
    return ConfigError("\n".join(lines))


# --------------------------------------------------------------------------- entry point


def load_settings(cli: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> Settings:
    """Build the validated settings from the command line, environment and config file.

    ``cli`` holds only options the user actually gave, nested like
    :class:`Settings`, plus ``config`` for ``--config FILE``. Relative paths on
    the command line are relative to the working directory; those in a config
    file are relative to the scan root.
    """
    environ = os.environ if environ is None else environ
    cwd = Path.cwd()
    root = _cli_root(cli, cwd)
    config_path = _find_config(cli, root, cwd)

    layers = _Layered()
    if config_path is not None:
        file_layer = _read_config(config_path)
        _check_file_keys(file_layer, config_path)
        layers.apply(_resolve_paths(_copy(file_layer), root), str(config_path))
    for layer, source in _environment_layers(environ):
        layers.apply(layer, source)
    cli_layer = {k: v for k, v in _copy(cli).items() if k not in ("config", "config_file")}
    cli_layer["root"] = root
    layers.apply(_resolve_paths(cli_layer, cwd), "command line")
    layers.data["config_file"] = config_path

    try:
        return Settings.model_validate(layers.data)
    except ValidationError as exc:
        raise _config_error(exc, layers) from None
