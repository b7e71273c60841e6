"""Webhook, task and admin-action handlers of the job runner."""
