"""What the analysis concluded about one file: the value several stages pass along.

The incremental plan re-uses earlier results, the analysis produces new ones,
the report is built from both and the next incremental state records them. It
lives outside those stages so none of them has to import another to name it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .findings import ErrorEntry, Finding


@dataclass
class FileResult:
    """Everything concluded about one entry-point file (findings at every confidence)."""

    file: str
    findings: list[Finding] = field(default_factory=list)
    errors: list[ErrorEntry] = field(default_factory=list)
    context_files: set[str] = field(default_factory=set)  # every file whose code the model was shown
    unanalysed: set[str] = field(default_factory=set)  # entry points whose initial pass failed: nothing concluded
    concluded: bool = True  # False when no initial pass of the file succeeded: it was not analysed at all
