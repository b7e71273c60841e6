"""Structured JSON-lines logging to a file that survives runs.

Each run appends; nothing ever truncates an earlier log. API keys never reach
the log: providers are given keys by the SDKs from the environment and we log
only our own messages, with anything that looks like a credential masked.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

import platformdirs

from .redact import redact

SDK_LOGGERS = ("httpx", "httpx2", "httpcore", "httpcore2", "anthropic", "openai", "ollama", "urllib3")
"""Loggers of the provider SDK stacks: at INFO they print every request URL, user info included."""


def default_log_file() -> Path:
    return Path(platformdirs.user_state_dir("vulnhuntr")) / "vulnhuntr.log"


class RedactingFormatter(logging.Formatter):
    """The console's format, with credentials masked like everywhere else."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (secrets masked)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(verbosity: int, log_file: Path | None) -> Path | None:
    """Console messages by verbosity on stderr; everything at INFO and above to the JSON log file.

    Returns the log file in use, or None when it could not be opened (the run goes on).
    """
    root = logging.getLogger()
    root.handlers.clear()
    root.setLevel(logging.DEBUG)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG)
    console.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(console)
    for noisy in SDK_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING if verbosity < 2 else logging.DEBUG)
    path = log_file or default_log_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, mode="a", encoding="utf-8")
    except OSError as exc:
        logging.getLogger(__name__).warning("cannot write the log file %s: %s", path, exc)
        return None
    handler.setLevel(logging.INFO)
    handler.setFormatter(JsonLinesFormatter())
    root.addHandler(handler)
    return path
