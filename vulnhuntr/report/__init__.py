"""Report formats, one module each, all rendered from a :class:`~vulnhuntr.findings.Report`.

``FORMATS`` maps a format name to its renderer (``Report -> str``); the console
report (:func:`print_report`) prints to a rich console instead, so it is not one
of them. :func:`write_reports` writes any of them to files (atomically) or stdout.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

from ..fileio import write_atomic
from ..findings import Report
from ..redact import redact
from .console import print_report
from .json_report import render_json
from .markdown import render_markdown
from .sarif import render_sarif

Renderer = Callable[[Report], str]

FORMATS: dict[str, Renderer] = {"json": render_json, "sarif": render_sarif, "markdown": render_markdown}

EXTENSIONS = {"json": ".json", "sarif": ".sarif", "markdown": ".md"}

DEFAULT_STEM = "vulnhuntr-report"

__all__ = [
    "DEFAULT_STEM",
    "EXTENSIONS",
    "FORMATS",
    "print_report",
    "render_json",
    "render_markdown",
    "render_sarif",
    "report_paths",
    "write_atomic",
    "write_reports",
]


def write_reports(report: Report, formats: list[str], output: Path | None) -> list[Path]:
    """Render *report* in each of *formats* and write it; return the files written.

    Where each format goes (see :func:`report_paths`):

    * ``output`` is None: every format is written to stdout, in the order given
      (nothing returned). Pass a single format when stdout feeds another program.
    * ``output`` is an existing directory: ``<dir>/vulnhuntr-report.{json,sarif,md}``.
    * one format, any other ``output``: that exact file.
    * several formats, any other ``output``: a base path. A report extension
      (``.json``, ``.sarif``, ``.md``) on it is dropped and each format's is added,
      so ``out/scan`` and ``out/scan.json`` both give ``out/scan.json``,
      ``out/scan.sarif`` and ``out/scan.md``.

    Missing parent directories are created. Each file is written to a temporary
    file beside it and moved into place with :func:`os.replace`, so an
    interrupted run never leaves a half-written report (or destroys the last one).
    Everything is rendered before anything is written, and credentials in the
    text (URL user info, secret query values, API keys) are masked.

    Raises :class:`ValueError` for an unknown format.
    """
    formats = _checked(formats)
    rendered = [(fmt, redact(FORMATS[fmt](report))) for fmt in formats]
    if output is None:
        for _, text in rendered:
            sys.stdout.write(text)
        sys.stdout.flush()
        return []
    paths = report_paths(formats, output)
    for (_, text), path in zip(rendered, paths):
        write_atomic(path, text)
    return paths


def report_paths(formats: list[str], output: Path) -> list[Path]:
    """Where :func:`write_reports` puts each format (same order) for this *output*."""
    formats = _checked(formats)
    if output.is_dir():
        return [output / f"{DEFAULT_STEM}{EXTENSIONS[fmt]}" for fmt in formats]
    if len(formats) == 1:
        return [output]
    base = output.with_suffix("") if output.suffix.lower() in EXTENSIONS.values() else output
    return [base.with_name(base.name + EXTENSIONS[fmt]) for fmt in formats]


def _checked(formats: list[str]) -> list[str]:
    """Known formats, duplicates dropped, order kept."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown report format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}")
    if not formats:
        raise ValueError("no report format given")
    return list(dict.fromkeys(formats))
