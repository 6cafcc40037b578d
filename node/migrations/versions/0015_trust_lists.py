"""trust lists

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-23 12:08:52.216097
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trust_lists",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("reviewed", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trust_lists")),
        sa.UniqueConstraint("name", name=op.f("uq_trust_lists_name")),
        sa.UniqueConstraint("url", name=op.f("uq_trust_lists_url")),
    )
    op.create_table(
        "trust_list_entries",
        sa.Column("list_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["trust_lists.id"],
            name=op.f("fk_trust_list_entries_list_id_trust_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("list_id", "domain", name=op.f("pk_trust_list_entries")),
    )


def downgrade() -> None:
    op.drop_table("trust_list_entries")
    op.drop_table("trust_lists")
