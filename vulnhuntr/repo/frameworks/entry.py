"""The entry point record every detector produces."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

KINDS: dict[str, str] = {
    "route": "a request handler",
    "hook": "runs on every request (before_request, after_request...) and reads it through the request object",
    "error-handler": "answers requests that failed; reads them through the request object",
    "middleware": "sees every request; its request parameter is attacker-controlled",
    "dependency": "FastAPI fills its parameters from the request",
    "api-operation": "routed from the OpenAPI spec by connexion; every parameter is request data",
    "socket": "a socket or Socket.IO handler; its arguments are what the client sent",
    "consumer": "a Django Channels consumer; its arguments and self.scope are what the client sent",
}
"""What each value of :attr:`EntryPoint.kind` means; prompts say it for entry points that are not routes."""


@dataclass(frozen=True, order=True)
class EntryPoint:
    """A function where untrusted remote input enters the application."""

    file: str  # relative POSIX path of the handler's module
    function: str  # qualname of the handler: "download", "NoteView.get", "create_app.index"
    line: int  # line of the handler's ``def``
    framework: str  # "flask", "fastapi", "django", "drf", "aws-lambda", ...
    route: str | None = None  # "/notes/<name>" where known
    methods: tuple[str, ...] = ()  # upper-case HTTP methods where known
    kind: str = "route"  # how the request reaches the function: one of KINDS

    def describe(self) -> str:
        """How a prompt names the entry point: the function, and for a non-route what kind it is.

        Only fixed words are added (never the route, which may come from a spec file), and a
        route is its bare name, so prompts for routes are unchanged.
        """
        if self.kind == "route":
            return self.function
        methods = f" {'/'.join(self.methods)}" if self.methods else ""
        note = KINDS.get(self.kind)
        return f"{self.function} ({self.kind}{methods}: {note})" if note else f"{self.function} ({self.kind}{methods})"

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
