from .config import REPORT_DIR


def read_report(name: str) -> bytes:
    path = (REPORT_DIR / name).resolve()
    if not path.is_relative_to(REPORT_DIR):
        raise PermissionError(name)
    return path.read_bytes()


def list_reports() -> list[str]:
    return sorted(p.name for p in REPORT_DIR.glob("*.json"))
