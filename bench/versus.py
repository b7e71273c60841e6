"""Benchmark: vulnhuntr against the original tool's call pattern, on the same simulated model.

Not a test: it prints a table. Both tools scan the same repositories through
the Anthropic protocol (``-l claude``, ``ANTHROPIC_BASE_URL``) against a
:class:`FakeLLM` in missing-definitions mode (``tests/fakes/missing_definitions``:
each answer asks for up to three called names whose definition the prompt
lacks, and for nothing once none is left), with the latency of a hosted model
(0.8 s + 20 µs per input token + 12.5 ms per output token) scaled by
``--scale``. Each tool gets its own fake server, so calls and tokens are
counted the same way, at the server, per tool.

The original is PyPI's ``vulnhuntr==1.2.2`` (a fork with the original's call
pattern, AGPL): the script installs it into a throwaway virtualenv
(``bench/out/versus-venv``, git-ignored) and only runs its command line there,
as a black box. It is never imported here, never a dependency of this project.

Repositories: ``examples`` (the example apps), ``generated`` (four copies of
each example app as services of one repository, made by ``bench/repo_model.py``)
and real web applications from PyPI sdists (downloaded with ``pip download
--no-binary`` into ``--sdists``). A tool still running after ``--timeout``
seconds on one repository is stopped; its figures so far are shown, exit -9.

Columns per tool: calls, input tokens (system, messages and tool schemas, as
characters / 4), cached input tokens (prompt-cache reads), output tokens, wall
seconds, and the critical path: the longest chain of dependent calls in modelled
seconds (README summary, then per entry-point file its initial pass, then its
longest per-type chain of rounds). The last row per repository is ours / original.

    python bench/versus.py                        # every repository (about 15 minutes)
    python bench/versus.py --repos fschat --timeout 1200   # let the original finish FastChat
    python bench/versus.py --quick                # examples and generated only
    python bench/versus.py --repos examples,fschat --scale 0.05
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the fakes package (tests/fakes)
sys.path.insert(0, str(Path(__file__).resolve().parent))

from repo_model import EXAMPLES, generate  # noqa: E402

from fakes import FakeLLM, FakeRequest, approx_tokens, simulated_seconds  # noqa: E402
from fakes.missing_definitions import MissingDefinitions, latency_options  # noqa: E402

BENCH = Path(__file__).resolve().parent
ORIGINAL = "vulnhuntr==1.2.2"
SDISTS = {"fschat": "fschat==0.2.36", "flaskbb": "flaskbb==2.0.2", "calibreweb": "calibreweb==0.6.27"}
"""Real web applications of 100-130 Python files: FastChat (FastAPI and Gradio servers), FlaskBB (a Flask forum),
Calibre-Web (a Flask e-book server)."""
QUICK = ("examples", "generated")
TIMED_OUT = -9  # the exit column of a run stopped at --timeout

_OUR_FILE = re.compile(r'<file path="([^"]+)">')
_OUR_TYPE = re.compile(r"Focus: ([A-Z]+(?:, [A-Z]+)*)(?: only\.|; judge)")
_THEIR_FILE = re.compile(r"<file_path>([^<]+)</file_path>")
_THEIR_TYPE = re.compile(r"remotely-exploitable [^.<]*?\(([A-Z]+)\) vulnerabilit")


# ----------------------------------------------------------------------------- measuring


@dataclass
class Run:
    tool: str
    code: int
    calls: int
    input_tokens: int
    cached_tokens: int
    output_tokens: int
    wall: float
    critical: float
    analysed: int  # entry-point files the prompts were about
    errors: int  # answers or files the tool reported as failed


def our_errors(report: Path) -> int:
    """Errors in our JSON report (a file whose analysis failed, an answer that did not parse)."""
    if not report.exists():
        return -1
    summary = json.loads(report.read_text(encoding="utf-8")).get("summary", {})
    return int(summary.get("errors", 0)) + int(summary.get("analyses_failed", 0))


def their_errors(output: Path) -> int:
    """Error-level log lines in the original's output (its structured log prints them as JSON)."""
    text = output.read_text(encoding="utf-8", errors="replace")
    return text.count('"level": "error"')


def request_tokens(request: FakeRequest) -> int:
    """Input tokens of one call, with the tool schemas a structured-output call sends (the original puts its schema
    in the prompt text, so leaving tools out would favour us)."""
    extra = request.body.get("tools") or []
    output = request.body.get("output_config") or request.body.get("output_format") or {}
    schemas = [json.dumps(part) for part in (extra, output) if part]
    return approx_tokens(request.system) + approx_tokens(request.prompt) + sum(approx_tokens(s) for s in schemas)


def chain_of(request: FakeRequest) -> tuple[str | None, str | None]:
    """(entry-point file, vulnerability type) a call belongs to, from either tool's prompt layout."""
    file = _OUR_FILE.search(request.prompt) or _THEIR_FILE.search(request.prompt)
    kind = _OUR_TYPE.search(request.prompt) or _THEIR_TYPE.search(request.prompt)
    return (file.group(1) if file else None), (kind.group(1) if kind else None)


