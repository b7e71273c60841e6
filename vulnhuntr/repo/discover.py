"""Decide which Python files of a repository are analysed.

Only application code is worth the LLM's time, so tests, docs, virtualenvs,
build output and ``.gitignore``d paths are left out by default. Exclusion is
decided per path component *below the root* (never by substring, never by
directories above the root), so ``distributed/`` or ``/home/me/tests/app`` are
still scanned.

The walk follows symlinked directories but remembers the ``(st_dev, st_ino)``
of every directory it entered, so a symlink loop ends the branch instead of
the scan. Real problems (loops, broken links, unreadable directories, paths the
user excluded) are returned as :class:`SkippedFile` so the report can say what
was not looked at; default exclusions are silent.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from vulnhuntr.errors import UsageError
from vulnhuntr.repo.paths import resolves_inside
from vulnhuntr.repo.skipped import SkippedFile

EXCLUDED_DIR_NAMES = frozenset(
    {
        "test", "tests", "testing", "docs", "doc", "example", "examples",
        "venv", ".venv", "virtualenv", "site-packages", "dist-packages",
        "build", "dist", "node_modules", "__pycache__",
        ".git", ".hg", ".svn", ".tox", ".nox",
        ".mypy_cache", ".pytest_cache", ".ruff_cache",
    }
)  # fmt: skip
"""Directory names that never hold application code worth analysing."""

EXCLUDED_DIR_GLOBS = ("*.egg-info",)
EXCLUDED_FILE_GLOBS = ("test_*.py", "*_test.py", "conftest.py")
VENV_MARKER = "pyvenv.cfg"
README_ORDER = ("readme.md", "readme.rst", "readme.txt", "readme")
"""README names (lower-cased) in order of preference."""

TEMPLATE_SUFFIXES = (".html", ".htm", ".jinja", ".jinja2", ".j2", ".djhtml")
"""Template files wherever they are (Jinja2, Django, Flask, Starlette all use these)."""
TEXT_TEMPLATE_SUFFIXES = (".txt",)
"""Suffixes that are templates only inside a template folder (``templates/mail/reset.txt``)."""
TEMPLATE_FOLDER_NAMES = frozenset({"templates", "template", "jinja_templates", "jinja2"})
"""Directory names that mark a template folder for :data:`TEXT_TEMPLATE_SUFFIXES`."""


@dataclass(frozen=True)
class Discovery:
    """The files to analyse, the ones that could not be, and the README for context."""

    root: Path
    files: tuple[str, ...]
    skipped: tuple[SkippedFile, ...]
    readme: str | None
    templates: tuple[str, ...] = ()  # template files, under the same exclusion rules as ``files``


# --------------------------------------------------------------------------- matching


def _compile(patterns: Iterable[str]) -> pathspec.PathSpec | None:
    """A gitignore-style spec, or ``None`` when there are no patterns (the fast path)."""
    lines = [line for line in patterns if line.strip()]
    return pathspec.GitIgnoreSpec.from_lines(lines) if lines else None


def _verdict(spec: pathspec.PathSpec, path: str) -> bool | None:
    """Gitignore's last-match-wins answer: True ignored, False re-included, None no match."""
    for pattern in reversed(spec.patterns):
        if pattern.include is not None and pattern.match_file(path) is not None:
            return pattern.include
    return None


def _matches(spec: pathspec.PathSpec | None, path: str) -> bool:
    """Whether ``path`` (with a trailing ``/`` for directories) is selected by ``spec``."""
    return spec is not None and bool(_verdict(spec, path))


@dataclass(frozen=True)
class _GitIgnore:
    """The rules of one ``.gitignore``; its patterns are relative to its own directory."""

    base: str  # "" for the root, else "pkg/sub/"
    spec: pathspec.PathSpec

    def verdict(self, rel: str) -> bool | None:
        """Decision of this file for ``rel`` (a path relative to the scan root)."""
        return _verdict(self.spec, rel[len(self.base) :])


def _gitignored(rules: Sequence[_GitIgnore], rel: str) -> bool:
    """Deeper ``.gitignore`` files override shallower ones, as in git."""
    ignored = False
    for rule in rules:
        decision = rule.verdict(rel)
        if decision is not None:
            ignored = decision
    return ignored


def _default_excluded_dir(name: str, path: str) -> bool:
    """Tests, docs, caches, VCS data, build output and virtualenvs are not app code."""
    if name in EXCLUDED_DIR_NAMES or name.startswith("."):
        return True
    if any(fnmatch.fnmatchcase(name, glob) for glob in EXCLUDED_DIR_GLOBS):
        return True
    return os.path.exists(os.path.join(path, VENV_MARKER))


def _default_excluded_file(name: str) -> bool:
    """Test modules and fixtures are not reachable from the app's entry points."""
    return any(fnmatch.fnmatchcase(name, glob) for glob in EXCLUDED_FILE_GLOBS)


