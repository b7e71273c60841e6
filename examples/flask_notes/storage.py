import os


class NoteStore:
    """Keeps note bodies and attachments as plain files on disk."""

    def __init__(self, root: str, attachments_root: str) -> None:
        self.root = root
        self.attachments_root = attachments_root

    def _note_path(self, name: str) -> str:
        return os.path.join(self.root, name)

    def read(self, name: str) -> str:
        path = self._note_path(name)
        with open(path, encoding="utf-8") as fh:
            return fh.read()

    def write(self, name: str, body: str) -> None:
        os.makedirs(self.root, exist_ok=True)
        with open(self._note_path(name), "w", encoding="utf-8") as fh:
            fh.write(body)

    def read_attachment(self, filename: str) -> bytes:
        path = os.path.join(self.attachments_root, filename)
        with open(path, "rb") as fh:
            return fh.read()
