"""Accounts: local members, organisations and groups, and cached remote actors.

A row with `domain IS NULL` is local. Every actor endpoint is stored as a URI, for local and
remote accounts alike, so rendering an actor never needs to know the node's base URL.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Select,
    String,
    Text,
    false,
    func,
    not_,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, Mapped, mapped_column, validates

from activitypub import Actor, ActorType, KeyPair, integrity, web_url
from activitypub.hostnames import InvalidHost, check_canonical
from content.domain_match import on_any
from content.interface_text import N_, Message
from content.orm import Base, new_id, partial_index, utcnow
from content.sanitize import clean_html, in_thread

USERNAME_PATTERN = re.compile(r"^[a-z0-9_]{1,30}$")
RESERVED_USERNAMES = frozenset(
    {
        "about",
        "actor",
        "api",
        "health",
        "inbox",
        "instance",
        "invite",
        "login",
        "logout",
        "nodeinfo",
        "oauth",
        "root",
        "settings",
        "static",
        "users",
        "www",
    }
)
LOCAL_KINDS = (ActorType.PERSON, ActorType.ORGANIZATION, ActorType.GROUP)


class UsernameError(ValueError):
    """A username is malformed, reserved or taken; the message is fit to show the user."""


class Account(Base):
    """An actor: local (domain is NULL) or a cached copy of a remote one."""

    __tablename__ = "accounts"
    __table_args__ = (
        partial_index(
            "uq_accounts_local_username", "username", unique=True, where=text("domain IS NULL")
        ),
        # The suspended accounts alone, by server: a delivery claim asks which of its 1,000
        # hosts and inboxes are a suspended account's (`federation.withholding`), which read
        # every account when most are not suspended (12 ms a claim on PostgreSQL).
        partial_index(
            "ix_accounts_suspended_domain", "domain", where=text("suspended_at IS NOT NULL")
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(255))
    domain: Mapped[str | None] = mapped_column(String(255), index=True)
    actor_type: Mapped[str] = mapped_column(String(32))
    display_name: Mapped[str] = mapped_column(String(255), default="")
    summary_html: Mapped[str] = mapped_column(Text, default="")
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    url: Mapped[str] = mapped_column(String(2048))
    # Both looked up by a worker's claim (`federation.withholding`).
    inbox_uri: Mapped[str] = mapped_column(String(2048), index=True)
    outbox_uri: Mapped[str | None] = mapped_column(String(2048))
    shared_inbox_uri: Mapped[str | None] = mapped_column(String(2048), index=True)
    followers_uri: Mapped[str | None] = mapped_column(String(2048))
    following_uri: Mapped[str | None] = mapped_column(String(2048))
    featured_uri: Mapped[str | None] = mapped_column(String(2048))
    key_id: Mapped[str] = mapped_column(String(2048), index=True)
    public_key_pem: Mapped[str] = mapped_column(Text)
    private_key_pem: Mapped[str | None] = mapped_column(Text)
    # The Ed25519 key of FEP-8b32 integrity proofs (FEP-521a `assertionMethod`): its id and
    # publicKeyMultibase for every account that publishes one, the secret for local ones.
    assertion_key_id: Mapped[str | None] = mapped_column(String(2048))
    assertion_key: Mapped[str | None] = mapped_column(String(128))
    ed25519_secret: Mapped[str | None] = mapped_column(Text)
    manually_approves_followers: Mapped[bool] = mapped_column(default=False)
    discoverable: Mapped[bool] = mapped_column(default=False)
    bot: Mapped[bool] = mapped_column(default=False)
    # A member's choice: her public posts are shown on the web pages to signed-in viewers only.
    hide_from_guests: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The member's own words behind `summary_html`, for editing (local accounts only).
    note_text: Mapped[str] = mapped_column(Text, default="")
    # Profile fields: [{"name": ..., "value": ...}], plain text.
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    avatar_url: Mapped[str | None] = mapped_column(String(2048))
    header_url: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    fetched_at: Mapped[datetime | None]
    suspended_at: Mapped[datetime | None]
    # Limited by a moderator: out of public timelines, its follows of members need approval.
    silenced_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    # Joined with an invite while registrations need approval, and not approved yet: it cannot
    # sign in, and nobody here or elsewhere can find it.
    awaiting_approval: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Moves (`content.moves`): the account's other ids (`alsoKnownAs`: a member's aliases,
    # a remote actor's as it publishes them), where it moved to, and when a move was applied.
    also_known_as: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    moved_to_uri: Mapped[str | None] = mapped_column(String(2048))
    moved_at: Mapped[datetime | None]

    @validates("domain")
    def _domain_names_a_host(self, _key: str, value: str | None) -> str | None:
        """NULL means local: an empty domain would show a remote account as local."""
        if value is not None and not value:
            raise ValueError("a remote account needs the host it lives on")
        return value

    @property
    def is_local(self) -> bool:
        return self.domain is None

    @property
    def handle(self) -> str:
        """`name@domain` for remote accounts, `name` for local ones."""
        return self.username if self.domain is None else f"{self.username}@{self.domain}"

    @property
    def delivery_inbox(self) -> str:
        """Where activities for this account go: its server's shared inbox if it has one."""
        return self.shared_inbox_uri or self.inbox_uri

    @property
    def is_gone(self) -> bool:
        """Deleted, suspended or awaiting approval: the actor is not shown."""
        return (
            self.deleted_at is not None or self.suspended_at is not None or self.awaiting_approval
        )


