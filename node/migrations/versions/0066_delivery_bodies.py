"""deliveries refer to their activity's body, stored once in `delivery_bodies`, instead of
each carrying its own copy: a delivery row is rewritten when it is leased and again when it
ends, and on both databases the body was rewritten with it (issue 18)

Revision ID: 0066
Revises: 0065
Create Date: 2026-12-06 05:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0066"
down_revision = "0065"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "delivery_bodies",
        sa.Column("id", ID, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_bodies")),
    )
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("body_id", ID, nullable=True))
    # One body per activity and text (a forgotten body, "", is none), numbered by the first
    # delivery carrying it. Each delivery finds its body in a table of the bodies keyed by
    # activity (one row per activity, as a rule): looking it up among its activity's
    # deliveries compared every delivery of an activity with every other, quadratic (8,000
    # deliveries of one post took 57 s on SQLite and 28 s on PostgreSQL, 4x for each 2x).
    op.create_table(
        "delivery_bodies_by_activity",
        sa.Column("id", ID, nullable=False),
        sa.Column("activity_id", sa.String(2048), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
    )
    op.execute(
        "INSERT INTO delivery_bodies_by_activity (id, activity_id, body)"
        " SELECT min(id), activity_id, body FROM deliveries WHERE body != ''"
        " GROUP BY activity_id, body"
    )
    op.create_index(
        "ix_delivery_bodies_by_activity", "delivery_bodies_by_activity", ["activity_id"]
    )
    op.execute(
        "INSERT INTO delivery_bodies (id, body) SELECT id, body FROM delivery_bodies_by_activity"
    )
    op.execute(
        "UPDATE deliveries SET body_id = (SELECT b.id FROM delivery_bodies_by_activity b"
        " WHERE b.activity_id = deliveries.activity_id AND b.body = deliveries.body)"
        " WHERE body != ''"
    )
    op.drop_table("delivery_bodies_by_activity")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("body")
        batch.create_foreign_key(
            op.f("fk_deliveries_body_id_delivery_bodies"), "delivery_bodies", ["body_id"], ["id"]
        )
        batch.create_index(op.f("ix_deliveries_body_id"), ["body_id"])


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("body", sa.Text(), nullable=False, server_default=""))
    op.execute(
        "UPDATE deliveries SET body = coalesce((SELECT b.body FROM delivery_bodies b"
        " WHERE b.id = deliveries.body_id), '')"
    )
    with op.batch_alter_table("deliveries") as batch:
        batch.alter_column("body", server_default=None)
        batch.drop_index(op.f("ix_deliveries_body_id"))
        batch.drop_constraint(op.f("fk_deliveries_body_id_delivery_bodies"), type_="foreignkey")
        batch.drop_column("body_id")
    op.drop_table("delivery_bodies")
