"""the service directory: listings with their category and language rows

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-23 12:29:57.680015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "listings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("organisation", sa.String(length=255), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("region", sa.String(length=255), nullable=False),
        sa.Column("city", sa.String(length=255), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("cost", sa.String(length=255), nullable=False),
        sa.Column("free", sa.Boolean(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("papers_required", sa.Boolean(), nullable=False),
        sa.Column("insurance_required", sa.Boolean(), nullable=False),
        sa.Column("opening_hours", sa.String(length=255), nullable=False),
        sa.Column("phone", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("website", sa.String(length=255), nullable=False),
        sa.Column("messaging", sa.String(length=255), nullable=False),
        sa.Column("street_address", sa.String(length=255), nullable=False),
        sa.Column("postal_code", sa.String(length=255), nullable=False),
        sa.Column("address_hidden", sa.Boolean(), nullable=False),
        sa.Column("last_verified", sa.Date(), nullable=False),
        sa.Column("verified_by", sa.String(length=255), nullable=False),
        sa.Column("category_codes", sa.Text(), nullable=False),
        sa.Column("language_tags", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_listings_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listings")),
        sa.UniqueConstraint("uri", name=op.f("uq_listings_uri")),
    )
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.create_index("ix_listings_country_id", ["country", "id"], unique=False)

    op.create_table(
        "listing_categories",
        sa.Column(
            "listing_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name=op.f("fk_listing_categories_listing_id_listings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("listing_id", "code", name=op.f("pk_listing_categories")),
    )
    with op.batch_alter_table("listing_categories", schema=None) as batch_op:
        batch_op.create_index(
            "ix_listing_categories_code_listing_id", ["code", "listing_id"], unique=False
        )

    op.create_table(
        "listing_languages",
        sa.Column(
            "listing_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name=op.f("fk_listing_languages_listing_id_listings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("listing_id", "tag", name=op.f("pk_listing_languages")),
    )
    with op.batch_alter_table("listing_languages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_listing_languages_language_listing_id", ["language", "listing_id"], unique=False
        )
        batch_op.create_index(
            "ix_listing_languages_tag_listing_id", ["tag", "listing_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("listing_languages", schema=None) as batch_op:
        batch_op.drop_index("ix_listing_languages_tag_listing_id")
        batch_op.drop_index("ix_listing_languages_language_listing_id")

    op.drop_table("listing_languages")
    with op.batch_alter_table("listing_categories", schema=None) as batch_op:
        batch_op.drop_index("ix_listing_categories_code_listing_id")

    op.drop_table("listing_categories")
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.drop_index("ix_listings_country_id")

    op.drop_table("listings")
