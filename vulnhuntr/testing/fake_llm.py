"""A scriptable fake LLM server on 127.0.0.1 for tests.

The anthropic and openai SDKs are built on ``httpx2``, which mocking libraries
such as respx cannot intercept, so tests point the *real* SDKs at a real local
HTTP server instead. The server speaks just enough of three wire protocols for
the unmodified clients to work:

* Anthropic Messages: ``POST /v1/messages`` (non-streaming), ``GET /v1/models``.
  The client's ``base_url`` is ``fake.base_url`` (the SDK adds ``/v1``).
* OpenAI Chat Completions: ``POST /v1/chat/completions`` (non-streaming),
  ``GET /v1/models``. The client's ``base_url`` is ``fake.openai_base_url``
  (``fake.base_url + "/v1"``).
* Ollama: ``POST /api/chat`` (``stream`` false, or true for an NDJSON answer of
  one content chunk plus a final chunk), ``GET /api/tags``, ``GET /api/version``.
  The client's ``host`` is ``fake.base_url``.

Answers are scripted with rules (``fake.on(contains="eval(").reply_json({...})``)
or a responder callable; every call is recorded as a :class:`FakeRequest`.
Token counts are approximations (characters / 4), never real tokenisation.

For benchmarks the server can model a real endpoint's timing: a reply waits
``latency + input_tokens * latency_per_input_token + output_tokens *
latency_per_output_token`` seconds, and with ``concurrency_limit`` a call beyond
the limit is refused at once with a 429 and a ``retry-after`` header. Each
served call keeps its modelled duration (:func:`simulated_seconds`), so a
benchmark can add up "LLM seconds" and critical paths without timing noise.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Sequence

from ..llm.base import approx_tokens

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


# --------------------------------------------------------------------------- helpers


def _text_of(content: Any) -> str:
    """Flatten a message ``content`` (string or list of blocks/parts) to text."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        content = [content]
    parts: list[str] = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict):
            parts.append(_block_text(block))
    return "\n".join(part for part in parts if part)


def _block_text(block: dict[str, Any]) -> str:
    """Text carried by one content block, whatever its type."""
    kind = block.get("type")
    if kind == "tool_use":
        return json.dumps(block.get("input", {}))
    if kind == "tool_result":
        return _text_of(block.get("content"))
    return str(block.get("text", ""))


def _messages_text(messages: Sequence[dict[str, Any]], skip_roles: set[str]) -> str:
    """Join the text of every message whose role is not skipped."""
    texts = []
    for message in messages:
        if message.get("role") in skip_roles:
            continue
        texts.append(_text_of(message.get("content")))
        for call in message.get("tool_calls") or []:
            texts.append(str(call.get("function", {}).get("arguments", "")))
    return "\n".join(text for text in texts if text)


def _answer_text(content: dict[str, Any] | str) -> str:
    """The scripted answer as the text a model would emit."""
    return content if isinstance(content, str) else json.dumps(content)


def _as_object(content: dict[str, Any] | str) -> dict[str, Any] | None:
    """The scripted answer as a JSON object, or None when it is not one."""
    if isinstance(content, dict):
        return content
    try:
        parsed = json.loads(content)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _output_text(reply: Reply) -> str:
    """What the model "generates" for a reply: nothing for an error, half when truncated."""
    if reply.status >= 400:
        return ""
    text = _answer_text(reply.content)
    return _cut(text) if reply.truncated else text


