"""listing translations: the language of a listing's text, and its translations

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-23 14:43:36.542123
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=64), server_default="en", nullable=False)
        )
        batch_op.add_column(
            sa.Column("translations", sa.JSON(), server_default="[]", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.drop_column("translations")
        batch_op.drop_column("language")
