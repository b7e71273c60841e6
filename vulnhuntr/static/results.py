"""From sink hits to what callers use: :class:`Candidate` seeds and static :class:`Finding` s.

Every hit becomes a candidate (the LLM step starts from them); hits confident
enough become findings of kind "static", one per (type, sink, entry point),
with the path, a plain-English explanation that says no LLM confirmed it, and
a hint at the parameter to tamper with.

A finding is placed where it is fixed (DESIGN: Findings and CWEs): the last
step of the path inside the handler, i.e. the sink itself when the handler
performs it, else the call that hands the data to the helper performing it.
The sink then becomes the finding's related location.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..findings import Finding, Location, PathStep, VulnType
from ..repo.frameworks.entry import EntryPoint
from .hits import Hit
from .sinks import fixed_host
from .taint import MARKUP_STEP, SOURCE_STEP

MIN_FINDING_CONFIDENCE = 4
"""Below this a hit is only a candidate (e.g. IDOR on a record not known to belong to anyone)."""

PAYLOADS: dict[tuple[VulnType, int], str] = {
    (VulnType.LFI, 22): "../../../../etc/passwd",
    (VulnType.LFI, 73): "/etc/passwd",
    (VulnType.AFO, 22): "../../../../tmp/vulnhuntr-poc (or an archive member with that name)",
    (VulnType.AFO, 73): "/tmp/vulnhuntr-poc",
    (VulnType.RCE, 78): "x; id",
    (VulnType.RCE, 94): "__import__('os').system('id')",
    (VulnType.RCE, 502): "!!python/object/apply:os.system ['id'] (or a crafted pickle)",
    (VulnType.RCE, 1336): "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    (VulnType.SSRF, 918): "http://169.254.169.254/latest/meta-data/",
    (VulnType.SQLI, 89): "' OR '1'='1' --",
    (VulnType.SQLI, 943): '{"$ne": null} in a JSON field (or "1 == 1" into a $where string)',
    (VulnType.AFO, 94): "{{ cycler.__init__.__globals__.os.popen('id').read() }} (or Python code) as the content",
    (VulnType.XSS, 79): "<script>alert(document.domain)</script>",
    (VulnType.IDOR, 639): "the id of a record that belongs to another user",
}


@dataclass(frozen=True)
class Candidate:
    """A possible vulnerability for the LLM to confirm: where data enters, how it travels, where it lands."""

    vuln_type: VulnType
    cwe: int
    entry_function: str
    entry_line: int
    source_file: str
    source_line: int
    source: str  # what is read ("request.args", "route parameter 'name'")
    path: tuple[PathStep, ...]
    sink_file: str
    sink_line: int
    confidence: int
    fix_file: str = ""  # where to fix it (see the module docstring); empty: at the sink
    fix_line: int = 0
    sink_end_line: int = 0

    @property
    def fix(self) -> Location:
        """Where a finding of this candidate is placed."""
        if self.fix_file:
            return Location(self.fix_file, self.fix_line, self.fix_line)
        return self.sink

    @property
    def sink(self) -> Location:
        return Location(self.sink_file, self.sink_line, max(self.sink_end_line, self.sink_line))


Span = tuple[int, int]
"""The first and last line of the entry point's function."""


def fix_step(
    path: tuple[PathStep, ...], entry: EntryPoint, span: Span | None, vuln: VulnType | None = None
) -> PathStep:
    """The last step of *path* (ending at the sink) inside the handler: the sink or the call handing data on.

    Only steps after the data entered count: a handler passing the request object to a helper that reads
    it and performs the sink is fixed in the helper. A sink in a template (``{{ x|safe }}``) is fixed there.
    """
    sink = path[-1]
    if span is None or not sink.file.endswith(".py"):
        return sink
    low, high = span
    entered = max((i for i, step in enumerate(path) if step.description.startswith(SOURCE_STEP)), default=0)
    markup = next((s for s in path[entered:] if s.description.startswith(MARKUP_STEP)), None)
    if markup is not None and vuln is VulnType.XSS:
        return markup  # XSS: the escape belongs where the text is first put into HTML, maybe in a helper
    for step in reversed(path[entered:]):
        inside = step.file == entry.file and low <= step.line <= high
        if inside and (step is sink or step.description.startswith("passed to ")):
            return step
    return sink


