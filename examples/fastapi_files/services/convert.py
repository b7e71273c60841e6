import shlex
import subprocess
from pathlib import Path


def to_format(path: Path, fmt: str) -> Path:
    outdir = path.parent / "converted"
    cmd = f"soffice --headless --convert-to {fmt} --outdir {outdir} {path}"
    subprocess.run(cmd, shell=True, check=True, timeout=120)
    return outdir / f"{path.stem}.{fmt}"


def extract_text(path: Path) -> str:
    cmd = f"pdftotext -layout {shlex.quote(str(path))} -"
    result = subprocess.run(cmd, shell=True, check=True, capture_output=True, text=True, timeout=60)
    return result.stdout
