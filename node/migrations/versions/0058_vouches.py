"""Other organisations' signed statements that they checked a listing too
(`listings.vouches`, their documents as a JSON list)

Revision ID: 0058
Revises: 0057
Create Date: 2026-12-05 14:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0058"
down_revision = "0057"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("listings") as table:
        table.add_column(sa.Column("vouches", sa.JSON(), server_default="[]", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("listings") as table:
        table.drop_column("vouches")