def critical_path(requests: list[FakeRequest]) -> float:
    """Calls outside any file first, then the slowest file: its initial pass plus its longest type chain."""
    before = 0.0
    initial: dict[str, float] = defaultdict(float)
    chains: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for request in requests:
        file, kind = chain_of(request)
        seconds = simulated_seconds(request)
        if file is None:
            before += seconds
        elif kind is None:
            initial[file] += seconds
        else:
            chains[file][kind] += seconds
    files = set(initial) | set(chains)
    return before + max((initial[f] + max(chains[f].values(), default=0.0) for f in files), default=0.0)


def environment(command: list[str], base_url: str) -> dict[str, str]:
    """The environment of one tool: its own virtualenv active (the original's code analysis asks which Python
    environment it runs in), no provider settings but the fake server's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_", "VULNHUNTR_"))}
    bin_dir = Path(command[0]).parent
    env.update(VIRTUAL_ENV=str(bin_dir.parent), PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
               ANTHROPIC_BASE_URL=base_url, ANTHROPIC_API_KEY="sk-ant-bench-0000")
    return env


def measure(tool: str, command: list[str], root: Path, scale: float, cwd: Path, log: Path,
            timeout: float) -> Run:
    """Run one tool's command line against its own fake server and read the figures off the server."""
    model = MissingDefinitions(project_names(root))
    with FakeLLM(model, **latency_options(scale)) as fake:
        env = environment(command, fake.base_url)
        started = time.perf_counter()
        with open(log, "w", encoding="utf-8") as out:
            process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
            try:
                code = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:  # stop it and its helpers; the figures so far still count
                os.killpg(process.pid, signal.SIGTERM)
                process.wait()
                code = TIMED_OUT
        wall = time.perf_counter() - started
        requests = fake.requests
    files = {chain_of(r)[0] for r in requests} - {None}
    errors = our_errors(cwd / "report.json") if tool == "ours" else their_errors(log)
    return Run(tool, code, len(requests), sum(request_tokens(r) for r in requests),
               sum(r.cached_input_tokens for r in requests), sum(r.output_tokens for r in requests), wall,
               critical_path(requests), len(files), errors)


def project_names(root: Path) -> set[str]:
    """Every folder and module name in the repository: what the simulated model takes for project code."""
    names = set()
    for path in root.rglob("*"):
        if path.is_dir() or path.suffix == ".py":
            names.add(path.stem if path.suffix == ".py" else path.name)
    return names


# ----------------------------------------------------------------------------- the two tools


def ours(root: Path, out: Path) -> list[str]:
    """Our command line at its defaults (8 workers), no answer cache, report and log into *out*."""
    exe = Path(sys.executable).with_name("vulnhuntr")
    return [str(exe), "-r", str(root), "-l", "claude", "--no-cache", "--quiet", "--format", "json",
            "-o", str(out / "report.json"), "--log-file", str(out / "log.jsonl")]


def theirs(venv: Path, root: Path) -> list[str]:
    return [str(venv / "bin" / "vulnhuntr"), "-r", str(root), "-l", "claude", "--no-checkpoint"]


def pyenv_python() -> Path:
    """A Python the original supports (3.10 to 3.13), preferring pyenv's 3.11."""
    roots = [Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))]
    for version in ("3.11", "3.12", "3.10", "3.13"):
        for root in roots:
            found = sorted((root / "versions").glob(f"{version}.*/bin/python"))
            if found:
                return found[-1]
    if sys.version_info[:2] in ((3, 10), (3, 11), (3, 12), (3, 13)):
        return Path(sys.executable)
    raise SystemExit("no Python 3.10-3.13 found for the original tool (pyenv or this interpreter)")


def original_venv(venv: Path) -> Path:
    """The throwaway virtualenv holding the original tool, created on first use."""
    if not (venv / "bin" / "vulnhuntr").exists():
        print(f"installing {ORIGINAL} into {venv} (once)", file=sys.stderr)
        subprocess.run([str(pyenv_python()), "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", ORIGINAL], check=True,
                       stdout=subprocess.DEVNULL)
    return venv


# ----------------------------------------------------------------------------- repositories


def _entry(folder: Path, name: str) -> Path | None:
    """The folder's entry called *name*, ignoring case (sdists keep their project's spelling: FlaskBB-2.0.2)."""
    return next((p for p in sorted(folder.iterdir()) if p.name.lower() == name.lower()), None)


