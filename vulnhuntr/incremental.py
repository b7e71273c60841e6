"""Re-analyse only the entry-point files whose code, or whose call chain, changed.

A run records, per entry-point file, the content hash of every file its
analysis depended on: the files the model was shown (``FileResult.context_files``)
plus the in-repo callees found statically from the index. The next run reuses
a file's findings when every one of those hashes still matches (the state is
self-validating: an entry is only ever reused for exactly the content it was
computed from), and analyses the rest. ``--since REF`` narrows the analysis to
what a git diff touched, as a pull-request check wants.

The state lives in the persistent :class:`~vulnhuntr.store.Store` under
``run_state``, keyed by repository (remote URL, else the path) and branch; it is
written into the scanned tree only when ``performance.incremental.state_file``
names a file there.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from . import __version__, vcs
from .analysis.loop import FileResult
from .analysis.run import targets_by_file
from .config import Settings
from .errors import UsageError
from .findings import ErrorEntry, Finding, Report
from .run_summary import FileNote, IncrementalSummary
from .llm.registry import provider_family
from .repo.entrypoints import EntryPoint
from .repo.index import RepoIndex
from .repo.map import RepositoryMap
from .repo.resolve import Resolver
from .store import Store, digest

log = logging.getLogger(__name__)

STATE_VERSION = 1
"""Bump when the state's layout or meaning changes: older states are then ignored."""

CHAIN_DEPTH = 3
"""How many calls deep the static call chain is followed from an entry-point file."""


# --------------------------------------------------------------------------- the call chain


def call_chain_files(index: RepoIndex, resolver: Resolver, file: str, depth: int = CHAIN_DEPTH) -> set[str]:
    """*file* and the files of the repo definitions its calls reach, *depth* calls deep.

    From the entry file every call counts; from a callee only the calls inside
    that definition, so one shared helper module does not pull in everything
    it could call. Only names that follow from imports count: the resolver's
    repo-wide name search would make unrelated files look like dependencies
    (and would cost a scan of every definition per unknown name).
    """
    files = {file}
    seen: set[tuple[str, str]] = {(file, "")}
    frontier = [(file, "")]  # (path, qualname); "" stands for the whole module
    for _ in range(depth):
        reached: list[tuple[str, str]] = []
        for path, scope in frontier:
            for key in _callees(index, resolver, path, scope):
                if key not in seen:
                    seen.add(key)
                    reached.append(key)
                    files.add(key[0])
        frontier = reached
    return files


def _callees(index: RepoIndex, resolver: Resolver, path: str, scope: str) -> Iterator[tuple[str, str]]:
    module = index.modules.get(path)
    if module is None:
        return
    for call in [*module.calls, *module.lookups]:
        if scope and call.scope != scope and not call.scope.startswith(scope + "."):
            continue
        dispatch = resolver.dispatch(call.callee, path, call.line) if "[" in call.callee or "(" in call.callee else None
        if dispatch is not None:  # ``ACTIONS[name](...)``: every candidate is a dependency
            yield from ((t.symbol.file, t.symbol.qualname) for t in dispatch.targets if t.symbol is not None)
            continue
        found = _callee(index, resolver, call.callee, path, call.line)
        if found is not None:
            yield found


def _callee(index: RepoIndex, resolver: Resolver, callee: str, path: str, line: int) -> tuple[str, str] | None:
    """(file, qualname) behind ``a.b.c``, or behind ``a.b`` / ``a`` when the tail is dynamic (``Note.query.get``)."""
    parts = callee.split(".")
    for length in range(len(parts), 0, -1):
        qualified = resolver.qualify(".".join(parts[:length]), path, line)
        if qualified is not None:
            return _definition(index, qualified)  # None outside the repo ("flask.request.args")
    return None


def _definition(index: RepoIndex, qualified: str) -> tuple[str, str] | None:
    """The repo file and innermost known definition of a fully qualified name."""
    parts = qualified.split(".")
    for split in range(len(parts), 0, -1):
        module = index.by_module.get(".".join(parts[:split]))
        if module is None:
            continue
        rest = parts[split:]
        while rest and ".".join(rest) not in module.definitions_by_name:
            rest = rest[:-1]
        return module.path, ".".join(rest)
    return None


# --------------------------------------------------------------------------- the state


