"""an index of the suspended remote accounts' inboxes: a worker reads them (when the
policy's generation moved) so that what was queued for an account before her suspension,
but for a take-back (a Delete, a Reject...), does not reach her (`federation.withholding`)

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
