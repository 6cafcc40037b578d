"""Earlier versions of edited posts (`post_edits`), for the status history, and a local
post's text as written (`posts.source_text`), for its author to edit

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-04 22:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_text", sa.Text(), nullable=True))
    op.create_table(
        "post_edits",
        sa.Column("id", ID, nullable=False),
        sa.Column("post_id", ID, nullable=False),
        sa.Column("content_html", sa.Text(), nullable=False),
        sa.Column("spoiler_text", sa.String(length=1024), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("media", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_post_edits_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_edits")),
    )
    op.create_index(
        "ix_post_edits_post_id_created_at", "post_edits", ["post_id", "created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_post_edits_post_id_created_at", table_name="post_edits")
    op.drop_table("post_edits")
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_column("source_text")
