"""Web Push as apps that do not ask for RFC 8291 expect it (`push_subscriptions.standard`),
and the app's token in each push (`push_subscriptions.sealed_token`, encrypted)

Revision ID: 0048
Revises: 0054
Create Date: 2026-12-05 07:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0048"
down_revision = "0054"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("push_subscriptions") as table:
        table.add_column(
            sa.Column("standard", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        table.add_column(sa.Column("sealed_token", sa.Text(), nullable=True))
    # Subscriptions made before were told `standard: true` and sent RFC 8291: they stay so.
    op.execute(sa.text("UPDATE push_subscriptions SET standard = :yes").bindparams(yes=True))


def downgrade() -> None:
    with op.batch_alter_table("push_subscriptions") as table:
        table.drop_column("sealed_token")
        table.drop_column("standard")
