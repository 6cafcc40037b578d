"""account safety: mutes, member domain blocks, bookmarks, report fields

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 11:19:18.400274
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "member_domain_blocks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_member_domain_blocks_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_domain_blocks")),
        sa.UniqueConstraint(
            "account_id", "domain", name=op.f("uq_member_domain_blocks_account_id")
        ),
    )
    with op.batch_alter_table("member_domain_blocks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_member_domain_blocks_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "mutes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "target_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("notifications", sa.Boolean(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_mutes_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["accounts.id"], name=op.f("fk_mutes_target_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mutes")),
        sa.UniqueConstraint("account_id", "target_id", name=op.f("uq_mutes_account_id")),
    )
    with op.batch_alter_table("mutes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mutes_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mutes_target_id"), ["target_id"], unique=False)

    op.create_table(
        "bookmarks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("post_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_bookmarks_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_bookmarks_post_id_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookmarks")),
        sa.UniqueConstraint("account_id", "post_id", name=op.f("uq_bookmarks_account_id")),
    )
    with op.batch_alter_table("bookmarks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bookmarks_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bookmarks_post_id"), ["post_id"], unique=False)

    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("category", sa.String(length=16), server_default="other", nullable=False)
        )
        batch_op.add_column(
            sa.Column("forwarded", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_column("forwarded")
        batch_op.drop_column("category")

    with op.batch_alter_table("bookmarks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bookmarks_post_id"))
        batch_op.drop_index(batch_op.f("ix_bookmarks_account_id"))

    op.drop_table("bookmarks")
    with op.batch_alter_table("mutes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mutes_target_id"))
        batch_op.drop_index(batch_op.f("ix_mutes_account_id"))

    op.drop_table("mutes")
    with op.batch_alter_table("member_domain_blocks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_domain_blocks_account_id"))

    op.drop_table("member_domain_blocks")
