"""Settings: layer precedence, config file discovery and error messages."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from vulnhuntr.config import ProviderSettings, Settings, load_settings
from vulnhuntr.errors import ConfigError


@pytest.fixture
def root(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    return repo


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load(root: Path, environ: dict[str, str] | None = None, **cli: object) -> Settings:
    return load_settings({"root": str(root), **cli}, environ or {})


# --------------------------------------------------------------------------- defaults and precedence


def test_defaults_without_any_config(root: Path) -> None:
    settings = load(root)
    assert settings.root == root.resolve()
    assert settings.config_file is None
    assert settings.llm == "claude"
    assert settings.analyze is None
    assert settings.include == [] and settings.exclude == []
    assert settings.max_file_bytes == 2_000_000
    perf = settings.performance
    assert (perf.parallel.enabled, perf.parallel.workers) == (True, 8)
    assert (perf.cache.enabled, perf.cache.directory, perf.cache.ttl_days) == (True, None, 7)
    assert (perf.pruning.enabled, perf.pruning.max_context_size, perf.pruning.entry_point_context_lines) == (
        True,
        60000,
        20,
    )
    assert (perf.incremental.enabled, perf.incremental.state_file) == (False, None)
    assert settings.providers.openai == ProviderSettings()


def test_precedence_defaults_file_environment_cli(root: Path) -> None:
    write(
        root / ".vulnhuntr.yaml",
        """
        llm: ollama
        providers:
          openai: {model: from-file, base_url: http://file}
        performance:
          parallel: {workers: 2, enabled: false}
        """,
    )
    env = {"OPENAI_MODEL": "from-env"}
    cli = {"llm": "gpt", "providers": {"openai": {"model": "from-cli"}}, "performance": {"parallel": {"workers": 4}}}

    settings = load_settings({"root": str(root), **cli}, env)
    assert settings.llm == "gpt"
    assert settings.providers.openai.model == "from-cli"
    assert settings.providers.openai.base_url == "http://file"  # sibling key from the file survives the merge
    assert settings.performance.parallel.workers == 4
    assert settings.performance.parallel.enabled is False  # file beats default
    assert settings.performance.cache.ttl_days == 7  # untouched default

    settings = load_settings({"root": str(root)}, env)
    assert settings.llm == "ollama"
    assert settings.providers.openai.model == "from-env"
    assert settings.performance.parallel.workers == 2

    settings = load_settings({"root": str(root)}, {})
    assert settings.providers.openai.model == "from-file"

    (root / ".vulnhuntr.yaml").unlink()
    settings = load_settings({"root": str(root)}, {})
    assert settings.providers.openai.model is None
    assert settings.llm == "claude"


def test_cli_dict_is_not_mutated(root: Path) -> None:
    cli = {"root": str(root), "performance": {"parallel": {"workers": 3}}}
    load_settings(cli, {})
    assert cli == {"root": str(root), "performance": {"parallel": {"workers": 3}}}


def test_every_setting_accepted_from_yaml(root: Path) -> None:
    (root / "app").mkdir()
    path = write(
        root / ".vulnhuntr.yaml",
        """
        llm: openai
        analyze: app
        verbosity: 1
        include: ["tests/**"]
        exclude: ["legacy/"]
        max_file_bytes: 1000
        providers:
          claude: {model: c, base_url: http://c}
          openai: {model: o, base_url: http://o}
          ollama: {model: l, base_url: http://l}
        performance:
          parallel: {enabled: false, workers: 3}
          cache: {enabled: false, directory: cache-dir, ttl_days: 0}
          pruning: {enabled: false, max_context_size: 1234, entry_point_context_lines: 0}
          incremental: {enabled: true, state_file: state.json}
        """,
    )
    s = load(root)
    assert s.config_file == path
    assert s.llm == "openai" and s.verbosity == 1 and s.max_file_bytes == 1000
    assert s.analyze == root.resolve() / "app"
    assert s.include == ["tests/**"] and s.exclude == ["legacy/"]
    assert s.provider() == ProviderSettings(model="o", base_url="http://o")
    assert s.providers.claude.base_url == "http://c" and s.providers.ollama.model == "l"
    p = s.performance
    assert (p.parallel.enabled, p.parallel.workers) == (False, 3)
    assert (p.cache.enabled, p.cache.directory, p.cache.ttl_days) == (False, root.resolve() / "cache-dir", 0)
    assert (p.pruning.enabled, p.pruning.max_context_size, p.pruning.entry_point_context_lines) == (False, 1234, 0)
    assert (p.incremental.enabled, p.incremental.state_file) == (True, root.resolve() / "state.json")


def test_yml_extension_and_empty_file(root: Path) -> None:
    path = write(root / ".vulnhuntr.yml", "")
    assert load(root).config_file == path


def test_yaml_preferred_over_pyproject(root: Path) -> None:
    write(root / "pyproject.toml", "[tool.vulnhuntr]\nllm = 'ollama'\n")
    yaml_path = write(root / ".vulnhuntr.yaml", "llm: gpt\n")
    settings = load(root)
    assert (settings.config_file, settings.llm) == (yaml_path, "gpt")


# --------------------------------------------------------------------------- pyproject and --config


def test_pyproject_tool_table(root: Path) -> None:
    path = write(
        root / "pyproject.toml",
        """
        [project]
        name = "app"

        [tool.vulnhuntr]
        llm = "ollama"
        exclude = ["migrations/"]

        [tool.vulnhuntr.performance.parallel]
        workers = 2
        """,
    )
    settings = load(root)
    assert settings.config_file == path
    assert settings.llm == "ollama"
    assert settings.exclude == ["migrations/"]
    assert settings.performance.parallel.workers == 2


def test_pyproject_without_table_is_not_a_config(root: Path) -> None:
    write(root / "pyproject.toml", "[project]\nname = 'app'\n")
    assert load(root).config_file is None


def test_broken_pyproject_of_scanned_repo_is_ignored(root: Path) -> None:
    write(root / "pyproject.toml", "[project\nname = \n")
    assert load(root).config_file is None


def test_broken_pyproject_mentioning_vulnhuntr_is_an_error(root: Path) -> None:
    path = write(root / "pyproject.toml", "[tool.vulnhuntr]\nllm = \n")
    with pytest.raises(ConfigError, match=f"{path}: invalid TOML"):
        load(root)


def test_explicit_config_wins_over_root_file(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(root / ".vulnhuntr.yaml", "llm: ollama\n")
    other = write(tmp_path / "custom.yaml", "llm: gpt\n")
    monkeypatch.chdir(tmp_path)
    settings = load(root, config="custom.yaml")  # relative to the working directory
    assert (settings.config_file, settings.llm) == (other, "gpt")


def test_explicit_toml_config(root: Path, tmp_path: Path) -> None:
    standalone = write(tmp_path / "vulnhuntr.toml", "llm = 'ollama'\n")
    assert load(root, config=str(standalone)).llm == "ollama"


def test_missing_config_file_is_an_error(root: Path) -> None:
    with pytest.raises(ConfigError, match=r"--config .*nope\.yaml: no such file"):
        load(root, config=str(root / "nope.yaml"))


# --------------------------------------------------------------------------- environment


def test_environment_variables_fill_providers(root: Path) -> None:
    env = {
        "ANTHROPIC_MODEL": "claude-x",
        "ANTHROPIC_BASE_URL": "http://anthropic",
        "OPENAI_MODEL": "gpt-x",
        "OPENAI_BASE_URL": "http://openai",
        "OLLAMA_MODEL": "llama-x",
        "OLLAMA_BASE_URL": "http://ollama",
        "ANTHROPIC_API_KEY": "sk-secret",
    }
    settings = load(root, env)
    assert settings.providers.claude == ProviderSettings(model="claude-x", base_url="http://anthropic")
    assert settings.providers.openai == ProviderSettings(model="gpt-x", base_url="http://openai")
    assert settings.providers.ollama == ProviderSettings(model="llama-x", base_url="http://ollama")
    assert "sk-secret" not in settings.model_dump_json()


def test_empty_environment_variables_are_ignored(root: Path) -> None:
    write(root / ".vulnhuntr.yaml", "providers: {ollama: {base_url: http://file}}\n")
    settings = load(root, {"OLLAMA_BASE_URL": "", "OLLAMA_MODEL": "  "})
    assert settings.providers.ollama == ProviderSettings(model=None, base_url="http://file")


def test_provider_helper_maps_llm_names(root: Path) -> None:
    env = {"ANTHROPIC_MODEL": "a", "OPENAI_MODEL": "o", "OLLAMA_MODEL": "l"}
    assert load(root, env, llm="claude").provider().model == "a"
    assert load(root, env, llm="gpt").provider().model == "o"
    assert load(root, env, llm="openai").provider().model == "o"
    assert load(root, env, llm="ollama").provider().model == "l"
    assert load(root, env, llm="none").provider() == ProviderSettings()


# --------------------------------------------------------------------------- errors


def test_unknown_key_names_key_allowed_keys_and_file(root: Path) -> None:
    path = write(root / ".vulnhuntr.yaml", "performance:\n  parallel:\n    workrs: 4\n")
    with pytest.raises(ConfigError) as info:
        load(root)
    assert str(info.value) == f"{path}: performance.parallel.workrs: unknown key (allowed: enabled, workers)"


def test_unknown_top_level_key(root: Path) -> None:
    path = write(root / ".vulnhuntr.yaml", "modle: gpt-4\n")
    with pytest.raises(ConfigError, match=rf"^{path}: modle: unknown key \(allowed: analyze, llm, "):
        load(root)


def test_wrong_type_names_key_value_and_file(root: Path) -> None:
    path = write(root / ".vulnhuntr.yaml", "performance:\n  cache:\n    ttl_days: soon\n")
    with pytest.raises(ConfigError) as info:
        load(root)
    assert str(info.value) == f"{path}: performance.cache.ttl_days: expected a number, got 'soon'"


def test_one_line_per_problem_each_with_its_source(root: Path) -> None:
    path = write(root / ".vulnhuntr.yaml", "max_file_bytes: lots\nperformance: {parallel: {workers: 2}}\n")
    cli = {"llm": "bard", "performance": {"parallel": {"workers": 0}}}
    with pytest.raises(ConfigError) as info:
        load(root, **cli)
    lines = str(info.value).splitlines()
    assert f"{path}: max_file_bytes: expected an integer, got 'lots'" in lines
    assert any(line.startswith("command line: llm: expected one of 'claude'") for line in lines)
    assert "command line: performance.parallel.workers: must be >= 1, got 0" in lines
    assert len(lines) == 3


def test_negative_ttl_rejected(root: Path) -> None:
    with pytest.raises(ConfigError, match="performance.cache.ttl_days: must be >= 0"):
        load(root, performance={"cache": {"ttl_days": -1}})


def test_section_that_is_not_a_mapping(root: Path) -> None:
    path = write(root / ".vulnhuntr.yaml", "performance: fast\n")
    with pytest.raises(ConfigError, match=rf"^{path}: performance: expected a mapping, got 'fast'$"):
        load(root)


def test_invalid_yaml_names_file_and_line(root: Path) -> None:
    path = write(root / ".vulnhuntr.yaml", "llm: gpt\nperformance:\n  parallel: [1, 2\n")
    with pytest.raises(ConfigError, match=rf"^{path}:\d+: invalid YAML"):
        load(root)


def test_yaml_that_is_not_a_mapping(root: Path) -> None:
    path = write(root / ".vulnhuntr.yaml", "- llm\n- gpt\n")
    with pytest.raises(ConfigError, match=rf"^{path}: expected a mapping of settings, got a list"):
        load(root)


def test_config_file_cannot_set_root(root: Path) -> None:
    write(root / ".vulnhuntr.yaml", "root: /elsewhere\n")
    with pytest.raises(ConfigError, match="root: cannot be set in a config file"):
        load(root)


# --------------------------------------------------------------------------- root and analyze


def test_root_must_be_an_existing_directory(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(ConfigError, match=f"^--root {missing}: no such directory$"):
        load_settings({"root": str(missing)}, {})
    a_file = write(tmp_path / "file.py", "")
    with pytest.raises(ConfigError, match=f"^--root {a_file}: not a directory$"):
        load_settings({"root": str(a_file)}, {})
    with pytest.raises(ConfigError, match="--root"):
        load_settings({}, {})


def test_relative_root_and_analyze_resolve_against_cwd(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (root / "app").mkdir()
    monkeypatch.chdir(root.parent)
    settings = load_settings({"root": "repo", "analyze": "repo/app"}, {})
    assert settings.root == root.resolve()
    assert settings.analyze == root.resolve() / "app"


def test_analyze_outside_root_is_an_error(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.touch()
    with pytest.raises(ConfigError, match=r"^command line: analyze: .*outside the root"):
        load(root, analyze=str(outside))


def test_analyze_must_exist(root: Path) -> None:
    path = write(root / ".vulnhuntr.yaml", "analyze: nope/\n")
    with pytest.raises(ConfigError, match=rf"^{path}: analyze: .*no such file or directory"):
        load(root)


def test_verbosity_capped(root: Path) -> None:
    assert load(root, verbosity=5).verbosity == 2
    with pytest.raises(ConfigError, match="verbosity"):
        load(root, verbosity=-1)


def test_the_readme_configuration_example_is_valid(tmp_path: Path) -> None:
    """The YAML users copy from the README must load as it is."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / ".vulnhuntr.yaml").write_text(example, encoding="utf-8")
    settings = load_settings({"root": str(tmp_path)}, environ={})
    assert settings.performance.parallel.workers == 8
    assert settings.rate_limits.claude.requests_per_minute == 50


def test_run_options_come_from_the_command_line_only(root: Path) -> None:
    from vulnhuntr.cli_args import build_parser, cli_overrides

    args = build_parser().parse_args(["-r", str(root), "--since", "main", "--budget", "2.5", "--refresh"])
    settings = load_settings(cli_overrides(args), {})
    assert (settings.run.since, settings.run.budget_usd, settings.run.refresh) == ("main", 2.5, True)
    assert settings.incremental and not settings.performance.incremental.enabled  # --since plans incrementally
    plain = load(root)
    assert (plain.run.since, plain.run.budget_usd, plain.run.refresh, plain.incremental) == (None, None, False, False)
    write(root / ".vulnhuntr.yaml", "run:\n  budget_usd: 5\n")
    with pytest.raises(ConfigError, match="run: cannot be set in a config file, use the command line"):
        load(root)
