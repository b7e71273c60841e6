from urllib.parse import urlparse

import httpx

ALLOWED_MIRRORS = {"downloads.example.org", "mirror.example.org"}
MAX_BYTES = 20 * 1024 * 1024


async def download(url: str) -> bytes:
    async with httpx.AsyncClient(timeout=10.0, follow_redirects=True) as client:
        response = await client.get(url)
        response.raise_for_status()
    return response.content[:MAX_BYTES]


async def download_from_mirror(url: str) -> bytes:
    parsed = urlparse(url)
    if parsed.scheme != "https" or parsed.hostname not in ALLOWED_MIRRORS:
        raise ValueError(f"unsupported mirror: {parsed.hostname}")
    async with httpx.AsyncClient(timeout=10.0, follow_redirects=False) as client:
        response = await client.get(url)
        response.raise_for_status()
    return response.content[:MAX_BYTES]
