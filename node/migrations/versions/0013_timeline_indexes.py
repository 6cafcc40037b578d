"""indexes the home timeline and its Status entities need at scale

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23 11:30:00.000000

Counting a post's replies (every Status entity shows replies_count) looked posts up by
in_reply_to_uri without an index: a scan of every post, twenty times a page. Posts by
author are read as (account_id, id, created_at): newest first for a timeline, and counted
with their latest time for an Account entity without reading the rows.
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index("ix_posts_account_id")
        batch_op.create_index(
            "ix_posts_account_id_id_created_at", ["account_id", "id", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_posts_in_reply_to_uri"), ["in_reply_to_uri"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_posts_in_reply_to_uri"))
        batch_op.drop_index("ix_posts_account_id_id_created_at")
        batch_op.create_index("ix_posts_account_id", ["account_id"], unique=False)