@dataclass(frozen=True)
class LocalActorUris:
    """Where a local actor's endpoints live, derived once from the node's base URL."""

    uri: str
    url: str
    inbox: str
    outbox: str
    shared_inbox: str
    followers: str | None
    following: str | None
    featured: str | None

    @classmethod
    def for_username(cls, base_url: str, username: str) -> LocalActorUris:
        uri = f"{base_url}/users/{username}"
        return cls(
            uri=uri,
            url=f"{base_url}/@{username}",
            inbox=f"{uri}/inbox",
            outbox=f"{uri}/outbox",
            shared_inbox=f"{base_url}/inbox",
            followers=f"{uri}/followers",
            following=f"{uri}/following",
            featured=f"{uri}/collections/featured",
        )

    @classmethod
    def for_instance_actor(cls, base_url: str) -> LocalActorUris:
        uri = f"{base_url}/actor"
        return cls(
            uri=uri,
            url=f"{base_url}/about",
            inbox=f"{uri}/inbox",
            outbox=f"{uri}/outbox",
            shared_inbox=f"{base_url}/inbox",
            followers=None,
            following=None,
            featured=None,
        )


def check_username(username: str) -> str:
    """Return the username if it may be registered, else raise UsernameError saying why."""
    if not USERNAME_PATTERN.fullmatch(username):
        raise UsernameError(
            N_("a username is 1 to 30 characters: lower-case letters a-z, digits and underscores")
        )
    if username in RESERVED_USERNAMES:
        raise UsernameError(
            Message(N_("the username “%(username)s” is reserved"), username=username)
        )
    return username


async def create_local(
    session: AsyncSession,
    *,
    base_url: str,
    username: str,
    keypair: KeyPair,
    actor_type: ActorType = ActorType.PERSON,
    display_name: str = "",
) -> Account:
    """Add a local actor. Members approve their followers by default; others do not."""
    if actor_type not in LOCAL_KINDS:
        raise ValueError(f"local accounts are one of {', '.join(LOCAL_KINDS)}")
    check_username(username)
    if await get_local(session, username, include_gone=True) is not None:
        raise UsernameError(Message(N_("the username “%(username)s” is taken"), username=username))
    uris = LocalActorUris.for_username(base_url, username)
    is_member = actor_type == ActorType.PERSON
    return _add_local(
        session,
        username,
        actor_type,
        uris,
        keypair,
        display_name,
        manually_approves_followers=is_member,
        discoverable=not is_member,
    )


async def ensure_instance_actor(
    session: AsyncSession, *, base_url: str, host: str, keypair: KeyPair
) -> Account:
    """The node's own Application actor, which signs fetches; created on first call."""
    found = await instance_actor(session)
    if found is not None:
        return found
    uris = LocalActorUris.for_instance_actor(base_url)
    return _add_local(
        session,
        host,
        ActorType.APPLICATION,
        uris,
        keypair,
        host,
        manually_approves_followers=True,
        discoverable=False,
    )


