"""node switches (lockdown) move the federation policy's generation on too, so the inbox's
remembered verdicts and the worker's check follow a lockdown turned in another process at
once, not within the second each process takes to notice it (issue 18)

Revision ID: 0062
Revises: 0061
Create Date: 2026-12-05 21:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0062"
down_revision = "0061"
branch_labels = None
depends_on = None

TABLE = "node_switches"
EVENTS = ("INSERT", "UPDATE", "DELETE")
# As in 0061: the one row made by the first change.
BUMP = (
    "INSERT INTO policy_generation (id, n) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET n = policy_generation.n + 1"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":  # the function 0061 made
        op.execute(
            f"CREATE TRIGGER {TABLE}_policy_generation AFTER INSERT OR UPDATE OR DELETE "
            f"OR TRUNCATE ON {TABLE} FOR EACH STATEMENT "
            "EXECUTE FUNCTION policy_generation_bump()"
        )
        return
    for event in EVENTS:
        op.execute(
            f"CREATE TRIGGER {TABLE}_policy_generation_{event.lower()} AFTER {event} "
            f"ON {TABLE} FOR EACH ROW BEGIN\n{BUMP};\nEND"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER {TABLE}_policy_generation ON {TABLE}")
        return
    for event in EVENTS:
        op.execute(f"DROP TRIGGER {TABLE}_policy_generation_{event.lower()}")
