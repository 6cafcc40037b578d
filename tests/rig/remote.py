"""A fake remote server at the transport: serves actor documents and records what it gets."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from activitypub import Actor, ActorType, KeyPair, PublicKey, integrity


@dataclass
class FakeServer:
    """Documents by URL, served to Harbour's transport; every request is recorded."""

    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def add_actor(
        self,
        uri: str,
        keypair: KeyPair,
        username: str,
        kind: ActorType = ActorType.PERSON,
        *,
        ed25519_secret: str | None = None,
    ) -> Actor:
        """Serve an actor; with `ed25519_secret` it publishes that key for integrity proofs."""
        multikey = None
        if ed25519_secret is not None:
            public = integrity.public_of(ed25519_secret)
            multikey = integrity.Multikey(f"{uri}#ed25519-key", uri, public)
        actor = Actor(
            id=uri,
            type=kind,
            preferred_username=username,
            inbox=f"{uri}/inbox",
            outbox=f"{uri}/outbox",
            followers=f"{uri}/followers",
            shared_inbox=uri.split("/users/")[0] + "/inbox",
            public_key=PublicKey(id=f"{uri}#main-key", owner=uri, pem=keypair.public_pem),
            assertion_method=multikey,
        )
        self.documents[uri] = actor.to_document()
        return actor

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        url = f"https://{request.headers['host']}{request.url.raw_path.decode()}"
        if request.method == "POST":
            return httpx.Response(202)
        document = self.documents.get(url)
        if document is None:
            return httpx.Response(404, json={"error": "not found"})
        return httpx.Response(
            200,
            content=json.dumps(document).encode(),
            headers={"content-type": "application/activity+json"},
        )