async def instance_actor(session: AsyncSession) -> Account | None:
    """The node's Application actor, if the node has been initialised."""
    return await session.scalar(
        select(Account).where(
            Account.domain.is_(None), Account.actor_type == str(ActorType.APPLICATION)
        )
    )


async def get_local(
    session: AsyncSession, username: str, *, include_gone: bool = False
) -> Account | None:
    """The local actor with this username (any kind, instance actor included)."""
    query = select(Account).where(Account.domain.is_(None), Account.username == username.lower())
    if not include_gone:
        query = query.where(
            Account.deleted_at.is_(None),
            Account.suspended_at.is_(None),
            Account.awaiting_approval.is_(False),
        )
    return await session.scalar(query)


async def count_local(session: AsyncSession, actor_type: ActorType) -> int:
    """How many live local actors of this type there are."""
    query = (
        select(func.count())
        .select_from(Account)
        .where(
            Account.domain.is_(None),
            Account.actor_type == str(actor_type),
            Account.deleted_at.is_(None),
            Account.suspended_at.is_(None),
            Account.awaiting_approval.is_(False),
        )
    )
    return int(await session.scalar(query) or 0)


async def by_ids(session: AsyncSession, ids: Collection[int]) -> dict[int, Account]:
    """The accounts with these ids that exist, by id."""
    return {a.id: a for a in await session.scalars(select(Account).where(Account.id.in_(ids)))}


async def by_uris(session: AsyncSession, uris: Collection[str]) -> list[Account]:
    """The accounts with these actor ids that are known here."""
    return list(await session.scalars(select(Account).where(Account.uri.in_(uris))))


async def get_by_uri(session: AsyncSession, uri: str) -> Account | None:
    """The account (local or cached remote) with this actor id."""
    return await session.scalar(select(Account).where(Account.uri == uri))


async def get_remote_by_key_id(session: AsyncSession, key_id: str) -> Account | None:
    """The cached remote account whose public key has this id."""
    return await session.scalar(
        select(Account).where(Account.key_id == key_id, Account.domain.is_not(None)).limit(1)
    )


async def get_remote_by_handle(session: AsyncSession, username: str, domain: str) -> Account | None:
    """A cached remote account by `username@domain`."""
    return await session.scalar(
        select(Account).where(Account.username == username, Account.domain == domain).limit(1)
    )


async def upsert_remote(session: AsyncSession, actor: Actor, domain: str) -> Account:
    """Store or refresh the cached copy of a remote actor; `domain` is its host (and port),
    which must be the canonical host its id is written with: a remote account never has an
    empty domain, which would show it as local."""
    if not domain or check_canonical(actor.id) != domain:
        raise InvalidHost(f"{actor.id!r} is not an id on {domain!r}")
    account = await get_by_uri(session, actor.id)
    if account is None:
        fresh = Account(id=new_id(), uri=actor.id, domain=domain)
        await _copy_actor(fresh, actor)
        try:
            async with session.begin_nested():
                session.add(fresh)
            return fresh
        except IntegrityError:  # another request stored it since: refresh that row instead
            account = await get_by_uri(session, actor.id)
            if account is None:
                raise
    if account.domain is None:
        raise ValueError("a remote actor cannot replace a local account")
    await _copy_actor(account, actor)
    await session.flush()
    return account


async def _copy_actor(account: Account, actor: Actor) -> None:
    """The actor document's fields, onto its cached copy."""
    account.username = actor.preferred_username[:255]
    account.actor_type = str(actor.type)
    account.display_name = (actor.name or "")[:255]
    account.summary_html = await in_thread(clean_html, actor.summary or "")
    account.url = web_url(actor.url) or actor.id
    if account.suspended_at is None:  # hers kept: what was queued for her stays withheld
        account.inbox_uri = actor.inbox
        account.shared_inbox_uri = actor.shared_inbox
    account.outbox_uri = actor.outbox
    account.followers_uri = actor.followers
    account.following_uri = actor.following
    account.featured_uri = actor.featured
    account.key_id = actor.public_key.id
    account.public_key_pem = actor.public_key.pem
    multikey = actor.assertion_method
    account.assertion_key_id = multikey.id if multikey else None
    account.assertion_key = multikey.public if multikey else None
    account.manually_approves_followers = actor.manually_approves_followers
    account.discoverable = actor.discoverable
    account.avatar_url = web_url(actor.icon)
    account.header_url = web_url(actor.image)
    account.also_known_as = list(actor.also_known_as)
    account.moved_to_uri = actor.moved_to
    account.fetched_at = utcnow()


