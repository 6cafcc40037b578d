"""polls on posts (Mastodon's polls, ActivityPub's Question) and their votes

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-05 00:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "polls",
        sa.Column("id", ID, nullable=False),
        sa.Column("post_id", ID, nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("voters_count", ID, nullable=False),
        sa.Column("multiple", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("hide_totals", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_told", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_polls_post_id_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_polls")),
    )
    op.create_index(op.f("ix_polls_post_id"), "polls", ["post_id"], unique=True)
    op.create_table(
        "poll_votes",
        sa.Column("id", ID, nullable=False),
        sa.Column("poll_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("choice", ID, nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["polls.id"], name=op.f("fk_poll_votes_poll_id_polls"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_poll_votes_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_votes")),
        sa.UniqueConstraint("poll_id", "account_id", "choice", name=op.f("uq_poll_votes_poll_id")),
    )
    op.create_index(op.f("ix_poll_votes_account_id"), "poll_votes", ["account_id"])


def downgrade() -> None:
    op.drop_table("poll_votes")
    op.drop_table("polls")
