"""a member's imports of Mastodon list files (follows, blocks, mutes, domain blocks,
bookmarks), one job row per line

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-04 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
HELD = sa.text("claim IS NOT NULL")


def upgrade() -> None:
    op.create_table(
        "list_imports",
        sa.Column("id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_list_imports_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_imports")),
    )
    op.create_index(op.f("ix_list_imports_account_id"), "list_imports", ["account_id"])
    op.create_table(
        "import_rows",
        sa.Column("id", ID, nullable=False),
        sa.Column("import_id", ID, nullable=False),
        sa.Column("value", sa.String(length=2048), nullable=False),
        sa.Column("hide_notifications", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", ID, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claim", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["list_imports.id"],
            name=op.f("fk_import_rows_import_id_list_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_rows")),
    )
    for column in ("import_id", "next_attempt_at", "state"):
        op.create_index(op.f(f"ix_import_rows_{column}"), "import_rows", [column])
    op.create_index(
        op.f("ix_import_rows_claim"),
        "import_rows",
        ["claim"],
        sqlite_where=HELD,
        postgresql_where=HELD,
    )


def downgrade() -> None:
    op.drop_table("import_rows")
    op.drop_table("list_imports")
