"""Web Push subscriptions: one per app token, as Mastodon keeps them. Each says where the
member's phone is reached (the push service's endpoint, and the keys her app made), which
kinds of notification it wants, and from whom (`policy`)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import ForeignKey, String, Text, delete, false, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content.accounts import Account
from content.interface_text import N_
from content.notifications import Notification
from content.orm import Base, new_id, utcnow
from content.secret_box import SecretBox

ALERTS = (
    "mention", "status", "reblog", "follow", "follow_request", "favourite", "poll", "update",
    "admin.sign_up", "admin.report",
)  # fmt: skip
POLICIES = ("all", "followed", "follower", "none")
MAX_ENDPOINT = 2048
MAX_PER_MEMBER = 20  # her apps and devices; a new one beyond it replaces her oldest
BAD_PUBLIC_KEY = N_("the subscription's p256dh key is not a P-256 public key")
BAD_SECRET = N_("the subscription's auth secret is not 16 bytes")
ENDPOINT = N_("the subscription's endpoint must be an https address of at most 2048 characters")
_HOST = re.compile(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?")


class PushError(ValueError):
    """A subscription that cannot be made; the message says why."""


class PushSubscription(Base):
    """Where to push a member's notifications for one app token."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    access_token_id: Mapped[int] = mapped_column(
        ForeignKey("access_tokens.id", ondelete="CASCADE"), unique=True
    )
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    endpoint: Mapped[str] = mapped_column(String(MAX_ENDPOINT))
    p256dh: Mapped[str] = mapped_column(String(128))  # her app's public key, base64url
    auth: Mapped[str] = mapped_column(String(64))  # her app's secret, base64url
    alerts: Mapped[str] = mapped_column(Text, default="{}")  # JSON: alert -> bool
    policy: Mapped[str] = mapped_column(String(16), default="all")
    # RFC 8291 aes128gcm if the app asked for it (`standard`), else Mastodon's older draft
    # encoding (aesgcm), which apps that do not say expect.
    standard: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The app's token, sealed (`secret_box`): pushes carry it, so an app signed in to several
    # accounts can tell whose notification it is; the node otherwise keeps only its digest.
    sealed_token: Mapped[str | None] = mapped_column(Text, default=None)
    # The newest notification already considered: only newer ones are pushed.
    seen_notification_id: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def wanted(self) -> dict[str, bool]:
        """The alerts, every kind named."""
        chosen = json.loads(self.alerts or "{}")
        return {kind: bool(chosen.get(kind, False)) for kind in ALERTS}


def key_bytes(text: str, size: int, error: str) -> bytes:
    """A key as apps send it (base64 or base64url, padded or not), checked for its size;
    PushError(`error`) if it is not one."""
    cleaned = text.strip().replace("-", "+").replace("_", "/")
    try:
        raw = base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != size:
        raise PushError(error)
    return raw


def public_key_bytes(text: str) -> bytes:
    """An app's `p256dh`: an uncompressed point that is on the P-256 curve (65 bytes of
    anything else would fail every push made for it); PushError otherwise."""
    raw = key_bytes(text, 65, BAD_PUBLIC_KEY)
    from cryptography.hazmat.primitives.asymmetric import ec  # not at start-up: ~7 MiB

    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        raise PushError(BAD_PUBLIC_KEY) from None
    return raw


def token_box(node_secret_key: str) -> SecretBox:
    """What subscriptions' tokens are sealed with."""
    return SecretBox(node_secret_key, b"harbour push tokens")


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def check_endpoint(endpoint: str, *, allow_http: bool) -> str:
    """The push service's URL: https (http only in development), of bounded length."""
    parts = urlsplit(endpoint.strip())
    schemes = ("https", "http") if allow_http else ("https",)
    host = parts.hostname or ""
    if (
        len(endpoint) > MAX_ENDPOINT
        or parts.scheme not in schemes
        or not (_HOST.fullmatch(host) or host.count(":") > 1)
    ):
        raise PushError(ENDPOINT)
    return endpoint.strip()


async def subscribe(
    session: AsyncSession,
    *,
    token_id: int,
    member: Account,
    endpoint: str,
    p256dh: bytes,
    auth: bytes,
    alerts: dict[str, bool],
    policy: str,
    standard: bool,
    sealed_token: str,
) -> PushSubscription:
    """Make the token's subscription (a new one replaces the old, as in Mastodon); only
    notifications from now on are pushed."""
    await session.execute(
        delete(PushSubscription).where(PushSubscription.access_token_id == token_id)
    )
    held = list(
        await session.scalars(
            select(PushSubscription.id)
            .where(PushSubscription.account_id == member.id)
            .order_by(PushSubscription.id)
        )
    )
    if len(held) >= MAX_PER_MEMBER:
        await session.execute(
            delete(PushSubscription).where(
                PushSubscription.id.in_(held[: len(held) - MAX_PER_MEMBER + 1])
            )
        )
    newest = await session.scalar(
        select(func.max(Notification.id)).where(Notification.account_id == member.id)
    )
    row = PushSubscription(
        access_token_id=token_id,
        account_id=member.id,
        endpoint=endpoint,
        p256dh=b64url(p256dh),
        auth=b64url(auth),
        alerts=json.dumps({kind: bool(alerts.get(kind)) for kind in ALERTS}),
        policy=policy if policy in POLICIES else "all",
        standard=standard,
        sealed_token=sealed_token,
        seen_notification_id=newest or 0,
    )
    session.add(row)
    await session.flush()
    return row


def change(row: PushSubscription, alerts: dict[str, bool], policy: str | None) -> None:
    """Change the alerts named (the others stay) and the policy, if given."""
    merged = {**row.wanted(), **{k: bool(v) for k, v in alerts.items() if k in ALERTS}}
    row.alerts = json.dumps(merged)
    if policy in POLICIES:
        row.policy = policy


async def of_token(session: AsyncSession, token_id: int) -> PushSubscription | None:
    return await session.scalar(
        select(PushSubscription).where(PushSubscription.access_token_id == token_id)
    )


async def remove(session: AsyncSession, token_id: int) -> None:
    await session.execute(
        delete(PushSubscription).where(PushSubscription.access_token_id == token_id)
    )
