"""The in-process node of `tests/node` (a real database, a fake remote server), shared."""

from tests.node.conftest import app, client, remote, services, settings

__all__ = ["app", "client", "remote", "services", "settings"]
