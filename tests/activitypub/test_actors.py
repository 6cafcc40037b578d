"""Actor documents: what Harbour serves, and how strictly it reads other servers' actors."""

from __future__ import annotations

from typing import Any

import pytest

from activitypub import AS_CONTEXT, Actor, ActorType, InvalidDocument, PublicKey, parse_actor
from activitypub.vocab import SECURITY_CONTEXT
from tests.rig.keys import keypair_for_tests

ADA = "https://harbour.test/users/ada"
PEM = keypair_for_tests(0).public_pem


def _actor(**changes: Any) -> Actor:
    fields: dict[str, Any] = {
        "id": ADA,
        "type": ActorType.PERSON,
        "preferred_username": "ada",
        "inbox": f"{ADA}/inbox",
        "outbox": f"{ADA}/outbox",
        "public_key": PublicKey(id=f"{ADA}#main-key", owner=ADA, pem=PEM),
    }
    return Actor(**{**fields, **changes})


def _mastodon_actor() -> dict[str, Any]:
    """An actor as Mastodon 4.3 serves it (trimmed of nothing Harbour needs)."""
    uri = "https://social.example/users/Bea"
    return {
        "@context": [
            "https://www.w3.org/ns/activitystreams",
            "https://w3id.org/security/v1",
            {
                "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
                "toot": "http://joinmastodon.org/ns#",
                "featured": {"@id": "toot:featured", "@type": "@id"},
                "featuredTags": {"@id": "toot:featuredTags", "@type": "@id"},
                "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
                "movedTo": {"@id": "as:movedTo", "@type": "@id"},
                "schema": "http://schema.org#",
                "PropertyValue": "schema:PropertyValue",
                "value": "schema:value",
                "discoverable": "toot:discoverable",
                "suspended": "toot:suspended",
                "memorial": "toot:memorial",
                "indexable": "toot:indexable",
                "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
            },
        ],
        "id": uri,
        "type": "Person",
        "following": f"{uri}/following",
        "followers": f"{uri}/followers",
        "inbox": f"{uri}/inbox",
        "outbox": f"{uri}/outbox",
        "featured": f"{uri}/collections/featured",
        "featuredTags": f"{uri}/collections/tags",
        "preferredUsername": "Bea",
        "name": "Bea :verified:",
        "summary": '<p>Peer support worker. <a href="https://social.example/tags/harmreduction" '
        'class="mention hashtag" rel="tag">#<span>harmreduction</span></a></p>',
        "url": "https://social.example/@Bea",
        "manuallyApprovesFollowers": True,
        "discoverable": False,
        "indexable": False,
        "published": "2022-11-05T00:00:00Z",
        "memorial": False,
        "publicKey": {
            "id": f"{uri}#main-key",
            "owner": uri,
            "publicKeyPem": keypair_for_tests(1).public_pem,
        },
        "tag": [],
        "attachment": [
            {"type": "PropertyValue", "name": "Pronouns", "value": "she/her"},
        ],
        "endpoints": {"sharedInbox": "https://social.example/inbox"},
        "icon": {
            "type": "Image",
            "mediaType": "image/png",
            "url": "https://files.social.example/accounts/avatars/1.png",
        },
    }


def test_a_full_actor_round_trips_through_its_document() -> None:
    actor = _actor(
        type=ActorType.GROUP,
        name="Ada Lovelace",
        summary="<p>hello</p>",
        url="https://harbour.test/@ada",
        followers=f"{ADA}/followers",
        following=f"{ADA}/following",
        featured=f"{ADA}/collections/featured",
        shared_inbox="https://harbour.test/inbox",
        manually_approves_followers=True,
        discoverable=True,
        published="2024-01-02T03:04:05Z",
        also_known_as=("https://social.example/users/ada",),
        moved_to="https://social.example/users/ada",
    )

    assert parse_actor(actor.to_document()) == actor


