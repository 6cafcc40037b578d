"""Web Push with real push receivers on loopback: the node encrypts each message for the app
and signs it with its VAPID key, as the app asked: RFC 8291 and RFC 8292 (`standard`), or
the drafts Mastodon sent before, which Mastodon.py's own decryption reads. The receiver
decrypts what it gets and checks the signature against the node's `server_key`. A 410 from
the push service ends the subscription; a 503 is tried again."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import http_ece
import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError, MastodonNotFoundError

from tests.clients.test_mastodon_py import client
from tests.rig.databases import SQLiteDatabases
from tests.rig.listeners import LoopbackServer
from tests.rig.nodes import NodeProcess, free_port, wait_for

pytestmark = pytest.mark.processes
EVENTS = {"mention_events": True, "follow_events": True, "favourite_events": False}


class PushService:
    """A push service on loopback: keeps every message, answers the next of `answers`
    (201 once they are used up)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.answers: list[int] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                time.sleep(delay)
                length = int(self.headers.get("content-length", "0"))
                service.received.append(
                    ({k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length))
                )
                self.send_response(service.answers.pop(0) if service.answers else 201)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = LoopbackServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService()
    yield service
    service.server.shutdown()
    service.server.server_close()


@pytest.fixture
def quick_node(sqlite_databases: SQLiteDatabases, tmp_path: Path) -> Iterator[NodeProcess]:
    """A node that tries a failed push again within a second (30 s × 0.01)."""
    harbour = NodeProcess(
        port=free_port(), data_dir=tmp_path / "node", database_url=sqlite_databases.create()
    )
    harbour.extra_env["HARBOUR_TEST_RETRY_SCALE"] = "0.01"
    try:
        harbour.start()
        yield harbour
    finally:
        harbour.stop()
        sqlite_databases.drop(harbour.database_url)


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_checked(token: str, key: str, audience: str) -> None:
    """Raises unless `token` is a JWT for `audience` signed (ES256) by the public `key`."""
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(key))
    head, claims, signature = token.split(".")
    raw = unb64(signature)
    public.verify(
        encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:])),
        f"{head}.{claims}".encode(),
        ec.ECDSA(hashes.SHA256()),
    )
    assert json.loads(unb64(claims))["aud"] == audience


def standard_vapid(headers: dict[str, str], audience: str) -> str:
    """The key that validly signed an RFC 8292 `Authorization: vapid t=…, k=…`."""
    scheme, _, params = headers["authorization"].partition(" ")
    assert scheme == "vapid"
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    jwt_checked(fields["t"], fields["k"], audience)
    return fields["k"]


def draft_vapid(headers: dict[str, str], audience: str) -> str:
    """The key that validly signed a draft `Authorization: WebPush <JWT>`, given as
    `p256ecdsa` in `Crypto-Key` (Mastodon's older form)."""
    scheme, _, token = headers["authorization"].partition(" ")
    assert scheme == "WebPush"
    fields = dict(part.strip().split("=", 1) for part in headers["crypto-key"].split(";"))
    jwt_checked(token, fields["p256ecdsa"], audience)
    return fields["p256ecdsa"]


def opened(body: bytes, private: dict[str, Any]) -> dict[str, Any]:
    """An RFC 8291 (aes128gcm) message decrypted with the app's keys."""
    return json.loads(
        http_ece.decrypt(
            body,
            private_key=ec.derive_private_key(private["privkey"], ec.SECP256R1()),
            auth_secret=private["auth"],
            version="aes128gcm",
        )
    )


def speaks(node: NodeProcess, api: Mastodon, language: str) -> None:
    """The member's interface language."""
    httpx.patch(
        f"http://127.0.0.1:{node.port}/api/v1/accounts/update_credentials",
        data={"source[language]": language},
        headers={"Authorization": f"Bearer {api.access_token}"},
    ).raise_for_status()


