"""discussion groups: settings, moderators, bans and posts filed in threads

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-23 14:14:27.527397
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "group_bans",
        sa.Column("group_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_group_bans_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["accounts.id"], name=op.f("fk_group_bans_group_id_accounts")
        ),
        sa.PrimaryKeyConstraint("group_id", "account_id", name=op.f("pk_group_bans")),
    )
    op.create_table(
        "group_moderators",
        sa.Column("group_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_group_moderators_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["accounts.id"], name=op.f("fk_group_moderators_group_id_accounts")
        ),
        sa.PrimaryKeyConstraint("group_id", "account_id", name=op.f("pk_group_moderators")),
    )
    op.create_table(
        "groups",
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_groups_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_groups")),
    )
    op.create_table(
        "group_posts",
        sa.Column("post_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("group_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "thread_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pinned_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"], ["accounts.id"], name=op.f("fk_group_posts_group_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_group_posts_post_id_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("post_id", name=op.f("pk_group_posts")),
    )
    with op.batch_alter_table("group_posts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_group_posts_group_id_thread_id", ["group_id", "thread_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("group_posts", schema=None) as batch_op:
        batch_op.drop_index("ix_group_posts_group_id_thread_id")

    op.drop_table("group_posts")
    op.drop_table("groups")
    op.drop_table("group_moderators")
    op.drop_table("group_bans")
