"""the suspended accounts are indexed apart, by server: a worker's delivery claim asks which
of its hosts and inboxes are a suspended account's (`federation.withholding`), and read every
account to find the few suspended

Revision ID: 0069
Revises: 0068
Create Date: 2026-12-07 22:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0069"
down_revision = "0068"
branch_labels = None
depends_on = None

SUSPENDED = sa.text("suspended_at IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_accounts_suspended_domain",
        "accounts",
        ["domain"],
        sqlite_where=SUSPENDED,
        postgresql_where=SUSPENDED,
    )


def downgrade() -> None:
    op.drop_index("ix_accounts_suspended_domain", table_name="accounts")
