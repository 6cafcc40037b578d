"""Corrections readers suggest: the owning organisation's queue (`corrections`) and, on the
reader's node only, which member sent which correction (`sent_corrections`)

Revision ID: 0050
Revises: 0048
Create Date: 2026-12-05 07:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0050"
down_revision = "0048"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def _account(
    column: str, table: str, nullable: bool
) -> list[sa.Column[int] | sa.ForeignKeyConstraint]:
    return [
        sa.Column(column, ID, nullable=nullable),
        sa.ForeignKeyConstraint(
            [column],
            ["accounts.id"],
            name=op.f(f"fk_{table}_{column}_accounts"),
            ondelete="CASCADE",
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "corrections",
        sa.Column("id", ID, nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        *_account("organisation_id", "corrections", False),
        sa.Column("listing_id", ID, nullable=True),
        sa.Column("country_page_id", ID, nullable=True),
        sa.Column("section", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("signed_by", sa.String(length=2048), nullable=False),
        *_account("sender_id", "corrections", True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_at", WHEN, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name=op.f("fk_corrections_listing_id_listings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["country_page_id"],
            ["country_pages.id"],
            name=op.f("fk_corrections_country_page_id_country_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrections")),
        sa.UniqueConstraint("uri", name=op.f("uq_corrections_uri")),
    )
    for column in ("listing_id", "country_page_id", "sender_id"):
        op.create_index(op.f(f"ix_corrections_{column}"), "corrections", [column])
    op.create_index(
        "ix_corrections_organisation_id_state", "corrections", ["organisation_id", "state"]
    )
    op.create_table(
        "sent_corrections",
        sa.Column("id", ID, nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        *_account("account_id", "sent_corrections", False),
        sa.Column("organisation_uri", sa.String(length=2048), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("path", sa.String(length=255), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("answered_at", WHEN, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sent_corrections")),
        sa.UniqueConstraint("uri", name=op.f("uq_sent_corrections_uri")),
    )
    for column in ("account_id", "answered_at"):
        op.create_index(op.f(f"ix_sent_corrections_{column}"), "sent_corrections", [column])


def downgrade() -> None:
    op.drop_table("sent_corrections")
    op.drop_table("corrections")
