"""Id generation."""

from __future__ import annotations

from content.orm import new_id


def test_ids_made_in_a_burst_are_unique_and_ordered() -> None:
    ids = [new_id() for _ in range(50_000)]
    assert len(set(ids)) == len(ids)
    inversions = sum(later < earlier for earlier, later in zip(ids, ids[1:], strict=False))
    assert inversions <= 1  # the 16-bit counter wraps at most once in 50,000 ids
