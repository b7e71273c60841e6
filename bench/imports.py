"""The import graph's direction: does any pipeline stage import a later one?

Not a test: it prints, for each module of the package, the pipeline stage it
belongs to (see ``STAGES``, in the order a scan runs them), its line count, and
every import of a later stage by an earlier one. Shared values and plumbing
(``base``) may be imported by every stage and import none. Imports inside a
function (lazy) are found too and marked as such.

    python bench/imports.py            # the table and the backward imports
    python bench/imports.py --quiet    # only the backward imports and the totals
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import sys
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "vulnhuntr"

STAGES: list[tuple[str, tuple[str, ...]]] = [
    ("base", (
        "vulnhuntr.errors", "vulnhuntr.findings", "vulnhuntr.run_summary", "vulnhuntr.results",
        "vulnhuntr.logs", "vulnhuntr.redact", "vulnhuntr.store", "vulnhuntr.vcs", "vulnhuntr.fileio",
        "vulnhuntr.paths", "vulnhuntr.heap", "vulnhuntr.config", "vulnhuntr.config_*",
        "vulnhuntr.tokens", "vulnhuntr.pricing", "vulnhuntr.store_*",
    )),
    ("map", ("vulnhuntr.repo", "vulnhuntr.repo.*")),
    ("static", ("vulnhuntr.static", "vulnhuntr.static.*")),
    ("plan", ("vulnhuntr.incremental", "vulnhuntr.incremental.plan", "vulnhuntr.incremental.state",
              "vulnhuntr.analysis.plan", "vulnhuntr.analysis.targets", "vulnhuntr.analysis.selection",
              "vulnhuntr.analysis.reach", "vulnhuntr.analysis.unreached")),
    ("analyse", ("vulnhuntr.analysis", "vulnhuntr.analysis.*", "vulnhuntr.llm", "vulnhuntr.llm.*")),
    ("report", ("vulnhuntr.report", "vulnhuntr.report.*", "vulnhuntr.triage", "vulnhuntr.triage.*")),
    ("save state", ("vulnhuntr.incremental.*",)),
    ("run", ("vulnhuntr", "vulnhuntr.__main__", "vulnhuntr.scan", "vulnhuntr.cli", "vulnhuntr.cli_*",
             "vulnhuntr.cache_cli", "vulnhuntr.precommit")),
]
"""Pipeline stages in the order a scan runs them; a module takes the first stage whose pattern it matches.

The package itself (its ``__init__``: the public API) runs scans, so it is ``run``; what the
modules import from it is only ``__version__``, a constant, so those imports are not counted.
``vulnhuntr.incremental`` alone is the plan (before issue 11 it was one module holding the plan).
``analysis.selection`` (which routes get an initial pass, in which order), ``analysis.unreached``
(which sink modules no entry point reaches) and ``analysis.reach`` (which entry points reach a
sink, the evidence both use) choose what a run analyses: planning, which the analysis then reads.
Token estimates (``tokens``) and the price table (``pricing``) serve planning and analysis alike."""


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    lazy: bool  # inside a function: done when called, not when the module is loaded


def stage_of(module: str) -> str:
    for stage, patterns in STAGES:
        if any(fnmatch.fnmatchcase(module, pattern) for pattern in patterns):
            return stage
    return "?"


def modules(package: Path) -> dict[str, Path]:
    """Dotted name → file of every module of the package."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> list[Import]:
    """The package modules *name* imports (``from x import y`` counts x.y when that is a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    lazy_lines = {
        node.lineno
        for function in ast.walk(tree) if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
        for node in ast.walk(function) if isinstance(node, (ast.Import, ast.ImportFrom))
    }
    found: list[Import] = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        for target in dict.fromkeys(targets):
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and target != PACKAGE.name:
                found.append(Import(name, target, node.lineno, node.lineno in lazy_lines))
    return found


def backward_imports(files: dict[str, Path]) -> list[Import]:
    """Every import of a later stage by an earlier one among *files* (modules in no stage are left out)."""
    order = [stage for stage, _ in STAGES]
    backward: list[Import] = []
    for name, path in files.items():
        stage = stage_of(name)
        for found in imports_of(name, path, set(files)):
            target = stage_of(found.imported)
            if stage == "tooling" or target == "?" or stage == "?":
                continue
            if order.index(target) > order.index(stage) and target != "tooling":
                backward.append(found)
    return backward


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quiet", action="store_true", help="only the backward imports and the totals")
    args = parser.parse_args()
    files = modules(PACKAGE)
    order = [stage for stage, _ in STAGES]
    backward = backward_imports(files)
    rows = []
    for name, path in files.items():
        stage = stage_of(name)
        lines = len(path.read_text(encoding="utf-8").splitlines())
        rows.append((order.index(stage) if stage in order else len(order), name, stage, lines))
    if not args.quiet:
        print(f"{'stage':<11} {'lines':>5}  module")
        for _rank, name, stage, lines in sorted(rows):
            print(f"{stage:<11} {lines:>5}  {name}{'   <-- over 400 lines' if lines > 400 else ''}")
        print()
    unknown = [name for _r, name, stage, _l in rows if stage == "?"]
    if unknown:
        print("modules in no stage (add them to STAGES):", ", ".join(unknown))
    print(f"imports of a later stage by an earlier one: {len(backward)}")
    for found in backward:
        how = " (lazy, inside a function)" if found.lazy else ""
        print(f"  {found.importer} [{stage_of(found.importer)}] -> {found.imported} [{stage_of(found.imported)}]"
              f"  line {found.line}{how}")
    over = sorted((name, lines) for _r, name, stage, lines in rows if lines > 400 and stage != "tooling")
    print(f"package modules over 400 lines (tooling excluded): {len(over)}"
          + (": " + ", ".join(f"{n} ({c})" for n, c in over) if over else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
