"""activity ids per actor (an inbox item's and a follow's activity id are unique per actor,
not across the node), and the organisations staff trust for each country

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 08:25:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbox_items", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_inbox_items_activity_id"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_inbox_items_actor_id"), ["actor_id", "activity_id"]
        )

    with op.batch_alter_table("follows", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_follows_uri"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_follows_uri"), ["uri", "follower_id"])
    op.create_table(
        "country_trust",
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_country_trust_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("country", "account_id", name=op.f("pk_country_trust")),
    )


def downgrade() -> None:
    op.drop_table("country_trust")
    with op.batch_alter_table("follows", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_follows_uri"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_follows_uri"), ["uri"])
    with op.batch_alter_table("inbox_items", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_inbox_items_actor_id"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_inbox_items_activity_id"), ["activity_id"])
