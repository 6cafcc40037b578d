"""Web Push: a member's notifications, pushed to her phone's push service by the worker.

Each pass, notifications newer than a subscription's last seen one become durable messages
(`push_messages`) if her policy and filters show them and the subscription wants their kind;
each message is then sent as RFC 8030 asks, its payload encrypted for her app (RFC 8291,
aes128gcm, with `http_ece`) and the request signed with the node's VAPID key (RFC 8292,
with `py_vapid`), or with the drafts of both for apps that did not ask for the standard, as
Mastodon does; through the node's one outbound client, so a push service is reached under
the same rules as any server (no private address outside development, bounded time). An
endpoint that answers 404 or 410 is gone: its subscription goes with it. 429, 5xx and
timeouts are tried again, later each time, MAX_ATTEMPTS in all.

`http_ece`, `py_vapid` and `cryptography` are imported when a key is first derived or a
message encrypted, not at start-up (`activitypub.keys` says why)."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, Exists, ForeignKey, Select, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, Mapped, mapped_column

from content import relationships
from content.accounts import Account
from content.notifications import Notification
from content.oauth import AccessToken
from content.orm import Base, new_id, utcnow
from content.posts import Post
from content.push_subscriptions import PushSubscription, b64url
from content.relationships import FollowState
from content.secret_box import SecretBox
from content.users import User
from federation import jobs
from federation.context import Federation
from federation.jobs import Job, claim_index
from federation.transport import BackedOff, FetchError
from moderation.policy import notification_view

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec

log = logging.getLogger("harbour.push")
BATCH = 20
MAX_ATTEMPTS = 6
FIRST_WAIT = timedelta(seconds=30)
TTL_SECONDS = 48 * 3600  # as Mastodon: a phone off for two days still gets them
# A notification that commits after one with a higher id, LATE at most after its own was
# taken, is still pushed, within LATE_EVERY seconds (`queue_late`); the mark of the highest
# id seen had passed it by for good (found by attack3: a boost that waited to queue its
# deliveries, and a favourite made meanwhile).
LATE = timedelta(minutes=2)
LATE_EVERY = 10.0
_P256_ORDER = int("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16)


@dataclass(frozen=True)
class PushText:
    """What the phone shows: a title and a short plain-text body in her language, and the
    sender's picture (a URL of this node, never another server's)."""

    title: str
    body: str
    icon: str


# title and body of a notification (its sender, its post if any) in a language: from `node`
Words = Callable[[Notification, Account, Post | None, str], PushText]


class PushMessage(Base, Job):
    """One notification to push to one subscription."""

    __tablename__ = "push_messages"
    __table_args__ = (claim_index("push_messages"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("push_subscriptions.id", ondelete="CASCADE"), index=True
    )
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@cache
def vapid_key(secret: str) -> ec.EllipticCurvePrivateKey:
    """The node's VAPID key, derived from its secret key: the same in every process of the
    node and across restarts, with nothing more to keep or back up."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    stretched = HKDF(hashes.SHA256(), 48, b"harbour", b"web push vapid key").derive(
        secret.encode("utf-8")
    )
    return ec.derive_private_key(int.from_bytes(stretched) % (_P256_ORDER - 1) + 1, ec.SECP256R1())


def server_key(key: ec.EllipticCurvePrivateKey) -> str:
    """The VAPID public key as apps are given it: base64url of the uncompressed point."""
    from cryptography.hazmat.primitives import serialization

    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(point)


@dataclass(frozen=True)
class Pusher:
    """What the worker pushes with: the node's secret key (its VAPID key is derived from it
    on the first push), its words for the phone, and the box that opens subscriptions'
    sealed tokens."""

    secret: str
    words: Words
    tokens: SecretBox

    @property
    def key(self) -> ec.EllipticCurvePrivateKey:
        """The node's VAPID key."""
        return vapid_key(self.secret)

    async def run_due(self, fed: Federation, *, late: bool = False) -> int:
        """Queue what is new (with `late`, what committed late too: the worker asks for it
        every LATE_EVERY seconds), then send what is due; how many were sent or given up."""
        async with fed.sessions() as session:
            if late:
                await queue_late(session)  # what it queues is due: the SELECT below sees it
            if not await session.scalar(_anything_due()):
                return 0  # one plain SELECT, where a read, a claim and two commits were
            await queue_new(session)
            await session.commit()
            claimed = await jobs.claim_due(session, PushMessage, BATCH, lease=jobs.LEASE)
        # At once: a push service that takes its time (a member chooses the endpoint) holds
        # up the batch for one deadline, not one deadline for each message before it.
        sent = await asyncio.gather(*(_send(fed, self, m) for m in claimed), return_exceptions=True)
        for failure in sent:
            if isinstance(failure, BaseException):
                raise failure
        return len(claimed)


@cache  # built on the first pass, not at import (mappers are configured after start-up)
def _anything_due() -> Select[bool]:
    """Whether a subscription has notifications to queue or a message is due, in one
    SELECT."""
    messages = select(PushMessage.id).where(*jobs.due_now(PushMessage, jobs.run_time(PushMessage)))
    return select(or_(select(PushSubscription.id).where(_newer()).exists(), messages.exists()))


