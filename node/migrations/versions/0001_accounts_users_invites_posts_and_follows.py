"""accounts, users, invites, posts and follows

Revision ID: 0001
Revises:
Create Date: 2026-11-23 08:35:25.461857
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("username", sa.String(length=255), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=True),
        sa.Column("actor_type", sa.String(length=32), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("summary_html", sa.Text(), nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("inbox_uri", sa.String(length=2048), nullable=False),
        sa.Column("outbox_uri", sa.String(length=2048), nullable=False),
        sa.Column("shared_inbox_uri", sa.String(length=2048), nullable=True),
        sa.Column("followers_uri", sa.String(length=2048), nullable=True),
        sa.Column("following_uri", sa.String(length=2048), nullable=True),
        sa.Column("featured_uri", sa.String(length=2048), nullable=True),
        sa.Column("key_id", sa.String(length=2048), nullable=False),
        sa.Column("public_key_pem", sa.Text(), nullable=False),
        sa.Column("private_key_pem", sa.Text(), nullable=True),
        sa.Column("manually_approves_followers", sa.Boolean(), nullable=False),
        sa.Column("discoverable", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("uri", name=op.f("uq_accounts_uri")),
    )
    op.create_index(op.f("ix_accounts_domain"), "accounts", ["domain"], unique=False)
    op.create_index(
        "uq_accounts_local_username",
        "accounts",
        ["username"],
        unique=True,
        sqlite_where=sa.text("domain IS NULL"),
        postgresql_where=sa.text("domain IS NULL"),
    )

    op.create_table(
        "follows",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "follower_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "followed_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["followed_id"], ["accounts.id"], name=op.f("fk_follows_followed_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["follower_id"], ["accounts.id"], name=op.f("fk_follows_follower_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follows")),
        sa.UniqueConstraint("follower_id", "followed_id", name=op.f("uq_follows_follower_id")),
        sa.UniqueConstraint("uri", name=op.f("uq_follows_uri")),
    )
    op.create_index(op.f("ix_follows_followed_id"), "follows", ["followed_id"], unique=False)
    op.create_index(op.f("ix_follows_follower_id"), "follows", ["follower_id"], unique=False)

    op.create_table(
        "invites",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code_sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "created_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("max_uses", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("uses", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["accounts.id"], name=op.f("fk_invites_created_by_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invites")),
        sa.UniqueConstraint("code_sha256", name=op.f("uq_invites_code_sha256")),
    )
    op.create_table(
        "posts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("content_html", sa.Text(), nullable=False),
        sa.Column("spoiler_text", sa.String(length=1024), nullable=False),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=True),
        sa.Column("in_reply_to_uri", sa.String(length=2048), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pinned_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_posts_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posts")),
        sa.UniqueConstraint("uri", name=op.f("uq_posts_uri")),
    )
    op.create_index(op.f("ix_posts_account_id"), "posts", ["account_id"], unique=False)
    op.create_index(op.f("ix_posts_created_at"), "posts", ["created_at"], unique=False)

    op.create_table(
        "users",
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_users_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_users")),
    )


def downgrade() -> None:
    op.drop_table("users")
    op.drop_index(op.f("ix_posts_created_at"), table_name="posts")
    op.drop_index(op.f("ix_posts_account_id"), table_name="posts")

    op.drop_table("posts")
    op.drop_table("invites")
    op.drop_index(op.f("ix_follows_follower_id"), table_name="follows")
    op.drop_index(op.f("ix_follows_followed_id"), table_name="follows")

    op.drop_table("follows")
    op.drop_index(
        "uq_accounts_local_username",
        table_name="accounts",
        sqlite_where=sa.text("domain IS NULL"),
        postgresql_where=sa.text("domain IS NULL"),
    )
    op.drop_index(op.f("ix_accounts_domain"), table_name="accounts")

    op.drop_table("accounts")
