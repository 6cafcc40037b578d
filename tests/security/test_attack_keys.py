"""Attack: an actor publishing another server's key id as its own.

An actor's `publicKey.id` names the key its signatures carry. If a remote actor may publish a
key id on another host, the node files that server's key id under the impostor: the key
cache and the database lookup by key id then answer with the impostor's key for the other
server's id, and the impostor's requests go through signed with a key id that is not its own
(the "keyId spelled for someone else" shape of origin confusion, Mastodon CVE-2024-23832).
"""

from __future__ import annotations

import contextlib

import httpx
import pytest
from sqlalchemy import select

from content.accounts import Account
from federation import resolve
from federation.resolve import ResolveError
from node.state import Services
from tests.node.conftest import EVE
from tests.rig.remote import FakeServer
from tests.security.test_replay_origin_ssrf import VIC, deliver

pytestmark = pytest.mark.anyio
VIC_KEY = f"{VIC}#main-key"


def claim_vic_key(remote: FakeServer) -> None:
    """eve's server publishes her actor with victim.example's key id."""
    remote.documents[EVE]["publicKey"]["id"] = VIC_KEY


async def test_an_actor_cannot_publish_a_key_id_of_another_server(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    claim_vic_key(remote)
    # A member here looks eve up (a search, a mention, a follow): her actor is fetched.
    with contextlib.suppress(ResolveError):
        async with services.sessions() as session, session.begin():
            await resolve.actor_by_uri(services.federation, session, EVE)
    note = {"id": f"{EVE}/notes/1", "type": "Note", "attributedTo": EVE,
            "content": "hello", "to": ["https://www.w3.org/ns/activitystreams#Public"]}  # fmt: skip
    activity = {"id": f"{EVE}/activities/1", "type": "Create", "actor": EVE, "object": note,
                "to": note["to"]}  # fmt: skip
    answer = await deliver(client, activity, key_id=VIC_KEY)
    assert answer.status_code == 401, answer.text
    async with services.sessions() as session:
        filed = await session.scalars(select(Account.uri).where(Account.key_id == VIC_KEY))
        assert list(filed) == []
