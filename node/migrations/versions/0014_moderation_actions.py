"""moderation actions: limited (silenced) accounts, report workflow fields

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-23 12:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("silenced_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resolved_by_id", ID, nullable=True))
        batch_op.add_column(sa.Column("assigned_to_id", ID, nullable=True))
        batch_op.add_column(
            sa.Column("resolution_note", sa.Text(), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_reports_resolved_by_id_accounts"), "accounts", ["resolved_by_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_reports_assigned_to_id_accounts"), "accounts", ["assigned_to_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_reports_assigned_to_id_accounts"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_reports_resolved_by_id_accounts"), type_="foreignkey"
        )
        batch_op.drop_column("updated_at")
        batch_op.drop_column("resolution_note")
        batch_op.drop_column("assigned_to_id")
        batch_op.drop_column("resolved_by_id")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("silenced_at")