@dataclass
class FileState:
    """What one entry-point file's last analysis concluded, and the content it concluded it from."""

    dependencies: dict[str, str]  # path → sha256 of every file the analysis depended on
    entry_points: list[dict[str, Any]]  # EntryPoint.to_dict() without "file"
    findings: list[Finding] = field(default_factory=list)  # every confidence
    errors: list[ErrorEntry] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "dependencies": dict(sorted(self.dependencies.items())),
            "entry_points": self.entry_points,
            "findings": [f.to_dict() for f in self.findings],
            "errors": [asdict(e) for e in self.errors],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileState:
        return cls(
            dependencies=dict(data["dependencies"]),
            entry_points=list(data["entry_points"]),
            findings=[Finding.from_dict(f) for f in data.get("findings", [])],
            errors=[ErrorEntry(**e) for e in data.get("errors", [])],
        )

    def result(self, file: str) -> FileResult:
        """The analysis result this state stands for, as if the file had just been analysed."""
        return FileResult(file, list(self.findings), list(self.errors), set(self.dependencies))

    def moved(self, old: str, new: str) -> FileState:
        """The same state for a file renamed from *old* to *new* (paths in findings follow)."""
        path = {old: new}.get
        return FileState(
            dependencies={path(k, k): v for k, v in self.dependencies.items()},
            entry_points=self.entry_points,
            findings=[_moved_finding(f, old, new) for f in self.findings],
            errors=[replace(e, file=path(e.file, e.file)) if e.file else e for e in self.errors],
        )


def _moved_finding(finding: Finding, old: str, new: str) -> Finding:
    def path(value: str) -> str:
        return new if value == old else value

    context = tuple(replace(c, file=path(c.file)) if c.file else c for c in finding.context)
    return replace(finding, file=path(finding.file), entry_file=path(finding.entry_file), context=context)


