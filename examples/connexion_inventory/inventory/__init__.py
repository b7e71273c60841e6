"""Controllers and services of the inventory API."""
