"""Members' experiences of a service, kept in the corrections queue: an experience's rating
(`corrections.rating`), and the kind of what a member sent (`sent_corrections.kind`), so her
answer reads right

Revision ID: 0057
Revises: 0056
Create Date: 2026-12-05 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0057"
down_revision = "0056"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("corrections") as table:
        table.add_column(sa.Column("rating", sa.String(8), server_default="", nullable=False))
    with op.batch_alter_table("sent_corrections") as table:
        table.add_column(sa.Column("kind", sa.String(16), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("sent_corrections") as table:
        table.drop_column("kind")
    with op.batch_alter_table("corrections") as table:
        table.drop_column("rating")
