"""Editing statuses through the client API: the edit, its history and source, and how an
edit travels: a local one as an `Update`, a remote one kept as history."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import func, select

from content import accounts, post_edits
from content.posts import Post
from federation.delivery import Delivery
from federation.worker import Worker
from moderation.rate_limits import LIMITS, Action, Limit, RateLimiter
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_inbox import deliver, note_to_alice
from tests.rig import world
from tests.rig.images import plain_png
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio


async def test_the_author_edits_and_reads_the_history_and_source(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        alice = await world.bearer(session, await world.local_member(session, "alice"))
        bob = await world.bearer(session, await world.local_member(session, "bob"))
    posted = await client.post(
        "/api/v1/statuses", headers=alice, json={"status": "Clinic open Friday #testing"}
    )
    status = posted.json()
    assert status["edited_at"] is None
    path = f"/api/v1/statuses/{status['id']}"

    assert (await client.put(path, headers=bob, json={"status": "mine"})).status_code == 403
    empty = await client.put(path, headers=alice, json={"status": " "})
    assert empty.status_code == 422
    edited = await client.put(
        path,
        headers=alice,
        json={"status": "Clinic open <b>Saturday</b>", "spoiler_text": "dates", "language": "de"},
    )
    assert edited.status_code == 200, edited.text
    after = edited.json()
    assert after["content"] == "<p>Clinic open &lt;b&gt;Saturday&lt;/b&gt;</p>"
    assert (after["spoiler_text"], after["sensitive"], after["language"]) == ("dates", True, "de")
    assert after["edited_at"] is not None and after["tags"] == []
    assert (await client.get(path)).json()["edited_at"] == after["edited_at"]

    history = (await client.get(f"{path}/history")).json()
    assert [(v["spoiler_text"], v["sensitive"]) for v in history] == [("", False), ("dates", True)]
    assert "Friday" in history[0]["content"] and history[1]["content"] == after["content"]
    assert history[0]["created_at"] == status["created_at"]
    assert history[1]["created_at"] == after["edited_at"]
    assert history[0]["account"]["acct"] == "alice" and history[0]["media_attachments"] == []

    source = (await client.get(f"{path}/source", headers=alice)).json()
    assert source == {
        "id": status["id"],
        "text": "Clinic open <b>Saturday</b>",
        "spoiler_text": "dates",
    }
    assert (await client.get(f"{path}/source", headers=bob)).status_code == 404

    same = await client.put(
        path, headers=alice, json={"status": "Clinic open <b>Saturday</b>", "spoiler_text": "dates"}
    )
    assert same.json()["edited_at"] == after["edited_at"]  # nothing changed: nothing kept
    assert len((await client.get(f"{path}/history")).json()) == 2


async def test_an_unedited_status_has_one_version_and_history_is_bounded(
    client: httpx.AsyncClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(post_edits, "MAX_KEPT", 3)
    async with services.sessions() as session, session.begin():
        alice = await world.bearer(session, await world.local_member(session, "alice"))
    status = (await client.post("/api/v1/statuses", headers=alice, json={"status": "v0"})).json()
    path = f"/api/v1/statuses/{status['id']}"
    assert [v["content"] for v in (await client.get(f"{path}/history")).json()] == ["<p>v0</p>"]
    for number in range(1, 6):
        answer = await client.put(path, headers=alice, json={"status": f"v{number}"})
        assert answer.status_code == 200
    kept = [v["content"] for v in (await client.get(f"{path}/history")).json()]
    assert kept == ["<p>v0</p>", "<p>v3</p>", "<p>v4</p>", "<p>v5</p>"]
    assert (await client.delete(path, headers=alice)).status_code == 200
    async with services.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(post_edits.PostEdit)) == 0


async def test_a_local_edit_is_sent_as_an_update_where_the_post_went(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    assert (await deliver(client, note_to_alice())).status_code == 202
    await Worker(services.federation).run_once()
    headers, parent = await alice_and(services, f"{EVE}/statuses/1")
    reply = await client.post(
        "/api/v1/statuses",
        headers=headers,
        json={"status": "@eve@remote.example see you there", "in_reply_to_id": str(parent.id)},
    )
    assert reply.status_code == 200, reply.text
    edited = await client.put(
        f"/api/v1/statuses/{reply.json()['id']}",
        headers=headers,
        json={"status": "@eve@remote.example see you at 8"},
    )
    assert edited.status_code == 200
    async with services.sessions() as session:
        sent = [(d.inbox, json.loads(d.body)) for d in await session.scalars(select(Delivery))]
    updates = [(inbox, a) for inbox, a in sent if a["type"] == "Update"]
    creates = [(inbox, a) for inbox, a in sent if a["type"] == "Create"]
    assert [inbox for inbox, _ in updates] == [inbox for inbox, _ in creates] != []
    update, create = updates[0][1], creates[0][1]
    note = update["object"]
    assert note["id"] == create["object"]["id"] and "see you at 8" in note["content"]
    assert note["updated"][:19] == edited.json()["edited_at"][:19]
    assert (note["to"], note["cc"]) == (create["object"]["to"], create["object"]["cc"])
    assert "proof" in update and "proof" in note


async def alice_and(services: Services, uri: str) -> tuple[dict[str, str], Post]:
    """alice's Authorization header and the post kept here with this id."""
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        post = await session.scalar(select(Post).where(Post.uri == uri))
        assert post is not None
        return await world.bearer(session, alice), post


