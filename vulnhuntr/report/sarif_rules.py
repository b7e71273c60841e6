"""The SARIF tool driver: all seven rules in :class:`VulnType` order, described by trusted text only.

Every run declares every rule, fired or not, so rule ids and ``ruleIndex`` values
never change between runs. A rule's CWE tags are its type's default CWE plus every
CWE its results carry in this run.
"""

from __future__ import annotations

from typing import Any

from ..findings import CWE_NAMES, DEFAULT_CWE, Report, VulnType

INFORMATION_URI = "https://github.com/vulnhuntr/vulnhuntr"

SECURITY_SEVERITY = {
    VulnType.RCE: "9.8",
    VulnType.SQLI: "9.1",
    VulnType.AFO: "9.1",
    VulnType.LFI: "7.5",
    VulnType.SSRF: "7.5",
    VulnType.IDOR: "6.5",
    VulnType.XSS: "6.1",
}
"""CVSS-like base scores; GitHub maps them to critical/high/medium/low."""

RULE_NAMES = {
    VulnType.LFI: "LocalFileInclusion",
    VulnType.RCE: "RemoteCodeExecution",
    VulnType.SSRF: "ServerSideRequestForgery",
    VulnType.AFO: "ArbitraryFileOverwrite",
    VulnType.SQLI: "SqlInjection",
    VulnType.XSS: "CrossSiteScripting",
    VulnType.IDOR: "InsecureDirectObjectReference",
}

DESCRIPTIONS = {
    VulnType.LFI: "Untrusted input chooses a file that the application reads and returns, "
    "so an attacker can read files outside the intended directory.",
    VulnType.RCE: "Untrusted input reaches a command, code evaluation, deserialisation or "
    "template sink, so an attacker can run code on the server.",
    VulnType.SSRF: "Untrusted input chooses the destination of a request the server makes, "
    "so an attacker can reach internal services or cloud metadata.",
    VulnType.AFO: "Untrusted input chooses the path of a file the application writes, "
    "so an attacker can overwrite files outside the intended directory.",
    VulnType.SQLI: "Untrusted input is built into an SQL statement instead of being passed "
    "as a bound parameter, so an attacker can read or change the database.",
    VulnType.XSS: "Untrusted input is written into an HTML response without escaping, "
    "so an attacker can run script in other users' browsers.",
    VulnType.IDOR: "An object is fetched or changed by a user-supplied key without checking "
    "that the caller may access it, so an attacker can reach other users' data.",
}

REMEDIATIONS = {
    VulnType.LFI: "Resolve the path and check it stays under an allowed base directory, or map "
    "user input to a fixed set of files.",
    VulnType.RCE: "Never pass user input to a shell, `eval`/`exec`, `pickle` or a template "
    "source; use argument lists and safe loaders.",
    VulnType.SSRF: "Allow-list destination hosts and schemes, and block private and link-local "
    "addresses after DNS resolution.",
    VulnType.AFO: "Generate file names on the server (or sanitise them with `secure_filename`) "
    "and check the resolved path stays under the upload directory.",
    VulnType.SQLI: "Use parameterised queries or the ORM's query builder; never format user "
    "input into SQL text.",
    VulnType.XSS: "Let the template engine autoescape, and never mark user input as safe.",
    VulnType.IDOR: "Check ownership or permissions of the object for the current user before "
    "returning or changing it.",
}


def tool_driver(report: Report, rules: list[VulnType]) -> dict[str, Any]:
    """``tool.driver``: name, version and the rules, in the order ``ruleIndex`` counts."""
    driver: dict[str, Any] = {"name": "vulnhuntr", "informationUri": INFORMATION_URI}
    if report.tool_version:
        driver["version"] = report.tool_version
    driver["rules"] = [_rule(t, _cwes_of(report, t)) for t in rules]
    return driver


def rule_id(vuln_type: VulnType) -> str:
    """Stable rule id, e.g. ``VH-LFI``: GitHub tracks alerts by it."""
    return f"VH-{vuln_type.value}"


def _cwes_of(report: Report, vuln_type: VulnType) -> list[int]:
    """The type's default CWE first, then the other CWEs its findings use here."""
    cwes = [DEFAULT_CWE[vuln_type]]
    for cwe in sorted({f.cwe for f in report.findings if f.type is vuln_type}):
        if cwe not in cwes:
            cwes.append(cwe)
    return cwes


def _rule(vuln_type: VulnType, cwes: list[int]) -> dict[str, Any]:
    return {
        "id": rule_id(vuln_type),
        "name": RULE_NAMES[vuln_type],
        "shortDescription": {"text": vuln_type.title},
        "fullDescription": {"text": DESCRIPTIONS[vuln_type]},
        "help": _rule_help(vuln_type, cwes),
        "helpUri": _cwe_url(DEFAULT_CWE[vuln_type]),
        "properties": {
            "tags": ["security", *(f"external/cwe/cwe-{c}" for c in cwes)],
            "security-severity": SECURITY_SEVERITY[vuln_type],
            # Findings are LLM judgements: each result carries its own confidence.
            "precision": "medium",
        },
    }


def _rule_help(vuln_type: VulnType, cwes: list[int]) -> dict[str, str]:
    """Help from trusted text only (descriptions and CWE names), as text and Markdown."""
    cwe_lines = [f"CWE-{c}: {CWE_NAMES.get(c, 'see ' + _cwe_url(c))}" for c in cwes]
    text = "\n".join([DESCRIPTIONS[vuln_type], "", "Fix: " + REMEDIATIONS[vuln_type], "", *cwe_lines])
    cwe_md = [f"- [CWE-{c}]({_cwe_url(c)})" + (f": {CWE_NAMES[c]}" if c in CWE_NAMES else "") for c in cwes]
    markdown = "\n".join(
        [
            f"# {vuln_type.title}",
            "",
            DESCRIPTIONS[vuln_type],
            "",
            "## Fix",
            "",
            REMEDIATIONS[vuln_type],
            "",
            "## References",
            "",
            *cwe_md,
        ]
    )
    return {"text": text, "markdown": markdown}


def _cwe_url(cwe: int) -> str:
    return f"https://cwe.mitre.org/data/definitions/{cwe}.html"
