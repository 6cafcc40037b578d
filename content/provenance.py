"""Provenance of directory entries: a listing not verified again for twelve months is stale."""

from __future__ import annotations

from datetime import date, timedelta

STALE_AFTER = timedelta(days=365)


def stale_before(today: date) -> date:
    """Entries last verified before this date are stale."""
    return today - STALE_AFTER


def is_stale(last_verified: date, today: date) -> bool:
    """Whether an entry last verified on `last_verified` is stale on `today`."""
    return last_verified < stale_before(today)


DUE_WITHIN = timedelta(days=30)


def is_due(last_verified: date, today: date) -> bool:
    """Whether an entry goes stale within DUE_WITHIN of `today`, or already has."""
    return last_verified < stale_before(today) + DUE_WITHIN
