"""Id generation."""

from __future__ import annotations

import itertools

import pytest

from content import orm
from content.orm import new_id


def test_ids_made_in_a_burst_are_unique_and_ordered() -> None:
    ids = [new_id() for _ in range(50_000)]
    assert ids == sorted(set(ids))


def test_ids_keep_their_order_when_the_counter_wraps_within_a_millisecond(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(orm, "_made", [0])  # this process's ids, as they were, afterwards
    monkeypatch.setattr(orm, "_sequence", itertools.count(0xFFFE))  # two before it wraps
    monkeypatch.setattr(orm.time, "time", lambda: 1_800_000_000.0)  # one millisecond
    ids = [new_id() for _ in range(5)]
    assert ids == sorted(set(ids))
