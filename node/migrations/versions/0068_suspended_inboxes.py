"""accounts are looked up by their inbox and shared inbox: a worker's claim asks which of
its deliveries' inboxes are a suspended account's own and no other account's, so that what
was queued for her before her suspension, but for a take-back, does not reach her
(`federation.withholding`)

Revision ID: 0068
Revises: 0067
Create Date: 2026-12-07 08:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0068"
down_revision = "0067"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_accounts_inbox_uri"), "accounts", ["inbox_uri"])
    op.create_index(op.f("ix_accounts_shared_inbox_uri"), "accounts", ["shared_inbox_uri"])


def downgrade() -> None:
    op.drop_index(op.f("ix_accounts_shared_inbox_uri"), table_name="accounts")
    op.drop_index(op.f("ix_accounts_inbox_uri"), table_name="accounts")
