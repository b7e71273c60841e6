"""The discussion board app."""
