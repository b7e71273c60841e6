"""The little git vulnhuntr needs, through the ``git`` command: identity of a checkout and a diff.

Incremental runs key their state by repository and branch, and ``--since REF``
needs the files a pull request touched. Both are plain ``git`` invocations
(git is present wherever the code was checked out), run with a clean
environment so hooks' ``GIT_DIR`` and the user's diff settings cannot change
what we parse. Paths come back relative to the scan root, which may be a
sub-folder of the checkout.
"""

from __future__ import annotations

import logging
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .errors import UsageError

log = logging.getLogger(__name__)

DETACHED = "-"
"""The branch name recorded for a detached HEAD or a folder outside git."""

_ENV_DROPPED = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_PREFIX")


class GitError(UsageError):
    """A git command needed for ``--since`` failed (exit 2)."""


@dataclass(frozen=True)
class Checkout:
    """A git working tree holding the scan root; ``prefix`` is the root's path inside it."""

    toplevel: Path
    prefix: str  # "" when the scan root is the top level, else "sub/dir/"

    def to_root(self, path: str) -> str | None:
        """A top-level-relative git path as a scan-root-relative one; None outside the root."""
        if not path.startswith(self.prefix):
            return None
        return path[len(self.prefix):]


@dataclass
class Diff:
    """What differs between a base commit and the working tree, relative to the scan root."""

    base: str  # the commit compared against
    changed: set[str] = field(default_factory=set)  # modified, or renamed with changes
    added: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)  # also the old side of every rename
    renamed: dict[str, str] = field(default_factory=dict)  # new path → old path, identical content
    two_dot: bool = False  # no merge base (shallow clone): compared with the ref itself

    @property
    def touched(self) -> set[str]:
        """Every path whose content at that path is not what the base had."""
        return self.changed | self.added | self.deleted


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in _ENV_DROPPED}
    env.update(LC_ALL="C", GIT_TERMINAL_PROMPT="0")
    try:
        return subprocess.run(
            ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, encoding="utf-8", errors="surrogateescape"
        )
    except FileNotFoundError as exc:
        raise GitError("the git command is not installed (needed for --since)") from exc


def _out(cwd: Path, *args: str) -> str | None:
    """stdout of a git command that succeeded, else None."""
    done = _git(cwd, *args)
    return done.stdout if done.returncode == 0 else None


def find_checkout(root: Path) -> Checkout | None:
    """The git working tree *root* lies in, or None (not in git, bare repo, or no git at all)."""
    try:
        done = _git(root, "rev-parse", "--show-toplevel")
    except GitError:
        return None
    if done.returncode != 0 or not done.stdout.strip():
        if "not a git repository" not in done.stderr:
            log.warning("git cannot read %s: %s", root, done.stderr.strip())
        return None
    toplevel = Path(done.stdout.strip()).resolve()
    relative = root.resolve().relative_to(toplevel).as_posix()
    return Checkout(toplevel, "" if relative == "." else relative + "/")


def remote_url(checkout: Checkout) -> str | None:
    """``origin``'s URL (else the first remote's), without any user name or token in it."""
    remotes = (_out(checkout.toplevel, "remote") or "").split()
    if not remotes:
        return None
    name = "origin" if "origin" in remotes else remotes[0]
    url = (_out(checkout.toplevel, "remote", "get-url", name) or "").strip()
    return _without_credentials(url) if url else None


def _without_credentials(url: str) -> str:
    """``https://user:token@host/x`` → ``https://host/x``; scp-style ``git@host:x`` stays as written."""
    if "://" not in url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def branch(checkout: Checkout) -> str:
    """The checked-out branch, or ``"-"`` on a detached HEAD."""
    name = _out(checkout.toplevel, "symbolic-ref", "--short", "-q", "HEAD")
    return name.strip() if name and name.strip() else DETACHED


def head(checkout: Checkout) -> str | None:
    """The commit checked out (None in a repository without commits)."""
    sha = _out(checkout.toplevel, "rev-parse", "-q", "--verify", "HEAD^{commit}")
    return sha.strip() if sha else None


