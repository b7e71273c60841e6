"""The command line's interface: its options, help text and exit codes, and the options as Settings.

:func:`build_parser` defines every option; :func:`cli_overrides` keeps only
those the user gave, nested like :class:`~vulnhuntr.config.Settings`, so that
the command line is the top configuration layer and nothing else reads ``args``.
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any, NoReturn

from . import __version__
from .triage import FILE_NAME as TRIAGE_FILE

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
EXIT_INTERRUPTED = 130

DESCRIPTION = """\
Find remotely exploitable vulnerabilities (LFI, RCE, SSRF, AFO, SQLI, XSS, IDOR) in a
Python web application: start at its entry points (routes, views, handlers), follow
the calls across files and ask an LLM whether untrusted input reaches a dangerous sink.
Without an LLM, a static source-to-sink pass reports the paths it finds, marked unconfirmed.
"""

EPILOG = """\
examples:
  vulnhuntr -r path/to/repo --list-entrypoints            the attack surface, no LLM needed
  vulnhuntr -r path/to/repo -l claude                      analyse with Claude (needs ANTHROPIC_API_KEY)
  vulnhuntr -r path/to/repo -a app/views.py -l gpt         one file, with OpenAI (OPENAI_API_KEY)
  OPENAI_BASE_URL=http://localhost:8000/v1 vulnhuntr -r path/to/repo -l openai   a local server
  vulnhuntr -r path/to/repo -l ollama                      a local Ollama model (OLLAMA_MODEL)
  vulnhuntr -r path/to/repo --format sarif -o results.sarif
  vulnhuntr cache stats                                    what the answer cache holds and saved
  vulnhuntr cache clear --older-than 30
  vulnhuntr -r . --incremental                             re-analyse only what changed since the last run
  vulnhuntr -r . --since origin/main --format sarif -o pr.sarif   a pull request's changes only
  vulnhuntr baseline create -r . -o baseline.json          record today's findings as the baseline
  vulnhuntr -r . --baseline baseline.json                  report (and fail on) new findings only

configuration: defaults < .vulnhuntr.yaml at the root (or --config FILE, or
[tool.vulnhuntr] in pyproject.toml) < environment (ANTHROPIC_MODEL, ANTHROPIC_BASE_URL,
OPENAI_MODEL, OPENAI_BASE_URL, OLLAMA_MODEL, OLLAMA_BASE_URL) < command line.