def candidate(entry: EntryPoint, hit: Hit, span: Span | None = None) -> Candidate | None:
    """The candidate for *hit* seen from *entry* (whose function spans *span*), or None when it does not hold up."""
    taint, sink = hit.taint, hit.sink
    if taint.source is None:
        return None
    if sink.vuln is VulnType.SSRF and fixed_host(taint.prefix):
        return None
    if sink.markup_only and not any(s.description.startswith(MARKUP_STEP) for s in taint.steps):
        return None  # bytes written to a raw response: HTML only when built with markup (else JSON, text, files)
    cwe = sink.whole_cwe if sink.whole_cwe is not None and taint.whole else sink.cwe
    step = PathStep(sink.file, sink.line, f"{sink.label}: {sink.text}")
    path = taint.steps + (step,)
    fix = fix_step(path, entry, span, sink.vuln)
    return Candidate(
        vuln_type=sink.vuln,
        cwe=cwe,
        entry_function=entry.function,
        entry_line=entry.line,
        source_file=taint.source.file,
        source_line=taint.source.line,
        source=taint.source.description,
        path=path,
        sink_file=sink.file,
        sink_line=sink.line,
        confidence=sink.confidence,
        fix_file=fix.file if fix is not step else "",
        fix_line=fix.line if fix is not step else 0,
        sink_end_line=sink.end_line,
    )


def findings(entry: EntryPoint, hits: list[tuple[Hit, Candidate]]) -> list[Finding]:
    """One finding per (type, sink line) of *entry*: the most confident hit, then the shortest path."""
    best: dict[tuple[str, str, int], tuple[Hit, Candidate]] = {}
    keys: dict[tuple[str, str, int], set[str]] = {}
    for hit, cand in hits:
        if cand.confidence < MIN_FINDING_CONFIDENCE:
            continue
        key = (cand.vuln_type.value, cand.sink_file, cand.sink_line)
        keys.setdefault(key, set()).add(_parameter(hit))
        current = best.get(key)
        if current is None or _better(cand, current[1]):
            best[key] = (hit, cand)
    return [_finding(entry, hit, cand, sorted(keys[key])) for key, (hit, cand) in best.items()]


def _better(new: Candidate, old: Candidate) -> bool:
    return (-new.confidence, len(new.path), -new.cwe) < (-old.confidence, len(old.path), -old.cwe)


def _parameter(hit: Hit) -> str:
    source = hit.taint.source
    assert source is not None
    return source.key or source.description


def _finding(entry: EntryPoint, hit: Hit, cand: Candidate, parameters: list[str]) -> Finding:
    fix = cand.fix
    return Finding(
        type=cand.vuln_type,
        cwe=cand.cwe,
        file=fix.file,
        start_line=fix.start_line,
        end_line=fix.end_line,
        sink=cand.sink if fix != cand.sink else None,
        entry_file=entry.file,
        entry_function=entry.function,
        entry_line=entry.line,
        confidence=cand.confidence,
        analysis=_analysis(entry, hit, cand),
        poc=_poc(entry, cand, parameters),
        route=entry.route,
        kind="static",
        path=cand.path,
    )


def _analysis(entry: EntryPoint, hit: Hit, cand: Candidate) -> str:
    hops = sum(1 for step in cand.path if step.description.startswith("passed to "))
    via = f", through {hops} call{'s' if hops != 1 else ''}," if hops else ""
    where = f"{cand.sink_file}:{cand.sink_line}"
    if cand.vuln_type is VulnType.IDOR:
        what = (
            f"{entry.function} uses {cand.source} to look up a record with {hit.sink.text} at {where}{via} "
            "and no function on the way compares the record's owner with the current user."
        )
    else:
        what = (
            f"{cand.source} read by {entry.function} ({cand.source_file}:{cand.source_line}) reaches the "
            f"{hit.sink.label} sink {hit.sink.text} at {where}{via} with no sanitizer recognised on the way."
        )
    if cand.fix_file:
        what += (
            f" {entry.function} hands the data to the helper performing the sink at "
            f"{cand.fix_file}:{cand.fix_line}, where the finding is placed."
        )
    return f"Static analysis, not confirmed by an LLM: {what}"


def _poc(entry: EntryPoint, cand: Candidate, parameters: list[str]) -> str:
    target = f"{'/'.join(entry.methods) or 'request'} {entry.route}" if entry.route else entry.function
    names = ", ".join(repr(p) for p in parameters)
    return f"Tamper with {names} in {target}, e.g. {PAYLOADS.get((cand.vuln_type, cand.cwe), 'a crafted value')}"