async def test_a_remote_edit_keeps_the_version_before_only_when_it_changed(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    assert (await deliver(client, note_to_alice())).status_code == 202
    await Worker(services.federation).run_once()
    note = note_to_alice()["object"]
    assert isinstance(note, dict)
    changed = {**note, "content": "<p>hi alice, moved to 9</p>", "updated": "2026-11-01T11:00:00Z"}
    for number, document in enumerate((changed, changed), start=1):
        update = note_to_alice(
            id=f"{EVE}/statuses/1/update/{number}", type="Update", object=document
        )
        assert (await deliver(client, update)).status_code == 202
        await Worker(services.federation).run_once()
    forged = {**changed, "attributedTo": "https://remote.example/users/mallory", "content": "x"}
    update = note_to_alice(id=f"{EVE}/statuses/1/update/3", type="Update", object=forged)
    await deliver(client, update)
    await Worker(services.federation).run_once()

    headers, post = await alice_and(services, f"{EVE}/statuses/1")
    status = (await client.get(f"/api/v1/statuses/{post.id}", headers=headers)).json()
    assert status["content"] == "<p>hi alice, moved to 9</p>" and status["edited_at"]
    history = (await client.get(f"/api/v1/statuses/{post.id}/history", headers=headers)).json()
    assert [v["content"] for v in history] == ["<p>hi alice</p>", "<p>hi alice, moved to 9</p>"]
    assert history[0]["account"]["acct"] == "eve@remote.example"


async def test_edits_count_against_the_posting_rate(
    client: httpx.AsyncClient, services: Services
) -> None:
    services.federation.limits = RateLimiter({**LIMITS, Action.POST: Limit(burst=2, seconds=3600)})
    async with services.sessions() as session, session.begin():
        alice = await world.bearer(session, await world.local_member(session, "alice"))
    status = (await client.post("/api/v1/statuses", headers=alice, json={"status": "v0"})).json()
    path = f"/api/v1/statuses/{status['id']}"
    assert (await client.put(path, headers=alice, json={"status": "v1"})).status_code == 200
    refused = await client.put(path, headers=alice, json={"status": "v2"})
    assert refused.status_code == 429
    assert (await client.get(path)).json()["content"] == "<p>v1</p>"


async def test_an_edit_changes_the_attachments_and_the_history_keeps_the_old_ones(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        alice = await world.bearer(session, await world.local_member(session, "alice"))
        bob = await world.bearer(session, await world.local_member(session, "bob"))

    async def upload(headers: dict[str, str], description: str) -> str:
        files = {"file": ("a.png", plain_png(4, 4), "image/png")}
        answer = await client.post(
            "/api/v2/media", headers=headers, files=files, data={"description": description}
        )
        return str(answer.json()["id"])

    first, second, bobs = (
        await upload(alice, "map"),
        await upload(alice, "poster"),
        await upload(bob, "x"),
    )
    status = (
        await client.post(
            "/api/v1/statuses", headers=alice, json={"status": "Where", "media_ids": [first]}
        )
    ).json()
    path = f"/api/v1/statuses/{status['id']}"
    taken = await client.put(path, headers=alice, json={"status": "Where", "media_ids": [bobs]})
    assert taken.status_code == 422
    edited = await client.put(path, headers=alice, json={"status": "Where", "media_ids": [second]})
    assert [m["description"] for m in edited.json()["media_attachments"]] == ["poster"]
    kept = await client.put(path, headers=alice, json={"status": "Where now"})
    assert [m["id"] for m in kept.json()["media_attachments"]] == [second]  # none given: kept
    history = (await client.get(f"{path}/history")).json()
    assert [[m["description"] for m in v["media_attachments"]] for v in history] == [
        ["map"],
        ["poster"],
        ["poster"],
    ]
    assert history[0]["media_attachments"][0]["url"] == status["media_attachments"][0]["url"]
    assert (
        await client.get(status["media_attachments"][0]["url"].removeprefix(BASE))
    ).status_code == 200