def _newer() -> Exists:
    """A subscription has notifications newer than its last seen one."""
    return exists().where(
        Notification.account_id == PushSubscription.account_id,
        Notification.id > PushSubscription.seen_notification_id,
    )


async def queue_new(session: AsyncSession) -> int:
    """Messages for the notifications newer than each subscription's last seen one."""
    queued = 0
    for subscription in await session.scalars(_taken(_newer())):
        newest = await session.scalar(
            select(func.max(Notification.id)).where(
                Notification.account_id == subscription.account_id
            )
        )
        if newest is None:
            continue
        newer = Notification.id > subscription.seen_notification_id
        added = await _queue(session, subscription, newer, Notification.id <= newest)
        if added is not None:
            queued += added
            subscription.seen_notification_id = newest
    return queued


def _taken(condition: ColumnElement[bool]) -> Select[PushSubscription]:
    """Up to 200 subscriptions that meet `condition`, held (PostgreSQL: FOR UPDATE) until the
    pass commits, and those another worker holds passed over: with two workers on one
    database, both passes queued the same notifications, and the phone got each twice
    (found by attack3). What another pass queued is seen once it commits: the statements
    after the lock read anew."""
    return select(PushSubscription).where(condition).limit(200).with_for_update(skip_locked=True)


def _late_floor() -> int:
    """The lowest id a notification made LATE ago could have (`content.orm.new_id`)."""
    return int((time.time() - LATE.total_seconds()) * 1000) << 16


def _unqueued(subscription_id: int | InstrumentedAttribute[int]) -> ColumnElement[bool]:
    """The notification has no message for the subscription yet."""
    return ~exists().where(
        PushMessage.subscription_id == subscription_id,
        PushMessage.notification_id == Notification.id,
    )


async def queue_late(session: AsyncSession) -> int:
    """Messages for the notifications of the last LATE at or below a subscription's last
    seen one that have none: they committed after a notification with a higher id (an id
    is taken when the row is written, and its transaction may end after another's), so
    `queue_new` passed them by. Never one older than the subscription (its id, a
    `new_id` too): a new one starts at her newest notification, and what came before it
    was for the phone she had then."""
    floor = _late_floor()
    late = exists().where(
        Notification.account_id == PushSubscription.account_id,
        Notification.id > floor,
        Notification.id > PushSubscription.id,
        Notification.id <= PushSubscription.seen_notification_id,
        _unqueued(PushSubscription.id),
    )
    queued = 0
    for subscription in await session.scalars(_taken(late)):
        seen = Notification.id <= subscription.seen_notification_id
        since = Notification.id > max(floor, subscription.id)
        within = (since, seen, _unqueued(subscription.id))
        queued += await _queue(session, subscription, *within) or 0
    return queued


async def _queue(
    session: AsyncSession, subscription: PushSubscription, *where: ColumnElement[bool]
) -> int | None:
    """Messages for the subscription's notifications that meet `where`, if her policy and
    filters show them and the subscription wants their kind; how many (None: she is gone)."""
    member = await session.get(Account, subscription.account_id)
    if member is None:
        return None
    view = await notification_view(session, member)
    shown = await session.scalars(
        select(Notification)
        .join(Account, Account.id == Notification.from_account_id)  # `view` reads its domain
        .where(
            Account.suspended_at.is_(None),
            Notification.account_id == member.id,
            *where,
            *view.shown(),
        )
    )
    wanted = subscription.wanted()
    queued = 0
    for notification in shown:
        if wanted.get(notification.type) and await _allowed(
            session, subscription, member, notification
        ):
            session.add(
                PushMessage(subscription_id=subscription.id, notification_id=notification.id)
            )
            queued += 1
    return queued


async def _allowed(
    session: AsyncSession,
    subscription: PushSubscription,
    member: Account,
    notification: Notification,
) -> bool:
    """The subscription's policy: from anyone, from accounts she follows, from her
    followers, or from nobody."""
    if subscription.policy == "all":
        return True
    if subscription.policy == "none":
        return False
    sender = await session.get(Account, notification.from_account_id)
    if sender is None:
        return False
    if subscription.policy == "followed":
        return notification.from_account_id in await relationships.followed_ids(session, member)
    follow = await relationships.find_follow(session, sender, member)
    return follow is not None and follow.state == FollowState.ACCEPTED


