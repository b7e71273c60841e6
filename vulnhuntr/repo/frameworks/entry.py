"""The entry point record every detector produces."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, order=True)
class EntryPoint:
    """A function where untrusted remote input enters the application."""

    file: str  # relative POSIX path of the handler's module
    function: str  # qualname of the handler: "download", "NoteView.get", "create_app.index"
    line: int  # line of the handler's ``def``
    framework: str  # "flask", "fastapi", "django", "drf", "aws-lambda", ...
    route: str | None = None  # "/notes/<name>" where known
    methods: tuple[str, ...] = ()  # upper-case HTTP methods where known

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "function": self.function,
            "line": self.line,
            "framework": self.framework,
            "route": self.route,
            "methods": list(self.methods),
        }