def test_the_served_document_fills_what_clients_expect() -> None:
    document = _actor().to_document()

    assert document["@context"][:2] == [AS_CONTEXT, SECURITY_CONTEXT]
    assert document["type"] == "Person"
    assert document["name"] == "ada"  # falls back to the username
    assert document["summary"] == ""
    assert document["url"] == ADA
    assert document["indexable"] is False
    assert document["manuallyApprovesFollowers"] is False
    assert document["publicKey"] == {"id": f"{ADA}#main-key", "owner": ADA, "publicKeyPem": PEM}
    for absent in ("endpoints", "followers", "following", "featured", "published", "movedTo"):
        assert absent not in document


def test_a_mastodon_actor_is_understood() -> None:
    actor = parse_actor(_mastodon_actor())

    assert actor.id == "https://social.example/users/Bea"
    assert actor.type == ActorType.PERSON
    assert actor.preferred_username == "Bea"
    assert actor.name == "Bea :verified:"
    assert actor.url == "https://social.example/@Bea"
    assert actor.inbox == "https://social.example/users/Bea/inbox"
    assert actor.shared_inbox == "https://social.example/inbox"
    assert actor.featured == "https://social.example/users/Bea/collections/featured"
    assert actor.manually_approves_followers is True
    assert actor.discoverable is False
    assert actor.published == "2022-11-05T00:00:00Z"
    assert actor.public_key == PublicKey(
        id="https://social.example/users/Bea#main-key",
        owner="https://social.example/users/Bea",
        pem=keypair_for_tests(1).public_pem,
    )


def test_the_first_of_several_public_keys_is_the_main_one() -> None:
    document = _mastodon_actor()
    main = document["publicKey"]
    second = {**main, "id": f"{main['owner']}#other-key", "publicKeyPem": PEM}
    document["publicKey"] = [main, second]

    assert parse_actor(document).public_key.id == "https://social.example/users/Bea#main-key"


def test_embedded_references_and_unusual_values_are_read_leniently() -> None:
    document = _mastodon_actor()
    document["followers"] = {"id": "https://social.example/users/Bea/followers"}
    document["endpoints"] = "https://social.example/inbox"
    document["manuallyApprovesFollowers"] = "true"
    del document["name"]

    actor = parse_actor(document)

    assert actor.followers == "https://social.example/users/Bea/followers"
    assert actor.shared_inbox is None
    assert actor.manually_approves_followers is False
    assert actor.name is None


def test_aliases_and_a_move_are_read_as_ids_whatever_their_shape() -> None:
    document = _mastodon_actor()
    document["alsoKnownAs"] = "https://old.example/users/bea"  # one alias, not in a list
    document["movedTo"] = {"id": "https://new.example/users/bea", "type": "Person"}
    actor = parse_actor(document)
    assert actor.also_known_as == ("https://old.example/users/bea",)
    assert actor.moved_to == "https://new.example/users/bea"

    document["alsoKnownAs"] = [
        {"id": "https://a.example/users/bea"},
        "javascript:alert(1)",
        42,
        *(f"https://{n}.example/users/bea" for n in range(40)),
    ]
    document["movedTo"] = "javascript:alert(1)"
    actor = parse_actor(document)
    assert actor.also_known_as[0] == "https://a.example/users/bea"
    assert "javascript:alert(1)" not in actor.also_known_as
    assert len(actor.also_known_as) <= 20 and actor.moved_to is None


@pytest.mark.parametrize("actor_type", ["Service", "Application", "Organization", "Group"])
def test_every_actor_type_is_accepted(actor_type: str) -> None:
    assert parse_actor({**_mastodon_actor(), "type": actor_type}).type == actor_type


def _without(key: str) -> dict[str, Any]:
    document = _mastodon_actor()
    del document[key]
    return document