def _cut(text: str) -> str:
    """Keep the first half, like a reply that ran out of output tokens."""
    return text[: len(text) // 2]


def _cut_object(obj: dict[str, Any]) -> dict[str, Any]:
    """A tool input must stay an object, so truncation drops the later keys."""
    keys = list(obj)
    return {key: obj[key] for key in keys[: len(keys) // 2]}


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


# --------------------------------------------------------------------------- anthropic

_ANTHROPIC_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}


def _anthropic_system(system: Any) -> tuple[str, str | None]:
    """Joined system text, and the cached prefix (up to the last cache_control block)."""
    if isinstance(system, str) or system is None:
        return system or "", None
    texts = [_block_text(block) for block in system]
    marked = [i for i, block in enumerate(system) if block.get("cache_control")]
    prefix = "\n".join(texts[: marked[-1] + 1]) if marked else None
    return "\n".join(texts), prefix


def _anthropic_forced_tool(body: dict[str, Any]) -> dict[str, Any] | None:
    """The tool the request forces the model to call, if any."""
    tools = body.get("tools") or []
    choice = body.get("tool_choice") or {}
    if choice.get("type") == "tool":
        return next((tool for tool in tools if tool.get("name") == choice.get("name")), None)
    if choice.get("type") == "any" and tools:
        return tools[0]
    return None


def _anthropic_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    """Structured-output schema: a forced tool's input_schema or output_config.format."""
    tool = _anthropic_forced_tool(body)
    if tool is not None:
        return tool.get("input_schema")
    output_format = (body.get("output_config") or {}).get("format") or body.get("output_format")
    return (output_format or {}).get("schema")


def parse_anthropic(body: dict[str, Any], headers: dict[str, str]) -> FakeRequest:
    """Record an Anthropic Messages call."""
    system, _ = _anthropic_system(body.get("system"))
    return FakeRequest(
        protocol="anthropic",
        model=str(body.get("model", "")),
        system=system,
        prompt=_messages_text(body.get("messages") or [], skip_roles=set()),
        schema=_anthropic_schema(body),
        body=body,
        headers=headers,
    )


def _anthropic_content(request: FakeRequest, reply: Reply, serial: int) -> tuple[list[dict[str, Any]], str]:
    """Content blocks and stop_reason for a successful Messages answer."""
    tool = _anthropic_forced_tool(request.body)
    obj = _as_object(reply.content)
    if tool is not None and obj is not None:
        tool_input = _cut_object(obj) if reply.truncated else obj
        block = {"type": "tool_use", "id": f"toolu_fake_{serial}", "name": tool["name"], "input": tool_input}
        return [block], "max_tokens" if reply.truncated else "tool_use"
    text = _answer_text(reply.content)
    if reply.truncated:
        return [{"type": "text", "text": _cut(text)}], "max_tokens"
    return [{"type": "text", "text": text}], "end_turn"


def _anthropic_blocks(body: dict[str, Any]) -> list[tuple[str, bool]]:
    """(text, marked with cache_control) of every system and message block, in prompt order."""
    blocks: list[tuple[str, bool]] = []
    system = body.get("system")
    parts: list[Any] = [system] if isinstance(system, str) else list(system or [])
    for message in body.get("messages") or []:
        content = message.get("content")
        parts += [content] if isinstance(content, str) else list(content or [])
    for part in parts:
        if isinstance(part, str):
            blocks.append((part, False))
        elif isinstance(part, dict):
            blocks.append((_block_text(part), bool(part.get("cache_control"))))
    return blocks


def _anthropic_cache(request: FakeRequest, cache: set[str]) -> tuple[int, int]:
    """(read, written) tokens: like Anthropic, a breakpoint's prefix is written; a lookup also tries earlier block ends."""
    blocks = _anthropic_blocks(request.body)
    marked = [i for i, (_text, mark) in enumerate(blocks) if mark]
    if not marked:
        return 0, 0
    digest = hashlib.sha256(request.model.encode())
    keys: list[str] = []
    tokens: list[int] = []
    for text, _mark in blocks[: marked[-1] + 1]:
        digest.update(b"\0" + text.encode())
        keys.append(digest.copy().hexdigest())
        tokens.append((tokens[-1] if tokens else 0) + approx_tokens(text))
    read = max((tokens[i] for i in range(len(keys)) if keys[i] in cache), default=0)
    cache.update(keys[i] for i in marked)
    return read, tokens[-1] - read


def _anthropic_usage(request: FakeRequest, output: str, cache: set[str]) -> dict[str, int]:
    """Usage with prompt caching: first sight of a cached prefix writes, later ones read."""
    tools = json.dumps(request.body.get("tools") or [])
    total = approx_tokens(request.system) + approx_tokens(request.prompt) + approx_tokens(tools)
    read, created = _anthropic_cache(request, cache)
    return {
        "input_tokens": max(total - read - created, 0),
        "output_tokens": approx_tokens(output),
        "cache_read_input_tokens": read,
        "cache_creation_input_tokens": created,
    }


def anthropic_answer(request: FakeRequest, reply: Reply, serial: int, cache: set[str]) -> dict[str, Any]:
    """A Messages API response body."""
    content, stop_reason = _anthropic_content(request, reply, serial)
    output = json.dumps(content)
    return {
        "id": f"msg_fake_{serial}",
        "type": "message",
        "role": "assistant",
        "model": request.model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": _anthropic_usage(request, output, cache),
    }


def anthropic_error(status: int, message: str) -> dict[str, Any]:
    """An Anthropic-style error body."""
    kind = _ANTHROPIC_ERROR_TYPES.get(status, "api_error")
    return {"type": "error", "error": {"type": kind, "message": message}}


def anthropic_models(models: Sequence[str]) -> dict[str, Any]:
    """The Anthropic flavour of ``GET /v1/models``."""
    data = [
        {"type": "model", "id": name, "display_name": name, "created_at": "2024-01-01T00:00:00Z"}
        for name in models
    ]
    return {"data": data, "has_more": False, "first_id": models[0] if models else None,
            "last_id": models[-1] if models else None}


# --------------------------------------------------------------------------- openai

_OPENAI_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    404: "invalid_request_error",
    429: "rate_limit_exceeded",
}


def _openai_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    """The ``json_schema`` response_format's schema, if one was sent."""
    response_format = body.get("response_format") or {}
    if response_format.get("type") != "json_schema":
        return None
    return (response_format.get("json_schema") or {}).get("schema")


def parse_openai(body: dict[str, Any], headers: dict[str, str]) -> FakeRequest:
    """Record a Chat Completions call."""
    messages = body.get("messages") or []
    system_roles = {"system", "developer"}
    system = "\n".join(_text_of(m.get("content")) for m in messages if m.get("role") in system_roles)
    return FakeRequest(
        protocol="openai",
        model=str(body.get("model", "")),
        system=system,
        prompt=_messages_text(messages, skip_roles=system_roles),
        schema=_openai_schema(body),
        body=body,
        headers=headers,
    )


def uses_json_schema(request: FakeRequest) -> bool:
    """Whether a Chat Completions call asked for ``response_format: json_schema``."""
    return (request.body.get("response_format") or {}).get("type") == "json_schema"


OPENAI_CACHE_MIN, OPENAI_CACHE_STEP = 1024, 128  # tokens: automatic prefix caching starts at 1,024, in steps of 128


def openai_cached(request: FakeRequest, cache: set[str] | None) -> int:
    """Tokens of the longest prompt prefix seen before (OpenAI's automatic prefix caching), in steps of 128."""
    if cache is None:
        return 0
    text = "\0".join(_text_of(m.get("content")) for m in request.body.get("messages") or [])
    step = OPENAI_CACHE_STEP * 4  # characters (approx_tokens counts four to a token)
    digest = hashlib.sha256(b"openai\0" + request.model.encode())
    cached = 0
    for end in range(step, len(text) + 1, step):
        digest.update(text[end - step:end].encode())
        key = digest.copy().hexdigest()
        if key in cache and end // 4 >= OPENAI_CACHE_MIN:
            cached = end // 4
        cache.add(key)
    return cached


def openai_answer(request: FakeRequest, reply: Reply, serial: int, cache: set[str] | None = None) -> dict[str, Any]:
    """A Chat Completions response body (with *cache*, usage reports automatically cached prefix tokens)."""
    text = _output_text(reply)
    prompt_tokens = approx_tokens(request.system) + approx_tokens(request.prompt)
    cached = openai_cached(request, cache)
    completion_tokens = approx_tokens(text)
    message = {"role": "assistant", "content": text, "refusal": None}
    choice = {"index": 0, "message": message, "logprobs": None,
              "finish_reason": "length" if reply.truncated else "stop"}
    return {
        "id": f"chatcmpl-fake-{serial}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.model,
        "choices": [choice],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": cached},
        },
    }


