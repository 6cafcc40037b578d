"""FEP-8b32 integrity proofs: Ed25519 keys of accounts (FEP-521a assertionMethod), and
whether a mirrored listing or country page came with its origin's valid proof

Every local account gets a fresh key; remote ones learn theirs from their actor documents.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-04 18:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from activitypub import integrity

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assertion_key_id", sa.String(2048), nullable=True))
        batch_op.add_column(sa.Column("assertion_key", sa.String(128), nullable=True))
        batch_op.add_column(sa.Column("ed25519_secret", sa.Text(), nullable=True))
    for table in ("listings", "country_pages"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("origin_proven", sa.Boolean(), server_default=sa.false(), nullable=False)
            )
    accounts = sa.table(
        "accounts",
        sa.column("id", sa.BigInteger()),
        sa.column("uri", sa.String()),
        sa.column("domain", sa.String()),
        sa.column("assertion_key_id", sa.String()),
        sa.column("assertion_key", sa.String()),
        sa.column("ed25519_secret", sa.Text()),
    )
    bind = op.get_bind()
    local = bind.execute(
        sa.select(accounts.c.id, accounts.c.uri).where(accounts.c.domain.is_(None))
    )
    for account_id, uri in list(local):
        secret = integrity.new_secret()
        bind.execute(
            accounts.update()
            .where(accounts.c.id == account_id)
            .values(
                ed25519_secret=secret,
                assertion_key_id=f"{uri}#ed25519-key",
                assertion_key=integrity.public_of(secret),
            )
        )


def downgrade() -> None:
    for table in ("country_pages", "listings"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("origin_proven")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("ed25519_secret")
        batch_op.drop_column("assertion_key")
        batch_op.drop_column("assertion_key_id")
