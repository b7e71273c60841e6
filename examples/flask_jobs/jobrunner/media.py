import subprocess
import uuid
from pathlib import Path

from PIL import Image

from .probes import INCOMING, probe_duration

OUTPUT = Path("/var/lib/jobrunner/output")
SIZES = {"thumb": (160, 160), "card": (640, 360), "hero": (1920, 1080)}


def resize_image(payload: dict) -> dict:
    source = INCOMING / Path(payload["file"]).name
    size = SIZES.get(payload.get("size", "thumb"), SIZES["thumb"])
    target = OUTPUT / f"{uuid.uuid4().hex}.webp"
    with Image.open(source) as image:
        image.thumbnail(size)
        image.save(target, "WEBP")
    return {"output": target.name}


def transcode_video(payload: dict) -> dict:
    source = INCOMING / Path(payload["file"]).name
    target = OUTPUT / f"{uuid.uuid4().hex}.mp4"
    preset = payload.get("preset", "medium")
    command = f"ffmpeg -y -i {source} -c:v libx264 -preset {preset} {target}"
    subprocess.run(command, shell=True, check=True, timeout=3600)
    return {"output": target.name}


HANDLERS = {
    "image.uploaded": resize_image,
    "video.uploaded": transcode_video,
    "video.probe": probe_duration,
}
