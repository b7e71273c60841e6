"""The template lines a view's prompt shows: found by :mod:`vulnhuntr.repo.template_lines`, imported from here too."""

from __future__ import annotations

from ..repo.template_lines import (
    DEFAULT_BUDGET_TOKENS,
    MAX_LINES_PER_TEMPLATE,
    MAX_TEMPLATES,
    TemplateExcerpt,
    excerpts,
)

__all__ = ["DEFAULT_BUDGET_TOKENS", "MAX_LINES_PER_TEMPLATE", "MAX_TEMPLATES", "TemplateExcerpt", "excerpts"]
