"""Events across two real nodes: staff on A (SQLite) publish an event in Bucharest time; B
(PostgreSQL, its time zone Europe/Sofia) mirrors it because bob follows A's organisation;
bob reads B's calendar in Bulgarian in B's time zone, downloads it as iCalendar (parsed
with the icalendar library), says he is going and takes it back; only A's staff see who is
going. Edits and cancellation follow."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import icalendar
import pytest

from tests.rig.databases import PostgresDatabases, SQLiteDatabases
from tests.rig.fleets import Fleet
from tests.rig.nodes import NodeProcess, wait_for
from tests.scenarios.test_directory_federation import following

pytestmark = [pytest.mark.processes, pytest.mark.unsigned_fetches]
EVENT = {
    "title": "Know your rights workshop",
    "description": "Bring <b>questions</b>.",
    "language": "en",
    "starts": "2030-03-14T18:00",
    "ends": "2030-03-14T20:00",
    "time_zone": "Europe/Bucharest",
    "place_name": "Community centre",
    "place_address": "Strada Florilor 3, Cluj",
    "audience": "Sex workers and their partners",
    "registration": "Send a Signal message, or just come.",
}
BULGARIAN = {"Accept-Language": "bg"}


@pytest.fixture
def nodes(
    sqlite_databases: SQLiteDatabases,
    postgresql_databases: PostgresDatabases,
    tmp_path: Path,
) -> Iterator[list[NodeProcess]]:
    """A and B, B reading times in Sofia's time zone by default."""
    fleet = Fleet(tmp_path, sqlite_databases, postgresql_databases, 2, unsigned_fetches=True)
    fleet.nodes[1].extra_env["HARBOUR_TIME_ZONE"] = "Europe/Sofia"
    try:
        yield fleet.start()
    finally:
        fleet.stop()


def calendar(node: NodeProcess, http: httpx.Client | None = None) -> str:
    if http is not None:
        return http.get("/events", headers=BULGARIAN).text
    with node.client() as anyone:
        return anyone.get("/events", headers=BULGARIAN).text


def event_path(page: str, title: str) -> str:
    match = re.search(rf'href="(/events/\d+)"[^>]*>{re.escape(title)}<', page)
    assert match, page
    return match.group(1)


def test_an_event_is_mirrored_shown_exported_and_joined(nodes: list[NodeProcess]) -> None:
    a, b = nodes
    sam_password = a.create_member("sam")
    assert a.run("admin", "grant", "sam", "--role", "staff").returncode == 0
    with (
        closing(a.sign_in("sam", sam_password)) as sam,
        closing(b.sign_in("bob", b.create_member("bob"))) as bob,
    ):
        bob.post("/follow", data={"handle": f"organisation@{a.domain}"})
        wait_for(lambda: following(b, "bob") == 1, what="B follows A's organisation")
        made = sam.post("/events/new", data=EVENT)
        assert made.status_code == 303, made.text
        origin_path = made.headers["location"]
        wait_for(lambda: "Know your rights" in calendar(b), what="the event on B's calendar")

        # In Bulgarian, at Sofia's hour (18:00 in Bucharest is 18:00 in Sofia too in March:
        # both are UTC+2), and the organiser named with her server.
        page = calendar(b, bob)
        assert '<html lang="bg"' in page and "Събития" in page
        assert "четвъртък 14 март 2030, 18:00" in page and a.domain in page
        path = event_path(page, "Know your rights workshop")
        shown = bob.get(path, headers=BULGARIAN).text
        assert "Sex workers and their partners" in shown and "Community centre" in shown
        assert "Bring &lt;b&gt;questions&lt;/b&gt;." in shown  # staff's text, never markup
        assert "Ще дойда" in shown  # "I am going", in Bulgarian

        # Bob chooses another zone; the page follows it.
        bob.post("/time-zone", data={"time_zone": "Europe/Lisbon", "next": "/events"})
        assert "четвъртък 14 март 2030, 16:00" in calendar(b, bob)

        # iCalendar, parsed by a maintained parser: the wall time in the event's own zone.
        for ics in (bob.get(f"{path}.ics"), bob.get("/events.ics")):
            assert ics.headers["content-type"].startswith("text/calendar")
            parsed = icalendar.Calendar.from_ical(ics.content)
            [item] = parsed.walk("VEVENT")
            start = item.decoded("dtstart")
            assert start == datetime(2030, 3, 14, 18, 0, tzinfo=ZoneInfo("Europe/Bucharest"))
            assert str(item["summary"]) == "Know your rights workshop"
            assert str(item["uid"]) == f"{a.base_url}{origin_path}"
            assert "Community centre" in str(item["location"])
            assert parsed.walk("VTIMEZONE"), "the zone's definition travels with it"

        # Bob is going: A's staff see him, nobody else does.
        assert bob.post(f"{path}/going").status_code == 303
        wait_for(lambda: "@bob@" in sam.get(origin_path).text, what="A's staff see bob")
        assert "@bob@" not in bob.get(path).text
        with a.client() as visitor:
            assert "@bob" not in visitor.get(origin_path).text
        assert bob.post(f"{path}/not-going").status_code == 303
        wait_for(lambda: "@bob@" not in sam.get(origin_path).text, what="bob has left")

        # Edited and cancelled at the origin, on B too.
        renamed = {**EVENT, "title": "Rights café"}
        assert sam.post(f"{origin_path}/edit", data=renamed).status_code == 303
        wait_for(lambda: "Rights café" in calendar(b), what="the edit on B")
        assert sam.post(f"{origin_path}/delete").status_code == 303
        wait_for(lambda: "Rights café" not in calendar(b), what="the cancellation on B")