def openai_error(status: int, message: str) -> dict[str, Any]:
    """An OpenAI-style error body."""
    kind = _OPENAI_ERROR_TYPES.get(status, "server_error")
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def openai_models(models: Sequence[str]) -> dict[str, Any]:
    """The OpenAI flavour of ``GET /v1/models``."""
    data = [{"id": name, "object": "model", "created": 0, "owned_by": "fake-llm"} for name in models]
    return {"object": "list", "data": data}


# --------------------------------------------------------------------------- ollama


def parse_ollama(body: dict[str, Any], headers: dict[str, str]) -> FakeRequest:
    """Record an Ollama ``/api/chat`` call."""
    messages = body.get("messages") or []
    system = "\n".join(_text_of(m.get("content")) for m in messages if m.get("role") == "system")
    schema = body.get("format")
    return FakeRequest(
        protocol="ollama",
        model=str(body.get("model", "")),
        system=system,
        prompt=_messages_text(messages, skip_roles={"system"}),
        schema=schema if isinstance(schema, dict) else None,
        body=body,
        headers=headers,
    )


def ollama_wants_stream(request: FakeRequest) -> bool:
    """Ollama streams unless told otherwise."""
    return request.body.get("stream", True) is not False


def ollama_answer(request: FakeRequest, reply: Reply) -> list[dict[str, Any]]:
    """The chunks of an ``/api/chat`` answer: one when not streaming, two when streaming."""
    text = _output_text(reply)
    final = {
        "model": request.model,
        "created_at": _now_iso(),
        "message": {"role": "assistant", "content": text},
        "done": True,
        "done_reason": "length" if reply.truncated else "stop",
        "total_duration": 1_000_000,
        "load_duration": 0,
        "prompt_eval_count": approx_tokens(request.system) + approx_tokens(request.prompt),
        "prompt_eval_duration": 500_000,
        "eval_count": approx_tokens(text),
        "eval_duration": 500_000,
    }
    if not ollama_wants_stream(request):
        return [final]
    chunk = {"model": request.model, "created_at": final["created_at"],
             "message": {"role": "assistant", "content": text}, "done": False}
    final["message"] = {"role": "assistant", "content": ""}
    return [chunk, final]


