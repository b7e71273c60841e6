"""Helpers used by the HTTP layer: fetching, unpacking and converting files."""
