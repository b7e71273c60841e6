import os
from pathlib import Path

MANUALS_DIR = os.environ.get("INVENTORY_MANUALS", "/srv/inventory/manuals")
LABELS_DIR = Path(os.environ.get("INVENTORY_LABELS", "/srv/inventory/labels"))

LABEL_TEMPLATES = {
    "shelf": "shelf-4x2.zpl",
    "pallet": "pallet-6x4.zpl",
    "bin": "bin-2x1.zpl",
}


def read_manual(name: str) -> bytes:
    path = os.path.join(MANUALS_DIR, name)
    with open(path, "rb") as fh:
        return fh.read()


def read_label_template(kind: str) -> str:
    filename = LABEL_TEMPLATES[kind]
    return (LABELS_DIR / filename).read_text(encoding="utf-8")