def ollama_error(status: int, message: str) -> dict[str, Any]:
    """An Ollama-style error body."""
    return {"error": message}


def ollama_tags(models: Sequence[str]) -> dict[str, Any]:
    """``GET /api/tags``: the locally 'pulled' models."""
    details = {"format": "gguf", "family": "fake", "parameter_size": "1B", "quantization_level": "Q4_0"}
    return {"models": [
        {"name": name, "model": name, "modified_at": "2024-01-01T00:00:00Z", "size": 0,
         "digest": hashlib.sha256(name.encode()).hexdigest(), "details": details}
        for name in models
    ]}


# --------------------------------------------------------------------------- routing

_PARSERS: dict[str, tuple[ProtocolName, Callable[[dict[str, Any], dict[str, str]], FakeRequest]]] = {
    "/v1/messages": ("anthropic", parse_anthropic),
    "/v1/chat/completions": ("openai", parse_openai),
    "/api/chat": ("ollama", parse_ollama),
}

_ERROR_BODIES: dict[ProtocolName, Callable[[int, str], dict[str, Any]]] = {
    "anthropic": anthropic_error,
    "openai": openai_error,
    "ollama": ollama_error,
}


def _protocol_of_path(path: str, headers: dict[str, str]) -> ProtocolName:
    """Best guess at which client is talking, to shape error bodies."""
    if path.startswith("/api/"):
        return "ollama"
    return "anthropic" if "anthropic-version" in headers else "openai"


def error_body(protocol: ProtocolName, reply: Reply) -> dict[str, Any]:
    """The body for an error reply, in the caller's protocol."""
    if isinstance(reply.content, dict):
        return reply.content
    message = reply.content or f"fake error {reply.status}"
    return _ERROR_BODIES[protocol](reply.status, message)


class _Dropped(Exception):
    """The server is stopping; abandon the request without answering."""


class _Handler(BaseHTTPRequestHandler):
    """Maps HTTP requests onto the owning :class:`FakeLLM`."""

    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = 5  # a silent client must not pin a thread (and stop()) for long

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Stay quiet: test output is for test failures."""

    def _headers(self) -> dict[str, str]:
        return {key.lower(): value for key, value in self.headers.items()}

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        headers = self._headers()
        models = self.server.fake.models
        if path == "/v1/models":
            flavour = anthropic_models if "anthropic-version" in headers else openai_models
            self._send_json(200, flavour(models))
        elif path == "/api/tags":
            self._send_json(200, ollama_tags(models))
        elif path == "/api/ps":
            self._send_json(200, {"models": []})
        elif path == "/api/version":
            self._send_json(200, {"version": "0.0.0-fake"})
        else:
            self._send_not_found(path, headers)

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        headers = self._headers()
        route = _PARSERS.get(path)
        if route is None:
            self._read_body()
            self._send_not_found(path, headers)
            return
        protocol, parse = route
        try:
            body = json.loads(self._read_body() or b"{}")
        except ValueError as exc:
            self._send_json(400, _ERROR_BODIES[protocol](400, f"invalid JSON body: {exc}"))
            return
        try:
            self._serve_call(parse(body, headers))
        except _Dropped:
            self.close_connection = True

    def _serve_call(self, request: FakeRequest) -> None:
        """Record, script, wait, answer — counting the call as in flight throughout."""
        fake = self.server.fake
        if not fake._admit(request):
            self._send(*fake._too_busy(request.protocol))
            return
        try:
            reply = fake._effective(request, fake._reply_for(request))
            fake._wait(fake._model_delay(request, reply))
            status, body, extra = fake._render(request, reply)
            self._send(status, body, extra)
        finally:
            fake._end(request)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _send_not_found(self, path: str, headers: dict[str, str]) -> None:
        protocol = _protocol_of_path(path, headers)
        self._send_json(404, _ERROR_BODIES[protocol](404, f"fake LLM has no route {path}"))

    def _send_json(self, status: int, body: dict[str, Any], extra: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(body).encode(), {"content-type": "application/json", **(extra or {})})

    def _send(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("content-length", str(len(payload)))
        self.send_header("connection", "close")
        self.end_headers()
        self.wfile.write(payload)
        self.close_connection = True


class _Server(ThreadingHTTPServer):
    """Threaded server that joins its handler threads on close and stays quiet on hang-ups."""

    daemon_threads = False  # joined by server_close(), so stop() leaves no thread behind
    block_on_close = True
    request_queue_size = 128
    fake: FakeLLM

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that time out or disconnect are expected; real bugs still print."""
        error = sys.exc_info()[1]
        if isinstance(error, (OSError, _Dropped)) or self.fake._stopping.is_set():
            return
        super().handle_error(request, client_address)


