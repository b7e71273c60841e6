"""The pre-commit hook: the static pass (no key, no server) on the entry points of the files being committed.

``pre-commit`` passes the staged Python files; the whole repository is mapped (the
per-file index cache makes that cheap after the first run), and findings are kept
when their entry point or their reported line is in one of those files. Inline
suppressions and the triage file apply as in a full scan.

    vulnhuntr-pre-commit app/views.py app/db.py      # what the hook runs
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.text import Text

from .config import load_settings
from .errors import VulnhuntrError
from .logs import configure_logging
from .report.build import only_files
from .report.console import print_report
from .scan import scan

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="vulnhuntr-pre-commit",
        description="Report request data reaching dangerous sinks in the entry points of the given files "
        "(the static pass of vulnhuntr: no LLM, no key).",
    )
    parser.add_argument("files", nargs="*", help="files being committed, relative to the repository root")
    parser.add_argument("-r", "--root", default=".", help="the repository root (default: the current folder)")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    err = Console(stderr=True, highlight=False)
    root = Path(args.root).resolve()
    changed = {_relative(root, f) for f in args.files}
    if not changed:
        return EXIT_OK
    try:
        settings = load_settings({"root": root, "llm": "none"})
        configure_logging(settings.verbosity, settings.log_file)
        report = scan(settings).report
    except VulnhuntrError as exc:
        err.print(Text(f"vulnhuntr: error: {exc}"))
        return EXIT_USAGE
    report = only_files(report, changed)
    if report.findings:
        print_report(report, Console(highlight=False))
    return EXIT_FINDINGS if report.findings else EXIT_OK


def _relative(root: Path, name: str) -> str:
    path = (root / name).resolve()
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else name


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
