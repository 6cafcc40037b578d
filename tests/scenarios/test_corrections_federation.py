"""Corrections across three real nodes (B on PostgreSQL): a member on B suggests a correction
to A's listing mirrored on B, and tells A how the clinic treated her; A's staff see both (and
nothing of who she is, in A's database or in what A received), accept the correction and
edit the listing; B's and C's copies change, with the new "last verified"; the member on B
reads the outcome in Romanian. A server A silenced cannot fill A's queue."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from datetime import UTC, datetime

import httpx
import pytest
from babel.dates import format_date
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from content.orm import Base
from federation.inbox import InboxItem
from moderation.audit import AuditEntry
from tests.rig import world
from tests.rig.nodes import NodeProcess, read_database, settle, wait_for

pytestmark = [pytest.mark.processes, pytest.mark.unsigned_fetches]
AP = {"Accept": "application/activity+json"}
LISTING = {
    "name": "Rosa night clinic",
    "organisation": "Rosa Collective",
    "country": "RO",
    "city": "Cluj",
    "summary": "Anonymous HIV and STI tests.",
    "categories": ["sexual-health"],
    "languages": "ro, en",
    "opening_hours": "Mon-Fri 18:00-23:00",
    "last_verified": "2026-01-10",
    "verified_by": "Rosa Collective",
}
SUGGESTED = "Since November they open at 20:00, not 18:00."
ROMANIAN_ANSWER = "Corectura ta la Rosa night clinic a fost acceptată. Mulțumim!"
EXPERIENCE = "They would not test me without an ID card."
ROMANIAN_THANKS = "Mulțumim: corectura ta a ajuns la personalul organizației care a publicat-o."


def following(node: NodeProcess, username: str) -> int:
    with node.client() as http:
        return int(http.get(f"/users/{username}/following", headers=AP).json()["totalItems"])


def listing_path(node: NodeProcess, name: str) -> str | None:
    """The listing's page on `node`, as its directory links it, or None while it is not there."""
    with node.client() as http:
        found = http.get("/directory", params={"q": name}).text
    match = re.search(rf'href="(/directory/\d+)"[^>]*>{re.escape(name)}<', found)
    return match.group(1) if match else None


def page(node: NodeProcess, path: str) -> str:
    with node.client() as http:
        return http.get(path).text


def follow_organisation(
    member: httpx.Client, node: NodeProcess, username: str, a: NodeProcess
) -> None:
    member.post("/follow", data={"handle": f"organisation@{a.domain}"})
    wait_for(lambda: following(node, username) == 1, what=f"{node.domain} follows A")


def everything_stored(node: NodeProcess) -> str:
    """Every row of every table of the node's database, as text."""

    async def dump(session: AsyncSession) -> str:
        rows = []
        for table in Base.metadata.sorted_tables:
            for row in await session.execute(select(table)):
                rows.append(repr(tuple(row)))
        return "\n".join(rows)

    return read_database(node, dump)


def received_offers(node: NodeProcess) -> list[dict[str, object]]:
    async def offers(session: AsyncSession) -> list[dict[str, object]]:
        bodies = await session.scalars(
            select(InboxItem.body).where(InboxItem.activity_type == "Offer")
        )
        return [json.loads(body) for body in bodies]

    return read_database(node, offers)


async def audited(session: AsyncSession) -> list[str]:
    found = await session.scalars(
        select(AuditEntry.action).where(AuditEntry.action.like("correction.%"))
    )
    return list(found)


def queue(staff: httpx.Client) -> str:
    return staff.get("/staff/corrections").text


@contextmanager
def mirrored(
    a: NodeProcess, *mirrors: NodeProcess, listing: dict[str, object] = LISTING
) -> Iterator[httpx.Client]:
    """Sam, on the staff of A, publishes `listing` once a reader on each mirror node follows
    A's organisation; the listing is on every mirror when this yields sam's client."""
    sam_password = a.create_member("sam")
    assert a.run("admin", "grant", "sam", "--role", "staff").returncode == 0
    with ExitStack() as clients:
        sam = clients.enter_context(closing(a.sign_in("sam", sam_password)))
        for node in mirrors:
            reader = clients.enter_context(
                closing(node.sign_in("reader", node.create_member("reader")))
            )
            follow_organisation(reader, node, "reader", a)
        assert sam.post("/directory/new", data=listing).status_code == 303
        for node in mirrors:
            wait_for(lambda node=node: listing_path(node, "Rosa night clinic") is not None,
                     what=f"the listing at {node.domain}")  # fmt: skip
        yield sam


