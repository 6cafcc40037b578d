"""Alembic environment: every package's models share one metadata."""

from __future__ import annotations

from alembic import context
from sqlalchemy import event

from content.orm import dialect_options_for
from node.database import synchronous_engine
from node.models import Base

config = context.config
url = config.attributes["url"]


def _sqlite_foreign_keys_off(connection, _record):  # type: ignore[no-untyped-def]
    # Batch migrations rebuild a table (copy, drop, rename); with foreign keys enforced,
    # dropping a table other rows refer to fails. SQLite's own procedure for schema changes:
    # keys off during the change, then every key checked before the commit.
    connection.execute("PRAGMA foreign_keys=OFF")


sqlite = url.startswith("sqlite")
dialect_options_for("sqlite" if sqlite else "postgresql")
with synchronous_engine(url) as engine:
    if sqlite:
        event.listen(engine, "connect", _sqlite_foreign_keys_off)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=sqlite,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(
                        f"the migrations left rows with broken foreign keys: {broken}"
                    )