# --------------------------------------------------------------------------- server


class FakeLLM:
    """A fake Anthropic / OpenAI / Ollama endpoint with scripted answers.

    Rules registered with :meth:`on` are tried in order (first match wins);
    then ``responder``; then :attr:`default` (a 500 by default, so an
    unscripted prompt fails loudly).
    """

    def __init__(
        self,
        responder: Responder | None = None,
        *,
        reject_json_schema: bool = False,
        latency: float = 0.0,
        latency_per_input_token: float = 0.0,
        latency_per_output_token: float = 0.0,
        concurrency_limit: int | None = None,
        retry_after: str = "0.5",
        default: Reply | None = None,
        models: Sequence[str] = ("fake-model",),
        port: int = 0,
    ) -> None:
        self.responder = responder
        self._requested_port = port  # 0: any free port (tests); fixed for manual runs
        self.reject_json_schema = reject_json_schema
        self.latency = latency
        self.latency_per_input_token = latency_per_input_token
        self.latency_per_output_token = latency_per_output_token
        self.concurrency_limit = concurrency_limit  # None: no limit; else 429 beyond it
        self.retry_after = retry_after  # the retry-after header sent with those 429s
        self._rejected_429 = 0
        self.default = default if default is not None else default_reply()
        self.models = list(models)
        self._rules: list[Rule] = []
        self._history: list[FakeRequest] = []
        self._cache: set[str] = set()
        self._lock = threading.Lock()
        self._in_flight = 0
        self._max_in_flight = 0
        self._serial = 0
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ---- scripting

    def on(
        self,
        *,
        contains: str | None = None,
        system_contains: str | None = None,
        protocol: ProtocolName | None = None,
        model: str | None = None,
        when: Callable[[FakeRequest], bool] | None = None,
        times: int | None = None,
    ) -> RuleBuilder:
        """Start a rule; finish it with ``.reply(...)`` / ``.reply_json(...)``."""
        conditions = dict(contains=contains, system_contains=system_contains, protocol=protocol,
                          model=model, when=when, times=times)
        return RuleBuilder(self, conditions)

    def _add_rule(self, rule: Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    def _reply_for(self, request: FakeRequest) -> Reply:
        """First live matching rule, else the responder, else the default."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(request):
                    rule.hits += 1
                    return rule.reply
        if self.responder is not None:
            reply = self.responder(request)
            if reply is not None:
                return reply
        return self.default

    # ---- observation

    @property
    def requests(self) -> list[FakeRequest]:
        """Snapshot of every recorded model call, oldest first."""
        with self._lock:
            return list(self._history)

    @property
    def max_concurrency(self) -> int:
        """The most model calls that were in flight at the same moment."""
        with self._lock:
            return self._max_in_flight

    @property
    def in_flight(self) -> int:
        """Model calls being served right now."""
        with self._lock:
            return self._in_flight

    @property
    def rejected_429(self) -> int:
        """Calls refused because ``concurrency_limit`` calls were already in flight.

        They are not in :attr:`requests` (the model never saw them) and never
        count towards :attr:`max_concurrency`.
        """
        with self._lock:
            return self._rejected_429

    def total_simulated_seconds(self) -> float:
        """Modelled LLM time of every served call, summed (what one-at-a-time would take)."""
        return sum(simulated_seconds(request) for request in self.requests)

    def clear(self) -> None:
        """Forget history, concurrency peak, 429 count and cache; keep rules."""
        with self._lock:
            self._history.clear()
            self._max_in_flight = self._in_flight
            self._rejected_429 = 0
            self._cache.clear()

    def _admit(self, request: FakeRequest) -> bool:
        """Count the call in flight and record it, or refuse it when the limit is reached.

        Checked and counted under one lock, so racing calls cannot both take the last place.
        """
        with self._lock:
            if self.concurrency_limit is not None and self._in_flight >= self.concurrency_limit:
                self._rejected_429 += 1
                return False
            request.started = time.monotonic()
            self._history.append(request)
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
            return True

    def _end(self, request: FakeRequest) -> None:
        with self._lock:
            request.ended = time.monotonic()
            self._in_flight -= 1

    # ---- answering

    def _model_delay(self, request: FakeRequest, reply: Reply) -> float:
        """Seconds this call takes under the latency model; recorded on the request."""
        request.input_tokens = approx_tokens(request.system) + approx_tokens(request.prompt)
        request.output_tokens = approx_tokens(_output_text(reply))
        request.simulated = (
            self.latency
            + reply.delay
            + request.input_tokens * self.latency_per_input_token
            + request.output_tokens * self.latency_per_output_token
        )
        return request.simulated

    def _too_busy(self, protocol: ProtocolName) -> tuple[int, bytes, dict[str, str]]:
        """The immediate 429 for a call beyond ``concurrency_limit``, in the caller's protocol."""
        reply = Reply(content=f"fake LLM concurrency limit of {self.concurrency_limit} calls reached", status=429)
        headers = {"content-type": "application/json", "retry-after": self.retry_after}
        return 429, json.dumps(error_body(protocol, reply)).encode(), headers

    def _wait(self, seconds: float) -> None:
        """Sleep, but wake up at once (and drop the call) when the server stops."""
        if seconds > 0 and self._stopping.wait(seconds):
            raise _Dropped
        if self._stopping.is_set():
            raise _Dropped

    def _effective(self, request: FakeRequest, reply: Reply) -> Reply:
        """The scripted reply, unless the server refuses the request's response_format."""
        if request.protocol == "openai" and self.reject_json_schema and uses_json_schema(request):
            return Reply(content="response_format type json_schema is not supported by this server",
                         status=400, headers=reply.headers, delay=reply.delay)
        return reply

    def _render(self, request: FakeRequest, reply: Reply) -> tuple[int, bytes, dict[str, str]]:
        """Status, body bytes and headers for a reply in the request's protocol."""
        headers = {"content-type": "application/json", **reply.headers}
        if reply.body is not None:
            return reply.status, reply.body, headers
        if reply.status >= 400:
            return reply.status, json.dumps(error_body(request.protocol, reply)).encode(), headers
        return reply.status, self._success_body(request, reply, headers), headers

    def _success_body(self, request: FakeRequest, reply: Reply, headers: dict[str, str]) -> bytes:
        with self._lock:  # serials and the prompt cache are shared between threads
            self._serial += 1
            serial = self._serial
            if request.protocol == "anthropic":
                return json.dumps(anthropic_answer(request, reply, serial, self._cache)).encode()
            if request.protocol == "openai":
                return json.dumps(openai_answer(request, reply, serial, self._cache)).encode()
        chunks = ollama_answer(request, reply)
        if len(chunks) > 1:
            headers["content-type"] = "application/x-ndjson"
        return "".join(json.dumps(chunk) + "\n" for chunk in chunks).encode()

    # ---- lifecycle

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeLLM is not running; call start() first")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """Root URL: Anthropic's ``base_url`` and Ollama's ``host``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_base_url(self) -> str:
        """OpenAI's ``base_url`` must include the ``/v1`` prefix."""
        return f"{self.base_url}/v1"

    def start(self) -> FakeLLM:
        """Bind an ephemeral port and serve from a background thread."""
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server(("127.0.0.1", self._requested_port), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"fake-llm-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, drop delayed calls and join every thread."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()  # joins handler threads (block_on_close)
        if thread is not None:
            thread.join()
        self._server = self._thread = None

    def __enter__(self) -> FakeLLM:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


__all__ = [
    "FakeLLM", "FakeRequest", "Reply", "Rule", "RuleBuilder", "approx_tokens", "default_reply", "simulated_seconds",
]
