"""OrderedCollection and OrderedCollectionPage documents."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from activitypub.vocab import AS_CONTEXT


def ordered_collection(
    collection_id: str, *, total_items: int, first: str | None = None
) -> dict[str, Any]:
    """A collection head: its size and, where its items are public, a link to the first page."""
    document: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": collection_id,
        "type": "OrderedCollection",
        "totalItems": total_items,
    }
    if first is not None:
        document["first"] = first
    return document


def ordered_collection_page(
    page_id: str,
    *,
    part_of: str,
    items: Sequence[Any],
    next_page: str | None = None,
    prev_page: str | None = None,
) -> dict[str, Any]:
    """One page of a collection, newest first, linked to its neighbours."""
    document: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": page_id,
        "type": "OrderedCollectionPage",
        "partOf": part_of,
        "orderedItems": list(items),
    }
    if next_page is not None:
        document["next"] = next_page
    if prev_page is not None:
        document["prev"] = prev_page
    return document
