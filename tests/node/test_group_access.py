"""Who reaches a group's discussions: a banned member cannot come back by following, a
members-only reply in a remote group's thread stays hidden from non-members, and a
local-only group does not exist for other servers."""

from __future__ import annotations

import httpx
import pytest

from activitypub import PUBLIC
from content import accounts, group_threads, groups, relationships
from content.groups import GroupVisibility
from federation import resolve
from federation.worker import Worker
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_directory_pages import sign_in
from tests.node.test_discussions import AP, GROUP, lemmy_page, make_group
from tests.node.test_inbox import deliver
from tests.rig import world
from tests.rig.keys import keypair_for_tests
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
COMMUNITY = "https://remote.example/c/peers"


async def test_a_banned_member_cannot_rejoin_by_following_the_group(
    client: httpx.AsyncClient, services: Services
) -> None:
    await make_group(services, GroupVisibility.MEMBERS)
    async with services.sessions() as session, session.begin():
        mallory = await world.local_member(session, "mallory", base_url=BASE)
        group = await accounts.get_local(session, "peers")
        assert group is not None
        await groups.ban(session, group, mallory)
    await sign_in(client, "mallory")

    followed = await client.post("/follow", data={"handle": "peers"})

    assert "you are banned from this group" in await world.notice_after(client, followed)
    page = (await client.get("/discussions/peers")).text
    assert "This group's discussions are for its members only." in page
    assert "You are a member" not in page


async def test_a_members_only_reply_in_a_remote_thread_is_shown_to_members_only(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    remote.add_actor(COMMUNITY, keypair_for_tests(4), "peers")
    remote.documents[COMMUNITY]["type"] = "Group"
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        community = await resolve.actor_by_uri(services.federation, session, COMMUNITY)
        assert alice is not None
        await relationships.add_follow(session, alice, community, uri="f/1", accepted=True)
    opener = {**lemmy_page(5)["object"], "to": [COMMUNITY, PUBLIC], "audience": COMMUNITY}
    reply = {
        "id": f"{EVE}/comment/6",
        "type": "Note",
        "attributedTo": EVE,
        "inReplyTo": opener["id"],
        "to": [COMMUNITY],
        "cc": [f"{COMMUNITY}/followers"],
        "audience": COMMUNITY,
        "content": "<p>Only for the group</p>",
        "published": "2026-11-20T11:00:00Z",
    }
    for number, item in enumerate((opener, reply)):
        announce = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{COMMUNITY}/activities/{number}",
            "type": "Announce",
            "actor": COMMUNITY,
            "to": [PUBLIC],
            "object": {"id": f"{EVE}/c/{number}", "type": "Create", "actor": EVE, "object": item},
        }
        signer = {"keypair": keypair_for_tests(4), "key_id": f"{COMMUNITY}#main-key"}
        assert (await deliver(client, announce, **signer)).status_code == 202
        await Worker(services.federation).run_once()
    async with services.sessions() as session:
        entry = await group_threads.entry_by_uri(session, opener["id"])
        assert entry is not None
    thread = f"/discussions/peers@remote.example/{entry.post_id}"

    await sign_in(client, "alice")
    assert "Only for the group" in (await client.get(thread)).text
    client.cookies.clear()
    seen_by_visitor = await client.get(thread)
    assert seen_by_visitor.status_code == 200 and "Only for the group" not in seen_by_visitor.text


async def test_a_local_only_group_does_not_exist_for_other_servers(
    client: httpx.AsyncClient, services: Services
) -> None:
    await make_group(services, GroupVisibility.LOCAL)
    for path in ("", "/moderators", "/collections/featured"):
        assert (
            await client.get(f"{GROUP.removeprefix(BASE)}{path}", headers=AP)
        ).status_code == 404
    page = await client.get("/discussions/peers")
    assert page.status_code == 200 and "for members of this node only" in page.text
