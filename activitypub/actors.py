"""Actor documents: Person, Group, Organization, Application and Service."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from activitypub.errors import InvalidDocument
from activitypub.hostnames import same_host
from activitypub.integrity import ACTOR_CONTEXTS, Multikey, parse_multikey
from activitypub.jsonld import id_of, ids_of, optional_str, require_str, require_uri, web_url
from activitypub.keys import check_public_pem
from activitypub.vocab import ACTOR_EXTENSIONS, AS_CONTEXT, SECURITY_CONTEXT, ActorType
from activitypub.webfinger import USERNAME

MAX_PEM_LENGTH = 16_384
# Mastodon lets an account name a handful of aliases; more than this is not a person's.
MAX_ALIASES = 20


@dataclass(frozen=True)
class PublicKey:
    """An actor's `publicKey`: the key id, its owner and the PEM."""

    id: str
    owner: str
    pem: str


@dataclass(frozen=True)
class Actor:
    """An ActivityPub actor as Harbour reads and writes it."""

    id: str
    type: ActorType
    preferred_username: str
    inbox: str
    outbox: str | None
    public_key: PublicKey
    name: str | None = None
    summary: str | None = None
    url: str | None = None
    followers: str | None = None
    following: str | None = None
    featured: str | None = None
    shared_inbox: str | None = None
    manually_approves_followers: bool = False
    discoverable: bool = False
    published: str | None = None
    icon: str | None = None  # the avatar's URL
    image: str | None = None  # the header's URL
    # Profile fields as (name, value HTML): schema.org PropertyValue attachments, as Mastodon.
    fields: tuple[tuple[str, str], ...] = ()
    # The Ed25519 key its integrity proofs are made with (FEP-521a), if it publishes one.
    assertion_method: Multikey | None = None
    # Account moves: the actor's other ids (`alsoKnownAs`), and where it went (`movedTo`).
    also_known_as: tuple[str, ...] = ()
    moved_to: str | None = None

    def to_document(self) -> dict[str, Any]:
        """The actor as a compacted JSON-LD document, ready to serve."""
        document: dict[str, Any] = {
            "@context": [AS_CONTEXT, SECURITY_CONTEXT, ACTOR_EXTENSIONS],
            "id": self.id,
            "type": str(self.type),
            "preferredUsername": self.preferred_username,
            "name": self.name or self.preferred_username,
            "summary": self.summary or "",
            "url": self.url or self.id,
            "inbox": self.inbox,
            "manuallyApprovesFollowers": self.manually_approves_followers,
            "discoverable": self.discoverable,
            "indexable": False,
            "publicKey": {
                "id": self.public_key.id,
                "owner": self.public_key.owner,
                "publicKeyPem": self.public_key.pem,
            },
        }
        optional = {
            "outbox": self.outbox,
            "followers": self.followers,
            "following": self.following,
            "featured": self.featured,
            "published": self.published,
            "movedTo": self.moved_to,
        }
        document.update({key: value for key, value in optional.items() if value})
        if self.also_known_as:
            document["alsoKnownAs"] = list(self.also_known_as)
        if self.shared_inbox:
            document["endpoints"] = {"sharedInbox": self.shared_inbox}
        if self.icon:
            document["icon"] = {"type": "Image", "url": self.icon}
        if self.image:
            document["image"] = {"type": "Image", "url": self.image}
        if self.assertion_method:
            document["@context"] += ACTOR_CONTEXTS
            document["assertionMethod"] = [self.assertion_method.to_document()]
        if self.fields:
            document["attachment"] = [
                {"type": "PropertyValue", "name": name, "value": value}
                for name, value in self.fields
            ]
        return document


def parse_actor(document: Mapping[str, Any]) -> Actor:
    """Read an actor document strictly; raise InvalidDocument on anything unusable."""
    if not isinstance(document, Mapping):
        raise InvalidDocument("an actor must be a JSON object")
    raw_type = document.get("type")
    try:
        actor_type = ActorType(str(raw_type))
    except ValueError:
        raise InvalidDocument(f"{raw_type!r} is not an actor type") from None
    actor_id = require_uri(document, "id")
    username = require_str(document, "preferredUsername")
    if not USERNAME.fullmatch(username):
        raise InvalidDocument(f"{username[:64]!r} is not a username an address can hold")
    return Actor(
        id=actor_id,
        type=actor_type,
        preferred_username=username,
        inbox=require_uri(document, "inbox"),
        outbox=web_url(id_of(document.get("outbox"))),  # required by the spec, often absent
        public_key=_parse_public_key(document.get("publicKey"), actor_id),
        name=optional_str(document, "name"),
        summary=optional_str(document, "summary"),
        url=web_url(_first_link(document.get("url"))),
        followers=web_url(id_of(document.get("followers"))),
        following=web_url(id_of(document.get("following"))),
        featured=web_url(id_of(document.get("featured"))),
        shared_inbox=web_url(_shared_inbox(document.get("endpoints"))),
        manually_approves_followers=document.get("manuallyApprovesFollowers") is True,
        discoverable=document.get("discoverable") is True,
        published=optional_str(document, "published"),
        icon=web_url(_image_url(document.get("icon"))),
        image=web_url(_image_url(document.get("image"))),
        assertion_method=parse_multikey(document.get("assertionMethod"), actor_id),
        also_known_as=tuple(
            uri for uri in ids_of(document.get("alsoKnownAs"), MAX_ALIASES) if web_url(uri)
        ),
        moved_to=web_url(id_of(document.get("movedTo"))),
    )


def _parse_public_key(value: Any, actor_id: str) -> PublicKey:
    if isinstance(value, list):  # some servers publish several keys; the first is the main one
        value = value[0] if value else None
    if not isinstance(value, Mapping):
        raise InvalidDocument("'publicKey' must be an object")
    pem = require_str(value, "publicKeyPem")
    if len(pem) > MAX_PEM_LENGTH:
        raise InvalidDocument("publicKeyPem is too long")
    owner = require_str(value, "owner")
    if owner != actor_id:
        raise InvalidDocument("publicKey.owner must be the actor itself")
    key_id = require_str(value, "id")
    if not same_host(key_id, actor_id):
        # Another server's key id would be filed under this actor: its key would answer for it.
        raise InvalidDocument("publicKey.id must be on the actor's own host, written canonically")
    return PublicKey(id=key_id, owner=owner, pem=check_public_pem(pem))


def _first_link(value: Any) -> str | None:
    """`url` may be a string, a Link object or a list of either; the first one counts."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, Mapping) and isinstance(value.get("href"), str):
        return str(value["href"])
    return id_of(value)


def _image_url(value: Any) -> str | None:
    """`icon` and `image` are an Image (whose `url` is a string or a Link) or a list of them."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, Mapping):
        return _first_link(value.get("url"))
    return value if isinstance(value, str) else None


def _shared_inbox(endpoints: Any) -> str | None:
    if not isinstance(endpoints, Mapping):
        return None
    shared = endpoints.get("sharedInbox")
    return shared if isinstance(shared, str) else None