def test_a_members_correction_reaches_the_owner_anonymously_and_her_answer_in_romanian(
    fleet: list[NodeProcess],
) -> None:
    a, b, c = fleet
    with (
        mirrored(a, b, c) as sam,
        closing(b.sign_in("mihaela", b.create_member("mihaela"))) as mihaela,
    ):
        on_b = listing_path(b, "Rosa night clinic")
        assert on_b is not None
        assert mihaela.post("/language", data={"language": "ro", "next": on_b}).status_code == 303

        # Mihaela sends it from B's page of the mirrored listing, unsigned.
        shown = mihaela.get(on_b).text
        assert "Sugerează o corectură" in shown, shown
        sent = mihaela.post(
            "/corrections",
            data={"listing": on_b.rsplit("/", 1)[1], "kind": "hours", "text": SUGGESTED},
        )
        assert sent.status_code == 303 and sent.headers["location"] == on_b
        assert ROMANIAN_THANKS in world.words(mihaela.get(on_b).text)
        # And she tells A how the clinic treated her: for A's staff alone.
        experience = {"kind": "experience", "rating": "bad", "text": EXPERIENCE}
        told = mihaela.post("/corrections", data={"listing": on_b.rsplit("/", 1)[1], **experience})
        assert told.status_code == 303

        wait_for(lambda: SUGGESTED in queue(sam) and EXPERIENCE in queue(sam),
                 what="the correction and the experience in A's queue")  # fmt: skip
        waiting = queue(sam)
        assert "The opening hours are wrong" in waiting and "not signed" in waiting
        assert f"through {b.domain}" in waiting
        assert "How the service treated a member: Badly" in world.words(waiting)
        assert EXPERIENCE not in page(a, listing_path(a, "Rosa night clinic") or "")
        # Her own node keeps her words no longer than it takes to send them.
        wait_for(lambda: EXPERIENCE not in everything_stored(b), what="B forgetting what she sent")

        # Nothing on A names her: not her nickname, her actor, nor B's id of her account.
        mihaela_id = mihaela.get("/api/v1/accounts/lookup", params={"acct": "mihaela"}).json()["id"]
        assert f"{b.base_url}/users/mihaela" in everything_stored(b)  # the scan sees rows
        stored = everything_stored(a)
        for trace in ("mihaela", f"{b.base_url}/users/mihaela", mihaela_id):
            assert trace not in stored, trace
        offers = received_offers(a)
        assert len(offers) == 2
        for offer in offers:
            assert offer["actor"] == f"{b.base_url}/actor"
            assert "mihaela" not in json.dumps(offer) and mihaela_id not in json.dumps(offer)
            about = offer["object"]["context"]
            assert about == f"{a.base_url}{listing_path(a, 'Rosa night clinic')}"

        # Sam accepts: the edit form opens with the suggestion and today as last verified.
        # The suggestion's form, not the experience's ("Mark it read"): the two are sent
        # apart, and the queue lists them in the order they arrived.
        [correction_id] = re.findall(
            r'action="/staff/corrections/(\d+)/accept"[^>]*><button type="submit">Accept and edit<',
            waiting,
        )
        accepted = sam.post(f"/staff/corrections/{correction_id}/accept")
        assert accepted.status_code == 303
        edit_path = accepted.headers["location"]
        assert re.fullmatch(r"/directory/\d+/edit\?correction=\d+", edit_path)
        form = sam.get(edit_path).text
        today = datetime.now(UTC).date()
        assert SUGGESTED in form and f'value="{today.isoformat()}"' in form
        changed = {**LISTING, "opening_hours": "Mon-Fri 20:00-23:00",
                   "last_verified": today.isoformat()}  # fmt: skip
        assert sam.post(edit_path.split("?")[0], data=changed).status_code == 303
        assert SUGGESTED not in queue(sam)

        english_day = format_date(today, "d MMM y", locale="en")
        for node in (b, c):
            path = listing_path(node, "Rosa night clinic") or ""
            wait_for(lambda node=node, path=path: "Mon-Fri 20:00-23:00" in page(node, path),
                     what=f"the edited listing at {node.domain}")  # fmt: skip
            assert f"{english_day} by Rosa Collective" in page(node, path)

        wait_for(lambda: ROMANIAN_ANSWER in world.words(mihaela.get("/notifications").text),
                 what="the answer in Mihaela's notifications, in Romanian")  # fmt: skip
        assert read_database(a, audited) == ["correction.accepted"]
    for node in fleet:
        assert not node.new_failures(), node.name


@pytest.mark.fleet(size=2)
def test_a_silenced_server_cannot_fill_the_queue(fleet: list[NodeProcess]) -> None:
    a, b = fleet
    with (
        mirrored(a, b) as sam,
        closing(b.sign_in("bob", b.create_member("bob"))) as bob,
    ):
        blocked = a.run("domain", "block", b.domain, "--severity", "silence")
        assert blocked.returncode == 0, blocked.stderr
        on_b = listing_path(b, "Rosa night clinic") or ""
        sent = bob.post("/corrections", data={"listing": on_b.rsplit("/", 1)[1], "kind": "closed"})
        assert sent.status_code == 303
        wait_for(lambda: len(received_offers(a)) == 1, what="the Offer at A")
        settle(a, b)
        assert "No suggestions wait for you." in queue(sam)

        async def outcome(session: AsyncSession) -> str | None:
            found = await session.execute(
                text("SELECT outcome FROM inbox_items WHERE activity_type = 'Offer'")
            )
            return found.scalar()

        assert "blocked or in quarantine" in (read_database(a, outcome) or "")
    for node in fleet:
        assert not node.new_failures(), node.name
