"""A member here moves her account away: two moves confirmed at once (two tabs, a double
click) record one, and her followers here follow one new account."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from content import accounts, relationships
from content.moves import MoveError
from federation import account_moves, resolve
from federation.delivery import Delivery
from moderation import list_export
from moderation.list_files import Kind
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_list_pages import serve_webfinger
from tests.rig import world
from tests.rig.keys import keypair_for_tests
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio


async def test_of_two_moves_at_once_only_the_first_is_made(
    services: Services, remote: FakeServer
) -> None:
    """Both read alice before either moved her; the second once sent a second Move and took
    bob to another account (found on a real node by the attack on moves)."""
    alice_uri = f"{BASE}/users/alice"
    for n, name in enumerate(("eve2", "eve3")):
        uri = f"https://remote.example/users/{name}"
        remote.add_actor(uri, keypair_for_tests(4 + n), name)
        remote.documents[uri]["alsoKnownAs"] = [alice_uri]
        serve_webfinger(remote, name, uri)
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        bob = await world.local_member(session, "bob")
        assert alice is not None
        await relationships.add_follow(session, bob, alice, uri=f"{BASE}/f/1", accepted=True)
        eve = await resolve.fetch_actor(services.federation, session, EVE)
        await relationships.add_follow(session, eve, alice, uri=f"{EVE}/f/1", accepted=True)

    fed = services.federation
    async with services.sessions() as first, services.sessions() as second:
        tab1, tab2 = (
            await accounts.get_local(first, "alice"),
            await accounts.get_local(second, "alice"),
        )
        assert tab1 is not None and tab2 is not None and tab2.moved_at is None
        await account_moves.move_away(fed, first, tab1, "eve2@remote.example")
        await first.commit()
        with pytest.raises(MoveError, match="only once a week"):
            await account_moves.move_away(fed, second, tab2, "eve3@remote.example")

    async with services.sessions() as session:
        alice = await accounts.get_local(session, "alice")
        bob = await accounts.get_local(session, "bob")
        assert alice is not None and bob is not None
        assert alice.moved_to_uri == "https://remote.example/users/eve2"
        follows = await list_export.entries(session, bob, Kind.FOLLOWING, "harbour.test")
        assert [entry.value for entry in follows] == ["eve2@remote.example"]
        sent = [row.body for row in await session.scalars(select(Delivery))]
        assert [json.loads(body)["target"] for body in sent if '"Move"' in body] == [
            "https://remote.example/users/eve2"
        ]
