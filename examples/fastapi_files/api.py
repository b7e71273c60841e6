from fastapi import APIRouter, File, Form, HTTPException, Query, UploadFile
from fastapi.responses import PlainTextResponse, Response

from services import archive
from services.convert import extract_text, to_format
from storage import LocalStore

router = APIRouter()
store = LocalStore("/srv/files")


@router.get("/{name}")
async def get_file(name: str):
    try:
        data = store.read_bytes(name)
    except PermissionError:
        raise HTTPException(status_code=403, detail="forbidden")
    except FileNotFoundError:
        raise HTTPException(status_code=404, detail="not found")
    return Response(data, media_type="application/octet-stream")


@router.post("/{name}/export")
async def export_file(name: str, destination: str = Form(...)):
    path = store.copy_to(name, destination)
    return {"exported": path}


@router.post("/archives")
async def upload_archive(file: UploadFile = File(...)):
    names = archive.extract_upload(file.file, store.root / "unpacked")
    return {"extracted": names}


@router.post("/{name}/convert")
async def convert_file(name: str, fmt: str = Query("pdf")):
    output = to_format(store.resolve(name), fmt)
    return {"output": output.name}


@router.get("/{name}/text", response_class=PlainTextResponse)
async def file_text(name: str):
    return extract_text(store.resolve(name))
