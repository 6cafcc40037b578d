"""The streaming API with real clients across real nodes: Mastodon.py over server-sent
events on node A (SQLite) and masto.js over WebSocket on node B (PostgreSQL) are told of a
followed account's post from the other node, a mention, an edit and a deletion; a list's
stream gets only its members' posts; a blocked account's posts reach no stream; a suspended
account's stream ends."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import websockets.exceptions
import websockets.sync.client
from mastodon import Mastodon, StreamListener

from tests.clients.test_mastodon_py import client, follow_approved
from tests.rig.nodes import NodeProcess, settle, wait_for
from tests.rig.streams import MastoJs, ServerSentEvents, ready

pytestmark = [pytest.mark.processes, pytest.mark.fleet(size=2)]


@pytest.fixture
def fleet(shared_fleet: list[NodeProcess]) -> list[NodeProcess]:
    """The module's nodes: its tests change no node's policy and use their own accounts."""
    return shared_fleet


class Collector(StreamListener):  # type: ignore[misc]
    """What Mastodon.py's stream handed over, by event."""

    def __init__(self) -> None:
        self.seen: dict[str, list[Any]] = {}

    def on_update(self, status: Any) -> None:
        self.seen.setdefault("update", []).append(status)

    def on_status_update(self, status: Any) -> None:
        self.seen.setdefault("status.update", []).append(status)

    def on_notification(self, notification: Any) -> None:
        self.seen.setdefault("notification", []).append(notification)

    def on_delete(self, status_id: Any) -> None:
        self.seen.setdefault("delete", []).append(str(status_id))

    def payloads(self, event: str) -> list[Any]:
        return list(self.seen.get(event, []))


@contextmanager
def mastodon_py_stream(api: Mastodon, list_id: str | None = None) -> Iterator[Collector]:
    collector = Collector()
    if list_id is None:
        handle = api.stream_user(collector, run_async=True, timeout=60)
    else:
        handle = api.stream_list(list_id, collector, run_async=True, timeout=60)
    try:
        yield collector
    finally:
        # Its close waits for the stream's next line (a heartbeat comes every 15 s): let it
        # finish on its own; the node's stop ends the connection at the latest.
        threading.Thread(target=handle.close, daemon=True).start()


def contents(reader: Any, event: str) -> str:
    return " ".join(str(p["content"]) for p in reader.payloads(event) if isinstance(p, dict))


@pytest.mark.parametrize("swapped", [False, True], ids=["py-sqlite", "py-postgresql"])
def test_mastodon_py_and_masto_js_hear_posts_mentions_edits_and_deletions(
    fleet: list[NodeProcess], swapped: bool
) -> None:
    """Mastodon.py reads on A and masto.js on B; A is the SQLite node, then PostgreSQL's."""
    a, b = reversed(fleet) if swapped else fleet
    an, bn = ("ann", "ben") if swapped else ("alice", "bob")  # the fleet is the module's
    alice = client(a, an, a.create_member(an))
    bob = client(b, bn, b.create_member(bn))
    follow_approved(alice, bob, f"{bn}@{b.domain}")
    follow_approved(bob, alice, f"{an}@{a.domain}")
    settle(a, b)
    masto_js = MastoJs(b, bob.access_token, "user")
    try:
        with mastodon_py_stream(alice) as heard:
            ready(heard, lambda text: alice.status_post(text), "alice is listening")
            ready(masto_js, lambda text: bob.status_post(text), "bob is listening")

            # A followed account's post, from the other node.
            from_b = bob.status_post("News from node B")
            wait_for(lambda: "News from node B" in contents(heard, "update"), what="B's post at A")
            [at_a] = [s for s in heard.payloads("update") if "News from node B" in s["content"]]
            # A mention, told to masto.js as a notification.
            mention = alice.status_post(f"@{bn}@{b.domain} are you coming tonight?")
            wait_for(
                lambda: any(
                    n["type"] == "mention" and "coming tonight" in n["status"]["content"]
                    for n in masto_js.payloads("notification")
                ),
                what="the mention at B",
            )
            # Edits, both ways.
            bob.status_update(from_b["id"], "News from node B, corrected")
            wait_for(lambda: "corrected" in contents(heard, "status.update"), what="B's edit")
            alice.status_update(mention["id"], f"@{bn}@{b.domain} are you coming at eight?")
            wait_for(lambda: "at eight" in contents(masto_js, "status.update"), what="A's edit")
            # Deletions, both ways: the id each client knows the post by.
            at_b = [s for s in masto_js.payloads("update") if "coming tonight" in s["content"]]
            bob.status_delete(from_b["id"])
            wait_for(lambda: str(at_a["id"]) in heard.payloads("delete"), what="B's deletion")
            alice.status_delete(mention["id"])
            wait_for(
                lambda: at_b and at_b[0]["id"] in masto_js.payloads("delete"),
                what="A's deletion at B",
            )
    finally:
        errors = masto_js.close()
    assert "Error" not in errors, errors


