"""Which example apps the tests that assert exact results run on.

``examples/`` also holds apps that exercise detection still being built (API
specs, hooks, ``http.server`` handlers, dispatch tables, templates); the static
pass and the entry-point detectors of this branch do not find all of their
vulnerabilities yet. Tests that compare a scan with ``expected.yaml`` exactly
use ``STATIC_APPS``; widen it as the capabilities land. Tests of the corpus
itself (``tests/test_examples_expected.py``) always check every app.
"""

from __future__ import annotations

STATIC_APPS: tuple[str, ...] = ("flask_notes", "fastapi_files", "django_shop")
