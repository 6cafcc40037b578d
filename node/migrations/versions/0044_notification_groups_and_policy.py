"""Grouped notifications (`notifications.group_key`) and each member's notification policy:
its rules, and her answers to the requests of senders it held back

Revision ID: 0044
Revises: 0042
Create Date: 2026-12-05 01:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0044"
down_revision = "0042"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_key", sa.String(length=64), nullable=True))
        batch_op.create_index(
            "ix_notifications_account_id_group_key", ["account_id", "group_key"], unique=False
        )
    op.create_table(
        "notification_policies",
        sa.Column("account_id", ID, nullable=False),
        *(
            sa.Column(rule, sa.String(length=8), nullable=False)
            for rule in (
                "for_not_following",
                "for_not_followers",
                "for_new_accounts",
                "for_private_mentions",
                "for_limited_accounts",
            )
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_notification_policies_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_notification_policies")),
    )
    op.create_table(
        "notification_request_answers",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("from_account_id", ID, nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_notification_request_answers_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["from_account_id"],
            ["accounts.id"],
            name=op.f("fk_notification_request_answers_from_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "account_id", "from_account_id", name=op.f("pk_notification_request_answers")
        ),
    )


def downgrade() -> None:
    op.drop_table("notification_request_answers")
    op.drop_table("notification_policies")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_account_id_group_key")
        batch_op.drop_column("group_key")
