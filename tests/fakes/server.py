"""The HTTP server: routes each path to its protocol module, models latency, records every call."""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Sequence

from vulnhuntr.llm.base import approx_tokens

from .anthropic_messages import anthropic_answer, anthropic_models
from .ollama_chat import ollama_answer, ollama_tags
from .openai_chat import openai_answer, openai_models, uses_json_schema
from .routes import ERROR_BODIES, PARSERS, error_body, protocol_of_path
from .script import FakeRequest, ProtocolName, Reply, Responder, Rule, RuleBuilder, default_reply, simulated_seconds
from .wire import output_text


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
        route = PARSERS.get(path)
        if route is None:
            self._read_body()
            self._send_not_found(path, headers)
            return
        protocol, parse = route
        try:
            body = json.loads(self._read_body() or b"{}")
        except ValueError as exc:
            self._send_json(400, ERROR_BODIES[protocol](400, f"invalid JSON body: {exc}"))
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
        protocol = protocol_of_path(path, headers)
        self._send_json(404, ERROR_BODIES[protocol](404, f"fake LLM has no route {path}"))

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
        request.output_tokens = approx_tokens(output_text(reply))
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
