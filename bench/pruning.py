"""Benchmark: pruned context versus whole files (``--no-prune``), and what the model still sees.

Not a test: it prints a table measured in one run. The real CLI scans examples/
and a generated repository twice each (pruned, then ``--no-prune``) against the
scripted fake model, without the answer cache, and reports LLM calls, input
tokens, and *context recall*: the share of expected vulnerabilities whose
source line and sink line both appear in at least one prompt of the matching
type ("Focus: T"). Pruning must cut tokens and calls without lowering recall.

    python bench/pruning.py
    python bench/pruning.py --copies 10
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the fakes package (tests/fakes)
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import run_cli, scripted_model  # noqa: E402
from repo_model import EXAMPLES, generate  # noqa: E402

from fakes import FakeLLM, FakeRequest  # noqa: E402

APPS = ("flask_notes", "fastapi_files", "django_shop")


@dataclass(frozen=True)
class Expected:
    type: str
    source_text: str  # the source line's code, as it appears in a prompt
    sink_text: str


def expected_lines(root: Path, copies: dict[str, str]) -> list[Expected]:
    """Every expected vulnerability under *root*: {folder under root: example app it copies}."""
    found = []
    for folder, app in copies.items():
        data = yaml.safe_load((EXAMPLES / app / "expected.yaml").read_text())
        for item in data["vulnerabilities"]:
            found.append(Expected(item["type"], _line(root / folder, item["source"]), _line(root / folder, item["sink"])))
    return found


def _line(app: Path, place: dict) -> str:
    return (app / place["file"]).read_text().splitlines()[place["line"] - 1].strip()


def recall(expected: list[Expected], requests: list[FakeRequest]) -> float:
    prompts: dict[str, list[str]] = {}
    for request in requests:
        for vuln_type in {e.type for e in expected}:
            if f"Focus: {vuln_type} only." in request.prompt:
                prompts.setdefault(vuln_type, []).append(request.prompt)
    seen = sum(
        1 for e in expected
        if any(e.source_text in p and e.sink_text in p for p in prompts.get(e.type, []))
    )
    return seen / len(expected) if expected else 1.0


def measure(label: str, root: Path, expected: list[Expected], tmp: Path) -> None:
    model = scripted_model(root)
    rows = []
    for mode, extra in (("pruned", ()), ("whole files", ("--no-prune",))):
        with FakeLLM(model) as fake:
            run = run_cli(fake, root, tmp, f"{label}-{mode.replace(' ', '-')}", "--no-cache", *extra)
        tokens = sum(r.input_tokens for r in run.requests)
        rows.append((mode, run.calls, tokens, recall(expected, run.requests), len(run.report["findings"]), run.wall))
    for mode, calls, tokens, share, findings, wall in rows:
        print(f"{label:>10}  {mode:>11}  {calls:>5}  {tokens:>10,}  {share:>7.0%}  {findings:>8}  {wall:>6.2f}")
    (_, calls_p, tokens_p, *_), (_, calls_w, tokens_w, *_) = rows
    print(f"{'':>10}  {'ratio':>11}  {calls_p / calls_w:>5.3f}  {tokens_p / tokens_w:>10.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=5, help="copies of each example app in the generated repository")
    args = parser.parse_args()
    print(f"command: python bench/pruning.py --copies {args.copies}")
    print("provider gpt against the scripted fake model; answer cache off; input tokens as the server counted them\n")
    print(f"{'repo':>10}  {'mode':>11}  {'calls':>5}  {'in tokens':>10}  {'recall':>7}  {'findings':>8}  {'wall s':>6}")
    with tempfile.TemporaryDirectory(prefix="vulnhuntr-pruning-bench-") as name:
        tmp = Path(name)
        measure("examples", EXAMPLES, expected_lines(EXAMPLES, {a: a for a in APPS}), tmp)
        root = generate(tmp / "repo", args.copies)
        copies = {f.name: f.name.split("_", 2)[2] for f in sorted(root.iterdir()) if f.is_dir()}
        measure(f"copies{args.copies}", root, expected_lines(root, copies), tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
