"""Uploads' previews, blurhash and focal point, and whether an upload was ever in a post
(uploads never posted are removed after a day)

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-05 00:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # how `Mapped[int]` is mapped


def upgrade() -> None:
    with op.batch_alter_table("media_attachments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("preview_file_name", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("preview_width", ID, nullable=True))
        batch_op.add_column(sa.Column("preview_height", ID, nullable=True))
        batch_op.add_column(sa.Column("blurhash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("focus_x", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("focus_y", sa.Double(), nullable=True))
        batch_op.add_column(
            sa.Column("ever_posted", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    # Rows already here may have left a post through an edit (its history still shows
    # them): none of them is taken for a forgotten upload.
    op.execute(sa.text("UPDATE media_attachments SET ever_posted = true"))


def downgrade() -> None:
    with op.batch_alter_table("media_attachments", schema=None) as batch_op:
        for column in (
            "ever_posted",
            "focus_y",
            "focus_x",
            "blurhash",
            "preview_height",
            "preview_width",
            "preview_file_name",
        ):
            batch_op.drop_column(column)
