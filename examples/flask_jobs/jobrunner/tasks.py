import base64
import json
import pickle
import shutil
import time
from pathlib import Path

from .registry import task

SCRATCH = Path("/var/lib/jobrunner/scratch")


@task("restore_session")
def restore_session(payload: dict) -> dict:
    state = pickle.loads(base64.b64decode(payload["state"]))
    return {"restored": sorted(state)}


@task("import_settings")
def import_settings(payload: dict) -> dict:
    settings = json.loads(payload.get("settings", "{}"))
    return {"keys": sorted(settings)}


@task("clean_scratch")
def clean_scratch(payload: dict) -> dict:
    cutoff = time.time() - int(payload.get("max_age", 86400))
    removed = 0
    for entry in SCRATCH.iterdir():
        if entry.is_dir() and entry.stat().st_mtime < cutoff:
            shutil.rmtree(entry)
            removed += 1
    return {"removed": removed}
