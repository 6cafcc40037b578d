"""Events organisations announce (`events`, local and mirrored), who said she is going
(`event_attendance`), and a member's time zone for the times pages show (`users.time_zone`).

Revision ID: 0056
Revises: 0055
Create Date: 2026-12-05 13:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0056"
down_revision = "0055"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", ID, nullable=False),
        sa.Column("uri", sa.String(2048), nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("description_html", sa.Text(), nullable=False),
        sa.Column("language", sa.String(64), nullable=False),
        sa.Column("starts_at", WHEN, nullable=False),
        sa.Column("ends_at", WHEN, nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("place_name", sa.String(255), nullable=False),
        sa.Column("place_address", sa.String(255), nullable=False),
        sa.Column("online_url", sa.String(2048), nullable=False),
        sa.Column("audience", sa.String(255), nullable=False),
        sa.Column("registration", sa.Text(), nullable=False),
        sa.Column("origin_proven", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_events_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("uri", name=op.f("uq_events_uri")),
    )
    op.create_index(op.f("ix_events_account_id"), "events", ["account_id"])
    op.create_index("ix_events_ends_at", "events", ["ends_at"])
    op.create_table(
        "event_attendance",
        sa.Column("event_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("join_uri", sa.String(2048), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_attendance_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_event_attendance_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "account_id", name=op.f("pk_event_attendance")),
    )
    op.create_index(op.f("ix_event_attendance_account_id"), "event_attendance", ["account_id"])
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("time_zone", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("time_zone")
    op.drop_table("event_attendance")
    op.drop_table("events")
