"""Switches an admin turns for the whole node at run time (`node_switches`): lockdown

Revision ID: 0047
Revises: 0044
Create Date: 2026-12-05 01:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0047"
down_revision = "0044"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "node_switches",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("on", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_node_switches")),
    )


def downgrade() -> None:
    op.drop_table("node_switches")
