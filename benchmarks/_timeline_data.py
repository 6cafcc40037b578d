"""A migrated database full of accounts, follows, posts, mentions, likes and boosts, loaded in bulk.

`build(url, posts=1_000_000)` fills an empty database (SQLite or PostgreSQL) in one pass of
executemany (SQLite) or COPY (PostgreSQL), bypassing the ORM. Ids are made like
content.orm.new_id (milliseconds << 16, then a counter), unique and increasing with time.
The reader (`READER`, password `READER_PASSWORD`) is a local member who follows
`Shape.followed` accounts; everyone else follows a few accounts too.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from argon2 import PasswordHasher

from activitypub import generate_keypair
from content import home_feed
from node.database import create_engine, create_sessionmaker, is_sqlite, migrate

READER = "reader"
READER_PASSWORD = "bench-reader-password"
LOCAL_BASE = "https://harbour.bench"
NOW = datetime(2026, 11, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Shape:
    """How big the database is."""

    posts: int = 1_000_000
    accounts: int = 5_000
    local_accounts: int = 1_000
    servers: int = 400
    followed: int = 500
    follows_each: int = 10
    likes: int = 100_000
    boosts: int = 30_000
    seed: int = 7

    @classmethod
    def of_posts(cls, posts: int) -> Shape:
        """A database of `posts` posts with accounts, likes and boosts in the full one's
        proportions (the full one at 1,000,000), and enough accounts for the reader's
        follows: a small run stays small throughout."""
        accounts = max(cls.followed + 100, posts // 200)
        return cls(
            posts=posts,
            accounts=accounts,
            local_accounts=accounts // 5,
            likes=posts // 10,
            boosts=posts * 3 // 100,
        )


@dataclass(frozen=True)
class Built:
    """What the builder made, for checks and for picking pages."""

    reader_id: int
    followed_ids: list[int]
    post_ids: list[int]


def ids_at(times: Sequence[datetime]) -> list[int]:
    """new_id-style ids for times in increasing order: unique and strictly increasing."""
    ids, last_ms = [], -1
    for number, moment in enumerate(times):
        ms = max(int(moment.timestamp() * 1000), last_ms + 1)
        last_ms = ms
        ids.append((ms << 16) | (number & 0xFFFF))
    return ids


def build(url: str, shape: Shape = Shape()) -> Built:
    """Migrate the empty database at `url` and fill it; returns the reader and its follows."""
    migrate(url)
    rng = random.Random(shape.seed)
    rows = _Rows(shape, rng)
    tables = rows.make()
    if is_sqlite(url):
        _load_sqlite(url.removeprefix("sqlite:///"), tables)
    else:
        _load_postgres(url, tables)
    with ThreadPoolExecutor(1) as pool:  # its own event loop, beside a caller's
        pool.submit(asyncio.run, _build_feeds(url)).result()
    return Built(rows.reader_id, rows.followed_ids, rows.post_ids)


async def _build_feeds(url: str) -> None:
    """Every member's home feed, as a node's worker builds those of rows loaded in bulk, and
    trimmed as its next pass would: left untrimmed (up to 400 entries from each source), the
    node's worker trimmed all 1,000 feeds in one transaction as the timed requests began,
    holding SQLite's write lock for seconds (a token request failed with "database is
    locked" on a loaded machine) and taking CPU from the pages being timed."""
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            while await home_feed.build_missing(session):
                await session.commit()
            await home_feed.trim(session)
            await session.commit()
    finally:
        await engine.dispose()


