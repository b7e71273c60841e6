import csv
import json
import os
import subprocess

EXPORT_DIR = os.environ.get("HELPDESK_EXPORTS", "/var/lib/helpdesk/exports")
ATTACHMENT_DIR = os.environ.get("HELPDESK_ATTACHMENTS", "/var/lib/helpdesk/attachments")


def export_tickets(rows: list[dict], filename: str, fmt: str) -> str:
    os.makedirs(EXPORT_DIR, exist_ok=True)
    target = os.path.join(EXPORT_DIR, f"export-{len(rows)}.{fmt}")
    with open(target, "w", encoding="utf-8", newline="") as fh:
        if fmt == "json":
            json.dump(rows, fh)
        else:
            writer = csv.DictWriter(fh, fieldnames=["id", "subject", "priority", "status"])
            writer.writeheader()
            writer.writerows(rows)
    subprocess.run(f"gzip -c {target} > {EXPORT_DIR}/{filename}.{fmt}.gz", shell=True, check=True)
    return f"{filename}.{fmt}.gz"


def archive_attachments(ticket_id: int) -> str:
    archive = os.path.join(EXPORT_DIR, f"ticket-{ticket_id}-attachments.tar.gz")
    folder = os.path.join(ATTACHMENT_DIR, str(ticket_id))
    subprocess.run(["tar", "-czf", archive, "-C", folder, "."], check=True)
    return archive
