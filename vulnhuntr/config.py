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
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from vulnhuntr.config_sources import (
    Layered,
    check_file_keys,
    cli_root,
    copy_layer,
    environment_layers,
    find_config,
    read_config,
    resolve_paths,
)
from vulnhuntr.errors import ConfigError

_STRICT = ConfigDict(extra="forbid", frozen=True)

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
    always_initial_pass: StrictBool = False  # a triage call for every file, even where static evidence opens its chain


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


class RunSettings(BaseModel):
    """Options of one run, given on the command line only: they describe this run, not the project."""

    model_config = _STRICT
    since: str | None = None  # --since REF: analyse only the entry-point files a git diff touches
    budget_usd: float | None = Field(default=None, gt=0)  # --budget: send no call past this estimated spend
    refresh: StrictBool = False  # --refresh: ask the LLM again and overwrite cached answers


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
    run: RunSettings = RunSettings()

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

    @property
    def incremental(self) -> bool:
        """Whether this run plans against the previous state (``--incremental`` or ``--since``)."""
        return self.performance.incremental.enabled or self.run.since is not None

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
        allowed = [name for name in (model.model_fields if model else ()) if name not in ("root", "config_file", "run")]
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


def _config_error(exc: ValidationError, layers: Layered) -> ConfigError:
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
    root = cli_root(cli, cwd)
    config_path = find_config(cli, root, cwd)

    layers = Layered()
    if config_path is not None:
        file_layer = read_config(config_path)
        check_file_keys(file_layer, config_path)
        layers.apply(resolve_paths(copy_layer(file_layer), root), str(config_path))
    for layer, source in environment_layers(environ):
        layers.apply(layer, source)
    cli_layer = {k: v for k, v in copy_layer(cli).items() if k not in ("config", "config_file")}
    cli_layer["root"] = root
    layers.apply(resolve_paths(cli_layer, cwd), "command line")
    layers.data["config_file"] = config_path

    try:
        return Settings.model_validate(layers.data)
    except ValidationError as exc:
        raise _config_error(exc, layers) from None
