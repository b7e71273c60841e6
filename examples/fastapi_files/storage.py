import os
import shutil
from pathlib import Path


class BaseStore:
    def __init__(self, root: str) -> None:
        self.root = Path(root)

    def resolve(self, name: str) -> Path:
        return self.root / name

    def read_bytes(self, name: str) -> bytes:
        return self.resolve(name).read_bytes()

    def copy_to(self, name: str, destination: str) -> str:
        shutil.copyfile(self.resolve(name), destination)
        return destination


class LocalStore(BaseStore):
    def resolve(self, name: str) -> Path:
        root = os.path.realpath(self.root)
        path = os.path.realpath(os.path.join(root, name))
        if os.path.commonpath([root, path]) != root:
            raise PermissionError(name)
        return Path(path)
