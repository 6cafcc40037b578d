"""The replay suite runs against the in-process node of `tests/node` (a real database, remote
servers faked at the transport)."""

from tests.node.conftest import app, client, remote, services, settings  # noqa: F401
