"""A remote account moves (Mastodon's `Move`): what a member here sees, and what is refused.

eve on remote.example moves to eve2 there; alice here follows eve."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from content import accounts, relationships
from content.accounts import Account
from federation import resolve
from federation.worker import Worker
from moderation import account_blocks, allowlist, member_domain_blocks
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_inbox import deliver
from tests.rig import world
from tests.rig.keys import keypair_for_tests
from tests.rig.remote import FakeServer
from tests.rig.strict import inbox_outcome

pytestmark = pytest.mark.anyio
EVE2 = "https://remote.example/users/eve2"


def move(number: int, target: str = EVE2, object_: str = EVE) -> dict[str, object]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{EVE}#moves/{number}",
        "type": "Move",
        "actor": EVE,
        "object": object_,
        "target": target,
    }


def new_account(remote: FakeServer, uri: str = EVE2, aliases: tuple[str, ...] = (EVE,)) -> None:
    """The account eve moves to, naming `aliases` as its other ids."""
    remote.add_actor(uri, keypair_for_tests(4), uri.rsplit("/", 1)[1])
    remote.documents[uri]["alsoKnownAs"] = list(aliases)


async def alice_follows_eve(services: Services) -> None:
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        eve = await resolve.actor_by_uri(services.federation, session, EVE)
        assert alice is not None
        await relationships.add_follow(session, alice, eve, uri=f"{BASE}/f/1", accepted=True)


async def following(services: Services) -> dict[str, str]:
    """Whom alice follows, by actor id, and in what state."""
    async with services.sessions() as session:
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        found = {}
        for uri in (EVE, EVE2):
            other = await accounts.get_by_uri(session, uri)
            follow = other and await relationships.find_follow(session, alice, other)
            if follow:
                found[uri] = follow.state
        return found


async def apply(client: httpx.AsyncClient, services: Services, activity: dict[str, object]) -> None:
    assert (await deliver(client, activity)).status_code == 202
    await Worker(services.federation).run_once()


async def test_followers_here_follow_the_new_account_and_a_move_sent_again_changes_nothing(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    new_account(remote)
    await alice_follows_eve(services)
    await apply(client, services, move(1))
    assert await following(services) == {EVE2: "pending"}  # a real Follow eve2 answers
    posted = [(r.url.path, r.content) for r in remote.requests if r.method == "POST"]
    assert any(b'"Follow"' in body and EVE2.encode() in body for _, body in posted)
    assert any(b'"Undo"' in body for _, body in posted)
    async with services.sessions() as session:
        eve = await accounts.get_by_uri(session, EVE)
        assert eve is not None and eve.moved_to_uri == EVE2
        token = await world.bearer(session, await _alice(session))
    shown = (await client.get(f"/api/v1/accounts/{eve.id}", headers=token)).json()
    assert shown["moved"]["acct"] == "eve2@remote.example"

    # Sent again (or again with another id): nobody is made to follow twice.
    async with services.sessions() as session, session.begin():
        alice = await _alice(session)
        eve2 = await accounts.get_by_uri(session, EVE2)
        assert eve2 is not None
        await relationships.remove_follow(session, alice, eve2)
        await relationships.add_follow(
            session, alice, await _account(session, EVE), uri=f"{BASE}/f/2", accepted=True
        )
    await apply(client, services, move(2))
    async with services.sessions() as session:
        assert await inbox_outcome(session, f"{EVE}#moves/2") == (
            "ignored",
            "the account moved less than a week ago",
        )
    assert await following(services) == {EVE: "accepted"}


@pytest.mark.parametrize("blocks", ["the new account", "its server"])
async def test_a_follower_is_never_moved_to_an_account_or_server_she_blocks(
    client: httpx.AsyncClient, services: Services, remote: FakeServer, blocks: str
) -> None:
    new_account(remote)
    await alice_follows_eve(services)
    async with services.sessions() as session, session.begin():
        alice = await _alice(session)
        if blocks == "its server":
            await member_domain_blocks.add(session, alice, "remote.example")
        else:
            eve2 = await resolve.actor_by_uri(services.federation, session, EVE2)
            await account_blocks.block(session, alice, eve2, uri=f"{BASE}/b/1")
    await apply(client, services, move(1))
    assert await following(services) == {EVE: "accepted"}  # she keeps what she had
    posted = [r.content for r in remote.requests if r.method == "POST"]
    assert not any(b'"Follow"' in body for body in posted)


async def test_a_target_that_does_not_name_the_old_account_is_refused(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    new_account(remote, aliases=("https://remote.example/users/someone_else",))
    await alice_follows_eve(services)
    await apply(client, services, move(1))
    async with services.sessions() as session:
        state, reason = await inbox_outcome(session, f"{EVE}#moves/1")
        eve = await _account(session, EVE)
    assert state == "ignored"
    assert reason is not None and "does not list this account as an alias" in reason
    assert await following(services) == {EVE: "accepted"}
    assert eve.moved_to_uri is None


async def test_the_target_is_fetched_from_its_origin_never_taken_as_embedded(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    new_account(remote, aliases=())
    await alice_follows_eve(services)
    claimed = {**remote.documents[EVE2], "alsoKnownAs": [EVE]}  # what eve's server claims
    await apply(client, services, {**move(1), "target": claimed})
    assert await following(services) == {EVE: "accepted"}


async def test_a_move_whose_actor_is_not_its_object_is_refused(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    new_account(remote)
    new_account(remote, "https://remote.example/users/mallory", aliases=(EVE2,))
    await alice_follows_eve(services)
    await apply(client, services, move(1, target="https://remote.example/users/mallory"))
    await apply(client, services, move(2, object_=EVE2))
    async with services.sessions() as session:
        refused = await inbox_outcome(session, f"{EVE}#moves/2")
    assert refused == ("ignored", "a Move's object must be its own actor")
    assert await following(services) == {EVE: "accepted"}


async def test_a_move_nobody_here_follows_does_nothing(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    new_account(remote)
    await apply(client, services, move(1))
    async with services.sessions() as session:
        outcome = await inbox_outcome(session, f"{EVE}#moves/1")
    assert outcome == ("ignored", "nobody here follows the account that moved")
    assert not [r for r in remote.requests if r.url.path == "/users/eve2"]


async def test_a_move_from_a_host_this_node_does_not_federate_with_is_refused(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    new_account(remote)
    await alice_follows_eve(services)
    async with services.sessions() as session, session.begin():
        await allowlist.disallow(session, "remote.example")
    refused = await deliver(client, move(1))
    assert refused.status_code == 403
    await Worker(services.federation).run_once()
    assert await following(services) == {EVE: "accepted"}


async def _alice(session: AsyncSession) -> Account:
    return await _account(session, f"{BASE}/users/alice")


async def _account(session: AsyncSession, uri: str) -> Account:
    found = await accounts.get_by_uri(session, uri)
    assert found is not None
    return found
