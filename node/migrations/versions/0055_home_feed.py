"""Each local member's home feed, kept as posts, mentions, boosts and follows are stored
(`home_feed`), and whether it was built and how far down it is whole (`home_feeds`). Feeds
are built on a member's first read after this migration.

Revision ID: 0055
Revises: 0050
Create Date: 2026-12-05 12:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0055"
down_revision = "0050"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _reference(
    column: str, table: str, nullable: bool
) -> list[sa.Column[int] | sa.ForeignKeyConstraint]:
    return [
        sa.Column(column, ID, nullable=nullable),
        sa.ForeignKeyConstraint(
            [column],
            [f"{table}.id"],
            name=op.f(f"fk_home_feed_{column}_{table}"),
            ondelete="CASCADE",
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "home_feed",
        *_reference("account_id", "accounts", False),
        sa.Column("id", ID, autoincrement=False, nullable=False),
        *_reference("post_id", "posts", False),
        *_reference("boost_id", "interactions", True),
        *_reference("via_id", "accounts", True),
        sa.PrimaryKeyConstraint("account_id", "id", name=op.f("pk_home_feed")),
        sqlite_with_rowid=False,
    )
    for column in ("post_id", "boost_id", "via_id"):
        op.create_index(op.f(f"ix_home_feed_{column}"), "home_feed", [column])
    op.create_table(
        "home_feeds",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("floor", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_home_feeds_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_home_feeds")),
    )


def downgrade() -> None:
    op.drop_table("home_feeds")
    op.drop_table("home_feed")
