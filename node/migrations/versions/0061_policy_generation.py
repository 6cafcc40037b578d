"""the federation policy's generation (policy_generation), moved on by triggers whenever a
domain block or an allowlist entry changes, so every process knows at once when its
remembered verdicts went stale (issue 18)

Revision ID: 0061
Revises: 0060
Create Date: 2026-12-05 19:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0061"
down_revision = "0060"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WATCHED = ("domain_blocks", "allowed_domains")
EVENTS = ("INSERT", "UPDATE", "DELETE")
# The one row is made by the first change (an empty table is generation 0), so a backup
# restored or a database copied into a freshly migrated database finds no row in the way.
BUMP = (
    "INSERT INTO policy_generation (id, n) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET n = policy_generation.n + 1"
)


def upgrade() -> None:
    op.create_table(
        "policy_generation",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("n", ID, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_generation")),
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute(
            "CREATE FUNCTION policy_generation_bump() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n{BUMP};\nRETURN NULL;\nEND $$"
        )
    for table in WATCHED:
        if postgresql:  # once per statement, however many rows (a CSV import)
            op.execute(
                f"CREATE TRIGGER {table}_policy_generation AFTER INSERT OR UPDATE OR DELETE "
                f"OR TRUNCATE ON {table} FOR EACH STATEMENT "
                "EXECUTE FUNCTION policy_generation_bump()"
            )
            continue
        for event in EVENTS:
            op.execute(
                f"CREATE TRIGGER {table}_policy_generation_{event.lower()} AFTER {event} "
                f"ON {table} FOR EACH ROW BEGIN\n{BUMP};\nEND"
            )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in WATCHED:
        if postgresql:
            op.execute(f"DROP TRIGGER {table}_policy_generation ON {table}")
            continue
        for event in EVENTS:
            op.execute(f"DROP TRIGGER {table}_policy_generation_{event.lower()}")
    if postgresql:
        op.execute("DROP FUNCTION policy_generation_bump()")
    op.drop_table("policy_generation")
