"""Project package of the forum site."""
