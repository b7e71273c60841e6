"""The structure every analysis answer must have, and the repairs that get real answers into it.

Field names are the original tool's (scratchpad, analysis, poc,
confidence_score, vulnerability_types, context_code) so its users' tooling
keeps working; ``sinks`` is an optional addition that lets the model point at
the exact line where tainted data does harm, ``suspects`` (optional too)
lets the initial pass say which handlers or functions made it suspect each
type, so the chain keeps them in view for that type, and ``verdicts`` (optional)
give a chain judging several types a confidence and proof of concept per type
(:func:`for_type`).

Models wrap JSON in markdown fences, think aloud before it, invent
vulnerability types or score 12 out of 10. :func:`parse_answer` repairs what is
safe to repair and reports the rest as an :class:`AnswerError` whose message can
be sent back to the model.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator

from ..errors import AnswerError
from ..findings import VulnType
from .cwe import ALLOWED

_THINK = re.compile(r"<think(?:ing)?>.*?</think(?:ing)?>", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"```(?:json|JSON)?\s*\n(.*?)```", re.DOTALL)
_ALIASES = {
    "SQL": "SQLI",
    "SQL_INJECTION": "SQLI",
    "SQLINJECTION": "SQLI",
    "PATH_TRAVERSAL": "LFI",
    "COMMAND_INJECTION": "RCE",
    "CODE_INJECTION": "RCE",
    "SSTI": "RCE",
    "CROSS_SITE_SCRIPTING": "XSS",
    "ARBITRARY_FILE_OVERWRITE": "AFO",
    "ARBITRARY_FILE_WRITE": "AFO",
}


class ContextCode(BaseModel):
    """A definition the model wants to see next."""

    name: str = Field(description="Function, method or class name as written in the code, e.g. storage.read_note")
    reason: str = Field(default="", description="Why this code is needed to follow the data")
    code_line: str = Field(default="", description="The line of code where the name is used")


class Sink(BaseModel):
    """Where tainted data does harm (optional: lets the report point at the exact line)."""

    code_line: str = Field(description="The exact line of code of the dangerous call, copied from the code shown")
    entry_point: str = Field(default="", description="Name of the handler function the data comes from")
    cwe: int | None = Field(default=None, description="CWE number of this sink, e.g. 78 for a shell command")
    type: VulnType | None = Field(default=None, description="The vulnerability type this sink is for")


class Suspect(BaseModel):
    """Where the model suspects one type (optional: the chain keeps these functions in view)."""

    type: VulnType
    functions: list[str] = Field(default_factory=list, description="Entry points or functions, as named in the code")


class Verdict(BaseModel):
    """The conclusion on one type, when a round judges several (optional: else the answer's own fields count)."""

    type: VulnType
    confidence_score: int = Field(default=0, ge=0, le=10)
    poc: str = Field(default="", description="A proof of concept for this type, empty when it is not exploitable")


class AnalysisAnswer(BaseModel):
    scratchpad: str = Field(default="", description="Step-by-step working: sources, transformations, sinks")
    analysis: str = Field(default="", description="Final explanation of what was found and why")
    poc: str = Field(default="", description="A proof-of-concept request or payload, empty when nothing was found")
    confidence_score: int = Field(default=0, ge=0, le=10, description="0 (nothing) to 10 (certain and exploitable)")
    vulnerability_types: list[VulnType] = Field(default_factory=list)
    context_code: list[ContextCode] = Field(default_factory=list)
    sinks: list[Sink] = Field(default_factory=list)
    suspects: list[Suspect] = Field(default_factory=list)
    verdicts: list[Verdict] = Field(default_factory=list)

    @field_validator("vulnerability_types")
    @classmethod
    def _unique(cls, value: list[VulnType]) -> list[VulnType]:
        return list(dict.fromkeys(value))


def for_type(answer: AnalysisAnswer, vuln_type: VulnType) -> AnalysisAnswer:
    """The answer as it concerns *vuln_type* alone, for a round that judged several types at once.

    A verdict for the type gives its confidence and proof of concept; without one the
    answer's own fields count for every type it lists. Sinks of another type are left out.
    """
    verdict = next((v for v in answer.verdicts if v.type == vuln_type), None)
    listed = vuln_type in answer.vulnerability_types
    if verdict is not None:
        confidence, poc = verdict.confidence_score, verdict.poc or (answer.poc if listed else "")
        reported = verdict.confidence_score > 0
    else:
        confidence, poc, reported = answer.confidence_score, answer.poc, listed
    sinks = [s for s in answer.sinks if _sink_of(s, vuln_type)]
    return answer.model_copy(update={
        "confidence_score": confidence if reported else 0,
        "poc": poc,
        "vulnerability_types": [vuln_type] if reported else [],
        "sinks": sinks,
        "verdicts": [],
    })


def _sink_of(sink: Sink, vuln_type: VulnType) -> bool:
    """Whether *sink* may be of *vuln_type*: its stated type, else a CWE that type can have, else any."""
    if sink.type is not None:
        return sink.type == vuln_type
    return sink.cwe is None or sink.cwe in ALLOWED[vuln_type] or not any(sink.cwe in c for c in ALLOWED.values())


def answer_schema() -> dict[str, Any]:
    """The JSON schema sent to providers for structured output (deterministic: cache keys depend on it).

    It goes with every call, so it carries the answer's shape only: no titles (they
    repeat the field names), no defaults (the required lists say what may be left
    out) and no descriptions. What each field means is said once, in the system
    prompt and the task (:mod:`.prompts`); the descriptions here are for this
    code's readers.
    """
    return dict(_lean(AnalysisAnswer.model_json_schema()))


def _lean(node: Any) -> Any:
    """*node* without the ``title``, ``default`` and ``description`` keywords, at every level (a property so named stays).

    An optional property's ``anyOf [X, null]`` becomes X: leaving it out says what a
    null would (the answer's model still accepts one).
    """
    if isinstance(node, list):
        return [_lean(item) for item in node]
    if not isinstance(node, dict):
        return node
    required = set(node.get("required", ()))
    return {
        key: (_lean(value) if key != "properties" else {
            name: _lean(v if name in required else _not_null(v)) for name, v in value.items()
        })
        for key, value in node.items()
        if key not in ("title", "default", "description")
    }


def _not_null(node: Any) -> Any:
    """``{"anyOf": [X, {"type": "null"}]}`` as X; any other schema as it is."""
    options = node.get("anyOf") if isinstance(node, dict) else None
    if isinstance(options, list) and len(options) == 2 and {"type": "null"} in options:
        rest = [o for o in options if o != {"type": "null"}][0]
        return {**{k: v for k, v in node.items() if k != "anyOf"}, **rest}
    return node


def parse_answer(text: str) -> tuple[AnalysisAnswer, list[str]]:
    """Turn raw model text into an answer, returning the warnings of every repair made."""
    warnings: list[str] = []
    data = _extract_object(text)
    data = _repair(data, warnings)
    try:
        return AnalysisAnswer.model_validate(data), warnings
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise AnswerError(f"the answer does not match the schema: {problems}") from exc


def _extract_object(text: str) -> dict[str, Any]:
    """The first JSON object in *text*, after ``<think>`` blocks, inside fences or amid prose."""
    cleaned = _THINK.sub("", text).strip()
    if "<think" in cleaned.lower():  # an unclosed think block: keep what follows the last '>'
        cleaned = cleaned[cleaned.lower().rfind("</think") + 1 :]
    candidates = [m.group(1) for m in _FENCE.finditer(cleaned)] + [cleaned]
    decoder = json.JSONDecoder()
    for candidate in candidates:
        for start in [i for i, ch in enumerate(candidate) if ch == "{"][:50]:
            try:
                value, _ = decoder.raw_decode(candidate, start)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                return value
    if not cleaned:
        raise AnswerError("the answer was empty")
    raise AnswerError("the answer contains no JSON object (it may have been cut off)")


def _repair(data: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
    data = dict(data)
    data["vulnerability_types"] = _known_types(data.get("vulnerability_types", []), warnings)
    if "confidence_score" in data:
        data["confidence_score"] = _clamped_confidence(data["confidence_score"], warnings)
    data["context_code"] = _context_items(data.get("context_code", []))
    data["sinks"] = _sinks(data.get("sinks", []))
    data["suspects"] = _suspects(data.get("suspects", []), warnings)
    data["verdicts"] = _verdicts(data.get("verdicts", []), warnings)
    for key in ("scratchpad", "analysis", "poc"):
        if key in data and not isinstance(data[key], str):
            data[key] = json.dumps(data[key]) if data[key] is not None else ""
    return data


def _known_types(values: Any, warnings: list[str]) -> list[str]:
    if isinstance(values, str):
        values = [v for v in re.split(r"[,\s]+", values) if v]
    if not isinstance(values, list):
        warnings.append(f"vulnerability_types was {type(values).__name__}, not a list: ignored")
        return []
    known: list[str] = []
    for value in values:
        name = str(value).strip().upper().replace(" ", "_").replace("-", "_")
        name = _ALIASES.get(name, name)
        if name in VulnType.__members__:
            known.append(name)
        else:
            warnings.append(f"unknown vulnerability type {value!r} dropped")
    return known


def _clamped_confidence(value: Any, warnings: list[str]) -> Any:
    try:
        number = float(str(value).split("/")[0])
    except ValueError:
        return value  # let validation say what is wrong
    clamped = int(round(min(10.0, max(0.0, number))))
    if clamped != number:
        warnings.append(f"confidence_score {value!r} adjusted to {clamped}")
    return clamped


def _context_items(values: Any) -> list[Any]:
    if not isinstance(values, list):
        return []
    items: list[Any] = []
    for value in values:
        if isinstance(value, str):
            items.append({"name": value})
        elif isinstance(value, dict) and value.get("name"):
            items.append({k: ("" if v is None else v) for k, v in value.items() if k in ("name", "reason", "code_line")})
    return items


def _cwe_number(value: Any) -> int | None:
    """``"CWE-78"``, ``78`` and ``"78"`` all mean 78; anything else is dropped, not an error."""
    match = re.search(r"\d+", str(value)) if value is not None else None
    return int(match.group()) if match else None


def _sinks(values: Any) -> list[Any]:
    if isinstance(values, (str, dict)):
        values = [values]
    if not isinstance(values, list):
        return []
    sinks: list[Any] = []
    for value in values:
        if isinstance(value, str) and value.strip():
            sinks.append({"code_line": value})
        elif isinstance(value, dict) and value.get("code_line"):
            sink: dict[str, str | int | None] = {
                k: str(v or "") for k, v in value.items() if k in ("code_line", "entry_point")
            }
            sink["cwe"] = _cwe_number(value.get("cwe"))
            types = _known_types([value["type"]], []) if value.get("type") else []
            sink["type"] = types[0] if types else None
            sinks.append(sink)
    return sinks


def _suspects(values: Any, warnings: list[str]) -> list[dict[str, Any]]:
    """``[{type, functions}]``, also from ``{"SQLI": ["search"]}`` or one name as a string; unknown types dropped."""
    suspects: list[dict[str, Any]] = []
    for vuln_type, value in _typed(values, "functions", warnings):
        functions = value.get("functions", [])
        functions = [functions] if isinstance(functions, str) else functions if isinstance(functions, list) else []
        names = [str(f).strip() for f in functions if isinstance(f, (str, int)) and str(f).strip()]
        suspects.append({"type": vuln_type, "functions": names})
    return suspects


def _verdicts(values: Any, warnings: list[str]) -> list[dict[str, Any]]:
    """``[{type, confidence_score, poc}]``, also from ``{"SQLI": 8}``; unknown types dropped, scores clamped."""
    verdicts: list[dict[str, Any]] = []
    for vuln_type, value in _typed(values, "confidence_score", warnings):
        verdict: dict[str, Any] = {"type": vuln_type, "poc": value.get("poc") if isinstance(value.get("poc"), str) else ""}
        if "confidence_score" in value:
            verdict["confidence_score"] = _clamped_confidence(value["confidence_score"], warnings)
        verdicts.append(verdict)
    return verdicts


def _typed(values: Any, field: str, warnings: list[str]) -> list[tuple[str, dict[str, Any]]]:
    """The items of a per-type list as (known type, item); a mapping of type to *field*'s value reads as such a list."""
    if isinstance(values, dict):
        values = [{"type": k, field: v} for k, v in values.items()]
    if not isinstance(values, list):
        return []
    typed = []
    for value in values:
        if isinstance(value, dict):
            types = _known_types([value.get("type", "")], warnings)
            if types:
                typed.append((types[0], value))
    return typed
