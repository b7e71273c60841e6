"""A scriptable fake LLM server on 127.0.0.1 for tests and benchmarks.

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

One module per concern: ``script`` (requests, replies, rules), ``wire`` (message
text shared by the protocols), one module per protocol (``anthropic_messages``,
``openai_chat``, ``ollama_chat``), ``routes`` (path -> protocol) and ``server``
(:class:`FakeLLM`). ``scripted_model`` answers from the example apps'
``expected.yaml``; ``missing_definitions`` asks for every called definition a
prompt lacks. Not part of the vulnhuntr package: tests import it as ``fakes``
(pytest puts ``tests/`` on ``sys.path``), bench scripts after adding ``tests/``.
"""

from vulnhuntr.llm.base import approx_tokens

from .script import FakeRequest, Reply, Rule, RuleBuilder, default_reply, simulated_seconds
from .server import FakeLLM

__all__ = [
    "FakeLLM", "FakeRequest", "Reply", "Rule", "RuleBuilder", "approx_tokens", "default_reply", "simulated_seconds",
]
