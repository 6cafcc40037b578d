"""country information pages with revisions

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-23 14:12:03.460170
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "country_pages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("language", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("legal_html", sa.Text(), nullable=False),
        sa.Column("migration_html", sa.Text(), nullable=False),
        sa.Column("health_html", sa.Text(), nullable=False),
        sa.Column("work_html", sa.Text(), nullable=False),
        sa.Column("contacts_html", sa.Text(), nullable=False),
        sa.Column("sources_text", sa.Text(), nullable=False),
        sa.Column("last_reviewed", sa.Date(), nullable=False),
        sa.Column("revision", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_country_pages_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_country_pages")),
        sa.UniqueConstraint(
            "account_id", "country", "language", name=op.f("uq_country_pages_account_id")
        ),
    )
    with op.batch_alter_table("country_pages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_country_pages_country_account_id", ["country", "account_id"], unique=False
        )
        batch_op.create_index("ix_country_pages_uri", ["uri"], unique=False)

    op.create_table(
        "country_revisions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("page_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("author_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("author_name", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("legal", sa.Text(), nullable=False),
        sa.Column("migration", sa.Text(), nullable=False),
        sa.Column("health", sa.Text(), nullable=False),
        sa.Column("work", sa.Text(), nullable=False),
        sa.Column("contacts", sa.Text(), nullable=False),
        sa.Column("sources_text", sa.Text(), nullable=False),
        sa.Column("last_reviewed", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["accounts.id"],
            name=op.f("fk_country_revisions_author_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["country_pages.id"],
            name=op.f("fk_country_revisions_page_id_country_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_country_revisions")),
        sa.UniqueConstraint("page_id", "number", name=op.f("uq_country_revisions_page_id")),
    )


def downgrade() -> None:
    op.drop_table("country_revisions")
    with op.batch_alter_table("country_pages", schema=None) as batch_op:
        batch_op.drop_index("ix_country_pages_uri")
        batch_op.drop_index("ix_country_pages_country_account_id")

    op.drop_table("country_pages")
