import json
import os

from .config import HISTORY_FILE, LOG_DIR


def tail_log(name: str, lines: int = 200) -> str:
    path = os.path.join(LOG_DIR, name)
    with open(path, encoding="utf-8", errors="replace") as fh:
        return "".join(fh.readlines()[-lines:])


def search_history(term: str) -> list[dict]:
    matches = []
    with open(HISTORY_FILE, encoding="utf-8") as fh:
        for line in fh:
            entry = json.loads(line)
            if term.lower() in entry.get("job", "").lower():
                matches.append(entry)
    return matches[-50:]
