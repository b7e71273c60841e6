"""Command line: arguments → Settings → ``scan()`` → output → exit code.

Exit codes follow bandit: 0 clean, 1 findings, 2 usage or configuration error (or nothing
could be analysed), 3 incomplete (something was not analysed and nothing was found), 130 interrupted.
Scanned code is untrusted, so nothing it contains is ever rendered as rich markup.
"""

from __future__ import annotations

import gc
import json
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Sequence

from rich.console import Console
from rich.text import Text

from .cli_args import (
    EXIT_FINDINGS,
    EXIT_INCOMPLETE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    as_baseline_run,
    build_parser,
    cli_overrides,
)
from .errors import VulnhuntrError

if TYPE_CHECKING:  # the pipeline is imported by the command that runs it, so `import vulnhuntr.cli` stays light
    from .config import Settings
    from .findings import Report
    from .scan import ScanResult


def scan(settings: Settings, **options: Any) -> ScanResult:
    """:func:`vulnhuntr.scan.scan`, imported when a scan runs."""
    from .scan import scan as run_scan

    return run_scan(settings, **options)


def _interrupt_on_sigterm() -> None:
    """SIGTERM (a CI job cancelled, ``kill``) stops the run like Ctrl-C: partial report, answers kept."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread (the CLI called from a library): leave signals alone
        pass


def entry() -> NoReturn:
    """The ``vulnhuntr`` command: :func:`main`, then an exit that skips walking the heap.

    The reports are written and the streams flushed by then; what is left is the
    interpreter's last collections, which walk every object of the scan (the index,
    the SDK's types) only to free memory the OS takes back at exit anyway: 0.3-0.4 s
    of a scan of the example apps. Frozen objects are left out of those collections;
    exit handlers and the streams' flushing run as usual.
    """
    code = main()
    gc.freeze()
    sys.exit(code)


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
        as_baseline_run(args, parser)
    if args.format and len(set(args.format)) > 1 and not args.output and not args.list_entrypoints:
        parser.error("several --format values need --output (a folder or a base file name)")
    err = Console(stderr=True, highlight=False)
    from .config import load_settings
    from .logs import configure_logging
    from .report.console import clean
    from .report.progress_console import progress_for

    try:
        settings = load_settings(cli_overrides(args))
        configure_logging(settings.verbosity, settings.log_file)
        if args.list_entrypoints:
            return list_entry_points(settings, json_output=bool(args.format and "json" in args.format), err=err)
        if args.dry_run:
            return dry_run(settings, Console(highlight=False))
        if args.clear_cache:
            clear_cache(settings, err)
        result = scan(settings, progress=progress_for(err, args.quiet))
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
    """The attack surface: the scan stopped after its map."""
    from .report.preview import print_entry_points, print_skipped
    from .scan import survey

    repository = survey(settings, plan=False).repository
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


def dry_run(settings: Settings, console: Console) -> int:
    """The plan of a scan and its cost range: the scan stopped after its plan, no provider created (no key needed).

    With ``--incremental`` or ``--since``, only the files that would be re-analysed are planned.
    """
    from .analysis.plan import make_plan
    from .analysis.prompts import system_prompt_tokens
    from .pricing import price_for
    from .llm.registry import model_name, provider_family
    from .report.preview import print_plan, print_reuse
    from .scan import survey

    model = model_name(settings)
    price = price_for(provider_family(settings.llm), model, settings.pricing) if model else None
    surveyed = survey(settings, plan=True)
    if surveyed.incremental is not None:
        print_reuse(surveyed.incremental.summary(), console)
    targets = surveyed.targets
    if targets is None:  # survey(plan=True) always chooses them
        raise RuntimeError("the survey chose no targets")
    plan = make_plan(targets, surveyed.repository, settings, price, system_tokens=system_prompt_tokens())
    print_plan(plan, model, console)
    return EXIT_OK
