import shutil
import zipfile
from pathlib import Path
from typing import BinaryIO


def extract_upload(fileobj: BinaryIO, destination: Path) -> list[str]:
    destination.mkdir(parents=True, exist_ok=True)
    extracted: list[str] = []
    with zipfile.ZipFile(fileobj) as bundle:
        for member in bundle.infolist():
            if member.is_dir():
                continue
            target = destination / member.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            with bundle.open(member) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
            extracted.append(member.filename)
    return extracted
