"""media attachments; avatar, header, bot flag, bio source and fields on accounts

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 11:19:15.721169
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media_attachments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("post_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("file_name", sa.String(length=64), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("remote_url", sa.String(length=2048), nullable=True),
        sa.Column("mime_type", sa.String(length=255), nullable=False),
        sa.Column("width", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("height", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_media_attachments_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_media_attachments_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_attachments")),
    )
    with op.batch_alter_table("media_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_media_attachments_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_media_attachments_post_id"), ["post_id"], unique=False)

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("bot", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("note_text", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("fields", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("avatar_url", sa.String(length=2048), nullable=True))
        batch_op.add_column(sa.Column("header_url", sa.String(length=2048), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("header_url")
        batch_op.drop_column("avatar_url")
        batch_op.drop_column("fields")
        batch_op.drop_column("note_text")
        batch_op.drop_column("bot")

    with op.batch_alter_table("media_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_attachments_post_id"))
        batch_op.drop_index(batch_op.f("ix_media_attachments_account_id"))

    op.drop_table("media_attachments")
