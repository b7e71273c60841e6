import hashlib

import requests

CDN_PURGE_URL = "https://api.cdn.example.net/v2/purge"


def refresh_cache(payload: dict) -> dict:
    paths = [str(p) for p in payload.get("paths", ["/*"])][:100]
    response = requests.post(CDN_PURGE_URL, json={"paths": paths}, timeout=10)
    return {"status": response.status_code}


def mirror_feed(payload: dict) -> dict:
    response = requests.get(payload["feed_url"], timeout=20)
    response.raise_for_status()
    return {"bytes": len(response.content), "sha256": hashlib.sha256(response.content).hexdigest()}
