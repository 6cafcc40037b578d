"""A suspended remote account's Deletes are honoured: a Delete only removes data, and a post
its author deleted must go even while the account is suspended here (its data is kept in
case the suspension is lifted). Anything else it sends stays refused, and a Delete of an
object it does not own removes nothing."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from content import accounts
from content.accounts import Account
from node.moderating import AccountAction, act_on_account
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_inbox import deliver, note_to_alice
from tests.node.test_inbox_batches import kept, worker_knowing_eve
from tests.rig.remote import FakeServer
from tests.rig.strict import inbox_outcome

pytestmark = pytest.mark.anyio


def delete_of(note: str, number: int) -> dict[str, object]:
    return {"id": f"{EVE}/deletes/{number}", "type": "Delete", "actor": EVE, "object": note}


async def suspend_eve(services: Services) -> None:
    async with services.sessions() as session, session.begin():
        moderator = await accounts.get_local(session, "alice")
        eve = await session.scalar(select(Account).where(Account.uri == EVE))
        assert moderator is not None and eve is not None
        await act_on_account(services.federation, session, moderator, eve, AccountAction.SUSPEND)


async def test_a_suspended_accounts_delete_removes_its_post_and_nothing_else_is_taken(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    worker = await worker_knowing_eve(client, services)  # eve's note 0 is kept
    assert (await deliver(client, note_to_alice(1))).status_code == 202
    await worker.run_once()
    assert await kept(services) == [f"{EVE}/statuses/0", f"{EVE}/statuses/1"]
    await suspend_eve(services)
    local_post = f"{BASE}/users/alice/statuses/1"  # not hers: origin refuses it
    for activity in (
        note_to_alice(2),
        delete_of(f"{EVE}/statuses/1", 1),
        delete_of(local_post, 2),
    ):
        assert (await deliver(client, activity)).status_code == 202
    await worker.run_once()
    assert await kept(services) == [f"{EVE}/statuses/0"]  # note 1 gone, note 2 refused
    async with services.sessions() as session:
        assert await inbox_outcome(session, f"{EVE}/statuses/2/activity") == (
            "refused",
            "the actor is suspended here",
        )
        assert (await inbox_outcome(session, f"{EVE}/deletes/1"))[0] == "applied"
        assert (await inbox_outcome(session, f"{EVE}/deletes/2"))[0] != "refused"
        eve = await session.scalar(select(Account).where(Account.uri == EVE))
        assert eve is not None and eve.suspended_at is not None  # still suspended
