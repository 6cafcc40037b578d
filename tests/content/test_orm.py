"""Id generation."""

from __future__ import annotations

import itertools
import os

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


def test_a_forked_process_counts_from_elsewhere() -> None:
    """Two processes forked from one (a preloading server's workers, the rig's forked
    nodes) must not make the same ids in the same millisecond."""
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe and leaves
        os.write(writing, str(next(orm._sequence) & 0xFFFF).encode())
        os._exit(0)
    os.close(writing)
    with os.fdopen(reading) as report:
        theirs = int(report.read())
    os.waitpid(child, 0)
    # Equal every time without a new start; by chance once in 65,536 runs with one.
    assert theirs != next(orm._sequence) & 0xFFFF