async def known_domains(session: AsyncSession) -> list[str]:
    """Every server this node has seen an account of, sorted."""
    rows = await session.scalars(
        select(Account.domain).where(Account.domain.is_not(None)).distinct()
    )
    return sorted(d for d in rows if d)


def suspend(account: Account) -> None:
    """Hide the account from everyone; its data is kept so the suspension can be lifted."""
    account.suspended_at = account.suspended_at or utcnow()


def unsuspend(account: Account) -> None:
    """Lift a suspension."""
    account.suspended_at = None


def silence(account: Account) -> None:
    """Limit the account: its posts stay out of public timelines and its follows of local
    accounts wait for approval. Nothing is deleted."""
    account.silenced_at = account.silenced_at or utcnow()


def unsilence(account: Account) -> None:
    """Lift a limit."""
    account.silenced_at = None


def approve(account: Account) -> None:
    """Let an account that joined while registrations needed approval sign in and be seen."""
    account.awaiting_approval = False


def _add_local(
    session: AsyncSession,
    username: str,
    actor_type: ActorType,
    uris: LocalActorUris,
    keypair: KeyPair,
    display_name: str,
    *,
    manually_approves_followers: bool,
    discoverable: bool,
) -> Account:
    account = Account(
        id=new_id(),
        username=username,
        domain=None,
        actor_type=str(actor_type),
        display_name=display_name,
        summary_html="",
        uri=uris.uri,
        url=uris.url,
        inbox_uri=uris.inbox,
        outbox_uri=uris.outbox,
        shared_inbox_uri=uris.shared_inbox,
        followers_uri=uris.followers,
        following_uri=uris.following,
        featured_uri=uris.featured,
        key_id=f"{uris.uri}#main-key",
        public_key_pem=keypair.public_pem,
        private_key_pem=keypair.private_pem,
        manually_approves_followers=manually_approves_followers,
        discoverable=discoverable,
    )
    give_assertion_key(account)
    session.add(account)
    return account


def give_assertion_key(account: Account) -> None:
    """A fresh Ed25519 key for a local account's integrity proofs."""
    account.ed25519_secret = integrity.new_secret()
    account.assertion_key_id = f"{account.uri}#ed25519-key"
    account.assertion_key = integrity.public_of(account.ed25519_secret)


async def known_inboxes(session: AsyncSession) -> set[str]:
    """Every inbox this node knows (shared ones where offered): where news of a local
    account's deletion must go."""
    delivery_inbox = func.coalesce(Account.shared_inbox_uri, Account.inbox_uri)
    query = select(delivery_inbox).where(Account.domain.is_not(None), Account.deleted_at.is_(None))
    return set(await session.scalars(query.distinct()))


def not_on_any(
    column: ColumnElement[str | None] | InstrumentedAttribute[str | None], domains: Collection[str]
) -> ColumnElement[bool]:
    """Local accounts, or remote ones on none of `domains` nor their sub-domains."""
    if not domains:
        return true()
    return or_(column.is_(None), not_(on_any(column, domains)))


def not_among(
    column: ColumnElement[str | None] | InstrumentedAttribute[str | None],
    hosts: Select[str] | None,
) -> ColumnElement[bool]:
    """Local accounts, or remote ones on none of the `hosts` a subquery selects (exactly:
    a server in quarantine is that server); None leaves none out."""
    if hosts is None:
        return true()
    return or_(column.is_(None), column.not_in(hosts))


async def hiding_from_guests(session: AsyncSession) -> list[int]:
    """The local accounts whose posts the web pages show to signed-in viewers only."""
    found = await session.scalars(
        select(Account.id).where(Account.domain.is_(None), Account.hide_from_guests.is_(True))
    )
    return list(found)
