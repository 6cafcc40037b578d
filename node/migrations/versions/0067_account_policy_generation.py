"""an account suspended or limited moves the federation policy's generation on too: an
inbox batch applied while it happened is then applied again under it, as for a server's
suspension (before, the account's posts and follows of that batch were kept after it)

Revision ID: 0067
Revises: 0066
Create Date: 2026-12-06 05:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0067"
down_revision = "0066"
branch_labels = None
depends_on = None

# As in 0061: the one row made by the first change.
BUMP = (
    "INSERT INTO policy_generation (id, n) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET n = policy_generation.n + 1"
)
# A member's block of an account moves it too, in `federation.outbox.block` (not by trigger:
# a Block received from a remote account, applied in an inbox batch, would move it under the
# batch itself). An account's row changes often (a profile fetched again): only these columns count.
CHANGED = (
    "OLD.suspended_at IS DISTINCT FROM NEW.suspended_at "
    "OR OLD.silenced_at IS DISTINCT FROM NEW.silenced_at"
)
SQLITE_CHANGED = (
    "OLD.suspended_at IS NOT NEW.suspended_at OR OLD.silenced_at IS NOT NEW.silenced_at"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":  # the function 0061 made
        op.execute(
            "CREATE TRIGGER accounts_policy_generation AFTER UPDATE OF suspended_at, "
            f"silenced_at ON accounts FOR EACH ROW WHEN ({CHANGED}) "
            "EXECUTE FUNCTION policy_generation_bump()"
        )
        return
    op.execute(
        "CREATE TRIGGER accounts_policy_generation AFTER UPDATE OF suspended_at, silenced_at "
        f"ON accounts FOR EACH ROW WHEN {SQLITE_CHANGED} BEGIN\n{BUMP};\nEND"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER accounts_policy_generation ON accounts")
        return
    op.execute("DROP TRIGGER accounts_policy_generation")
