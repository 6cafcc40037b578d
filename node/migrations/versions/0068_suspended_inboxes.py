"""an index of the inboxes of suspended remote accounts: a worker reads them at each claim
and, while it sends, once a second, so that nothing but a take-back (a Delete, a Reject...)
reaches an account suspended after it was queued for her (`addressing.withheld`)

Revision ID: 0068
Revises: 0067
Create Date: 2026-12-07 08:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0068"
down_revision = "0067"
branch_labels = None
depends_on = None

SUSPENDED_REMOTE = sa.text("suspended_at IS NOT NULL AND domain IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_accounts_suspended_inbox",
        "accounts",
        ["inbox_uri"],
        sqlite_where=SUSPENDED_REMOTE,
        postgresql_where=SUSPENDED_REMOTE,
    )


def downgrade() -> None:
    op.drop_index("ix_accounts_suspended_inbox", table_name="accounts")
