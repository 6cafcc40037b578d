"""Servers the node has met (`known_servers`), for the quarantine of new servers; every
server already known (an account or a delivery host) counts as met long ago and admitted

Revision ID: 0049
Revises: 0047
Create Date: 2026-12-05 05:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0049"
down_revision = "0047"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "known_servers",
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("quarantined_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("domain", name=op.f("pk_known_servers")),
    )
    op.create_index(
        op.f("ix_known_servers_quarantined_until"), "known_servers", ["quarantined_until"]
    )
    op.execute(
        "INSERT INTO known_servers (domain, first_seen_at, quarantined_until) "
        "SELECT domain, CURRENT_TIMESTAMP, NULL FROM ("
        "SELECT domain FROM accounts WHERE domain IS NOT NULL "
        "UNION SELECT domain FROM remote_hosts) AS met"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_known_servers_quarantined_until"), table_name="known_servers")
    op.drop_table("known_servers")
