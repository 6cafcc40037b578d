"""Alembic environment: every package's models share one metadata."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, event

from node.models import Base

config = context.config
url = config.attributes["url"]


def _sqlite_foreign_keys(connection, _record):  # type: ignore[no-untyped-def]
    connection.execute("PRAGMA foreign_keys=ON")


engine = create_engine(url)
if url.startswith("sqlite"):
    event.listen(engine, "connect", _sqlite_foreign_keys)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=url.startswith("sqlite"),
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
