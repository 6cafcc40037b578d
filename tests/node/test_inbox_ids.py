"""Activity ids are deduplicated per actor: another account on the same server cannot take
an id first and have the real activity dropped as a duplicate."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from content.accounts import Account
from content.posts import Post
from content.relationships import Follow
from federation.inbox import InboxItem
from federation.worker import Worker
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_inbox import deliver, note_to_alice
from tests.rig.keys import keypair_for_tests
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
MALLORY = "https://remote.example/users/mallory"


async def test_an_id_taken_by_another_account_on_the_server_does_not_drop_the_real_one(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    remote.add_actor(MALLORY, keypair_for_tests(4), "mallory")
    evesid = f"{EVE}/statuses/1/activity"
    first = note_to_alice(1, actor=MALLORY)
    own = {"id": f"{MALLORY}/statuses/1", "attributedTo": MALLORY}
    first["object"] = {**first["object"], **own}  # type: ignore[dict-item]
    assert first["id"] == evesid  # mallory takes the id eve will use
    as_mallory = {"keypair": keypair_for_tests(4), "key_id": f"{MALLORY}#main-key"}
    assert (await deliver(client, first, **as_mallory)).status_code == 202  # type: ignore[arg-type]
    for _ in range(2):  # eve's own activity, then her server sending it again
        assert (await deliver(client, note_to_alice(1))).status_code == 202
    while await Worker(services.federation).run_once():
        pass
    async with services.sessions() as session:
        kept = set(await session.scalars(select(Post.uri)))
        items = list(await session.scalars(select(InboxItem.state)))
    assert kept == {f"{MALLORY}/statuses/1", f"{EVE}/statuses/1"}  # both reached alice
    assert items == ["applied", "applied"]  # the repeat was dropped as a duplicate


async def test_a_follow_id_taken_by_another_account_does_not_stop_the_real_follow(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    remote.add_actor(MALLORY, keypair_for_tests(4), "mallory")
    as_mallory = {"keypair": keypair_for_tests(4), "key_id": f"{MALLORY}#main-key"}
    follow = {"id": f"{EVE}/follows/1", "type": "Follow", "object": f"{BASE}/users/alice"}
    undo = {"id": f"{EVE}/follows/1/undo", "type": "Undo", "object": {**follow, "actor": EVE}}
    for activity, signer in (
        ({**follow, "actor": MALLORY}, as_mallory),  # mallory takes the id of eve's Follow
        ({**follow, "actor": EVE}, {}),
        ({**undo, "actor": MALLORY}, as_mallory),  # and tries to end eve's follow with it
    ):
        assert (await deliver(client, activity, **signer)).status_code == 202  # type: ignore[arg-type]
        await Worker(services.federation).run_once()
    async with services.sessions() as session:
        query = select(Account.uri).join(Follow, Follow.follower_id == Account.id)
        followers = set(await session.scalars(query))
        states = list(await session.scalars(select(InboxItem.state)))
    assert followers == {EVE}  # mallory's Undo ended only her own request
    assert states == ["applied"] * 3
