"""Wiring and HTTP surfaces: the Starlette app, the CLI, the database and migrations."""
