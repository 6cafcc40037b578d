"""Notes, the Create that publishes them, and ordered collections, as other servers read them."""

from __future__ import annotations

from typing import Any

from activitypub import (
    AS_CONTEXT,
    PUBLIC,
    Note,
    create,
    ordered_collection,
    ordered_collection_page,
)

ADA = "https://harbour.test/users/ada"
NOTE_ID = f"{ADA}/statuses/1"
FOLLOWERS = f"{ADA}/followers"


def _note(**changes: Any) -> Note:
    fields: dict[str, Any] = {
        "id": NOTE_ID,
        "attributed_to": ADA,
        "content": "<p>hello</p>",
        "published": "2024-05-01T12:00:00Z",
        "to": (PUBLIC,),
        "cc": (FOLLOWERS,),
    }
    return Note(**{**fields, **changes})


def test_a_plain_note_document_has_every_field_mastodon_reads() -> None:
    document = _note().to_document()

    assert document == {
        "@context": [AS_CONTEXT, {"sensitive": "as:sensitive"}],
        "id": NOTE_ID,
        "type": "Note",
        "attributedTo": ADA,
        "content": "<p>hello</p>",
        "published": "2024-05-01T12:00:00Z",
        "to": [PUBLIC],
        "cc": [FOLLOWERS],
        "url": NOTE_ID,
        "sensitive": False,
        "summary": None,
        "inReplyTo": None,
        "tag": [],
    }


def test_a_full_note_carries_its_language_edit_and_tags() -> None:
    mention = {"type": "Mention", "href": "https://social.example/users/bea", "name": "@bea"}
    note = _note(
        url="https://harbour.test/@ada/1",
        summary="content warning",
        sensitive=True,
        in_reply_to="https://social.example/users/bea/statuses/9",
        language="fr",
        updated="2024-05-02T08:00:00Z",
        tags=(mention,),
    )

    document = note.to_document(with_context=False)

    assert "@context" not in document
    assert document["url"] == "https://harbour.test/@ada/1"
    assert document["summary"] == "content warning"
    assert document["sensitive"] is True
    assert document["inReplyTo"] == "https://social.example/users/bea/statuses/9"
    assert document["contentMap"] == {"fr": "<p>hello</p>"}
    assert document["updated"] == "2024-05-02T08:00:00Z"
    assert document["tag"] == [mention]


def test_create_wraps_the_note_with_the_same_audience() -> None:
    note = _note(to=(FOLLOWERS,), cc=("https://social.example/users/bea",))

    activity = create(note)

    assert activity["@context"] == [AS_CONTEXT, {"sensitive": "as:sensitive"}]
    assert activity["id"] == f"{NOTE_ID}/activity"
    assert activity["type"] == "Create"
    assert activity["actor"] == ADA
    assert activity["published"] == note.published
    assert activity["to"] == [FOLLOWERS]
    assert activity["cc"] == ["https://social.example/users/bea"]
    assert activity["object"] == note.to_document(with_context=False)


def test_create_embedded_in_a_collection_leaves_out_the_context() -> None:
    assert "@context" not in create(_note(), with_context=False)


def test_an_ordered_collection_links_its_first_page_only_when_given() -> None:
    outbox = f"{ADA}/outbox"

    assert ordered_collection(outbox, total_items=2, first=f"{outbox}?page=true") == {
        "@context": AS_CONTEXT,
        "id": outbox,
        "type": "OrderedCollection",
        "totalItems": 2,
        "first": f"{outbox}?page=true",
    }
    assert "first" not in ordered_collection(FOLLOWERS, total_items=0)


def test_a_collection_page_lists_items_in_order_and_links_its_neighbours() -> None:
    outbox = f"{ADA}/outbox"
    items = (create(_note(id=f"{ADA}/statuses/{n}"), with_context=False) for n in (3, 2))

    page = ordered_collection_page(
        f"{outbox}?max_id=4",
        part_of=outbox,
        items=list(items),
        next_page=f"{outbox}?max_id=2",
        prev_page=f"{outbox}?min_id=3",
    )

    assert page["type"] == "OrderedCollectionPage"
    assert page["partOf"] == outbox
    assert [item["object"]["id"] for item in page["orderedItems"]] == [
        f"{ADA}/statuses/3",
        f"{ADA}/statuses/2",
    ]
    assert (page["next"], page["prev"]) == (f"{outbox}?max_id=2", f"{outbox}?min_id=3")


def test_the_last_page_has_no_next_link() -> None:
    page = ordered_collection_page(f"{ADA}/outbox?max_id=1", part_of=f"{ADA}/outbox", items=())

    assert page["orderedItems"] == []
    assert "next" not in page
    assert "prev" not in page
