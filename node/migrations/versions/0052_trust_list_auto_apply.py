"""Trust lists that apply their changes by themselves (`trust_lists.auto_apply`)

Revision ID: 0052
Revises: 0049
Create Date: 2026-12-05 05:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0052"
down_revision = "0049"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("trust_lists") as table:
        table.add_column(
            sa.Column("auto_apply", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("trust_lists") as table:
        table.drop_column("auto_apply")
