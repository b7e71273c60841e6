"""Which example apps the tests that assert exact results run on.

The static pass and the entry-point detectors find every vulnerability of every app in
``examples/`` (API specs, hooks, ``http.server`` handlers, dispatch tables, templates), so
``STATIC_APPS`` lists them all; an app added for detection still being built starts outside
it. ``llm_helpers.APPS`` narrows it for the scripted-model runs. Tests of the corpus itself
(``tests/test_examples_expected.py``) always check every app.
"""

from __future__ import annotations

STATIC_APPS: tuple[str, ...] = (
    "flask_notes",
    "fastapi_files",
    "django_shop",
    "connexion_inventory",
    "httpserver_status",
    "flask_helpdesk",
    "django_forum",
    "flask_jobs",
)
