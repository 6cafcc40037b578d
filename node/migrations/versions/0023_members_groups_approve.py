"""members-only groups approve their members: the group actor approves followers by hand

Revision ID: 0023
Revises: 0020
Create Date: 2026-12-04 08:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0023"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE accounts SET manually_approves_followers = true WHERE id IN "
        "(SELECT account_id FROM groups WHERE visibility = 'members')"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE accounts SET manually_approves_followers = false WHERE id IN "
        "(SELECT account_id FROM groups WHERE visibility = 'members')"
    )
