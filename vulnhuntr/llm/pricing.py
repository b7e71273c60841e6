"""The price table and cost of a run, as the providers' code has always imported them (see :mod:`vulnhuntr.pricing`)."""

from __future__ import annotations

from ..pricing import BUILTIN_PRICES, FREE, cost, price_for

__all__ = ["BUILTIN_PRICES", "FREE", "cost", "price_for"]
