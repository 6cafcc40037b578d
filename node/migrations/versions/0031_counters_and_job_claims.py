"""counts kept by triggers (account_stats) and an index on job claim tokens

Revision ID: 0031
Revises: 0029
Create Date: 2026-12-04 11:15:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0029"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JOB_TABLES = ("inbox_items", "deliveries")
OPEN = "('public', 'unlisted')"

# One statement per (table, event): the same SQL bodies serve SQLite triggers and PostgreSQL
# trigger functions. A follow touches two rows; they are updated in id order, so two
# concurrent follows between the same accounts cannot deadlock on PostgreSQL.
BODIES = {
    ("accounts", "INSERT"): [
        "INSERT INTO account_stats (account_id, posts, open_posts, followers, following) "
        "VALUES (NEW.id, 0, 0, 0, 0)"
    ],
    ("posts", "INSERT"): [
        "UPDATE account_stats SET posts = posts + 1, "
        f"open_posts = open_posts + (CASE WHEN NEW.visibility IN {OPEN} THEN 1 ELSE 0 END), "
        "last_post_at = CASE WHEN last_post_at IS NULL OR last_post_at < NEW.created_at "
        "THEN NEW.created_at ELSE last_post_at END "
        "WHERE account_id = NEW.account_id"
    ],
    ("posts", "DELETE"): [
        "UPDATE account_stats SET posts = posts - 1, "
        f"open_posts = open_posts - (CASE WHEN OLD.visibility IN {OPEN} THEN 1 ELSE 0 END) "
        "WHERE account_id = OLD.account_id"
    ],
    ("posts", "UPDATE"): [
        "UPDATE account_stats SET "
        f"open_posts = open_posts - (CASE WHEN OLD.visibility IN {OPEN} THEN 1 ELSE 0 END) "
        "WHERE account_id = OLD.account_id",
        "UPDATE account_stats SET "
        f"open_posts = open_posts + (CASE WHEN NEW.visibility IN {OPEN} THEN 1 ELSE 0 END) "
        "WHERE account_id = NEW.account_id",
    ],
    ("follows", "INSERT"): [
        "UPDATE account_stats SET "
        "followers = followers + (CASE WHEN account_id = NEW.followed_id THEN 1 ELSE 0 END), "
        "following = following + (CASE WHEN account_id = NEW.follower_id THEN 1 ELSE 0 END) "
        "WHERE account_id IN (NEW.follower_id, NEW.followed_id) AND NEW.state = 'accepted'"
    ],
    ("follows", "DELETE"): [
        "UPDATE account_stats SET "
        "followers = followers - (CASE WHEN account_id = OLD.followed_id THEN 1 ELSE 0 END), "
        "following = following - (CASE WHEN account_id = OLD.follower_id THEN 1 ELSE 0 END) "
        "WHERE account_id IN (OLD.follower_id, OLD.followed_id) AND OLD.state = 'accepted'"
    ],
    ("follows", "UPDATE"): [
        "UPDATE account_stats SET "
        "followers = followers - (CASE WHEN account_id = OLD.followed_id THEN 1 ELSE 0 END), "
        "following = following - (CASE WHEN account_id = OLD.follower_id THEN 1 ELSE 0 END) "
        "WHERE account_id IN (OLD.follower_id, OLD.followed_id) AND OLD.state = 'accepted'",
        "UPDATE account_stats SET "
        "followers = followers + (CASE WHEN account_id = NEW.followed_id THEN 1 ELSE 0 END), "
        "following = following + (CASE WHEN account_id = NEW.follower_id THEN 1 ELSE 0 END) "
        "WHERE account_id IN (NEW.follower_id, NEW.followed_id) AND NEW.state = 'accepted'",
    ],
}
WATCHED = {"posts": "visibility, account_id", "follows": "state, follower_id, followed_id"}

BACKFILL = f"""
INSERT INTO account_stats (account_id, posts, open_posts, followers, following, last_post_at)
SELECT a.id,
  (SELECT count(*) FROM posts p WHERE p.account_id = a.id),
  (SELECT count(*) FROM posts p WHERE p.account_id = a.id AND p.visibility IN {OPEN}),
  (SELECT count(*) FROM follows f WHERE f.followed_id = a.id AND f.state = 'accepted'),
  (SELECT count(*) FROM follows f WHERE f.follower_id = a.id AND f.state = 'accepted'),
  (SELECT max(p.created_at) FROM posts p WHERE p.account_id = a.id)
FROM accounts a
"""


def _name(table: str, event: str) -> str:
    return f"account_stats_{table}_{event.lower()}"


def _when(table: str, event: str) -> str:
    return f"UPDATE OF {WATCHED[table]}" if event == "UPDATE" else event


def upgrade() -> None:
    op.create_table(
        "account_stats",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("posts", ID, nullable=False),
        sa.Column("open_posts", ID, nullable=False),
        sa.Column("followers", ID, nullable=False),
        sa.Column("following", ID, nullable=False),
        sa.Column("last_post_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_stats_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_account_stats")),
    )
    op.execute(BACKFILL)
    postgresql = op.get_bind().dialect.name == "postgresql"
    for (table, event), statements in BODIES.items():
        name = _name(table, event)
        if postgresql:
            body = "".join(f"{statement};\n" for statement in statements)
            result = "OLD" if event == "DELETE" else "NEW"
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                f"BEGIN\n{body}RETURN {result};\nEND $$"
            )
            op.execute(
                f"CREATE TRIGGER {name} AFTER {_when(table, event)} ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {name}()"
            )
        else:
            body = "".join(f"{statement};\n" for statement in statements)
            op.execute(
                f"CREATE TRIGGER {name} AFTER {_when(table, event)} ON {table} "
                f"FOR EACH ROW BEGIN\n{body}END"
            )
    for table in JOB_TABLES:
        op.create_index(
            op.f(f"ix_{table}_claim"),
            table,
            ["claim"],
            sqlite_where=sa.text("claim IS NOT NULL"),
            postgresql_where=sa.text("claim IS NOT NULL"),
        )


def downgrade() -> None:
    for table in JOB_TABLES:
        op.drop_index(op.f(f"ix_{table}_claim"), table_name=table)
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, event in BODIES:
        name = _name(table, event)
        op.execute(f"DROP TRIGGER {name}" + (f" ON {table}" if postgresql else ""))
        if postgresql:
            op.execute(f"DROP FUNCTION {name}()")
    op.drop_table("account_stats")
