"""The declarative base, column types and id generation every model shares."""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, MetaData
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite stores it naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# 64-bit everywhere; on SQLite plain INTEGER, so a primary key is the rowid itself.
ID_INTEGER = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """The base of every Harbour model, in every package."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, int: ID_INTEGER}


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


_sequence = itertools.count(secrets.randbits(16))
_made = [0]  # the last id this process made
_making = threading.Lock()


def new_id() -> int:
    """A 63-bit id that sorts by creation time: milliseconds since 1970, then 16 bits of a
    per-process counter that starts at a random value. Ids made in one process never collide
    and always keep their order, also when the counter wraps within a millisecond (each is
    above the last); other processes start elsewhere."""
    with _making:
        made = (int(time.time() * 1000) << 16) | (next(_sequence) & 0xFFFF)
        _made[0] = max(made, _made[0] + 1)
        return _made[0]


def iso(moment: datetime) -> str:
    """A datetime as the ISO 8601 UTC string ActivityPub documents use (`...Z`)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
