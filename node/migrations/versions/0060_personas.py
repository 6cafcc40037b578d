"""Personas: the further accounts a login acts as (`personas`), and which identity a web
session, an authorization code and an app token act as (`acting_id`, None: the login's own)

Revision ID: 0060
Revises: 0059
Create Date: 2026-12-05 17:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0060"
down_revision = "0059"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ACTING = {
    "web_sessions": "SET NULL",  # the identity is gone: the session acts as the login again
    "access_tokens": "CASCADE",  # never: a token for one identity does not become another's
    "authorization_codes": "CASCADE",
}


def upgrade() -> None:
    op.create_table(
        "personas",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("login_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_personas_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["login_id"],
            ["users.account_id"],
            name=op.f("fk_personas_login_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_personas")),
    )
    op.create_index(op.f("ix_personas_login_id"), "personas", ["login_id"])
    for table, on_delete in ACTING.items():
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("acting_id", ID, nullable=True))
            batch.create_foreign_key(
                op.f(f"fk_{table}_acting_id_accounts"),
                "accounts",
                ["acting_id"],
                ["id"],
                ondelete=on_delete,
            )


def downgrade() -> None:
    for table in ACTING:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"fk_{table}_acting_id_accounts"), type_="foreignkey")
            batch.drop_column("acting_id")
    op.drop_index(op.f("ix_personas_login_id"), "personas")
    op.drop_table("personas")
