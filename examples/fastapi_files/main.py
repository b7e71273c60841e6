import os

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

import api
import services.fetch
from pages import search_results

app = FastAPI(title="Files Service")
app.include_router(api.router, prefix="/files")


class ImportRequest(BaseModel):
    url: str
    name: str


@app.get("/health")
async def health():
    return {"status": "ok"}


@app.get("/search")
async def search(q: str = ""):
    names = sorted(n for n in os.listdir(api.store.root) if q.lower() in n.lower())
    return search_results(q, names)


@app.post("/import")
async def import_remote(req: ImportRequest):
    content = await services.fetch.download(req.url)
    target = api.store.resolve(req.name)
    target.write_bytes(content)
    return {"name": req.name, "size": len(content)}


@app.post("/import/mirror")
async def import_from_mirror(req: ImportRequest):
    try:
        content = await services.fetch.download_from_mirror(req.url)
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=str(exc))
    target = api.store.resolve(req.name)
    target.write_bytes(content)
    return {"name": req.name, "size": len(content)}