def test_a_standard_subscription_is_pushed_in_her_language_retried_and_ended_when_gone(
    quick_node: NodeProcess, push_service: PushService
) -> None:
    """An app that asks for the standard (as Elk and Ivory do, with a JSON body)."""
    node = quick_node
    alice = client(node, "alice", node.create_member("alice"), ["read", "write", "push"])
    bob = client(node, "bob", node.create_member("bob"))
    speaks(node, alice, "ro")
    private, public = alice.push_subscription_generate_keys()
    with httpx.Client(base_url=f"http://127.0.0.1:{node.port}") as http:
        instance = http.get("/api/v2/instance").json()
        made = http.post(
            "/api/v1/push/subscription",
            json={
                "subscription": {
                    "endpoint": f"{push_service.origin}/push/alice",
                    "keys": {
                        "p256dh": base64.urlsafe_b64encode(public["pubkey"]).decode(),
                        "auth": base64.urlsafe_b64encode(public["auth"]).decode(),
                    },
                    "standard": True,
                },
                "data": {"alerts": {"mention": True, "favourite": False}, "policy": "all"},
            },
            headers={"Authorization": f"Bearer {alice.access_token}"},
        ).json()
    assert made["server_key"] == instance["configuration"]["vapid"]["public_key"]
    assert made["standard"] is True and made["alerts"]["mention"]
    assert not made["alerts"]["favourite"]

    posted = alice.status_post("Anyone at the drop-in tonight?")
    bob.status_favourite(posted.id)  # a favourite: not wanted
    push_service.answers = [503]  # the push service is busy once: the node tries again
    bob.status_post("@alice yes, I will be there at eight")
    wait_for(lambda: len(push_service.received) == 2, what="the mention, pushed twice")
    (first_headers, first), (headers, body) = push_service.received
    assert opened(first, private)["notification_id"] == opened(body, private)["notification_id"]
    assert headers["content-encoding"] == "aes128gcm" and int(headers["ttl"]) > 0
    assert headers["urgency"] == "normal"
    assert standard_vapid(headers, push_service.origin) == made["server_key"]
    message = opened(body, private)
    assert message["notification_type"] == "mention"
    assert message["preferred_locale"] == "ro"
    assert message["title"] == "@bob te-a menționat"
    assert message["body"] == "@alice yes, I will be there at eight"
    assert message["access_token"] == alice.access_token
    assert message["icon"].startswith(node.base_url)  # never another server's address

    # The push service says the subscription is gone: the node forgets it.
    push_service.answers = [410]
    bob.status_post("@alice see you there")
    wait_for(lambda: len(push_service.received) == 3, what="the second mention's push")

    def forgotten() -> bool:
        try:
            alice.push_subscription()
        except MastodonNotFoundError:
            return True
        return False

    wait_for(forgotten, what="the subscription removed after a 410")
    assert opened(push_service.received[2][1], private)["body"] == "@alice see you there"