def _include_prefixes(patterns: Sequence[str]) -> tuple[str, ...] | None:
    """Directory prefixes that ``--include`` patterns are anchored to.

    ``None`` means some pattern may match at any depth, so every excluded
    directory has to be walked. This keeps ``--include 'tests/**'`` from
    walking a huge ``.venv``.
    """
    prefixes = []
    for raw in patterns:
        pattern = raw.strip()
        if not pattern or pattern.startswith(("#", "!")):
            continue
        body = pattern.rstrip("/")
        if "/" not in body or body.startswith("**/"):
            return None
        body = body.lstrip("/")
        cut = min((i for i, ch in enumerate(body) if ch in "*?[\\"), default=len(body))
        prefix = body[:cut].rpartition("/")[0]
        if not prefix:
            return None
        prefixes.append(prefix + "/")
    return tuple(prefixes)


# --------------------------------------------------------------------------- walking

DirId = tuple[int, int]


@dataclass(frozen=True)
class _Dir:
    """A directory waiting to be listed, with what is in force at that point of the walk.

    ``forced`` marks a directory excluded by default or ``.gitignore`` that is
    walked only because ``--include`` may pull files back out of it.
    """

    path: str  # as reached through the tree (symlinks unresolved)
    rel: str  # POSIX, relative to the root; "" for the root
    ancestors: dict[DirId, str]  # directories on the current path -> their rel path
    rules: tuple[_GitIgnore, ...]
    forced: bool


@dataclass
class _Walk:
    """Mutable state of one discovery; one instance per :func:`discover` call."""

    root: str
    scope: str  # "" = whole root, else the directory the files must be under
    include: pathspec.PathSpec | None
    exclude: pathspec.PathSpec | None
    include_prefixes: tuple[str, ...] | None
    files: list[str] = field(default_factory=list)
    templates: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    visited: dict[DirId, str] = field(default_factory=dict)

    def skip(self, rel: str, reason: str) -> None:
        """Record a path the scan could not use."""
        self.skipped.append(SkippedFile(rel or ".", reason))

    def run(self) -> None:
        """Walk the tree depth-first with an explicit stack (no recursion limit)."""
        root_id = self._dir_id(self.root, "")
        if root_id is None:
            return
        self.visited[root_id] = ""
        stack = [_Dir(self.root, "", {root_id: ""}, (), False)]
        while stack:
            stack.extend(reversed(self._scan(stack.pop())))

    # ---- directories

    def _dir_id(self, path: str, rel: str) -> DirId | None:
        """Identity of a directory, following symlinks."""
        try:
            st = os.stat(path)
        except OSError as exc:
            self.skip(rel, f"cannot stat directory: {exc.strerror or exc}")
            return None
        return (st.st_dev, st.st_ino)

    def _scan(self, here: _Dir) -> list[_Dir]:
        """List one directory; record its files and return the subdirectories to walk."""
        try:
            with os.scandir(here.path) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            self.skip(here.rel, f"unreadable directory: {exc.strerror or exc}")
            return []
        prefix = here.rel + "/" if here.rel else ""
        rules = here.rules if here.forced else self._with_gitignore(here.path, prefix, here.rules)
        real_dirs: list[tuple[os.DirEntry[str], str]] = []
        linked_dirs: list[tuple[os.DirEntry[str], str]] = []
        for entry in entries:
            rel = prefix + entry.name
            if self.scope and self._placement(rel) == "outside":
                continue
            try:
                is_dir = entry.is_dir()
                is_file = not is_dir and entry.is_file()
            except OSError as exc:
                what = "unusable symlink" if entry.is_symlink() else "cannot stat"
                self.skip(rel, f"{what}: {exc.strerror or exc}")
                continue
            if (is_dir or is_file) and entry.is_symlink() and not resolves_inside(self.root, entry.path):
                self.skip(rel, f"symlink to {_link_target(entry.path)}, outside the root: not followed")
                continue
            if is_dir:
                (linked_dirs if entry.is_symlink() else real_dirs).append((entry, rel))
            elif is_file:
                self._consider_file(entry.name, rel, rules, here.forced)
            elif entry.is_symlink() and not here.forced:
                self._dangling_link(entry, rel, rules)
            elif entry.name.endswith(".py") and self._placement(rel) == "under":
                self.skip(rel, "not a regular file (a FIFO, socket or device): not read")
        # Real directories claim their inode first, so a symlink to a sibling is the repeat.
        walk = [self._enter(entry, rel, here, rules) for entry, rel in real_dirs + linked_dirs]
        return sorted((d for d in walk if d is not None), key=lambda d: d.rel)

    def _with_gitignore(self, path: str, prefix: str, rules: tuple[_GitIgnore, ...]) -> tuple[_GitIgnore, ...]:
        """Add this directory's ``.gitignore`` (if any) to the rules in force below it."""
        try:
            with open(os.path.join(path, ".gitignore"), encoding="utf-8", errors="replace") as handle:
                spec = _compile(handle.read().splitlines())
        except FileNotFoundError:
            return rules
        except OSError as exc:
            self.skip(prefix + ".gitignore", f"unreadable .gitignore, its rules are not applied: {exc.strerror or exc}")
            return rules
        return rules if spec is None else (*rules, _GitIgnore(prefix, spec))

    def _enter(self, entry: os.DirEntry[str], rel: str, parent: _Dir, rules: tuple[_GitIgnore, ...]) -> _Dir | None:
        """Decide whether to walk a subdirectory; detect loops and repeats by inode."""
        placement = self._placement(rel)
        if placement == "outside":
            return None
        forced = parent.forced
        if placement == "under":
            if _matches(self.exclude, rel + "/"):
                return None
            forced = forced or _default_excluded_dir(entry.name, entry.path) or _gitignored(rules, rel + "/")
            if forced and not self._include_could_match(rel):
                return None
        dir_id = self._dir_id(entry.path, rel)
        if dir_id is None:
            return None
        if dir_id in parent.ancestors:
            self.skip(rel, f"symlink loop: {rel} points back to {parent.ancestors[dir_id] or '.'}")
            return None
        if dir_id in self.visited:
            self.skip(rel, f"same directory as {self.visited[dir_id] or '.'}, already scanned")
            return None
        self.visited[dir_id] = rel
        return _Dir(entry.path, rel, {**parent.ancestors, dir_id: rel}, rules, forced)

    def _include_could_match(self, rel: str) -> bool:
        """Whether an excluded directory may hold files that ``--include`` forces back in."""
        if self.include is None:
            return False
        if self.include_prefixes is None:
            return True
        here = rel + "/"
        return any(p.startswith(here) or here.startswith(p) for p in self.include_prefixes)

    def _placement(self, rel: str) -> str:
        """'under' the analyze scope, 'on_path' (the scope or one of its parents), or 'outside'."""
        if not self.scope or rel.startswith(self.scope + "/"):
            return "under"
        if rel == self.scope or self.scope.startswith(rel + "/"):
            return "on_path"
        return "outside"

    # ---- files

    def _consider_file(self, name: str, rel: str, rules: Sequence[_GitIgnore], forced: bool) -> None:
        """Keep a ``.py`` file or a template unless something excludes it and ``--include`` does not save it."""
        if name.endswith(".py"):
            kept = self.files
        elif is_template_path(rel):
            kept = self.templates
        else:
            return
        if self._placement(rel) != "under" or _matches(self.exclude, rel):
            return
        excluded = forced or (kept is self.files and _default_excluded_file(name)) or _gitignored(rules, rel)
        if not excluded or _matches(self.include, rel):
            kept.append(rel)

    def _dangling_link(self, entry: os.DirEntry[str], rel: str, rules: Sequence[_GitIgnore]) -> None:
        """A symlink to nothing is reported unless it sits where nothing would be scanned."""
        if self._placement(rel) != "under" or entry.name.startswith("."):
            return
        if entry.name in EXCLUDED_DIR_NAMES or _gitignored(rules, rel) or _matches(self.exclude, rel):
            return
        try:
            target = os.readlink(entry.path)
        except OSError:
            target = "?"
        try:
            os.stat(entry.path)
        except OSError as exc:
            self.skip(rel, f"broken symlink to {target}: {exc.strerror or exc}")


