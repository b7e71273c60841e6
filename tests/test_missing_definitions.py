"""The missing-definitions model: a prompt's code in, the names it asks for out."""

from __future__ import annotations

import json

import anthropic

from fakes import FakeLLM, FakeRequest
from fakes.missing_definitions import (
    MissingDefinitions,
    answer,
    code_lines,
    continuation,
    latency_options,
)

from vulnhuntr.analysis.response import parse_answer

PROJECT = frozenset({"app", "db", "storage", "shop"})


def request(prompt: str, *, prefill: str | None = None, system: str = "") -> FakeRequest:
    messages = [{"role": "user", "content": prompt}]
    if prefill is not None:
        messages.append({"role": "assistant", "content": prefill})
    return FakeRequest("anthropic", "m", system, prompt + (prefill or ""), None, {"messages": messages}, {})


def asked(prompt: str, project: frozenset[str] = PROJECT) -> list[str]:
    return [item["name"] for item in answer(request(prompt), project)["context_code"]]


FLASK_VIEW = """\
<file path="app.py">
from flask import Flask, request, jsonify
import os
from . import db
from .storage import NoteStore

app = Flask(__name__)
store = NoteStore("/data")

@app.get("/notes/<int:note_id>")
def show(note_id):
    row = db.get_note(note_id)
    name = request.args.get("name", "")
    path = os.path.join("/data", name)
    return jsonify(row=row, body=store.read(path), size=len(path))
</file>
"""


def test_asks_for_called_project_names_in_prompt_order() -> None:
    assert asked(FLASK_VIEW) == ["NoteStore", "db.get_note", "store.read"]


def test_never_asks_for_builtins_library_calls_or_locals() -> None:
    names = asked(FLASK_VIEW)
    for library in ("Flask", "app.get", "request.args.get", "os.path.join", "jsonify", "len", "row"):
        assert library not in names


def test_a_definition_in_the_prompt_is_not_asked_for_again() -> None:
    shown = FLASK_VIEW + '<definition name="db.get_note" file="db.py" lines="1-2">\ndef get_note(i):\n' \
        '    return query("SELECT 1", i)\n</definition>\n'
    assert asked(shown) == ["NoteStore", "store.read", "query"]


def test_at_most_three_names_per_answer() -> None:
    code = "<file path=\"a.py\">\nfrom . import db\ndef view(x):\n" + \
        "".join(f"    db.step{i}(x)\n" for i in range(6)) + "</file>\n"
    assert asked(code) == ["db.step0", "db.step1", "db.step2"]


def test_done_when_every_called_definition_is_shown() -> None:
    code = '<file path="a.py">\ndef helper(x):\n    return x\n\ndef view(x):\n    return helper(x)\n</file>\n'
    result = answer(request(code), PROJECT)
    assert result["context_code"] == []


def test_prose_and_string_literals_are_not_code() -> None:
    prompt = (
        "Arbitrary file overwrite (AFO): attacker input chooses where files go.\n"
        "1. Identify sinks such as open() or eval() calls.\n"
        '<file path="a.py">\nfrom . import db\ndef view(cur, q):\n'
        '    cur.execute("SELECT * FROM notes (a) VALUES (?)", (q,))\n    return db.render(q)\n</file>\n'
    )
    assert asked(prompt) == ["db.render"]
    assert "Arbitrary file overwrite (AFO): attacker input chooses where files go." not in code_lines(prompt)


def test_html_escaped_code_inside_xml_tags_is_read() -> None:
    prompt = (
        "<file_code><file_path>/r/app.py</file_path><file_source>from .shop import cart\n"
        "@route(&quot;/items/&lt;int:item_id&gt;&quot;)\ndef item(item_id):\n"
        "    return cart.lookup(item_id)</file_source></file_code>\n"
        "<context_code><code><name>cart.lookup</name><source>def lookup(item_id):\n"
        "    return fetch_row(item_id)</source></code></context_code>\n"
    )
    assert asked(prompt) == ["route", "fetch_row"]


def test_imported_absolute_project_module_is_project_code() -> None:
    prompt = '<file path="a.py">\nimport shop.cart as cart\nimport requests\ndef v(u):\n' \
        '    requests.get(u)\n    return cart.total(u)\n</file>\n'
    assert asked(prompt) == ["cart.total"]
    assert asked(prompt, frozenset()) == []  # without the project's names every absolute import is a library


def test_types_follow_the_sinks_in_the_code() -> None:
    prompt = '<file path="a.py">\ndef v(cur, q, p):\n    cur.execute(q)\n    return open(p).read()\n</file>\n'
    assert answer(request(prompt), PROJECT)["vulnerability_types"] == ["LFI", "SQLI"]


def test_answer_is_valid_for_our_response_model() -> None:
    parsed, warnings = parse_answer(json.dumps(answer(request(FLASK_VIEW), PROJECT)))
    assert [c.name for c in parsed.context_code] == ["NoteStore", "db.get_note", "store.read"]
    assert warnings == []


def test_a_prefill_gets_its_continuation() -> None:
    obj = {"scratchpad": "Read 4 lines.", "analysis": "a", "context_code": []}
    prefill = '{    "scratchpad": "1.'
    assert json.loads(prefill + continuation(prefill, obj)) == {**obj, "scratchpad": "1. Read 4 lines."}
    assert continuation("", obj) == json.dumps(obj)


def test_summary_calls_get_a_summary() -> None:
    reply = MissingDefinitions(PROJECT)(request("<readme>x</readme>\nOutput in <summary></summary> XML tags."))
    assert reply.content.startswith("<summary>")


def test_latency_model_is_scaled() -> None:
    options = latency_options(0.5)
    assert options == {"latency": 0.4, "latency_per_input_token": 10e-6, "latency_per_output_token": 6.25e-3}


def test_served_through_the_anthropic_sdk_with_a_prefill() -> None:
    with FakeLLM(MissingDefinitions(PROJECT)) as fake:
        client = anthropic.Anthropic(api_key="x", base_url=fake.base_url, max_retries=0)
        prefill = '{"scratchpad": "1.'
        message = client.messages.create(
            model="m", max_tokens=100,
            messages=[{"role": "user", "content": FLASK_VIEW}, {"role": "assistant", "content": prefill}],
        )
        text = prefill + message.content[0].text
        assert [c["name"] for c in json.loads(text)["context_code"]] == ["NoteStore", "db.get_note", "store.read"]
        assert fake.requests[0].cached_input_tokens == 0
