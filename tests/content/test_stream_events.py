"""A NOTIFY's payload is a stream event or a ValueError, whatever it holds."""

from __future__ import annotations

import pytest

from content.stream_events import StreamEvent


def test_an_event_is_read_back() -> None:
    event = StreamEvent("revoked", 7, author=3, public=True)
    assert StreamEvent.from_json(event.to_json()) == event


@pytest.mark.parametrize(
    "payload",
    [
        '{"kind": "revoked", "id": 1e400}',  # int(inf): OverflowError
        "[" * 5000 + "]" * 5000,  # RecursionError
        "[]",
        '{"kind": "revoked"}',
        '{"kind": "revoked", "id": "seven"}',
        '{"kind": "revoked", "id": null}',
        "not json",
    ],
)
def test_anything_else_is_a_value_error(payload: str) -> None:
    with pytest.raises(ValueError):
        StreamEvent.from_json(payload)
