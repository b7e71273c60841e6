"""The entry point record every detector produces."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

KINDS: dict[str, str] = {
    "route": "a URL route, view or request handler",
    "hook": "runs around every request (before_request, after_request, url_value_preprocessor...)",
    "error-handler": "answers a request that raised an error",
    "middleware": "wraps every request (Django, Starlette, aiohttp middleware)",
    "dependency": "a FastAPI dependency: its parameters are read from the request",
    "api-operation": "an OpenAPI/Swagger operation routed by connexion",
    "socket": "a socket or Socket.IO event handler: its arguments are client data",
    "consumer": "a Django Channels consumer method",
}
"""What each value of :attr:`EntryPoint.kind` means (said in listings and prompts)."""


@dataclass(frozen=True, order=True)
class EntryPoint:
    """A function where untrusted remote input enters the application."""

    file: str  # relative POSIX path of the handler's module
    function: str  # qualname of the handler: "download", "NoteView.get", "create_app.index"
    line: int  # line of the handler's ``def``
    framework: str  # "flask", "fastapi", "django", "drf", "aws-lambda", ...
    route: str | None = None  # "/notes/<name>" where known
    methods: tuple[str, ...] = ()  # upper-case HTTP methods where known
    kind: str = "route"  # one of KINDS: how the request reaches the function

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown entry-point kind {self.kind!r}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "function": self.function,
            "line": self.line,
            "framework": self.framework,
            "route": self.route,
            "methods": list(self.methods),
            "kind": self.kind,
        }
