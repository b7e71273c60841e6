"""Command line: arguments → Settings → ``scan()`` → output → exit code.

Exit codes follow bandit: 0 clean, 1 findings, 2 usage or configuration error (or nothing
could be analysed), 3 incomplete (something was not analysed and nothing was found), 130 interrupted.
Scanned code is untrusted, so nothing it contains is ever rendered as rich markup.
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from . import __version__
from .errors import VulnhuntrError

if TYPE_CHECKING:  # the pipeline is imported by the command that runs it, so `import vulnhuntr.cli` stays light
    from .analysis.plan import Plan
    from .config import Settings
    from .findings import Report
    from .repo.map import RepositoryMap
    from .scan import ScanResult

def scan(settings: Settings, **options: Any) -> ScanResult:
    """:func:`vulnhuntr.scan.scan`, imported when a scan runs."""
    from .scan import scan as run_scan

    return run_scan(settings, **options)


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
    from .triage.decisions import FILE_NAME as TRIAGE_FILE

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
    parser.add_argument("--max-rounds", type=int, metavar="N", help="context rounds per vulnerability type (default 7)")
    parser.add_argument(
        "--workers", type=int, metavar="N", help="LLM calls in flight at once (default 8; 1 = one at a time)"
    )
    parser.add_argument("--parallel", action="store_true", help="accepted for compatibility: analysis is parallel by default")
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
    }
    return {key: value for key, value in given.items() if value is not None}


def _analysis_overrides(args: argparse.Namespace) -> dict[str, Any]:
    analysis: dict[str, Any] = {}
    if args.max_rounds is not None:
        analysis["max_rounds"] = args.max_rounds
    if args.prefilter:
        analysis["prefilter"] = True
    return analysis


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


def _as_baseline_run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
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


def _interrupt_on_sigterm() -> None:
    """SIGTERM (a CI job cancelled, ``kill``) stops the run like Ctrl-C: partial report, answers kept."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread (the CLI called from a library): leave signals alone
        pass


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _interrupt_on_sigterm()
    if argv[:1] == ["cache"]:
        from . import cache_cli

        return cache_cli.main(argv[1:])
    baseline_create = argv[:2] == ["baseline", "create"]
    if baseline_create:
        argv = argv[2:]
    parser = build_parser()
    args = parser.parse_args(argv)
    if baseline_create:
        _as_baseline_run(args, parser)
    if args.format and len(set(args.format)) > 1 and not args.output and not args.list_entrypoints:
        parser.error("several --format values need --output (a folder or a base file name)")
    err = Console(stderr=True, highlight=False)
    from .analysis.progress import progress_for
    from .config import load_settings
    from .logs import configure_logging
    from .report.console import clean

    try:
        settings = load_settings(cli_overrides(args))
        configure_logging(settings.verbosity, settings.log_file)
        if args.list_entrypoints:
            return list_entry_points(settings, json_output=bool(args.format and "json" in args.format), err=err)
        if args.dry_run:
            return dry_run(settings, Console(highlight=False), since=args.since)
        if args.clear_cache:
            clear_cache(settings, err)
        result = scan(
            settings, progress=progress_for(err, args.quiet), budget_usd=args.budget, refresh=args.refresh, since=args.since
        )
        output = Path(args.output) if args.output else None
        code = finish(result, args.format or [], output, err, show_suppressed=settings.triage.show_suppressed)
        return EXIT_OK if baseline_create and code == EXIT_FINDINGS else code
    except VulnhuntrError as exc:
        err.print(Text(f"vulnhuntr: error: {exc}"))
        return EXIT_USAGE
    except KeyboardInterrupt:
        err.print(Text("vulnhuntr: interrupted"))
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - a bug must not look like "findings" (exit 1) or print a traceback
        if args.verbose >= 2:
            raise
        err.print(Text(clean(f"vulnhuntr: internal error: {type(exc).__name__}: {exc} (-vv shows the traceback)")))
        return EXIT_USAGE


def list_entry_points(settings: Settings, *, json_output: bool, err: Console) -> int:
    from .repo.map import map_repository
    from .store import Store

    store = Store.open(settings.performance.cache.directory) if settings.performance.cache.enabled else None
    try:
        repository = map_repository(settings, store)  # unchanged files and entry points come from the store
    finally:
        if store is not None:
            store.close()
    if json_output:
        sys.stdout.write(json.dumps(repository.to_dict(), indent=2) + "\n")
    else:
        print_entry_points(repository, Console(highlight=False))
        print_skipped(repository, err)
    return EXIT_OK


def finish(
    result: ScanResult, formats: list[str], output: Path | None, err: Console, *, show_suppressed: bool = False
) -> int:
    """Print the console report, write the requested formats, choose the exit code.

    The exit code counts only reported findings: suppressed ones and a baseline's are not.
    """
    from .report import write_reports
    from .report.console import clean, print_attack_surface, print_report

    report = result.report
    console = err if formats and output is None else Console(highlight=False)
    if report.provider == "none":
        repository = result.repository
        entries = [e for e in repository.entry_points if repository.in_scope(e.file)]
        print_attack_surface(entries, len(repository.files), len(repository.skipped), console)
    print_report(report, console, show_suppressed=show_suppressed)
    for note in report.notes:
        err.print(Text(clean(note), style="yellow"))
    if formats:
        for path in write_reports(report, formats, output):
            err.print(Text(f"report written to {path}"))
    code = exit_code(report)
    if code == EXIT_USAGE:
        first = next((e.reason for e in report.errors if e.stage in ("llm", "analysis", "budget")), "see the errors")
        err.print(Text(clean(f"vulnhuntr: error: nothing could be analysed: every analysis failed or was not run "
                             f"({first})")))
    return code


