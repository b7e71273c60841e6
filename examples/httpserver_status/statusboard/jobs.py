import subprocess
import time

from .config import JOBS


def run_job(name: str) -> dict:
    argv = JOBS[name]
    started = time.monotonic()
    completed = subprocess.run(argv, check=False, timeout=600)
    return {"job": name, "exit_code": completed.returncode, "seconds": round(time.monotonic() - started, 1)}