def _with(path: str, value: Any) -> dict[str, Any]:
    document = _mastodon_actor()
    *parents, last = path.split(".")
    target = document
    for parent in parents:
        target = target[parent]
    target[last] = value
    return document


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (_without("inbox"), "'inbox' must be a non-empty string"),
        (_without("preferredUsername"), "'preferredUsername' must be a non-empty string"),
        (_with("preferredUsername", '=HYPERLINK("x")'), "is not a username an address can hold"),
        (_with("preferredUsername", "bea lee"), "is not a username an address can hold"),
        (_without("publicKey"), "'publicKey' must be an object"),
        (_without("type"), "None is not an actor type"),
        (_with("type", "Note"), "'Note' is not an actor type"),
        (_with("type", "person"), "'person' is not an actor type"),
        (_with("id", "social.example/users/Bea"), "'id' must be an absolute http"),
        (_with("id", "acct:Bea@social.example"), "'id' must be an absolute http"),
        (_with("inbox", "/users/Bea/inbox"), "'inbox' must be an absolute http"),
        (_with("name", ["Bea"]), "'name' must be a string"),
        (_with("publicKey", []), "'publicKey' must be an object"),
        (_with("publicKey", "https://social.example/users/Bea#main-key"), "must be an object"),
        (
            _with("publicKey.owner", "https://evil.example/users/Bea"),
            "publicKey.owner must be the actor itself",
        ),
        (_with("publicKey.publicKeyPem", "-----BEGIN PUBLIC KEY-----\nnope"), "not a valid PEM"),
        (_with("publicKey.publicKeyPem", "A" * 20_000), "publicKeyPem is too long"),
        (_with("publicKey.id", None), "'id' must be a non-empty string"),
    ],
)
def test_unusable_actor_documents_are_rejected_with_a_reason(
    document: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidDocument, match=message):
        parse_actor(document)


@pytest.mark.parametrize("document", [[], "https://social.example/users/Bea", None])
def test_a_document_that_is_not_an_object_is_rejected(document: Any) -> None:
    with pytest.raises(InvalidDocument, match="an actor must be a JSON object"):
        parse_actor(document)


def test_links_that_are_not_web_addresses_are_dropped() -> None:
    document = _mastodon_actor()
    document["url"] = "javascript:alert(1)"
    document["followers"] = "data:text/html,<script>alert(1)</script>"
    actor = parse_actor(document)
    assert actor.url is None and actor.followers is None


def test_a_url_given_as_link_objects_uses_the_first_href() -> None:
    document = _mastodon_actor()
    document["url"] = [{"type": "Link", "href": "https://example.social/@ada"}]
    assert parse_actor(document).url == "https://example.social/@ada"


def test_an_actor_without_an_outbox_is_accepted() -> None:
    # The spec requires an outbox, but Fedify and others publish actors without one.
    assert parse_actor(_without("outbox")).outbox is None


def test_avatar_header_and_fields_are_published_and_the_images_read_back() -> None:
    actor = _actor(
        icon="https://harbour.test/media/a.jpg",
        image="https://harbour.test/media/h.png",
        fields=(("Languages", "nl, en"),),
    )
    document = actor.to_document()
    assert document["icon"] == {"type": "Image", "url": "https://harbour.test/media/a.jpg"}
    assert document["image"] == {"type": "Image", "url": "https://harbour.test/media/h.png"}
    assert document["attachment"] == [
        {"type": "PropertyValue", "name": "Languages", "value": "nl, en"}
    ]
    back = parse_actor(document)
    assert (back.icon, back.image) == (actor.icon, actor.image)


def test_avatars_given_as_lists_links_or_scripts_are_read_safely() -> None:
    document = _mastodon_actor()
    document["icon"] = [{"type": "Image", "url": {"href": "https://social.example/a.png"}}]
    document["image"] = {"type": "Image", "url": "javascript:alert(1)"}
    actor = parse_actor(document)
    assert (actor.icon, actor.image) == ("https://social.example/a.png", None)


@pytest.mark.parametrize("username", ["mastodon.social", "node-a.test:8443", "relay", "bea_lee-2"])
def test_an_instance_actor_named_by_its_host_and_port_is_understood(username: str) -> None:
    assert parse_actor(_with("preferredUsername", username)).preferred_username == username
