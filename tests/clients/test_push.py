"""Web Push with Mastodon.py and a real push receiver on loopback: the node encrypts each
message for the app (RFC 8291) and signs it with its VAPID key (RFC 8292); the receiver
decrypts it with the keys Mastodon.py made and checks the signature. A 410 from the push
service ends the subscription."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from mastodon.errors import MastodonAPIError, MastodonNotFoundError

from tests.clients.test_mastodon_py import client
from tests.rig.nodes import NodeProcess, wait_for

pytestmark = pytest.mark.processes
EVENTS = {"mention_events": True, "follow_events": True, "favourite_events": False}


class PushService:
    """A push service on loopback: keeps every message, answers `status`."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 201
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                service.received.append(
                    ({k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length))
                )
                self.send_response(service.status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService()
    yield service
    service.server.shutdown()
    service.server.server_close()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def vapid_checked(headers: dict[str, str], audience: str) -> str:
    """The VAPID key that validly signed a message for `audience` (RFC 8292)."""
    scheme, _, params = headers["authorization"].partition(" ")
    assert scheme == "vapid"
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(fields["k"]))
    head, claims, signature = fields["t"].split(".")
    raw = unb64(signature)
    key.verify(
        encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:])),
        f"{head}.{claims}".encode(),
        ec.ECDSA(hashes.SHA256()),
    )  # raises if the signature is wrong
    assert json.loads(unb64(claims))["aud"] == audience
    return fields["k"]


def test_a_mention_is_pushed_in_her_language_and_a_gone_endpoint_ends_it(
    node: NodeProcess, push_service: PushService
) -> None:
    alice = client(node, "alice", node.create_member("alice"), ["read", "write", "push"])
    bob = client(node, "bob", node.create_member("bob"))
    with httpx.Client(base_url=f"http://127.0.0.1:{node.port}") as http:
        http.patch(
            "/api/v1/accounts/update_credentials",
            data={"source[language]": "ro"},
            headers={"Authorization": f"Bearer {alice.access_token}"},
        ).raise_for_status()
        instance = http.get("/api/v2/instance").json()
    private, public = alice.push_subscription_generate_keys()
    made = alice.push_subscription_set(f"{push_service.origin}/push/alice", public, **EVENTS)
    assert made.server_key == instance["configuration"]["vapid"]["public_key"]
    assert made.alerts.mention and made.alerts.follow and not made.alerts.favourite

    posted = alice.status_post("Anyone at the drop-in tonight?")
    bob.status_favourite(posted.id)  # a favourite: not wanted
    bob.status_post("@alice yes, I will be there at eight")
    wait_for(lambda: len(push_service.received) == 1, what="the pushed mention")
    headers, body = push_service.received[0]
    assert headers["content-encoding"] == "aes128gcm" and int(headers["ttl"]) > 0
    assert vapid_checked(headers, push_service.origin) == made.server_key
    opened = json.loads(
        http_ece.decrypt(
            body,
            private_key=ec.derive_private_key(private["privkey"], ec.SECP256R1()),
            auth_secret=private["auth"],
            version="aes128gcm",
        )
    )
    assert opened["notification_type"] == "mention"
    assert opened["preferred_locale"] == "ro"
    assert opened["title"] == "@bob te-a menționat"
    assert opened["body"] == "@alice yes, I will be there at eight"
    assert opened["icon"].startswith(node.base_url)  # never another server's address

    # The push service says the subscription is gone: the node forgets it.
    push_service.status = 410
    bob.status_post("@alice see you there")
    wait_for(lambda: len(push_service.received) == 2, what="the second push")

    def forgotten() -> bool:
        try:
            alice.push_subscription()
        except MastodonNotFoundError:
            return True
        return False

    wait_for(forgotten, what="the subscription removed after a 410")
    assert [json.loads(http_ece.decrypt(b, private_key=ec.derive_private_key(
        private["privkey"], ec.SECP256R1()), auth_secret=private["auth"], version="aes128gcm")
    )["notification_type"] for _, b in push_service.received] == ["mention", "mention"]  # fmt: skip


def test_subscriptions_change_and_end_with_the_app(node: NodeProcess) -> None:
    password = node.create_member("alice")
    alice = client(node, "alice", password, ["read", "write", "push"])
    _, public = alice.push_subscription_generate_keys()
    for wrong in ("https://push.example/" + "x" * 2048, "https://push example/x"):
        with pytest.raises(MastodonAPIError, match="must be an https address"):
            alice.push_subscription_set(wrong, public, mention_events=True)
    alice.push_subscription_set("http://127.0.0.1:9/push", public, mention_events=True)
    changed = alice.push_subscription_update(follow_events=True, policy="followed")
    assert changed.alerts.mention and changed.alerts.follow and changed.policy == "followed"
    alice.push_subscription_delete()
    with pytest.raises(MastodonNotFoundError):
        alice.push_subscription()
    reader = client(node, "alice", password, ["read"])
    with pytest.raises(MastodonAPIError, match="outside the authorized scopes"):
        reader.push_subscription()  # a token without the push scope
