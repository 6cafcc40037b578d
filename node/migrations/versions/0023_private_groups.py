"""private groups: members-only groups approve their members; a group's language and topics

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE accounts SET manually_approves_followers = true WHERE id IN "
        "(SELECT account_id FROM groups WHERE visibility = 'members')"
    )
    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=35), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("topics", sa.String(length=500), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.drop_column("topics")
        batch_op.drop_column("language")
    op.execute(
        "UPDATE accounts SET manually_approves_followers = false WHERE id IN "
        "(SELECT account_id FROM groups WHERE visibility = 'members')"
    )