def _link_target(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


# --------------------------------------------------------------------------- public


def is_template_path(rel: str) -> bool:
    """A template by its name: ``.html``/``.jinja2``/... anywhere, ``.txt`` only inside a template folder."""
    lower = rel.lower()
    if lower.endswith(TEMPLATE_SUFFIXES):
        return True
    folders = lower.split("/")[:-1]
    return lower.endswith(TEXT_TEMPLATE_SUFFIXES) and any(part in TEMPLATE_FOLDER_NAMES for part in folders)


def find_readme(root: Path) -> str | None:
    """The README at the root, preferring Markdown; gives the LLM the app's purpose."""
    try:
        with os.scandir(root) as it:
            names = {e.name.lower(): e for e in it if e.name.lower() in README_ORDER}
    except OSError:
        return None
    for name in README_ORDER:
        entry = names.get(name)
        try:
            if entry is not None and entry.is_file():
                return entry.name
        except OSError:
            continue
    return None


def discover(
    root: Path,
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> Discovery:
    """Find the Python files to analyse under ``root``, and the template files beside them.

    ``exclude`` adds gitignore-style patterns; ``include`` forces
    matching files back in despite default excludes and ``.gitignore`` (an
    explicit ``exclude`` still wins).
    """
    root = Path(root).expanduser().resolve()
    if not root.is_dir():
        raise UsageError(f"--root {root}: not a directory")
    readme = find_readme(root)
    walk = _Walk(
        root=str(root),
        scope="",
        include=_compile(include),
        exclude=_compile(exclude),
        include_prefixes=_include_prefixes(include),
    )
    walk.run()
    templates = tuple(sorted(walk.templates))
    return Discovery(root, tuple(sorted(walk.files)), tuple(sorted(walk.skipped)), readme, templates)
