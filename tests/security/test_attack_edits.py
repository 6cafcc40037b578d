"""Attack: rewriting posts through federated edits.

A remote members-only group relays an `Update` of a post its server did not write: on the
group's word alone (no proof of the author, not fetched from the origin) it used to change a
post kept here, although such a copy may never change a post kept here. And an author's
`Update` delivered late (a retry after a newer edit went through) put the older text back.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from activitypub import integrity
from content import accounts, groups, post_edits, posts
from content.orm import utcnow
from federation import resolve
from federation.worker import Worker
from node.state import Services
from tests.node.conftest import EVE
from tests.node.test_discussions import lemmy_page, send
from tests.node.test_group_safety import _eve_opens_a_thread
from tests.node.test_inbox import deliver, note_to_alice
from tests.node.test_private_groups import (
    AS,
    BOB,
    COMMUNITY,
    _alice_joined,
    _remote_group,
    send_as_group,
)
from tests.rig import world
from tests.rig.keys import keypair_for_tests
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
SECRET = integrity.new_secret()


def _announce(number: int, activity: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": AS,
        "id": f"{COMMUNITY}/announce/{number}",
        "type": "Announce",
        "actor": COMMUNITY,
        "to": [f"{COMMUNITY}/followers"],
        "object": activity,
    }


async def test_a_members_only_group_cannot_rewrite_a_proven_post_by_relaying_an_edit(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    _remote_group(remote, private=True)
    await _alice_joined(services)
    remote.add_actor(BOB, keypair_for_tests(5), "bob", ed25519_secret=SECRET)
    note = {
        "@context": AS,
        "id": f"{BOB}/statuses/7",
        "type": "Note",
        "attributedTo": BOB,
        "name": "Clinic hours",
        "content": "<p>The clinic on Main Street is open on Tuesday</p>",
        "to": [COMMUNITY],
        "cc": [f"{COMMUNITY}/followers"],
        "published": "2026-11-20T10:00:00Z",
    }
    proven = integrity.sign(note, key_id=f"{BOB}#ed25519-key", secret=SECRET)
    create = {"id": f"{BOB}/statuses/7/activity", "type": "Create", "actor": BOB}
    await send_as_group(client, services, _announce(1, {**create, "object": proven}))
    async with services.sessions() as session:
        kept = await posts.get_by_uri(session, note["id"])
    assert kept is not None and "open on Tuesday" in kept.content_html

    forged = {**note, "content": "<p>The clinic is closed: meet me at the car park</p>"}
    forged["updated"] = "2026-11-21T10:00:00Z"
    update = {"id": f"{BOB}/statuses/7#updates/1", "type": "Update", "actor": BOB}
    await send_as_group(client, services, _announce(2, {**update, "object": forged}))
    async with services.sessions() as session:
        kept = await posts.get_by_uri(session, note["id"])
    assert kept is not None
    assert "open on Tuesday" in kept.content_html and "car park" not in kept.content_html
    assert kept.edited_at is None


async def test_an_older_edit_delivered_late_never_overwrites_a_newer_one(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    assert (await deliver(client, note_to_alice())).status_code == 202
    await Worker(services.federation).run_once()
    note = note_to_alice()["object"]
    assert isinstance(note, dict)
    newer = {**note, "content": "<p>moved to Friday</p>", "updated": "2026-11-01T12:00:00Z"}
    older = {**note, "content": "<p>moved to Thursday</p>", "updated": "2026-11-01T11:00:00Z"}
    for number, document in ((2, newer), (1, older)):
        update = note_to_alice(
            id=f"{EVE}/statuses/1/update/{number}", type="Update", object=document
        )
        assert (await deliver(client, update)).status_code == 202
        await Worker(services.federation).run_once()
    async with services.sessions() as session:
        kept = await posts.get_by_uri(session, f"{EVE}/statuses/1")
    assert kept is not None and kept.content_html == "<p>moved to Friday</p>"
    async with services.sessions() as session:
        versions = await post_edits.history(session, kept)
    assert [v.content_html for v in versions] == ["<p>hi alice</p>", "<p>moved to Friday</p>"]


async def test_dates_beyond_what_utc_holds_are_not_taken_and_break_nothing(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """A `published` of year 1 at +05:00 failed the Create at every retry (an overflow on
    writing it), and would have an `updated` of year 9999 at -05:00 the same way."""
    created = note_to_alice(3)
    note = created["object"]
    assert isinstance(note, dict)
    note["published"] = "0001-01-01T00:00:00+05:00"
    assert (await deliver(client, created)).status_code == 202
    await Worker(services.federation).run_once()
    edited = {**note, "content": "<p>later</p>", "updated": "9999-12-31T23:59:59-05:00"}
    update = note_to_alice(3, id=f"{EVE}/statuses/3/update/1", type="Update", object=edited)
    assert (await deliver(client, update)).status_code == 202
    await Worker(services.federation).run_once()
    async with services.sessions() as session:
        kept = await posts.get_by_uri(session, note["id"])
    assert kept is not None and kept.content_html == "<p>later</p>"
    assert kept.created_at.year == kept.edited_at.year == utcnow().year  # dated on arrival


async def test_a_suspended_members_posts_and_their_history_are_not_served(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        rosa = await world.local_member(session, "rosa")
        headers = await world.bearer(session, rosa)
        mia = await world.bearer(session, await world.local_member(session, "mia"))
    posted = await client.post("/api/v1/statuses", headers=headers, json={"status": "first"})
    path = f"/api/v1/statuses/{posted.json()['id']}"
    assert (await client.put(path, headers=headers, json={"status": "second"})).status_code == 200
    async with services.sessions() as session, session.begin():
        found = await accounts.get_local(session, "rosa")
        assert found is not None
        found.suspended_at = utcnow()
    for reader in ({}, mia):
        for tail in ("", "/history"):
            assert (await client.get(path + tail, headers=reader)).status_code == 404, tail


async def test_an_author_banned_from_a_local_group_cannot_rewrite_her_post_there(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """The group no longer relayed a banned author's edits, but kept applying them to the
    post its members read here."""
    await _eve_opens_a_thread(client, services)
    async with services.sessions() as session, session.begin():
        group = await accounts.get_local(session, "peers")
        eve = await resolve.actor_by_uri(services.federation, session, EVE)
        assert group is not None
        await groups.ban(session, group, eve)
    edited = lemmy_page(1, content="<p>Edited after the ban</p>")
    edited.update(id=f"{EVE}/activities/update/1", type="Update")
    await send(client, services, edited)
    async with services.sessions() as session:
        kept = await posts.get_by_uri(session, f"{EVE}/post/1")
    assert kept is not None and "after the ban" not in kept.content_html