def diff_since(checkout: Checkout, ref: str) -> Diff:
    """Files changed on this branch since it left *ref*, plus uncommitted and untracked ones.

    ``REF...HEAD`` (from the merge base) is what a pull request changed. A
    shallow clone may lack the merge base: then the diff is taken against
    *ref* itself (two-dot), which also counts what changed on *ref* meanwhile,
    and the log says so.
    """
    target = _commit(checkout, ref)
    base = _out(checkout.toplevel, "merge-base", target, "HEAD")
    diff = Diff(base=(base or target).strip())
    if base is None:
        shallow = (_out(checkout.toplevel, "rev-parse", "--is-shallow-repository") or "").strip() == "true"
        log.warning(
            "no merge base between %s and HEAD%s: comparing with %s itself (two-dot diff %s HEAD); "
            "changes made on %s since this branch started count as changes too",
            ref, " (shallow clone)" if shallow else "", ref, ref, ref,
        )
        diff.two_dot = True
    _apply(diff, checkout, _name_status(checkout, diff.base, "HEAD"))
    _apply(diff, checkout, _name_status(checkout, "HEAD"))  # staged and unstaged edits
    untracked = _out(checkout.toplevel, "ls-files", "-z", "--others", "--exclude-standard") or ""
    _apply(diff, checkout, [("A", p, None) for p in untracked.split("\0") if p])
    return diff


def _commit(checkout: Checkout, ref: str) -> str:
    """The commit *ref* names, or an error that says how to fetch it."""
    if ref.startswith("-"):
        raise GitError(f"--since {ref!r}: a git ref cannot start with '-'")
    sha = _out(checkout.toplevel, "rev-parse", "-q", "--verify", f"{ref}^{{commit}}")
    if sha:
        return sha.strip()
    raise GitError(
        f"--since {ref}: no such git ref in {checkout.toplevel}. Fetch it first: {fetch_hint(ref)}. "
        "In GitHub Actions, check out with `actions/checkout` and `fetch-depth: 0`"
    )


def fetch_hint(ref: str) -> str:
    """How to make *ref* available; a single-branch (shallow) clone needs the explicit refspec."""
    remote, _, name = ref.partition("/")
    if not name or ref.startswith("refs/"):
        remote, name = "origin", ref
    return (
        f"`git fetch {remote} {name} --depth=1`, or in a shallow or single-branch clone "
        f"`git fetch --depth=1 {remote} +refs/heads/{name}:refs/remotes/{remote}/{name}`"
    )


def _name_status(checkout: Checkout, *revisions: str) -> list[tuple[str, str, str | None]]:
    """``git diff --name-status`` as (status, path, old path of a rename)."""
    done = _git(checkout.toplevel, "diff", "--name-status", "-z", "-M", "--no-ext-diff", "--no-relative", *revisions)
    if done.returncode != 0:
        raise GitError(f"git diff {' '.join(revisions)} failed: {done.stderr.strip()}")
    fields = done.stdout.split("\0")
    entries: list[tuple[str, str, str | None]] = []
    at = 0
    while at < len(fields) and fields[at]:
        status = fields[at]
        if status[:1] in ("R", "C"):
            entries.append((status, fields[at + 2], fields[at + 1]))
            at += 3
        else:
            entries.append((status, fields[at + 1], None))
            at += 2
    return entries


def _apply(diff: Diff, checkout: Checkout, entries: list[tuple[str, str, str | None]]) -> None:
    """Fold one diff's entries into *diff* (later diffs describe later states of the tree)."""
    for status, path, old in entries:
        new = checkout.to_root(path)
        was = checkout.to_root(old) if old is not None else None
        if status.startswith("R") and was is not None:
            _rename(diff, was, new, identical=status == "R100")
        elif status.startswith("D"):
            if new is not None:
                _forget(diff, new)
                diff.deleted.add(new)
        elif new is not None:
            _forget(diff, new)
            (diff.added if status.startswith(("A", "C")) else diff.changed).add(new)


def _rename(diff: Diff, old: str, new: str | None, *, identical: bool) -> None:
    """*old* moved to *new*; identical content keeps the original path it came from."""
    origin = diff.renamed.pop(old, old)
    fresh = old in diff.added
    _forget(diff, old)
    diff.deleted.add(old)
    if new is None:
        return
    _forget(diff, new)
    if fresh:
        diff.added.add(new)
    elif identical:
        diff.renamed[new] = origin
    else:
        diff.changed.add(new)


def _forget(diff: Diff, path: str | None) -> None:
    """Drop what an earlier diff said about *path* before a later one restates it."""
    if path is None:
        return
    for group in (diff.changed, diff.added, diff.deleted):
        group.discard(path)
    diff.renamed.pop(path, None)
