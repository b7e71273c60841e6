from urllib.parse import urlparse

import requests

ALLOWED_STATUS_HOSTS = {"status.acme-supply.com", "api.northwind-parts.com", "health.globex.io"}


def fetch_price_feed(url: str) -> list[dict]:
    response = requests.get(url, timeout=15)
    response.raise_for_status()
    return response.json().get("prices", [])


def supplier_health(host: str) -> dict:
    if host not in ALLOWED_STATUS_HOSTS:
        raise ValueError(f"host {host} is not a registered supplier endpoint")
    url = f"https://{host}/health"
    if urlparse(url).hostname != host:
        raise ValueError("malformed supplier host")
    response = requests.get(url, timeout=5, allow_redirects=False)
    return {"host": host, "status": response.status_code}
