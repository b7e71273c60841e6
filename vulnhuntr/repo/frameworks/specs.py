"""OpenAPI 3 and Swagger 2 spec files: found safely under the root, read, and listed as operations.

Specs are untrusted input like the code: a path that leaves the repository root
(``..``, an absolute path, a symlink out) is refused, big files are not read,
and a file that does not parse or is not a spec becomes a reason, never an
exception. Nothing here knows about Python: :mod:`.connexion` maps the
operations to handler functions.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlparse

import yaml

from ..discover import EXCLUDED_DIR_NAMES
from ..paths import inside_root, resolves_inside

MAX_SPEC_BYTES = 5_000_000
MAX_WALK_ENTRIES = 20_000  # directory entries looked at when searching the tree for specs
SPEC_SUFFIXES = (".yaml", ".yml", ".json")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")  # connexion renders specs as Jinja2 templates first


@dataclass(frozen=True)
class Operation:
    """One ``paths.<path>.<method>`` of a spec."""

    path: str  # the spec's path template, base path included: "/v1/pets/{pet_id}"
    method: str  # upper case
    operation_id: str | None
    controller: str | None  # x-openapi-router-controller / x-swagger-router-controller
    spec_path: str  # "/pets/{pet_id}" as written in the spec, for resolvers that derive names from it


@dataclass(frozen=True)
class Spec:
    file: str  # relative POSIX path
    operations: tuple[Operation, ...]


class SpecError(Exception):
    """A spec file that cannot be used, with the reason said to the user."""


def is_file_inside(root: Path, relative: str) -> bool:
    """An existing regular file under *root* whose real path (symlinks followed) stays under it."""
    try:
        return (root / relative).is_file() and resolves_inside(root, root / relative)
    except (OSError, ValueError):
        return False


def load(root: Path, relative: str, base_path: str | None = None) -> Spec:
    """Read and list one spec; :class:`SpecError` says why it cannot be used."""
    data = _parse(root, relative)
    if not isinstance(data, dict) or not ("openapi" in data or "swagger" in data):
        raise SpecError("not an OpenAPI or Swagger spec (no 'openapi' or 'swagger' key)")
    paths = data.get("paths")
    if not isinstance(paths, dict):
        raise SpecError("OpenAPI spec without a 'paths' mapping")
    prefix = base_path if base_path is not None else _base_path(data)
    items = {path: _path_item(root, relative, data, item) for path, item in paths.items()}
    return Spec(relative, tuple(_operations(items, prefix)))


def _path_item(root: Path, spec: str, data: dict[str, Any], item: Any) -> Any:
    """A path item, its ``$ref`` followed once: ``#/x-paths/pets`` in the spec, ``paths/pets.yaml#/get`` beside it.

    A reference that cannot be followed (outside the root, missing, malformed) leaves the item as it is.
    """
    if not (isinstance(item, dict) and isinstance(item.get("$ref"), str)):
        return item
    location, _, pointer = item["$ref"].partition("#")
    document: Any = data
    if location:
        relative = inside_root(posixpath.join(posixpath.dirname(spec), location))
        if relative is None:
            return item
        try:
            document = _parse(root, relative)
        except SpecError:
            return item
    for part in (p.replace("~1", "/").replace("~0", "~") for p in pointer.strip("/").split("/") if p):
        document = document.get(part) if isinstance(document, dict) else None
    return document if isinstance(document, dict) else item


def _parse(root: Path, relative: str) -> Any:
    if not is_file_inside(root, relative):
        raise SpecError("not a file inside the repository root")
    path = root / relative
    try:
        size = path.stat().st_size
        if size > MAX_SPEC_BYTES:
            raise SpecError(f"spec too large: {size:,} bytes (limit {MAX_SPEC_BYTES:,})")
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise SpecError(f"unreadable: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise SpecError(f"not UTF-8: invalid byte at offset {exc.start}") from exc
    return parse_text(text, json_only=relative.endswith(".json"))


def parse_text(text: str, json_only: bool = False) -> Any:
    """A spec's data: JSON, or YAML with PyYAML's safe loader (no tags, no objects); Jinja2 markup tolerated."""
    try:
        return _load(text, json_only)
    except (ValueError, yaml.YAMLError) as first:
        templated = _JINJA.sub("x", text)
        if templated != text:
            try:
                return _load(templated, json_only)
            except (ValueError, yaml.YAMLError, SpecError):
                pass
        raise SpecError(f"malformed spec: {_one_line(first)}") from first


def _load(text: str, json_only: bool) -> Any:
    try:
        return json.loads(text) if json_only else yaml.safe_load(text)
    except RecursionError as exc:
        raise SpecError("malformed spec: nested too deeply") from exc


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200]


def _base_path(data: dict[str, Any]) -> str:
    """Swagger 2 ``basePath``, or the path of OpenAPI 3's first server URL."""
    base = data.get("basePath")
    if isinstance(base, str):
        return base.rstrip("/")
    servers = data.get("servers")
    if isinstance(servers, list) and servers and isinstance(servers[0], dict):
        url = servers[0].get("url")
        if isinstance(url, str):
            return urlparse(url).path.rstrip("/") if "://" in url else url.rstrip("/")
    return ""


def _operations(paths: dict[Any, Any], prefix: str) -> Iterator[Operation]:
    for spec_path, item in paths.items():
        if not isinstance(spec_path, str) or not isinstance(item, dict):
            continue
        item_controller = _controller(item)
        for method in HTTP_METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            operation_id = operation.get("operationId")
            yield Operation(
                path=(prefix + spec_path) if prefix else spec_path,
                method=method.upper(),
                operation_id=operation_id if isinstance(operation_id, str) and operation_id else None,
                controller=_controller(operation) or item_controller,
                spec_path=spec_path,
            )


def _controller(item: dict[Any, Any]) -> str | None:
    for key in ("x-openapi-router-controller", "x-swagger-router-controller"):
        value = item.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def find_spec_files(root: Path, name: str | None = None) -> list[str]:
    """Spec-like files under *root* (all of them, or those called *name*), skipping what discovery skips.

    A bounded walk: it stops after :data:`MAX_WALK_ENTRIES` entries, never follows symlinked
    directories and leaves out files whose real path is outside the root.
    """
    found: list[str] = []
    seen = 0
    for directory, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in EXCLUDED_DIR_NAMES and not d.startswith("."))
        for file in sorted(files):
            seen += 1
            if seen > MAX_WALK_ENTRIES:
                return found
            if (name is None and file.endswith(SPEC_SUFFIXES)) or file == name:
                relative = Path(directory, file).relative_to(root).as_posix()
                if is_file_inside(root, relative):
                    found.append(relative)
    return found


def looks_like_spec(root: Path, relative: str) -> bool:
    """A cheap look at the start of the file: does it declare ``openapi:`` or ``swagger:``?"""
    try:
        with (root / relative).open("rb") as fh:
            head = fh.read(4096).decode("utf-8", "replace")
    except OSError:
        return False
    return bool(re.search(r"""^\s*["']?(openapi|swagger)["']?\s*:""", head, re.MULTILINE))
