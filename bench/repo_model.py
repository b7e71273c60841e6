"""Benchmark: discovery + index + entry points on a large repository.

Not a test: it prints figures. By default it generates a repository of 1,000+
Python files by copying the example apps under new package names (so imports
and routes stay realistic), then times each stage and reports peak memory.

    python bench/repo_model.py                   # generated repo, 1,000+ files
    python bench/repo_model.py --copies 200      # bigger
    python bench/repo_model.py --root path/to/unpacked/sdist
    python bench/repo_model.py --store           # also: the per-file index cache, cold then warm
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from vulnhuntr.repo.discover import discover
from vulnhuntr.repo.entrypoints import find_entry_points
from vulnhuntr.repo.index import build_index
from vulnhuntr.repo.map import StoreIndexCache
from vulnhuntr.repo.resolve import Resolver
from vulnhuntr.store import Store

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def generate(target: Path, copies: int, names: Iterable[str] | None = None) -> Path:
    """Copy every example app (or those *names*) *copies* times as packages ``app_<n>_<name>`` under *target*."""
    apps = sorted(p for p in EXAMPLES.iterdir() if (p / "expected.yaml").exists())
    if names is not None:
        wanted = set(names)
        apps = [app for app in apps if app.name in wanted]
    for n in range(copies):
        for app in apps:
            destination = target / f"app_{n:04d}_{app.name}"
            shutil.copytree(app, destination, ignore=shutil.ignore_patterns("*.yaml", "*.md", "__pycache__"))
            (destination / "__init__.py").touch(exist_ok=True)
    return target


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure(root: Path, cache: StoreIndexCache | None = None, label: str = "") -> None:
    before = peak_rss_mib()
    started = time.perf_counter()
    found = discover(root)
    discovered = time.perf_counter()
    index = build_index(found.root, found.files, cache=cache)
    indexed = time.perf_counter()
    entry_points = find_entry_points(index, Resolver(index))
    finished = time.perf_counter()
    lines = sum(m.line_count for m in index.modules.values())
    print(f"root: {root}{label}")
    print(f"files: {len(found.files)}  lines: {lines:,}  skipped: {len(found.skipped) + len(index.skipped)}")
    print(f"entry points: {len(entry_points)}")
    print(f"discover:     {discovered - started:7.3f} s")
    print(f"index:        {indexed - discovered:7.3f} s")
    print(f"entry points: {finished - indexed:7.3f} s")
    print(f"total:        {finished - started:7.3f} s")
    print(f"peak RSS:     {peak_rss_mib():7.1f} MiB (process start {before:.1f} MiB)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, help="measure this repository instead of a generated one")
    parser.add_argument("--copies", type=int, default=60, help="copies of each example app (60 → 1,000+ files)")
    parser.add_argument("--store", action="store_true", help="also measure a cold and a warm run with the index cache")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vulnhuntr-bench-") as tmp:
        root = args.root or generate(Path(tmp) / "repo", args.copies)
        measure(root)
        if args.store:
            store = Store.open(Path(tmp) / "store")
            for label in (" (index cache cold)", " (index cache warm)"):
                print()
                measure(root, StoreIndexCache(store), label)
            store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