def test_a_list_stream_and_a_blocked_account(fleet: list[NodeProcess]) -> None:
    a, _ = fleet
    alice = client(a, "lia", a.create_member("lia"))
    erin, frank, dana = (
        client(a, name, a.create_member(name)) for name in ("erin", "frank", "dana")
    )
    for other, name in ((erin, "erin"), (frank, "frank"), (dana, "dana")):
        follow_approved(alice, other, name)
    close = alice.list_create("Close friends")
    alice.list_accounts_add(close["id"], [alice.account_lookup("erin")["id"]])
    alice.account_block(alice.account_lookup("dana")["id"])
    public = ServerSentEvents(a, alice.access_token, "public/local")
    try:
        with mastodon_py_stream(alice) as home, mastodon_py_stream(alice, close["id"]) as listed:
            ready(home, lambda text: alice.status_post(text), "alice is listening")
            ready(listed, lambda text: erin.status_post(text), "erin is listening")
            ready(public, lambda text: alice.status_post(text), "the public stream is open")
            dana.status_post("Dana writes to everyone")
            frank.status_post("Frank writes to his followers")
            last = erin.status_post("Erin writes last")
            wait_for(lambda: "Erin writes last" in contents(listed, "update"), what="erin")
            wait_for(lambda: "Erin writes last" in contents(home, "update"), what="erin, home")
            wait_for(lambda: "Erin writes last" in contents(public, "update"), what="erin, public")
            # Frank, whom she follows, boosts it: her home stream is told, as a boost.
            frank.status_reblog(last["id"])
            wait_for(
                lambda: any(s["reblog"] and s["account"]["acct"] == "frank"
                            for s in home.payloads("update")),
                what="frank's boost",
            )  # fmt: skip
            [boost] = [s for s in home.payloads("update") if s["reblog"]]
            assert boost["reblog"]["id"] == last["id"] and boost["content"] == ""
    finally:
        public.close()
    assert "Frank writes" in contents(home, "update")  # followed, not on the list
    assert "Frank writes" not in contents(listed, "update")
    for stream in (home, listed, public):
        assert "Dana" not in contents(stream, "update")  # blocked: on no stream


def test_streams_per_token_are_bounded(fleet: list[NodeProcess]) -> None:
    a, _ = fleet
    pia = client(a, "pia", a.create_member("pia"))
    opened = [ServerSentEvents(a, pia.access_token, "public") for _ in range(16)]
    try:
        assert all(reader.opened.wait(15) and reader.status == 200 for reader in opened)
        one_more = ServerSentEvents(a, pia.access_token, "public")
        assert one_more.opened.wait(15) and one_more.status == 429
        one_more.close()
    finally:
        for reader in opened:
            reader.close()


def test_a_suspended_account_s_stream_ends(fleet: list[NodeProcess]) -> None:
    a, _ = fleet
    alice = client(a, "sue", a.create_member("sue"))
    reader = ServerSentEvents(a, alice.access_token, "user")
    try:
        ready(reader, lambda text: alice.status_post(text), "sue is listening")
        assert a.run("account", "suspend", "sue").returncode == 0
        assert reader.ended.wait(15), "the stream stayed open"
    finally:
        reader.close()


