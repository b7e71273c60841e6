"""One incremental run's life cycle: identify and plan before the analysis, record the new state after it.

Before: which repository and branch this is, the previous state (ignored when
the model, limits or tool version changed since), the git diff of ``--since``,
and the :class:`~.plan.ReusePlan`. After: the summary the report shows, and the
next state built from the plan and this run's per-file results, then saved.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .. import __version__, vcs
from ..config import Settings
from ..errors import UsageError
from ..run_summary import FileNote, IncrementalSummary
from ..llm.registry import provider_family
from ..repo.map import RepositoryMap
from ..results import FileResult
from ..store import Store
from .plan import Action, entry_point_dicts, plan_reuse
from .state import FileState, Identity, RunState, identify, load_state, save_state

log = logging.getLogger(__name__)


class IncrementalRun:
    """One incremental scan: the plan before the analysis, the summary and the new state after it."""

    def __init__(
        self,
        repository: RepositoryMap,
        settings: Settings,
        identity: Identity,
        previous: RunState | None,
        fingerprint_now: dict[str, Any],
        *,
        diff: vcs.Diff | None = None,
        since: str | None = None,
        notes: list[str] | None = None,
    ) -> None:
        """Plan against *previous* (already checked against *fingerprint_now*); use :meth:`begin`."""
        self.repository = repository
        self.settings = settings
        self.identity = identity
        self.previous = previous
        self.fingerprint = fingerprint_now
        self.since = since
        self.notes = notes or []
        self.plan = plan_reuse(repository, previous, diff, since)

    @classmethod
    def begin(
        cls, repository: RepositoryMap, settings: Settings, store: Store | None, *, model: str | None, since: str | None
    ) -> IncrementalRun:
        """Identify the repository, load the previous state, diff against *since*, and plan."""
        identity = identify(repository.root)
        notes: list[str] = []
        diff = _diff(identity, repository.root, since, notes) if since is not None else None
        state_file = settings.performance.incremental.state_file
        previous = load_state(store, identity, state_file)
        now = fingerprint(settings, model)
        if previous is not None and previous.fingerprint != now:
            changed = sorted(k for k in now if previous.fingerprint.get(k) != now[k])
            notes.append(f"previous results ignored: {', '.join(changed) or 'settings'} changed since that run")
            previous = None
        return cls(repository, settings, identity, previous, now, diff=diff, since=since, notes=notes)

    @property
    def baseline(self) -> str:
        state = self.previous
        if state is None:
            return "no previous run"
        if state.completed_at is None:
            return f"partial results of an unfinished run of {self.identity.label}"
        commit = f" at {state.commit[:12]}" if state.commit else ""
        when = time.strftime(" (%Y-%m-%d %H:%M UTC)", time.gmtime(state.completed_at))
        return f"previous run of {self.identity.label}{commit}{when}"

    def summary(self) -> IncrementalSummary:
        """Who was reused, who re-analysed, who skipped or removed, and why."""
        grouped: dict[Action, list[FileNote]] = {"reuse": [], "analyse": [], "skip": []}
        for file, decision in sorted(self.plan.decisions.items()):
            grouped[decision.action].append(FileNote(file, decision.reason))
        return IncrementalSummary(
            mode="since" if self.since is not None else "incremental",
            baseline=self.baseline,
            since=self.since,
            reused=grouped["reuse"],
            reanalysed=grouped["analyse"],
            not_analysed=grouped["skip"],
            removed=[FileNote(f, r) for f, r in sorted(self.plan.removed.items())],
            notes=list(self.notes),
        )

    def finish(self, results: Mapping[str, FileResult], *, complete: bool, store: Store | None) -> None:
        """Record the new state: this run's *results* over what the plan kept.

        An incomplete run (interrupted, over budget) still records the files
        that finished: each entry names the exact content it was computed from,
        so it can only ever be reused for that content. What did not finish
        keeps its previous entry, which the next run finds outdated or valid
        on its own.
        """
        summary = self.summary()
        for note in summary.reanalysed + summary.removed:
            log.info("incremental: %s: %s", note.file, note.reason)
        state = self.next_state(results, complete)
        save_state(state, store, self.identity, self.settings.performance.incremental.state_file)

    def next_state(self, results: Mapping[str, FileResult], complete: bool) -> RunState:
        """The state to record: the previous one, with the plan's decisions and this run's results applied."""
        base = self.previous
        files = dict(base.files) if base is not None else {}
        for file in self.plan.removed:
            files.pop(file, None)
        now = self.plan.now
        for file, decision in self.plan.decisions.items():
            if decision.renamed_from:
                files.pop(decision.renamed_from, None)
            if decision.previous is not None:  # reused, skipped, or the fallback if its analysis does not finish
                files[file] = decision.previous
        for file, result in results.items():
            depends = now.dependencies.get(file, {file}) | result.context_files | {file}
            files[file] = FileState(
                dependencies={f: now.hashes[f] for f in sorted(depends) if f in now.hashes},
                entry_points=entry_point_dicts(now.targets.get(file, [])),
                findings=list(result.findings),
                errors=list(result.errors),
            )
        state = RunState(self.identity.repository, self.identity.branch, self.fingerprint, files)
        if complete:
            state.commit, state.completed_at = self.identity.commit, time.time()
        elif base is not None:
            state.commit, state.completed_at = base.commit, base.completed_at
        return state


def fingerprint(settings: Settings, model: str | None) -> dict[str, Any]:
    """Everything besides the code that decides what the analysis finds: a change voids the state."""
    return {
        "tool": __version__,
        "llm": provider_family(settings.llm),
        "model": model,
        "max_rounds": settings.analysis.max_rounds,
        "always_initial_pass": settings.analysis.always_initial_pass,
    }


def _diff(identity: Identity, root: Path, since: str, notes: list[str]) -> vcs.Diff:
    """The git diff for ``--since``; outside git that option cannot work."""
    if identity.checkout is None:
        raise UsageError(
            f"--since {since} needs a git repository, and {root} is not in one; "
            "use --incremental instead (it compares file contents with the previous run)"
        )
    diff = vcs.diff_since(identity.checkout, since)
    if diff.two_dot:
        notes.append(f"no merge base with {since} (shallow clone?): compared with {since} directly (two-dot diff)")
    return diff