async def _send(fed: Federation, pusher: Pusher, message: PushMessage) -> None:
    async with fed.sessions() as session:
        held = await jobs.still_claimed(session, PushMessage, message.id, message.claim or "")
        found = await _parts(session, message) if held else None
        if held is None:
            return
        if found is None:
            jobs.finish(held, "dropped")  # its token was revoked, or its rows are gone
            await session.commit()
            return
        subscription, notification, sender, post, language = found
        text = pusher.words(notification, sender, post, language)
        sealed = subscription.sealed_token
        payload = json.dumps(
            {
                "access_token": (pusher.tokens.open(sealed) if sealed else None) or "",
                "preferred_locale": language,
                "notification_id": str(notification.id),
                "notification_type": notification.type,
                "icon": text.icon,
                "title": text.title,
                "body": text.body,
            }
        ).encode("utf-8")
        endpoint = subscription.endpoint
        try:
            body, sealing = encrypt(payload, subscription, pusher.key, fed.base_url)
        except ValueError:  # its keys cannot be encrypted for (kept from before they were checked)
            jobs.finish(held, "dropped")
            await session.commit()
            return
        headers = {
            "content-type": "application/octet-stream",
            "ttl": str(TTL_SECONDS),
            "urgency": "normal",
            **sealing,
        }
        await session.commit()  # no lock held while the push service answers
    asked = True
    try:
        answer = await fed.transport.post_bytes(endpoint, body, headers)
        status, error = answer.status, f"answered {answer.status}"
    except FetchError as failure:
        status, error, asked = 0, str(failure), not isinstance(failure, BackedOff)
    async with fed.sessions() as session:
        held = await jobs.still_claimed(session, PushMessage, message.id, message.claim or "")
        if held is None:
            return
        if 200 <= status < 300:
            jobs.finish(held, "sent")
        elif status in (404, 410):
            gone = await session.get(PushSubscription, held.subscription_id)
            if gone is not None:
                await session.delete(gone)  # its messages go with it
            log.info("a push endpoint is gone (%s); its subscription was removed", status)
        elif status == 0 or status == 429 or status >= 500:
            wait = FIRST_WAIT * (4**held.attempts) * fed.retry_scale
            # Not asked (its host timed out for another's message a moment ago, perhaps a
            # member's endpoint that answers slowly on purpose): no attempt is spent, until
            # the message is older than a phone would still want it.
            held.attempts += 1 if asked else 0
            stale = utcnow() - held.created_at > timedelta(seconds=TTL_SECONDS)
            again = held.attempts < MAX_ATTEMPTS and not stale
            jobs.retry(held, wait if again else None, error, final_state="failed")
        else:
            jobs.retry(held, None, error, final_state="failed")
        await session.commit()


async def _parts(
    session: AsyncSession, message: PushMessage
) -> tuple[PushSubscription, Notification, Account, Post | None, str] | None:
    """What a message needs, if its subscription's token still works."""
    subscription = await session.get(PushSubscription, message.subscription_id)
    notification = await session.get(Notification, message.notification_id)
    if subscription is None or notification is None:
        return None
    token = await session.get(AccessToken, subscription.access_token_id)
    sender = await session.get(Account, notification.from_account_id)
    if token is None or token.revoked_at is not None or sender is None:
        return None
    post = await session.get(Post, notification.post_id) if notification.post_id else None
    # Her login's language, whichever identity the app acts as (a nickname, the organisation).
    login = await session.get(User, token.account_id) if token.account_id else None
    return subscription, notification, sender, post, (login.language if login else None) or "en"


def encrypt(
    payload: bytes, subscription: PushSubscription, key: ec.EllipticCurvePrivateKey, base_url: str
) -> tuple[bytes, dict[str, str]]:
    """The payload encrypted for the subscription's app with a new key each time, and the
    headers that go with it: RFC 8291 (aes128gcm) and RFC 8292 VAPID for a `standard`
    subscription; otherwise the drafts Mastodon sent before (aesgcm, its salt and key in
    `Encryption` and `Crypto-Key`, and `Authorization: WebPush`), which apps that do not ask
    for the standard decrypt."""
    import http_ece
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from py_vapid import Vapid01, Vapid02

    sender = ec.generate_private_key(ec.SECP256R1())
    keys = {"private_key": sender, "dh": _unb64url(subscription.p256dh)}
    auth = _unb64url(subscription.auth)
    parts = urlsplit(subscription.endpoint)
    claims = {
        "aud": f"{parts.scheme}://{parts.netloc}",
        "exp": int(time.time()) + 12 * 3600,
        "sub": "https://" + base_url.split("://", 1)[-1],  # the node, as RFC 8292 asks
    }
    # not py_vapid's strict check, which refuses a host with a port (development nodes)
    conf = {"no-strict": True}
    if subscription.standard:
        body = http_ece.encrypt(payload, auth_secret=auth, version="aes128gcm", **keys)
        signed = Vapid02(key, conf=conf).sign(claims)
        return bytes(body), {
            "content-encoding": "aes128gcm",
            "authorization": signed["Authorization"],
        }
    salt = os.urandom(16)
    body = http_ece.encrypt(payload, salt=salt, auth_secret=auth, version="aesgcm", **keys)
    dh = sender.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    signed = Vapid01(key, conf=conf).sign(claims, crypto_key=f"dh={b64url(dh)}")
    return bytes(body), {
        "content-encoding": "aesgcm",
        "encryption": f"salt={b64url(salt)}",
        "crypto-key": signed["Crypto-Key"],
        "authorization": signed["Authorization"],
    }


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
