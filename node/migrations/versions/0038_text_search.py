"""Free-text search by word prefix: `listings.search_text` holds folded words, indexed by an
FTS5 table kept by triggers (SQLite) or a trigram index (PostgreSQL)

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-04 21:50:00.000000
"""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None

WORD = re.compile(r"[^\W_]+")
SYNC = {
    "insert": "INSERT ON listings BEGIN {add} END",
    "delete": "DELETE ON listings BEGIN {remove} END",
    "update": "UPDATE OF search_text ON listings BEGIN {remove} {add} END",
}
ADD = "INSERT INTO listings_fts (rowid, search_text) VALUES (new.id, new.search_text);"
REMOVE = (
    "INSERT INTO listings_fts (listings_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text);"
)


def _bare(char: str) -> str:
    stripped = "".join(
        c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
    )
    return stripped if stripped.isascii() else char


def _refolded(text: str) -> str:
    """content.text_search.search_text as of this revision."""
    folded = "".join(_bare(char) for char in unicodedata.normalize("NFC", text.casefold()))
    return "".join(f" {word}" for word in WORD.findall(folded))


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, search_text FROM listings")).all()
    if rows:
        bind.execute(
            sa.text("UPDATE listings SET search_text = :text WHERE id = :id"),
            [{"id": id_, "text": _refolded(text)} for id_, text in rows],
        )
    if bind.dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE listings_fts USING fts5(search_text, content='listings', "
            "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
        )
        for event, body in SYNC.items():
            trigger = body.format(add=ADD, remove=REMOVE)
            op.execute(f"CREATE TRIGGER listings_fts_{event} AFTER {trigger}")
        op.execute("INSERT INTO listings_fts (listings_fts) VALUES ('rebuild')")
    else:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_listings_search_text_trgm ON listings "
            "USING gin (search_text gin_trgm_ops)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for event in SYNC:
            op.execute(f"DROP TRIGGER listings_fts_{event}")
        op.execute("DROP TABLE listings_fts")
    else:
        op.execute("DROP INDEX ix_listings_search_text_trgm")