def test_a_server_she_blocks_reaches_none_of_her_streams(fleet: list[NodeProcess]) -> None:
    a, b = fleet
    nora = client(a, "nora", a.create_member("nora"))
    carl = client(a, "carl", a.create_member("carl"))
    olaf = client(b, "olaf", b.create_member("olaf"))
    [found] = olaf.search_v2(f"@nora@{a.domain}", resolve=True).accounts  # B knows her
    nora.domain_block(b.domain)
    reader = ServerSentEvents(a, nora.access_token, "user/notification")
    try:
        ready_notifications(reader, carl, "@nora are you there")
        olaf.status_post(f"@nora@{a.domain} from a server you blocked")
        carl.status_post("@nora and now me again")
        settle(a, b)
        wait_for(
            lambda: any("now me again" in n["status"]["content"]
                        for n in reader.payloads("notification")),
            what="carl's second mention",
        )  # fmt: skip
    finally:
        reader.close()
    assert found.acct == f"nora@{a.domain}"
    told = " ".join(n["status"]["content"] for n in reader.payloads("notification"))
    assert "server you blocked" not in told


def ready_notifications(reader: ServerSentEvents, sender: Mastodon, text: str) -> None:
    """Mention until the notification stream shows it: it is open from then on."""
    for attempt in range(15):
        sender.status_post(f"{text} {attempt}")
        try:
            wait_for(lambda: bool(reader.payloads("notification")), timeout=2, what="a mention")
            return
        except AssertionError:
            continue
    raise AssertionError("the notification stream never opened")


def test_a_hostile_websocket_message_is_answered_and_the_stream_goes_on(
    fleet: list[NodeProcess],
) -> None:
    a, _ = fleet
    vera = client(a, "vera", a.create_member("vera"))
    url = f"ws://127.0.0.1:{a.port}/api/v1/streaming?access_token={vera.access_token}"
    with websockets.sync.client.connect(url, open_timeout=15) as socket:
        for hostile in ("[" * 5000, '{"type": "subscribe", "stream": "nobody:s"}', "[1]"):
            socket.send(hostile)
            answer = json.loads(socket.recv(timeout=15))
            assert answer["status"] == 400, answer
        socket.send(json.dumps({"type": "subscribe", "stream": "public:local"}))
        vera.status_post("Vera is still listening")
        heard = json.loads(socket.recv(timeout=15))
        assert heard["event"] == "update" and "still listening" in heard["payload"]
    assert not a.new_failures()


def test_streams_opened_all_at_once_are_bounded_too(fleet: list[NodeProcess]) -> None:
    """Handshakes made at the same moment (a list stream is looked up before it opens)
    cannot all pass the count: one token holds at most 16 streams open at once."""
    a, _ = fleet
    quin = client(a, "quin", a.create_member("quin"))
    mine = quin.list_create("Mine")
    url = (f"ws://127.0.0.1:{a.port}/api/v1/streaming?stream=list&list={mine['id']}"
           f"&access_token={quin.access_token}")  # fmt: skip
    opened: list[bool] = []
    tried = threading.Semaphore(0)
    release = threading.Event()

    def connect() -> None:
        try:
            with websockets.sync.client.connect(url, open_timeout=30) as socket:
                socket.send("[1]")  # answered (400) only by a stream the node holds open
                if json.loads(socket.recv(timeout=30))["status"] == 400:
                    opened.append(True)
                tried.release()
                release.wait(60)  # held open until counted
        except (websockets.exceptions.InvalidStatus, websockets.exceptions.ConnectionClosed):
            tried.release()

    threads = [threading.Thread(target=connect) for _ in range(40)]
    for thread in threads:
        thread.start()
    try:
        for _ in threads:
            assert tried.acquire(timeout=60)
        assert 0 < len(opened) <= 16
    finally:
        release.set()
        for thread in threads:
            thread.join()


def test_only_a_token_that_reads_notifications_hears_them(fleet: list[NodeProcess]) -> None:
    a, _ = fleet
    password = a.create_member("rae")
    sam = client(a, "sam2", a.create_member("sam2"))
    statuses = a.app_token("rae", password, scope="read:statuses")
    notifications = a.app_token("rae", password, scope="read:notifications")
    refused = ServerSentEvents(a, statuses, "user/notification")
    assert refused.opened.wait(15) and refused.status == 404
    home = ServerSentEvents(a, statuses, "user")
    told = ServerSentEvents(a, notifications, "user/notification")
    try:
        assert home.opened.wait(15) and told.opened.wait(15) and told.status == 200
        sam.status_post("@rae the shelter has beds tonight")
        wait_for(lambda: told.payloads("notification"), what="the mention, on her notifications")
        settle(a)
        assert home.payloads("notification") == []
    finally:
        for reader in (refused, home, told):
            reader.close()
