"""A static path as the model reads it: each file named once per run of steps, the source said once."""

from __future__ import annotations

from vulnhuntr.analysis.prompts import static_hint
from vulnhuntr.findings import PathStep, VulnType
from vulnhuntr.static import Candidate


def test_a_hint_names_each_file_once_where_its_steps_begin() -> None:
    path = (
        PathStep("app.py", 64, "request data enters: request.args"),
        PathStep("app.py", 65, "passed to NoteStore.read() in storage.py"),
        PathStep("storage.py", 15, "passed to NoteStore._note_path() in storage.py"),
        PathStep("storage.py", 16, "file read: open(path)"),
    )
    seed = Candidate(VulnType.LFI, 22, "download", 63, "app.py", 64, "request.args", path, "storage.py", 16, 7)
    assert static_hint(seed) == (
        "static pass traced request.args in download: enters (app.py:64) -> passed to NoteStore.read() (line 65)"
        " -> passed to NoteStore._note_path() (storage.py:15) -> file read: open(path) (line 16)"
    )