@dataclass
class RunState:
    """The incremental state of one repository and branch."""

    repository: str
    branch: str
    fingerprint: dict[str, Any]  # what the findings depend on besides the code (model, limits, version)
    files: dict[str, FileState] = field(default_factory=dict)
    commit: str | None = None  # HEAD of the last complete run
    completed_at: float | None = None  # time of the last complete run

    def to_json(self) -> dict[str, Any]:
        return {
            "format": "vulnhuntr-run-state",
            "version": STATE_VERSION,
            "repository": self.repository,
            "branch": self.branch,
            "commit": self.commit,
            "completed_at": self.completed_at,
            "fingerprint": self.fingerprint,
            "files": {path: state.to_json() for path, state in sorted(self.files.items())},
        }

    @classmethod
    def from_json(cls, data: Any) -> RunState | None:
        """The state in *data*, or None when it is not one this version understands."""
        if not isinstance(data, dict) or data.get("format") != "vulnhuntr-run-state":
            return None
        if data.get("version") != STATE_VERSION:
            return None
        try:
            return cls(
                repository=data["repository"],
                branch=data["branch"],
                fingerprint=data["fingerprint"],
                files={path: FileState.from_json(value) for path, value in data["files"].items()},
                commit=data.get("commit"),
                completed_at=data.get("completed_at"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("ignoring a damaged incremental state: %s", exc)
            return None


def fingerprint(settings: Settings, model: str | None) -> dict[str, Any]:
    """Everything besides the code that decides what the analysis finds: a change voids the state."""
    return {
        "tool": __version__,
        "llm": provider_family(settings.llm),
        "model": model,
        "max_rounds": settings.analysis.max_rounds,
    }


# --------------------------------------------------------------------------- where the state lives


@dataclass(frozen=True)
class Identity:
    """Which repository and branch the state belongs to."""

    repository: str  # remote URL without credentials, else the resolved path
    subdirectory: str  # the scan root inside the git checkout ("" at its top)
    branch: str  # "-" for a detached HEAD or a folder outside git
    commit: str | None
    checkout: vcs.Checkout | None

    @property
    def key(self) -> str:
        return digest("run_state", STATE_VERSION, self.repository, self.subdirectory, self.branch)

    @property
    def label(self) -> str:
        where = self.repository + (f" ({self.subdirectory.rstrip('/')})" if self.subdirectory else "")
        return f"{where}, branch {self.branch}"


def identify(root: Path) -> Identity:
    """The repository and branch of *root*; a folder outside git is known by its path."""
    checkout = vcs.find_checkout(root)
    if checkout is None:
        return Identity(str(root.resolve()), "", vcs.DETACHED, None, None)
    remote = vcs.remote_url(checkout)
    repository = remote or str(checkout.toplevel)
    return Identity(repository, checkout.prefix, vcs.branch(checkout), vcs.head(checkout), checkout)


def load_state(store: Store | None, identity: Identity, state_file: Path | None) -> RunState | None:
    """The previous state: from ``state_file`` when configured and present, else from the store."""
    if state_file is not None and state_file.is_file():
        try:
            return RunState.from_json(json.loads(state_file.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            log.warning("ignoring the incremental state file %s: %s", state_file, exc)
            return None
    return RunState.from_json(store.get_json("run_state", identity.key)) if store is not None else None


def save_state(state: RunState, store: Store | None, identity: Identity, state_file: Path | None) -> None:
    """Write the state to the store and, when configured, atomically to ``state_file``."""
    data = state.to_json()
    if store is not None:
        store.put_json("run_state", identity.key, data)
    if state_file is not None:
        from .report import write_atomic  # the report package imports the console; only needed here

        try:
            write_atomic(state_file, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
        except OSError as exc:
            log.warning("could not write the incremental state file %s: %s", state_file, exc)


# --------------------------------------------------------------------------- planning

Action = Literal["reuse", "analyse", "skip"]


@dataclass(frozen=True)
class Decision:
    """What to do with one entry-point file this run, and why."""

    action: Action
    reason: str
    previous: FileState | None = None  # the previous state (path-adjusted after a rename); reused if valid
    renamed_from: str | None = None


@dataclass(frozen=True)
class _Now:
    """The repository as it is now, as planning (and then the next state) needs it."""

    hashes: dict[str, str]  # path → sha256 of every indexed file
    targets: dict[str, list[EntryPoint]]
    dependencies: dict[str, set[str]]  # each target's static call chain
    in_scope: Callable[[str], bool]  # RepositoryMap.in_scope


@dataclass
class Plan:
    """Per entry-point file: reuse, analyse or skip; plus the previous files that are gone."""

    decisions: dict[str, Decision]
    removed: dict[str, str]  # previous entry-point file → why it is no longer reported
    now: _Now  # what the plan was made from

    @property
    def to_analyse(self) -> set[str]:
        return {f for f, d in self.decisions.items() if d.action == "analyse"}

    @property
    def reused(self) -> list[FileResult]:
        return [d.previous.result(f) for f, d in sorted(self.decisions.items()) if d.action == "reuse" and d.previous]


def make_plan(repository: RepositoryMap, previous: RunState | None, diff: vcs.Diff | None, since: str | None) -> Plan:
    """Decide every entry-point file: reuse its valid previous results, analyse it, or (``--since``) skip it."""
    targets = targets_by_file(repository)
    now = _Now(
        hashes={path: module.sha256 for path, module in repository.index.modules.items()} | repository.templates.hashes(),
        targets=targets,
        dependencies={
            f: call_chain_files(repository.index, repository.resolver, f) | repository.template_search.rendered_by(f)
            for f in targets
        },  # a template a file renders is a dependency like a helper it calls
        in_scope=repository.in_scope,
    )
    files = previous.files if previous is not None else {}
    renames = _renames(now, files)
    decisions = {f: _decide(f, now, files, renames, diff, since) for f in sorted(targets)}
    consumed = {d.renamed_from for d in decisions.values() if d.renamed_from}
    removed = {
        old: _gone(old, now, repository.root)
        for old in files
        if old not in targets and old not in consumed and now.in_scope(old)
    }
    return Plan(decisions, removed, now)


def _gone(file: str, now: _Now, root: Path) -> str:
    """Why a previous entry-point file is not reported any more."""
    if file in now.hashes:
        return "no entry points any more"
    return "skipped this run" if (root / file).exists() else "deleted"


def _renames(now: _Now, files: dict[str, FileState]) -> dict[str, str]:
    """New entry-point file → a vanished previous one with exactly the same content."""
    gone = {old: state.dependencies.get(old) for old, state in files.items() if old not in now.targets}
    found: dict[str, str] = {}
    for new in sorted(set(now.targets) - set(files)):
        match = next((old for old, sha in sorted(gone.items()) if sha == now.hashes.get(new)), None)
        if match is not None:
            found[new] = match
            del gone[match]
    return found


def _decide(
    file: str, now: _Now, files: dict[str, FileState], renames: dict[str, str], diff: vcs.Diff | None, since: str | None
) -> Decision:
    old = renames.get(file)
    previous = files[old].moved(old, file) if old else files.get(file)
    stale = _staleness(file, previous, now) if previous is not None else ("new" if files else "no previous run")
    if stale is None:
        reason = f"renamed from {old}, content unchanged" if old else "unchanged"
        return Decision("reuse", reason, previous, old)
    if diff is None:
        return Decision("analyse", stale, previous, old)
    touched = _diff_reason(file, now.dependencies[file] | set(previous.dependencies if previous else ()), diff, since)
    if touched is not None:
        return Decision("analyse", touched, previous, old)
    outdated = "previous results outdated" if previous is not None else "no previous results"
    moved = f"renamed from {diff.renamed[file]}, " if file in diff.renamed else ""
    return Decision("skip", f"{moved}unchanged since {since} ({outdated})", previous, old)


def _staleness(file: str, previous: FileState, now: _Now) -> str | None:
    """Why *previous* cannot be reused for *file* now, or None when it can."""
    if previous.errors:
        return "had errors last time"
    if now.hashes.get(file) != previous.dependencies.get(file):
        return "changed"
    gone = sorted(f for f in previous.dependencies if f not in now.hashes)
    edited = sorted(f for f in previous.dependencies if f in now.hashes and now.hashes[f] != previous.dependencies[f])
    fresh = sorted(now.dependencies[file] - set(previous.dependencies))
    if edited:
        return f"{_helpers(edited)} changed"
    if gone:
        return f"{_helpers(gone)} deleted"
    if fresh:
        return f"now calls into {', '.join(fresh)}"
    if _entry_points(now.targets[file]) != [{"kind": "route", **e} for e in previous.entry_points]:  # "kind" is new
        return "entry points changed"
    return None


def _diff_reason(file: str, dependencies: set[str], diff: vcs.Diff, since: str | None) -> str | None:
    """Why the diff against *since* makes *file* worth analysing, or None when it does not touch it."""
    if file in diff.added:
        return f"new since {since}"
    if file in diff.changed:
        return f"changed since {since}"
    helpers = sorted((dependencies - {file}) & diff.touched)
    return f"{_helpers(helpers)} changed since {since}" if helpers else None


def _helpers(paths: list[str]) -> str:
    shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
    return f"helper{'s' if len(paths) > 1 else ''} {shown}"


def _entry_points(entries: list[EntryPoint]) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.to_dict().items() if k != "file"} for e in sorted(entries)]


# --------------------------------------------------------------------------- one run


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
        self.plan = make_plan(repository, previous, diff, since)
        self.results: dict[str, FileResult] = {}  # filled by the analysis

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

    def finish(self, report: Report, store: Store | None) -> None:
        """Attach the summary to *report* and record the new state.

        An incomplete run (interrupted, over budget) still records the files
        that finished: each entry names the exact content it was computed from,
        so it can only ever be reused for that content. What did not finish
        keeps its previous entry, which the next run finds outdated or valid
        on its own.
        """
        report.incremental = self.summary()
        for note in report.incremental.reanalysed + report.incremental.removed:
            log.info("incremental: %s: %s", note.file, note.reason)
        state = self._next_state(report.complete)
        save_state(state, store, self.identity, self.settings.performance.incremental.state_file)

    def _next_state(self, complete: bool) -> RunState:
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
        for file, result in self.results.items():
            depends = now.dependencies.get(file, {file}) | result.context_files | {file}
            files[file] = FileState(
                dependencies={f: now.hashes[f] for f in sorted(depends) if f in now.hashes},
                entry_points=_entry_points(now.targets.get(file, [])),
                findings=list(result.findings),
                errors=list(result.errors),
            )
        state = RunState(self.identity.repository, self.identity.branch, self.fingerprint, files)
        if complete:
            state.commit, state.completed_at = self.identity.commit, time.time()
        elif base is not None:
            state.commit, state.completed_at = base.commit, base.completed_at
        return state


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
