"""Planning an incremental run: previous state + git diff + repository → what to redo and what to reuse.

Pure: nothing is written, and nothing is read besides the arguments but whether
a file that left the index still exists (deleted, or skipped this run). Each entry-point file is decided once
(:class:`Decision`): its previous results are reused when every file they were
computed from still has the same content, it is analysed otherwise, and with
``--since`` a file the diff does not touch is skipped. A file renamed with its
content unchanged keeps its results under the new name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .. import vcs
from ..analysis.targets import targets_by_file
from ..repo.callgraph import call_chain_files
from ..repo.entrypoints import EntryPoint
from ..repo.map import RepositoryMap
from ..results import FileResult
from .state import FileState, RunState

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
class ReusePlan:
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


def plan_reuse(
    repository: RepositoryMap, previous: RunState | None, diff: vcs.Diff | None, since: str | None
) -> ReusePlan:
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
    return ReusePlan(decisions, removed, now)


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
    if entry_point_dicts(now.targets[file]) != [{"kind": "route", **e} for e in previous.entry_points]:  # "kind" is new
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


def entry_point_dicts(entries: list[EntryPoint]) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.to_dict().items() if k != "file"} for e in sorted(entries)]
