from __future__ import annotations

import json

import pytest

from vulnhuntr.analysis.response import answer_schema, parse_answer
from vulnhuntr.errors import AnswerError
from vulnhuntr.findings import VulnType

GOOD = {
    "scratchpad": "s",
    "analysis": "a",
    "poc": "curl x",
    "confidence_score": 8,
    "vulnerability_types": ["LFI"],
    "context_code": [{"name": "storage.read", "reason": "r", "code_line": "storage.read(p)"}],
}


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(GOOD),
        "```json\n" + json.dumps(GOOD) + "\n```",
        "<think>Let me look {at} this.</think>\n" + json.dumps(GOOD),
        "Here is my answer:\n" + json.dumps(GOOD) + "\nHope this helps {really}.",
        "<thinking>x</thinking>```\n" + json.dumps(GOOD, indent=2) + "```",
    ],
    ids=["plain", "fenced", "think", "prose", "thinking-fence"],
)
def test_repairs_the_usual_wrappers(text: str) -> None:
    answer, warnings = parse_answer(text)
    assert answer.vulnerability_types == [VulnType.LFI] and answer.confidence_score == 8
    assert answer.context_code[0].name == "storage.read"
    assert warnings == []


def test_unknown_types_are_dropped_and_aliases_mapped() -> None:
    answer, warnings = parse_answer(json.dumps({**GOOD, "vulnerability_types": ["DoS", "sql injection", "xss", "LFI"]}))
    assert answer.vulnerability_types == [VulnType.SQLI, VulnType.XSS, VulnType.LFI]
    assert warnings == ["unknown vulnerability type 'DoS' dropped"]


@pytest.mark.parametrize(("given", "expected"), [(12, 10), (-3, 0), ("7", 7), (7.6, 8), ("9/10", 9)])
def test_confidence_is_clamped(given, expected) -> None:
    answer, _ = parse_answer(json.dumps({**GOOD, "confidence_score": given}))
    assert answer.confidence_score == expected


def test_context_code_as_plain_names_and_sinks_as_text() -> None:
    answer, _ = parse_answer(
        json.dumps({**GOOD, "context_code": ["helpers.load", {"name": None}], "sinks": "open(path)"})
    )
    assert [c.name for c in answer.context_code] == ["helpers.load"]
    assert answer.sinks[0].code_line == "open(path)"


def test_sink_cwe_accepts_common_spellings() -> None:
    answer, _ = parse_answer(json.dumps({**GOOD, "sinks": [{"code_line": "eval(x)", "cwe": "CWE-94"}]}))
    assert answer.sinks[0].cwe == 94


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("no json here", "no JSON object"),
        ('{"analysis": "cut off', "no JSON object"),
        (json.dumps({**GOOD, "confidence_score": "high"}), "confidence_score"),
    ],
)
def test_unrepairable_answers_raise_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(AnswerError, match=message):
        parse_answer(text)


def test_schema_is_deterministic_and_names_the_original_fields() -> None:
    schema = answer_schema()
    assert json.dumps(schema, sort_keys=True) == json.dumps(answer_schema(), sort_keys=True)
    assert {"scratchpad", "analysis", "poc", "confidence_score", "vulnerability_types", "context_code"} <= set(
        schema["properties"]
    )
    assert '"description"' not in json.dumps(schema)  # the system prompt says what each field means, once