def test_a_mention_from_another_node_reaches_mastodon_py_as_mastodon_sends_it(
    two_nodes: tuple[NodeProcess, NodeProcess], push_service: PushService
) -> None:
    """Mastodon.py does not ask for the standard: the node sends Mastodon's older form, which
    Mastodon.py's own push_subscription_decrypt_push reads. Mutes, the alerts chosen and the
    content warning are kept on the phone as in the app."""
    a, b = two_nodes
    alice = client(a, "alice", a.create_member("alice"), ["read", "write", "follow", "push"])
    carol = client(a, "carol", a.create_member("carol"))
    bob = client(b, "bob", b.create_member("bob"))
    speaks(a, alice, "ro")
    bob.account_update_credentials(note="Volunteer at the food bank")
    app = httpx.post(
        f"http://127.0.0.1:{a.port}/api/v1/apps",
        data={"client_name": "Phone", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"},
    ).json()
    private, public = alice.push_subscription_generate_keys()
    made = alice.push_subscription_set(
        f"{push_service.origin}/push/alice", public, follow_request_events=True, **EVENTS
    )
    assert made.server_key == app["vapid_key"] and made.standard is False

    [carol_there] = alice.account_search("carol")
    alice.account_mute(carol_there.id)
    carol.status_post("@alice are you coming?")  # muted: never pushed
    [alice_there] = bob.search_v2(f"@alice@{a.domain}", resolve=True).accounts
    bob.status_post(
        f"@alice@{a.domain} the new address is 4 Mill Lane", spoiler_text="Meeting place"
    )
    wait_for(lambda: len(push_service.received) == 1, what="bob's mention, pushed")

    alice.push_subscription_update(mention_events=False)
    bob.status_post(f"@alice@{a.domain} did you get my message?")  # not wanted any more
    bob.account_follow(alice_there.id)  # she approves followers from other servers
    wait_for(lambda: len(push_service.received) == 2, what="bob's follow request, pushed")

    def decrypted(headers: dict[str, str], body: bytes) -> Any:
        assert headers["content-encoding"] == "aesgcm"
        assert draft_vapid(headers, push_service.origin) == made.server_key
        return alice.push_subscription_decrypt_push(
            body, private, headers["encryption"], headers["crypto-key"]
        )

    mention, follow = (decrypted(*message) for message in push_service.received)
    assert mention.notification_type == "mention"
    assert mention.title == "bob te-a menționat"  # the name bob's server gives
    assert mention.body == "Meeting place"  # the warning, not what it hides
    assert mention.access_token == alice.access_token
    assert follow.notification_type == "follow_request"
    assert follow.title == "bob a cerut să te urmărească"
    assert follow.body == "Volunteer at the food bank"


def test_subscriptions_change_and_end_with_the_app(node: NodeProcess) -> None:
    password = node.create_member("alice")
    alice = client(node, "alice", password, ["read", "write", "push"])
    _, public = alice.push_subscription_generate_keys()
    for wrong in ("https://push.example/" + "x" * 2048, "https://push example/x"):
        with pytest.raises(MastodonAPIError, match="must be an https address"):
            alice.push_subscription_set(wrong, public, mention_events=True)
    not_on_the_curve = {**public, "pubkey": b"\x04" + b"\x01" * 64}  # 65 bytes, not a key
    with pytest.raises(MastodonAPIError, match="P-256"):
        alice.push_subscription_set("http://127.0.0.1:9/push", not_on_the_curve)
    alice.push_subscription_set("http://127.0.0.1:9/push", public, mention_events=True)
    changed = alice.push_subscription_update(follow_events=True, policy="followed")
    assert changed.alerts.mention and changed.alerts.follow and changed.policy == "followed"
    alice.push_subscription_delete()
    with pytest.raises(MastodonNotFoundError):
        alice.push_subscription()
    reader = client(node, "alice", password, ["read"])
    with pytest.raises(MastodonAPIError, match="outside the authorized scopes"):
        reader.push_subscription()  # a token without the push scope


def test_a_slow_push_service_holds_up_nobody_elses_pushes(quick_node: NodeProcess) -> None:
    """A member chooses her push endpoint: one that answers slowly delays only her own."""
    node, slow, fast = quick_node, PushService(delay=8.0), PushService()
    try:
        members = {
            name: client(node, name, node.create_member(name), ["read", "write", "push"])
            for name in ("sloane", "faye", "bob")
        }
        for name, service in (("sloane", slow), ("faye", fast)):
            _, public = members[name].push_subscription_generate_keys()
            members[name].push_subscription_set(f"{service.origin}/push/{name}", public, **EVENTS)
        members["bob"].status_post("@sloane @faye the van is at the station")
        started = time.monotonic()
        wait_for(lambda: len(fast.received) == 1, what="faye's push")
        assert time.monotonic() - started < 6, "faye's push waited for sloane's slow service"
        wait_for(lambda: len(slow.received) == 1, what="sloane's push, in the end")
    finally:
        for service in (slow, fast):
            service.server.shutdown()
            service.server.server_close()
