import subprocess
from pathlib import Path

INCOMING = Path("/var/lib/jobrunner/incoming")


def probe_duration(payload: dict) -> dict:
    source = INCOMING / Path(payload["file"]).name
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(source)],
        capture_output=True,
        text=True,
        check=True,
    )
    return {"seconds": float(result.stdout.strip() or 0)}
