"""Other organisations' signed statements that they checked a country page too
(`country_pages.vouches`, on every language version of the page, as on listings)

Revision ID: 0059
Revises: 0058
Create Date: 2026-12-05 17:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0059"
down_revision = "0058"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("country_pages") as table:
        table.add_column(sa.Column("vouches", sa.JSON(), server_default="[]", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("country_pages") as table:
        table.drop_column("vouches")
