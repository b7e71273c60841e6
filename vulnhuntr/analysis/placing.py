"""Where a confirmed vulnerability is reported: the quoted sink line, the static path it confirms, or the handler.

A chain ends with the model's last answer. Its sinks are found among the code the
chain was shown (the entry-point file, the fetched definitions, the template
lines); a static candidate the answer confirms places the finding where it is
fixed and gives it its path; without a sink line the finding points at the
handler the answer names, the one holding the sink, or its best guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..findings import ContextItem, Finding, Location, PathStep, VulnType, merge_by_place
from ..repo.entrypoints import EntryPoint
from ..repo.index import RepoIndex
from ..repo.resolve import Symbol
from ..static import Candidate
from .context import ContextBuilder, FileView
from .cwe import cwe_for
from .locate import Place, Region, confirmed_leads, locate_all
from .response import AnalysisAnswer


@dataclass
class Placer:
    """Turns a chain's last answer into findings, for one repository."""

    index: RepoIndex
    context: ContextBuilder

    def findings(
        self,
        view: FileView,
        vuln_type: VulnType,
        answer: AnalysisAnswer,
        regions: Sequence[Region],
        shown: Iterable[Symbol],
        seeds: Sequence[Candidate],
    ) -> list[Finding]:
        """The findings of a chain's last *answer*: placed at the quoted sink among *regions*, or by the static *seeds*.

        *shown* is the code the chain fetched (the findings' context); none unless the answer reports the type.
        """
        file, entry_points = view.file, view.entry_points
        if vuln_type not in answer.vulnerability_types or answer.confidence_score <= 0:
            return []
        regions = [*regions, *self.context.template_regions(view)]
        context = tuple(ContextItem(s.qualname or s.module, s.file, s.start_line, s.end_line) for s in shown)
        sinks = answer.sinks or []
        findings: dict[tuple[object, ...], Finding] = {}

        def add(finding: Finding) -> None:
            findings.setdefault((finding.location, finding.sink_location, finding.entry_function), finding)

        for sink in sinks:
            places = locate_all(sink.code_line, regions)
            named = named_entry(sink.entry_point, entry_points)
            guess = entry_for(sink.entry_point, None, file, entry_points, answer.analysis) if sink.entry_point else None
            place = self.nearest(places, file, named or guess)
            entry = entry_for(sink.entry_point, place, file, entry_points, answer.analysis)
            leads = confirmed_leads(seeds, entry=named.function if named else None, place=place, analysis=answer.analysis)
            if named is None and leads:  # the static paths it confirms tell whose finding it is
                for lead in leads:
                    owner = named_entry(lead.entry_function, entry_points)
                    add(self.finding(vuln_type, answer, place, owner, file, sink.code_line, context, sink.cwe, lead))
                continue
            matched = next((c for c in leads if entry is not None and c.entry_function == entry.function), None)
            add(self.finding(vuln_type, answer, place, entry, file, sink.code_line, context, sink.cwe, matched))
        if not findings:  # no sink line: the candidates it confirms place it, else the handler
            for lead in confirmed_leads(seeds, entry=None, place=None, analysis=answer.analysis):
                owner = named_entry(lead.entry_function, entry_points)
                add(self.finding(vuln_type, answer, None, owner, file, None, context, None, lead))
        if not findings:
            entry = entry_for("", None, file, entry_points, answer.analysis)
            add(self.finding(vuln_type, answer, None, entry, file, None, context))
        return merge_by_place(findings.values())

    def nearest(self, places: list[Place], file: str, entry: EntryPoint | None) -> Place | None:
        """Of several lines matching the quoted sink, the one in code the entry point reaches."""
        if len(places) <= 1 or entry is None:
            return places[0] if places else None
        spans = [(s.file, s.start_line, s.end_line) for s in self.context.reachable(file, entry)]
        definition = self.index.modules[file].definitions_by_name.get(entry.function)
        if definition is not None:
            spans.append((file, definition.start_line, definition.end_line))
        for place in places:
            if any(f == place.file and a <= place.line <= b for f, a, b in spans):
                return place
        return places[0]

    def finding(
        self,
        vuln_type: VulnType,
        answer: AnalysisAnswer,
        place: Place | None,
        entry: EntryPoint | None,
        file: str,
        sink_code: str | None,
        context: tuple[ContextItem, ...],
        stated_cwe: int | None = None,
        lead: Candidate | None = None,
    ) -> Finding:
        """A finding at the quoted sink line; with the static *lead* it confirms, placed and pathed as that lead."""
        sink: Location | None = None
        path: tuple[PathStep, ...] = ()
        if lead is not None:
            fix = lead.fix
            sink_file, start, end = fix.file, fix.start_line, fix.end_line
            sink = lead.sink if lead.sink != fix else None
            path = lead.path
            stated_cwe = stated_cwe if stated_cwe is not None else lead.cwe
        elif place is not None:
            sink_file, start, end = place.file, place.line, place.line
        elif entry is not None:  # the model did not quote the sink: point at the handler
            definition = self.index.modules[file].definitions_by_name.get(entry.function)
            sink_file, start = file, entry.line
            end = definition.end_line if definition else entry.line
        else:
            sink_file, start, end = file, 1, 1
        return Finding(
            type=vuln_type,
            cwe=cwe_for(vuln_type, sink_code, stated_cwe),
            file=sink_file,
            start_line=start,
            end_line=end,
            entry_file=entry.file if entry else file,
            entry_function=entry.function if entry else "",
            entry_line=entry.line if entry else 0,
            route=entry.route if entry else None,
            confidence=answer.confidence_score,
            analysis=answer.analysis,
            poc=answer.poc,
            context=context,
            path=path,
            sink=sink,
        )


def entry_for(
    named: str, place: Place | None, file: str, entry_points: Sequence[EntryPoint], analysis: str
) -> EntryPoint | None:
    """The handler a finding belongs to: as named by the model, else the one containing the sink, else a guess."""
    if not entry_points:
        return None
    entry = named_entry(named, entry_points)
    if entry is not None:
        return entry
    if place is not None and place.file == file:
        containing = [e for e in entry_points if e.line <= place.line]
        if containing:
            return max(containing, key=lambda e: e.line)
    mentioned = [e for e in entry_points if e.function.rsplit(".", 1)[-1] in analysis]
    return (mentioned or list(entry_points))[0]


def named_entry(named: str, entry_points: Sequence[EntryPoint]) -> EntryPoint | None:
    """The entry point the model named (``view``, ``Views.view``, ``view(request)``), if it is one."""
    if not named:
        return None
    named = named.split("(", 1)[0].strip()
    exact = [e for e in entry_points if e.function == named]
    last = [e for e in entry_points if e.function.rsplit(".", 1)[-1] == named.rsplit(".", 1)[-1]]
    return (exact or last)[0] if exact or len(last) == 1 else None
