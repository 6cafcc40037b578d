"""moderator-gated reports and safe visibility defaults: a member's wish to forward, the
partner a report was shared with, shared cases received, and hiding posts from guests

Revision ID: 0026
Revises: 0024
Create Date: 2026-12-04 08:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("forward_requested", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("shared_with", sa.String(length=255), nullable=True))
        batch_op.add_column(
            sa.Column("shared_case", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("hide_from_guests", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("hide_from_guests")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_column("shared_case")
        batch_op.drop_column("shared_with")
        batch_op.drop_column("forward_requested")