def sdist_root(spec: str, folder: Path) -> Path:
    """Download (once) and unpack a source distribution; its top folder is the repository."""
    folder.mkdir(parents=True, exist_ok=True)
    name, _, version = spec.partition("==")
    stem = f"{re.sub(r'[-.]', '_', name)}-{version}"
    unpacked = _entry(folder, stem)
    if unpacked is not None and unpacked.is_dir():
        return unpacked
    archive = _entry(folder, f"{stem}.tar.gz")
    if archive is None:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:", spec,
                        "-d", str(folder)], check=True, stdout=subprocess.DEVNULL)
        archive = _entry(folder, f"{stem}.tar.gz")
    if archive is None:
        raise SystemExit(f"pip download {spec} gave no {stem}.tar.gz in {folder}")
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    unpacked = _entry(folder, stem)
    if unpacked is None:
        raise SystemExit(f"{archive} holds no {stem}/ folder")
    return unpacked


def repository(name: str, tmp: Path, sdists: Path) -> Path:
    if name == "examples":
        return EXAMPLES
    if name == "generated":
        target = tmp / "generated"
        if not target.exists():
            generate(target, copies=4)
        return target
    if name in SDISTS:
        return sdist_root(SDISTS[name], sdists)
    raise SystemExit(f"unknown repository {name!r}: choose from examples, generated, {', '.join(SDISTS)}")


# ----------------------------------------------------------------------------- output


COLUMNS = ("repository", "tool", "py files", "analysed", "calls", "in tokens", "cached", "out tokens", "wall s",
           "critical s", "exit", "errors")


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "-"


def rows(name: str, files: int, mine: Run, original: Run) -> list[list[str]]:
    def cells(run: Run) -> list[str]:
        return [name, run.tool, str(files), str(run.analysed), str(run.calls), f"{run.input_tokens:,}",
                f"{run.cached_tokens:,}", f"{run.output_tokens:,}", f"{run.wall:.1f}", f"{run.critical:.2f}",
                str(run.code), str(run.errors)]
    ratio = [name, "ours/original", "", _ratio(mine.analysed, original.analysed), _ratio(mine.calls, original.calls),
             _ratio(mine.input_tokens, original.input_tokens),
             _ratio(mine.cached_tokens, original.cached_tokens) if original.cached_tokens else "-",
             _ratio(mine.output_tokens, original.output_tokens), _ratio(mine.wall, original.wall),
             _ratio(mine.critical, original.critical), "", ""]
    return [cells(original), cells(mine), ratio]


def table(lines: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in [list(COLUMNS), *lines]) for i in range(len(COLUMNS))]
    for row in [list(COLUMNS), *lines]:
        print("  ".join(cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repos", default=",".join([*QUICK, *SDISTS]),
                        help=f"comma-separated: examples, generated, {', '.join(SDISTS)} (default: all)")
    parser.add_argument("--quick", action="store_true", help=f"only {' and '.join(QUICK)}")
    parser.add_argument("--scale", type=float, default=0.05, help="latency scale factor (default 0.05)")
    parser.add_argument("--venv", type=Path, default=BENCH / "out" / "versus-venv",
                        help="virtualenv for the original tool (created on first use)")
    parser.add_argument("--sdists", type=Path, default=Path(tempfile.gettempdir()) / "versus-sdists",
                        help="where source distributions are downloaded and unpacked")
    parser.add_argument("--timeout", type=float, default=420,
                        help="stop a tool after this many seconds on one repository; its figures so far are shown, "
                             f"exit {TIMED_OUT} (default 420)")
    parser.add_argument("--keep", type=Path, help="keep each run's output and report in this folder")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = list(QUICK) if args.quick else [n.strip() for n in args.repos.split(",") if n.strip()]
    venv = original_venv(args.venv)
    print(f"vulnhuntr (this tree, 8 workers) against {ORIGINAL}, missing-definitions model, "
          f"latency x{args.scale:g}, both through -l claude")
    print(f"command: python bench/versus.py {' '.join(argv if argv is not None else sys.argv[1:])}".rstrip())
    print()
    lines: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="vulnhuntr-versus-") as name:
        tmp = Path(name)
        for repo in names:
            root = repository(repo, tmp, args.sdists)
            files = sum(1 for _ in root.rglob("*.py"))
            work = (args.keep or tmp) / repo
            (work / "ours").mkdir(parents=True, exist_ok=True)
            (work / "theirs").mkdir(parents=True, exist_ok=True)
            mine = measure("ours", ours(root, work / "ours"), root, args.scale, work / "ours", work / "ours.out",
                           args.timeout)
            original = measure("original", theirs(venv, root), root, args.scale, work / "theirs",
                               work / "theirs.out", args.timeout)
            for run, out in ((mine, "ours.out"), (original, "theirs.out")):
                if run.code not in (0, 1, TIMED_OUT):
                    tail = (work / out).read_text(encoding="utf-8", errors="replace")[-600:]
                    print(f"{repo}: {run.tool} exited {run.code}:\n{tail}", file=sys.stderr)
            lines += rows(repo, files, mine, original)
            print(f"{repo}: done", file=sys.stderr)
        shutil.rmtree(tmp / "generated", ignore_errors=True)
    table(lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
