"""What a fake call is and how it is answered: the recorded request, the reply, the rules.

Shared by every protocol module; a protocol only parses a body into a
:class:`FakeRequest` and renders a :class:`Reply` in its own wire shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from .server import FakeLLM

ProtocolName = str  # "anthropic" | "openai" | "ollama"
Responder = Callable[["FakeRequest"], "Reply | None"]

_NO_SCRIPT = "no scripted answer for this prompt"


# --------------------------------------------------------------------------- data


@dataclass
class FakeRequest:
    """One model call as the server saw it, so tests can assert on what was sent."""

    protocol: ProtocolName
    model: str
    system: str
    prompt: str
    schema: dict[str, Any] | None
    body: dict[str, Any]
    headers: dict[str, str]
    started: float = 0.0  # time.monotonic() when the body had been read
    ended: float | None = None  # time.monotonic() after the answer was written
    input_tokens: int = 0  # approximate, as the latency model counts them
    output_tokens: int = 0
    cached_input_tokens: int = 0  # prompt-cache reads, as the usage sent back reports them
    simulated: float = 0.0  # modelled duration in seconds (see simulated_seconds)

    def overlaps(self, other: FakeRequest) -> bool:
        """True when both calls were in flight at the same moment."""
        mine = self.ended if self.ended is not None else float("inf")
        theirs = other.ended if other.ended is not None else float("inf")
        return self.started < theirs and other.started < mine


@dataclass
class Reply:
    """What the server answers to one call.

    A ``dict`` content is structured output; a ``str`` is sent verbatim as the
    model's text (to script malformed JSON, code fences, ``<think>`` blocks...).
    With an error ``status`` a ``str`` content becomes the error message and a
    ``dict`` content replaces the whole error body.
    """

    content: dict[str, Any] | str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    truncated: bool = False
    body: bytes | None = None  # sent verbatim as the HTTP body, whatever the protocol (an HTML page, a cut stream)


def default_reply() -> Reply:
    """A loud 500, so a test whose script misses a prompt fails visibly."""
    return Reply(content=_NO_SCRIPT, status=500)


def simulated_seconds(request: FakeRequest) -> float:
    """The modelled duration of one served call: its latency, independent of machine load.

    Wall-clock ``ended - started`` also holds scheduling noise; this is the
    figure the latency model chose, so sums and critical paths are reproducible.
    """
    return request.simulated


# --------------------------------------------------------------------------- rules


@dataclass
class Rule:
    """A predicate plus the reply it yields; ``times`` limits how often it fires."""

    reply: Reply
    contains: str | None = None
    system_contains: str | None = None
    protocol: ProtocolName | None = None
    model: str | None = None
    when: Callable[[FakeRequest], bool] | None = None
    times: int | None = None
    hits: int = 0

    def exhausted(self) -> bool:
        """A one-shot (or n-shot) rule stops matching once used up."""
        return self.times is not None and self.hits >= self.times

    def matches(self, request: FakeRequest) -> bool:
        """Every given condition must hold."""
        return (
            not self.exhausted()
            and (self.contains is None or self.contains in request.prompt)
            and (self.system_contains is None or self.system_contains in request.system)
            and (self.protocol is None or self.protocol == request.protocol)
            and (self.model is None or self.model == request.model)
            and (self.when is None or self.when(request))
        )


class RuleBuilder:
    """Second half of ``fake.on(...).reply(...)``: attaches the answer to a rule."""

    def __init__(self, fake: FakeLLM, conditions: dict[str, Any]) -> None:
        self._fake = fake
        self._conditions = conditions

    def reply(self, reply: Reply) -> Rule:
        """Register the rule with an explicit :class:`Reply`."""
        rule = Rule(reply=reply, **self._conditions)
        self._fake._add_rule(rule)
        return rule

    def reply_json(self, content: dict[str, Any], **options: Any) -> Rule:
        """Answer with structured output."""
        return self.reply(Reply(content=content, **options))

    def reply_text(self, text: str, **options: Any) -> Rule:
        """Answer with raw model text."""
        return self.reply(Reply(content=text, **options))

    def reply_error(self, status: int, message: str = "", **options: Any) -> Rule:
        """Answer with a protocol-shaped HTTP error (429, 500, ...)."""
        return self.reply(Reply(content=message, status=status, **options))
