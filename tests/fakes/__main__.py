"""Serve the fake LLM with the scripted example model, for demos and manual end-to-end runs.

    python -m tests.fakes --port 8765 examples/flask_notes    (from the repository root)
    OPENAI_BASE_URL=http://127.0.0.1:8765/v1 OPENAI_API_KEY=x vulnhuntr -r examples/flask_notes -l gpt

It answers from the apps' expected.yaml files: it proves the plumbing (SDKs,
loop, resolver, reports), never the quality of a real model's findings.
"""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path

from .server import FakeLLM
from .scripted_model import ScriptedModel


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("apps", nargs="+", type=Path, help="example app folders holding expected.yaml")
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (default 8765)")
    args = parser.parse_args()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with FakeLLM(ScriptedModel(args.apps), port=args.port) as fake:
        print(f"fake LLM on {fake.base_url}")
        print(f"  OPENAI_BASE_URL={fake.openai_base_url}  ANTHROPIC_BASE_URL={fake.base_url}  OLLAMA_BASE_URL={fake.base_url}")
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        print(f"served {len(fake.requests)} calls")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
