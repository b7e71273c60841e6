"""The incremental state: its schema, which repository and branch it belongs to, loading and saving it.

A :class:`RunState` holds, per entry-point file, what its last analysis
concluded and the content hash of every file it was computed from
(:class:`FileState`). It is keyed by :class:`Identity` (repository and branch)
in the store and, when configured, also written to a state file.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from .. import vcs
from ..fileio import write_atomic
from ..findings import ErrorEntry, Finding
from ..results import FileResult
from ..store import Store, digest

log = logging.getLogger(__name__)

STATE_VERSION = 1
"""Bump when the state's layout or meaning changes: older states are then ignored."""


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
        try:
            write_atomic(state_file, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
        except OSError as exc:
            log.warning("could not write the incremental state file %s: %s", state_file, exc)