exit codes: 0 nothing found, 1 findings reported, 2 usage, configuration or authentication
error, or nothing could be analysed, 3 incomplete (some analysis failed or was skipped, and
nothing was found), 130 interrupted.
"""


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in one line and exits 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"vulnhuntr: error: {message} (see vulnhuntr --help)\n")
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="vulnhuntr",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-r", "--root", required=True, help="root folder of the project to scan")
    parser.add_argument("-a", "--analyze", metavar="PATH", help="only analyse this file or folder inside the root")
    parser.add_argument(
        "-l",
        "--llm",
        choices=["claude", "gpt", "ollama", "openai", "none"],
        help="LLM provider: claude (default), gpt/openai (OpenAI or any OpenAI-compatible server), "
        "ollama, or none (static pass only; also what a scan does with no -l and no ANTHROPIC_API_KEY)",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more detail on stderr (-vv for debug)")
    parser.add_argument("--config", metavar="FILE", help="configuration file (default: ROOT/.vulnhuntr.yaml)")
    parser.add_argument(
        "--include", action="append", metavar="GLOB", help="also scan files matching GLOB (gitignore syntax), repeatable"
    )
    parser.add_argument(
        "--exclude", action="append", metavar="GLOB", help="skip files matching GLOB (gitignore syntax), repeatable"
    )
    parser.add_argument("--max-file-bytes", type=int, metavar="N", help="skip files larger than N bytes")
    parser.add_argument(
        "--list-entrypoints", action="store_true", help="print the entry points found and exit (no LLM involved)"
    )
    parser.add_argument(
        "--min-confidence", type=int, metavar="N", help="report findings with confidence >= N (0-10, default 7)"
    )
    parser.add_argument("--max-rounds", type=int, metavar="N", help="context rounds of an entry-point file's chain, which judges all its suspected types (default 7)")
    parser.add_argument(
        "--workers", type=int, metavar="N", help="LLM calls in flight at once (default 8; 1 = one at a time)"
    )
    parser.add_argument(
        "--parallel", action="store_true",
        help="has no effect; accepted for compatibility with the original vulnhuntr (analysis is always parallel)",
    )
    parser.add_argument(
        "--format",
        action="append",
        choices=["json", "sarif", "markdown"],
        help="report format, repeatable (default: console only); with --list-entrypoints, json prints JSON",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="write the report here: a file for one format, a folder for several (default: stdout)",
    )
    parser.add_argument("--log-file", metavar="FILE", help="JSON-lines log (default: in the user state directory)")
    parser.add_argument(
        "--budget", type=_positive_usd, metavar="USD",
        help="stop sending LLM calls once the estimated spend would pass USD; what was skipped is reported",
    )
    parser.add_argument(
        "--dry-run", action="store_true",
        help="print the plan (files, estimated calls, tokens and cost range) and call no LLM",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    parser.add_argument(
        "--prefilter", action="store_true",
        help="send to the LLM only entry-point files where the static pass found a candidate (cheaper, may miss)",
    )
    parser.add_argument(
        "--all-entrypoints", action="store_true",
        help="also analyse routes that read no request data and reach no sink (left out by default)",
    )
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the answer cache")
    parser.add_argument(
        "--no-prune", action="store_true",
        help="send whole entry-point files and let the model ask for every helper (more tokens and rounds)",
    )
    parser.add_argument("--refresh", action="store_true", help="ask the LLM again and overwrite cached answers")
    parser.add_argument("--cache-dir", metavar="DIR", help="the persistent store's folder (default: user cache dir)")
    parser.add_argument("--clear-cache", action="store_true", help="empty the store before scanning")
    parser.add_argument(
        "--incremental", action="store_true",
        help="analyse only entry-point files whose code or call chain changed since the last run; reuse the rest",
    )
    parser.add_argument(
        "--since", metavar="REF",
        help="pull-request mode: analyse only entry-point files a git diff REF...HEAD (plus uncommitted changes) touches",
    )
    triage = parser.add_argument_group("judged findings (see README: Suppressions and baselines)")
    triage.add_argument(
        "--baseline", metavar="REPORT.json",
        help="a JSON report of an earlier run: report (and count in the exit code) only findings not in it",
    )
    triage.add_argument(
        "--triage-file", metavar="FILE",
        help=f"fingerprints judged false_positive or accepted (default: {TRIAGE_FILE} at the root, if present)",
    )
    triage.add_argument(
        "--show-suppressed", action="store_true",
        help="also list findings silenced by '# vulnhuntr: ignore' comments or the triage file",
    )
    triage.add_argument(
        "--report-unused-suppressions", action="store_true",
        help="list '# vulnhuntr: ignore' comments that matched no finding",
    )
    parser.add_argument("--version", action="version", version=f"vulnhuntr {__version__}")
    return parser


def cli_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Only the options the user actually gave, shaped like Settings."""
    given: dict[str, Any] = {
        "root": args.root,
        "analyze": args.analyze,
        "llm": args.llm,
        "config": args.config,
        "include": args.include,
        "exclude": args.exclude,
        "max_file_bytes": args.max_file_bytes,
        "verbosity": args.verbose or None,
        "min_confidence": args.min_confidence,
        "log_file": args.log_file,
        "analysis": _analysis_overrides(args) or None,
        "performance": _performance_overrides(args) or None,
        "triage": _triage_overrides(args) or None,
        "run": _run_overrides(args) or None,
    }
    return {key: value for key, value in given.items() if value is not None}


def _analysis_overrides(args: argparse.Namespace) -> dict[str, Any]:
    analysis: dict[str, Any] = {}
    if args.max_rounds is not None:
        analysis["max_rounds"] = args.max_rounds
    if args.prefilter:
        analysis["prefilter"] = True
    if args.all_entrypoints:
        analysis["all_entrypoints"] = True
    return analysis


def _run_overrides(args: argparse.Namespace) -> dict[str, Any]:
    run: dict[str, Any] = {}
    if args.since is not None:
        run["since"] = args.since
    if args.budget is not None:
        run["budget_usd"] = args.budget
    if args.refresh:
        run["refresh"] = True
    return run


def _triage_overrides(args: argparse.Namespace) -> dict[str, Any]:
    triage: dict[str, Any] = {}
    if args.baseline:
        triage["baseline"] = args.baseline
    if args.triage_file:
        triage["triage_file"] = args.triage_file
    if args.show_suppressed:
        triage["show_suppressed"] = True
    if args.report_unused_suppressions:
        triage["report_unused_suppressions"] = True
    return triage


def _performance_overrides(args: argparse.Namespace) -> dict[str, Any]:
    performance: dict[str, Any] = {}
    if args.workers is not None:
        performance["parallel"] = {"workers": args.workers}
    cache: dict[str, Any] = {}
    if args.no_cache:
        cache["enabled"] = False
    if args.cache_dir:
        cache["directory"] = args.cache_dir
    if cache:
        performance["cache"] = cache
    if args.no_prune:
        performance["pruning"] = {"enabled": False}
    if args.incremental:
        performance["incremental"] = {"enabled": True}
    return performance


def as_baseline_run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """``vulnhuntr baseline create -o FILE [scan options]``: a scan whose JSON report is the baseline."""
    if not args.output:
        parser.error("baseline create needs -o FILE: where to write the baseline (a JSON report)")
    if args.baseline or args.list_entrypoints or args.dry_run:
        parser.error("baseline create is a scan: --baseline, --list-entrypoints and --dry-run do not apply")
    args.format = ["json"]


def _positive_usd(text: str) -> float:
    """``--budget``: a positive, finite number of US dollars."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of dollars: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 dollars, got {text}")
    return value
