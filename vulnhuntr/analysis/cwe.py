"""The CWE of a finding follows the kind of sink, not only the vulnerability type.

Code scanning and security teams triage by CWE, so an RCE through ``eval`` (94)
must not look like an RCE through a shell (78).
"""

from __future__ import annotations

import re

from ..findings import DEFAULT_CWE, VulnType

_RCE_SINKS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"\b(pickle|cPickle|dill|marshal|shelve)\.|yaml\.(unsafe_)?load\b|jsonpickle"), 502),
    (re.compile(r"render_template_string|from_string\(|\bTemplate\(|Environment\("), 1336),
    (re.compile(r"\b(eval|exec|compile|__import__)\s*\(|import_module\("), 94),
    (re.compile(r"subprocess|os\.(system|popen|exec|spawn)|\bPopen\(|shell\s*=\s*True"), 78),
)

ALLOWED = {
    VulnType.LFI: {22, 73},
    VulnType.AFO: {22, 73},
    VulnType.RCE: {78, 94, 502, 1336},
    VulnType.SSRF: {918},
    VulnType.SQLI: {89},
    VulnType.XSS: {79},
    VulnType.IDOR: {639},
}


def cwe_for(vuln_type: VulnType, sink_line: str | None, stated: int | None = None) -> int:
    """The CWE for a finding of *vuln_type* whose dangerous call is *sink_line* (when known).

    A CWE the model *stated* wins when it is one this type can have (AFO's 73 for
    a fully user-chosen path cannot be seen from one line of code).
    """
    if stated is not None and stated in ALLOWED[vuln_type]:
        return stated
    if vuln_type is VulnType.RCE and sink_line:
        for pattern, cwe in _RCE_SINKS:
            if pattern.search(sink_line):
                return cwe
    return DEFAULT_CWE[vuln_type]