def exit_code(report: Report) -> int:
    """The one place a report becomes an exit code: a scan that did not analyse everything never exits 0."""
    if report.stop_reason == "interrupted":
        return EXIT_INTERRUPTED
    if report.findings:
        return EXIT_FINDINGS
    if report.analyses_total and report.analyses_failed >= report.analyses_total:
        return EXIT_USAGE  # nothing could be analysed: a broken server or model, not a clean repository
    return EXIT_OK if report.complete else EXIT_INCOMPLETE


def clear_cache(settings: Settings, err: Console) -> None:
    from .store import Store

    store = Store.open(settings.performance.cache.directory)
    try:
        err.print(Text(f"cache cleared: {store.clear()} entries removed from {store.path}"))
    finally:
        store.close()


def dry_run(settings: Settings, console: Console, since: str | None = None) -> int:
    """The plan of a scan and its cost range; no provider is created, so no key is needed.

    With ``--incremental`` or ``--since``, only the files that would be re-analysed are planned.
    """
    from .analysis.plan import make_plan
    from .incremental import IncrementalRun
    from .llm.pricing import price_for
    from .llm.registry import model_name, provider_family
    from .repo.map import map_repository
    from .report.console import clean
    from .store import Store

    model = model_name(settings)
    price = price_for(provider_family(settings.llm), model, settings.pricing) if model else None
    incremental = settings.performance.incremental.enabled or since is not None
    caching = incremental or settings.performance.cache.enabled
    store = Store.open(settings.performance.cache.directory) if caching else None
    try:
        repository = map_repository(settings, store)
        only = None
        if incremental:
            run = IncrementalRun.begin(repository, settings, store, model=model, since=since)
            only = run.plan.to_analyse
            for note in run.summary().reanalysed:
                console.print(Text(clean(f"re-analyse {note.file}: {note.reason}")))
            console.print(Text(f"{len(run.plan.reused)} entry-point files would be reused from {run.baseline}"))
    finally:
        if store is not None:
            store.close()
    plan = make_plan(repository, settings, price, only=only)
    table = Table(title=f"Plan: {len(plan.files)} entry-point files, model {model or '(none)'}")
    for column in ("file", "entry points", "code tokens"):
        table.add_column(column)
    for file, entries, tokens in plan.files:
        table.add_row(Text(clean(file)), str(entries), f"{tokens:,}")
    console.print(table)
    print_unreached_plan(plan, console)
    for label, estimate in (("least", plan.low), ("typical", plan.typical), ("most", plan.high)):
        dollars = f"${estimate.cost_usd:.2f}" if estimate.cost_usd is not None else "unknown price"
        console.print(
            Text(f"{label:>8}: {estimate.calls:,} calls, {estimate.input_tokens:,} input + "
                 f"{estimate.output_tokens:,} output tokens, {dollars}")
        )
    return EXIT_OK


def print_unreached_plan(plan: Plan, console: Console) -> None:
    """Modules with sinks no entry point reaches: each gets a chain after the entry-point files (counted above)."""
    from .report.console import clean

    if plan.unreached:
        table = Table(title=f"{len(plan.unreached)} unreached sink modules (no entry point reaches them), "
                            "each analysed after the entry-point files")
        for column in ("module", "sink calls", "code tokens"):
            table.add_column(column)
        for file, sinks, tokens in plan.unreached:
            table.add_row(Text(clean(file)), str(sinks), f"{tokens:,}")
        console.print(table)
    if plan.unreached_left_out:
        console.print(Text(clean(f"{len(plan.unreached_left_out)} more unreached sink modules left out by "
                                 f"analysis.unreached_modules: {', '.join(plan.unreached_left_out)}")))


def print_entry_points(result: RepositoryMap, console: Console) -> None:
    """A table of the attack surface; every cell is plain text, never markup."""
    from .report.console import clean

    table = Table(title=f"{len(result.entry_points)} entry points in {escape(clean(str(result.root)))}")
    for column in ("file", "line", "function", "framework", "kind", "route", "methods"):
        table.add_column(column, overflow="fold")
    for entry in sorted((e for e in result.entry_points if result.in_scope(e.file)), key=lambda e: (e.file, e.line)):
        cells = (
            entry.file,
            str(entry.line),
            entry.function,
            entry.framework,
            entry.kind,
            entry.route or "",
            ",".join(entry.methods),
        )
        table.add_row(*(Text(clean(cell)) for cell in cells))
    console.print(table)
    console.print(Text(f"{len(result.files)} Python files scanned, {len(result.skipped)} skipped"))


def print_skipped(result: RepositoryMap, console: Console) -> None:
    from .report.console import clean

    for skipped in result.skipped:
        console.print(Text(clean(f"skipped {skipped.path}: {skipped.reason}")))
