"""Account moves: an account's aliases (`alsoKnownAs`), where it moved to (`movedTo`) and
when a move was applied (the cooldown, and a Move applied once)

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-11 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("also_known_as", sa.JSON(), server_default="[]", nullable=False)
        )
        batch_op.add_column(sa.Column("moved_to_uri", sa.String(2048), nullable=True))
        batch_op.add_column(sa.Column("moved_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("moved_at")
        batch_op.drop_column("moved_to_uri")
        batch_op.drop_column("also_known_as")
