"""Harbour's wire format: pure builders and parsers for ActivityPub documents, no I/O."""

from __future__ import annotations

from activitypub.activities import create, move
from activitypub.actors import Actor, PublicKey, parse_actor
from activitypub.collections import ordered_collection, ordered_collection_page
from activitypub.errors import DigestMismatch, InvalidDocument, SignatureError
from activitypub.jsonld import as_list, has_type, id_of, read_document, read_json, web_url
from activitypub.keys import KeyPair, check_public_pem, generate_keypair, public_pem_of
from activitypub.nodeinfo import NodeInfo, Usage, build_nodeinfo, discovery_document, parse_nodeinfo
from activitypub.objects import Choices, Note
from activitypub.vocab import (
    ACTIVITY_JSON,
    AS_CONTEXT,
    JRD_JSON,
    LD_JSON_PROFILE,
    PUBLIC,
    ActivityType,
    ActorType,
    ObjectType,
)
from activitypub.webfinger import Acct, build_jrd, parse_acct, self_link

__all__ = [
    "ACTIVITY_JSON",
    "AS_CONTEXT",
    "Acct",
    "ActivityType",
    "Actor",
    "ActorType",
    "Choices",
    "DigestMismatch",
    "InvalidDocument",
    "JRD_JSON",
    "KeyPair",
    "LD_JSON_PROFILE",
    "NodeInfo",
    "Note",
    "ObjectType",
    "PUBLIC",
    "PublicKey",
    "SignatureError",
    "Usage",
    "as_list",
    "build_jrd",
    "build_nodeinfo",
    "check_public_pem",
    "create",
    "discovery_document",
    "generate_keypair",
    "has_type",
    "id_of",
    "move",
    "ordered_collection",
    "ordered_collection_page",
    "parse_acct",
    "parse_actor",
    "parse_nodeinfo",
    "public_pem_of",
    "read_document",
    "read_json",
    "self_link",
    "web_url",
]
