"""a member's lists of followed accounts, read as timelines (Mastodon's lists); a membership
goes with the follow it rests on

Revision ID: 0041
Revises: 0039
Create Date: 2026-12-05 00:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0041"
down_revision = "0039"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "timeline_lists",
        sa.Column("id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("replies_policy", sa.String(length=16), nullable=False),
        sa.Column("exclusive", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_timeline_lists_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timeline_lists")),
    )
    op.create_index(op.f("ix_timeline_lists_account_id"), "timeline_lists", ["account_id"])
    op.create_table(
        "timeline_list_members",
        sa.Column("id", ID, nullable=False),
        sa.Column("list_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("follow_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["timeline_lists.id"],
            name=op.f("fk_timeline_list_members_list_id_timeline_lists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_timeline_list_members_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["follow_id"],
            ["follows.id"],
            name=op.f("fk_timeline_list_members_follow_id_follows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timeline_list_members")),
        sa.UniqueConstraint("list_id", "account_id", name=op.f("uq_timeline_list_members_list_id")),
    )
    op.create_index(
        "ix_timeline_list_members_account_id_list_id",
        "timeline_list_members",
        ["account_id", "list_id"],
    )
    op.create_index(
        op.f("ix_timeline_list_members_follow_id"), "timeline_list_members", ["follow_id"]
    )


def downgrade() -> None:
    op.drop_table("timeline_list_members")
    op.drop_table("timeline_lists")