class _Rows:
    """Every row of every table, as tuples in column order."""

    def __init__(self, shape: Shape, rng: random.Random) -> None:
        self.shape, self.rng = shape, rng
        self.reader_id = 0
        self.followed_ids: list[int] = []
        self.post_ids: list[int] = []

    def make(self) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
        accounts, uris = self._accounts()
        follows = self._follows(list(uris), uris)
        posts, mentions = self._posts(list(uris), uris)
        return {
            "accounts": (ACCOUNT_COLUMNS, accounts),
            "users": (
                ["account_id", "password_hash", "role", "created_at"],
                [(self.reader_id, PasswordHasher().hash(READER_PASSWORD), "member", NOW)],
            ),
            "follows": (FOLLOW_COLUMNS, follows),
            "posts": (POST_COLUMNS, posts),
            "mentions": (["post_id", "account_id"], mentions),
            "interactions": (INTERACTION_COLUMNS, self._interactions(list(uris), uris)),
        }

    def _accounts(self) -> tuple[list[tuple[Any, ...]], dict[int, str]]:
        shape, keys = self.shape, generate_keypair()
        start = NOW - timedelta(days=900)
        times = [start + timedelta(minutes=n) for n in range(shape.accounts)]
        rows, uris = [], {}
        for number, account_id in enumerate(ids_at(times)):
            local = number < shape.local_accounts
            username = READER if number == 0 else f"{'m' if local else 'r'}{number}"
            domain = None if local else f"s{number % shape.servers}.example"
            base = LOCAL_BASE if local else f"https://{domain}"
            uri = f"{base}/users/{username}"
            suspended = NOW if number % 997 == 5 else None
            rows.append(
                (account_id, username, domain, "Person", f"Name {number}", "<p>bio</p>", uri,
                 f"{base}/@{username}", f"{uri}/inbox", f"{uri}/outbox", f"{base}/inbox",
                 f"{uri}/followers", f"{uri}/following", None, f"{uri}#main-key",
                 keys.public_pem, keys.private_pem if local else None, local, not local,
                 times[number], None if local else NOW, suspended, None)
            )  # fmt: skip
            uris[account_id] = uri
        self.reader_id = rows[0][0]
        return rows, uris

    def _follows(self, ids: list[int], uris: dict[int, str]) -> list[tuple[Any, ...]]:
        shape, rng = self.shape, self.rng
        self.followed_ids = rng.sample(ids[1:], shape.followed)
        pairs = {(self.reader_id, followed) for followed in self.followed_ids}
        for follower in ids[1:]:
            pairs.update(
                (follower, f) for f in rng.sample(ids, shape.follows_each) if f != follower
            )
        start = NOW - timedelta(days=800)
        ordered = sorted(pairs, key=lambda _: rng.random())
        times = [start + timedelta(seconds=30 * n) for n in range(len(ordered))]
        return [
            (follow_id, a, b, "pending" if n % 20 == 19 and a != self.reader_id else "accepted",
             f"{uris[a]}#follows/{follow_id}", times[n])
            for n, (follow_id, (a, b)) in enumerate(zip(ids_at(times), ordered, strict=True))
        ]  # fmt: skip

    def _posts(
        self, ids: list[int], uris: dict[int, str]
    ) -> tuple[list[tuple[Any, ...]], list[tuple[int, int]]]:
        shape, rng = self.shape, self.rng
        weights = [rng.lognormvariate(0, 1) for _ in ids]
        authors = rng.choices(ids, weights, k=shape.posts)
        step = timedelta(days=365) / shape.posts
        start = NOW - timedelta(days=365)
        times = [start + step * n for n in range(shape.posts)]
        local = set(ids[: shape.local_accounts])
        rows, mentions, post_uris = [], [], []
        for n, post_id in enumerate(ids_at(times)):
            author = authors[n]
            visibility = rng.choices(VISIBILITIES, VISIBILITY_WEIGHTS)[0]
            if visibility == "local" and author not in local:
                visibility = "public"
            uri = f"{uris[author]}/statuses/{post_id}"
            reply_to = post_uris[rng.randrange(n)] if n and rng.random() < 0.2 else None
            rows.append(
                (post_id, author, uri, uri, f"<p>Post {n}: drop-in clinic news and notes</p>",
                 "cw" if n % 50 == 0 else "", visibility, "en", reply_to, times[n], None, None,
                 author in local)
            )  # fmt: skip
            post_uris.append(uri)
            if visibility == "direct" or rng.random() < 0.05:
                mentioned = self.reader_id if rng.random() < 0.01 else rng.choice(ids)
                if mentioned != author:
                    mentions.append((post_id, mentioned))
        self.post_ids = [row[0] for row in rows]
        return rows, mentions

    def _interactions(self, ids: list[int], uris: dict[int, str]) -> list[tuple[Any, ...]]:
        shape, rng = self.shape, self.rng
        recent = self.post_ids[len(self.post_ids) // 2 :]
        wanted = [("like", shape.likes), ("boost", shape.boosts)]
        chosen = {
            (rng.choice(ids), rng.choice(recent), kind)
            for kind, count in wanted
            for _ in range(count)
        }
        start = NOW - timedelta(days=180)
        step = timedelta(days=180) / max(len(chosen), 1)
        ordered = sorted(chosen)
        rng.shuffle(ordered)
        times = [start + step * n for n in range(len(ordered))]
        return [
            (row_id, account, post, kind, f"{uris[account]}#{kind}s/{row_id}", times[n])
            for n, (row_id, (account, post, kind)) in enumerate(
                zip(ids_at(times), ordered, strict=True)
            )
        ]


ACCOUNT_COLUMNS = [
    "id", "username", "domain", "actor_type", "display_name", "summary_html", "uri", "url",
    "inbox_uri", "outbox_uri", "shared_inbox_uri", "followers_uri", "following_uri",
    "featured_uri", "key_id", "public_key_pem", "private_key_pem",
    "manually_approves_followers", "discoverable", "created_at", "fetched_at", "suspended_at",
    "deleted_at",
]  # fmt: skip
FOLLOW_COLUMNS = ["id", "follower_id", "followed_id", "state", "uri", "created_at"]
POST_COLUMNS = [
    "id", "account_id", "uri", "url", "content_html", "spoiler_text", "visibility", "language",
    "in_reply_to_uri", "created_at", "edited_at", "pinned_at", "local",
]  # fmt: skip
INTERACTION_COLUMNS = ["id", "account_id", "post_id", "kind", "uri", "created_at"]
VISIBILITIES = ["public", "unlisted", "private", "direct", "local"]
VISIBILITY_WEIGHTS = [60, 15, 15, 5, 5]

Tables = dict[str, tuple[list[str], list[tuple[Any, ...]]]]


def _load_sqlite(path: str, tables: Tables) -> None:
    """executemany in one transaction; datetimes as SQLAlchemy stores them on SQLite."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA synchronous=OFF")
        with connection:
            for table, (columns, rows) in tables.items():
                marks = ", ".join("?" for _ in columns)
                statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
                connection.executemany(statement, (_sqlite_row(row) for row in rows))
    finally:
        connection.close()


def _sqlite_row(row: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(
        v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime) else v
        for v in row
    )


def _load_postgres(url: str, tables: Tables) -> None:
    """COPY into every table in one transaction, then VACUUM ANALYZE as autovacuum would."""
    with psycopg.connect(url) as connection:
        with connection.cursor() as cursor:
            for table, (columns, rows) in tables.items():
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        connection.commit()
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
