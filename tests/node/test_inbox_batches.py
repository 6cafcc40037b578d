"""A host's inbox items are claimed and applied as a batch (`federation.inbox_apply`), and
one that fails costs only itself: those before and after it are applied, it is retried; an
item the batch cannot take (it needs the network, or waits for another) is applied alone,
and ends as it would have."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select, text, update

from activitypub import PUBLIC
from content.posts import Post
from federation.inbox import InboxItem
from federation.worker import Worker
from node.state import Services
from tests.node.conftest import EVE
from tests.node.test_inbox import alice_follows_eve, deliver, note_to_alice, stored_posts
from tests.rig.remote import FakeServer
from tests.rig.strict import inbox_outcome

pytestmark = pytest.mark.anyio


async def worker_knowing_eve(client: httpx.AsyncClient, services: Services) -> Worker:
    """A worker that has applied one note of eve's: its pass's hourly work is done and eve
    is known, so the next pass applies only what a test delivers."""
    worker = Worker(services.federation)
    await deliver(client, note_to_alice(0))
    await worker.run_once()
    return worker


@pytest.mark.expect_failures(r"statuses/3/activity (failed|retry): JSONDecodeError")
async def test_an_item_that_fails_in_a_batch_fails_alone(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    worker = await worker_knowing_eve(client, services)
    for number in range(1, 6):
        assert (await deliver(client, note_to_alice(number))).status_code == 202
    broken = str(note_to_alice(3)["id"])
    async with services.sessions() as session:  # its handler will meet a body it cannot read
        await session.execute(
            update(InboxItem).where(InboxItem.activity_id == broken).values(body="{")
        )
        await session.commit()
    assert await worker.run_once() == 5
    assert await stored_posts(services) == 5  # note 0 and notes 1, 2, 4, 5
    async with services.sessions() as session:
        state, reason = await inbox_outcome(session, broken)
        assert state == "retry" and reason is not None and "JSONDecodeError" in reason
        for number in (1, 2, 4, 5):
            assert await inbox_outcome(session, str(note_to_alice(number)["id"])) == (
                "applied",
                None,
            )


async def kept(services: Services) -> list[str]:
    async with services.sessions() as session:
        return sorted(p.uri for p in await session.scalars(select(Post)))


async def test_a_note_given_by_id_among_embedded_ones_is_fetched_and_all_are_kept(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """A batch uses no network: the note to fetch makes the batch apply its items one at a
    time, and every one ends as it would have alone."""
    by_id = note_to_alice(3)
    remote.documents[f"{EVE}/statuses/3"] = by_id["object"]  # type: ignore[assignment]
    by_id["object"] = f"{EVE}/statuses/3"
    for activity in (note_to_alice(1), note_to_alice(2), by_id, note_to_alice(4)):
        assert (await deliver(client, activity)).status_code == 202
    assert await Worker(services.federation).run_once() == 4
    assert await kept(services) == [f"{EVE}/statuses/{n}" for n in (1, 2, 3, 4)]
    async with services.sessions() as session:
        for number in (1, 2, 3, 4):
            activity_id = f"{EVE}/statuses/{number}/activity"
            assert await inbox_outcome(session, activity_id) == ("applied", None)


@pytest.mark.expect_failures(r"statuses/2/activity retry: waiting for .* to accept a follow")
async def test_an_item_held_back_waits_alone_and_the_rest_of_its_batch_is_kept(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """A post overtaking the Accept of a follow waits (`NotYet`): the mentions delivered
    with it are kept at once all the same."""
    await alice_follows_eve(services, accepted=False)
    overtaking = note_to_alice(2, to=[PUBLIC])
    overtaking["object"] = {**overtaking["object"], "to": [PUBLIC], "tag": []}  # type: ignore[dict-item]
    for activity in (note_to_alice(1), overtaking, note_to_alice(3)):
        assert (await deliver(client, activity)).status_code == 202
    await Worker(services.federation).run_once()
    assert await kept(services) == [f"{EVE}/statuses/1", f"{EVE}/statuses/3"]
    async with services.sessions() as session:
        assert (await inbox_outcome(session, f"{EVE}/statuses/2/activity"))[0] == "retry"
        for number in (1, 3):
            activity_id = f"{EVE}/statuses/{number}/activity"
            assert await inbox_outcome(session, activity_id) == ("applied", None)


REFUSE_NOTE_3 = {
    "sqlite": [
        "CREATE TRIGGER refuse_note_3 BEFORE INSERT ON posts"
        " WHEN NEW.uri LIKE '%/statuses/3' BEGIN SELECT RAISE(ABORT, 'refused'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_note_3() RETURNS trigger AS $$ BEGIN"
        " IF NEW.uri LIKE '%/statuses/3' THEN RAISE EXCEPTION 'refused'; END IF;"
        " RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER refuse_note_3 BEFORE INSERT ON posts"
        " FOR EACH ROW EXECUTE FUNCTION refuse_note_3()",
    ],
}


@pytest.mark.expect_failures(r"statuses/3/activity (failed|retry): \w+")
async def test_a_write_failing_at_the_end_of_a_batch_fails_its_item_alone(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """A batch's rows are written together at its end (`content.batch_writes`), where a
    failing write is no one item's: the batch is halved until the item is alone, and only
    it fails (the database refuses note 3's row, as a constraint would)."""
    worker = await worker_knowing_eve(client, services)
    for number in range(1, 8):
        assert (await deliver(client, note_to_alice(number))).status_code == 202
    async with services.sessions() as session:
        for statement in REFUSE_NOTE_3[session.bind.dialect.name]:  # type: ignore[union-attr]
            await session.execute(text(statement))
        await session.commit()
    assert await worker.run_once() == 7
    assert await kept(services) == [f"{EVE}/statuses/{n}" for n in (0, 1, 2, 4, 5, 6, 7)]
    async with services.sessions() as session:
        assert (await inbox_outcome(session, f"{EVE}/statuses/3/activity"))[0] == "retry"
        for number in (1, 2, 4, 5, 6, 7):
            activity_id = f"{EVE}/statuses/{number}/activity"
            assert await inbox_outcome(session, activity_id) == ("applied", None)
