"""Personas: the several identities one login acts as.

A login (`users.User`) holds its own account, up to `MAX_PERSONAS` more pseudonymous accounts
it made itself (rows here), and, while its role is staff or above, the node's organisation
actors: local `Organization` accounts that are nobody's login. The organisation is not
copied in here; it follows from the role, so a staff member who loses the role loses it at
once, everywhere (web sessions and app tokens ask `may_act_as` on every use).

Each identity is a whole actor of its own (its own keys, ids, followers, posts): nothing on
the wire or on a page names the login or another identity of it. Only the login's owner,
and moderators on the admin pages, see which identities belong together.

Mentions of, replies to and follows of the organisation reach every staff login: a
notification stored for the organisation is copied, in the same flush, to each staff
login's own account."""

from __future__ import annotations

from sqlalchemy import ColumnElement, ForeignKey, and_, event, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.util import identity_key

from activitypub import KeyPair
from activitypub.vocab import ActorType
from content import accounts
from content.accounts import Account
from content.interface_text import N_
from content.notifications import Notification, NotificationType
from content.orm import Base
from content.users import Role, User

# Pseudonymous accounts a login may make besides its own.
MAX_PERSONAS = 2
STAFF_ROLES = frozenset({Role.STAFF, Role.MODERATOR, Role.ADMIN})


class PersonaError(ValueError):
    """A persona cannot be made; the message is fit to show the member."""


class Persona(Base):
    """A further account a login made and acts as."""

    __tablename__ = "personas"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    login_id: Mapped[int] = mapped_column(
        ForeignKey("users.account_id", ondelete="CASCADE"), index=True
    )


def _organisation() -> ColumnElement[bool]:
    """Whether an `Account` is one of the node's organisation actors: local,
    `Organization`, live, and nobody's login."""
    return and_(
        Account.domain.is_(None),
        Account.actor_type == str(ActorType.ORGANIZATION),
        Account.deleted_at.is_(None),
        Account.suspended_at.is_(None),
        ~exists().where(User.account_id == Account.id),
    )


async def organisations(session: AsyncSession) -> list[Account]:
    """The organisation actors every staff login holds, by name."""
    return list(
        await session.scalars(select(Account).where(_organisation()).order_by(Account.username))
    )


async def is_organisation(session: AsyncSession, account: Account) -> bool:
    """Whether the account is one of the node's organisation actors."""
    found = await session.scalar(
        select(Account.id).where(_organisation(), Account.id == account.id)
    )
    return found is not None


async def own_personas(session: AsyncSession, user: User) -> list[Account]:
    """The live accounts the login made besides its own, oldest first."""
    rows = await session.scalars(
        select(Account)
        .join(Persona, Persona.account_id == Account.id)
        .where(Persona.login_id == user.account_id, Account.deleted_at.is_(None))
        .order_by(Account.id)
    )
    return [account for account in rows if not account.is_gone]


async def identities(session: AsyncSession, user: User) -> list[Account]:
    """Everyone the login may act as: its own account first, then its personas, then (for
    staff and above) the organisation."""
    own = await session.get(Account, user.account_id)
    found = [own] if own is not None and not own.is_gone else []
    found += await own_personas(session, user)
    if Role(user.role) in STAFF_ROLES:
        found += await organisations(session)
    return found


async def may_act_as(session: AsyncSession, user: User, account: Account) -> bool:
    """Whether the login may act as `account` now (its role may have changed since it
    chose)."""
    if account.is_gone or not account.is_local:
        return False
    if account.id == user.account_id:
        return True
    held = await session.get(Persona, account.id)
    if held is not None:
        return held.login_id == user.account_id
    return Role(user.role) in STAFF_ROLES and await is_organisation(session, account)


async def login_of(session: AsyncSession, account: Account) -> User | None:
    """The login whose own account or persona this is; None for the organisation (held by
    every staff login), a group and a remote account."""
    user = await session.get(User, account.id)
    if user is not None:
        return user
    held = await session.get(Persona, account.id)
    return await session.get(User, held.login_id) if held is not None else None


async def own_account(session: AsyncSession, account: Account) -> Account | None:
    """The own account of the login whose identity this is (whose password confirms what is
    done as it); None for the organisation, held by every staff login, and for others."""
    user = await login_of(session, account)
    return await session.get(Account, user.account_id) if user is not None else None


async def accounts_of(session: AsyncSession, account: Account) -> list[Account]:
    """The account and every other account of its login (moderation acts on the login);
    just the account itself if it is nobody's (the organisation, a remote account)."""
    user = await login_of(session, account)
    if user is None:
        return [account]
    rows = await session.scalars(
        select(Account).where(
            (Account.id == user.account_id)
            | Account.id.in_(select(Persona.account_id).where(Persona.login_id == user.account_id))
        )
    )
    return list(rows)


async def create(
    session: AsyncSession, user: User, *, base_url: str, username: str, keypair: KeyPair
) -> Account:
    """A new pseudonymous account of the login: an actor of its own, with its own keys.
    PersonaError past the cap, or while one of the login's identities is silenced or
    suspended (a new nickname would escape it); UsernameError if the nickname is taken or
    not allowed."""
    # The login's row, taken for this transaction (locked on PostgreSQL, the one writer on
    # SQLite): two requests at once cannot both pass the count below.
    await session.execute(
        update(User).where(User.account_id == user.account_id).values(role=User.role)
    )
    held = await session.scalars(
        select(Account).where(
            (Account.id == user.account_id)
            | Account.id.in_(select(Persona.account_id).where(Persona.login_id == user.account_id))
        )
    )
    mine = list(held)
    if any(a.silenced_at is not None or a.suspended_at is not None for a in mine):
        raise PersonaError(N_("A limited account cannot make new nicknames."))
    if len(mine) - 1 >= MAX_PERSONAS:
        raise PersonaError(N_("You already have as many nicknames as one login can hold."))
    account = await accounts.create_local(
        session, base_url=base_url, username=username, keypair=keypair
    )
    session.add(Persona(account_id=account.id, login_id=user.account_id))
    return account


def _may_be_organisation(session: Session, account_id: int) -> bool:
    """False when the session already holds the account and it is no local organisation:
    most mentions are of members, whom the mention's handler has just read (the inbox's
    apply then asks no query here)."""
    held = session.identity_map.get(identity_key(Account, account_id))
    if held is None:
        return True
    loaded = held.__dict__  # an attribute not loaded is not read (no query in a flush)
    organisation = str(ActorType.ORGANIZATION)
    return loaded.get("domain") is None and loaded.get("actor_type", organisation) == organisation


@event.listens_for(Session, "before_flush")
def _share_with_staff(session: Session, _context: object, _instances: object) -> None:
    """Copy each new mention of an organisation actor (a reply is one too) to every staff
    login's own account (but the one who wrote it)."""
    new = [
        row
        for row in session.new
        if isinstance(row, Notification) and row.type == NotificationType.MENTION
    ]
    if not new:
        return
    recipients = {row.account_id for row in new if _may_be_organisation(session, row.account_id)}
    if not recipients:
        return
    held = set(
        session.execute(
            select(Account.id).where(Account.id.in_(recipients), _organisation())
        ).scalars()
    )
    if not held:
        return
    staff = list(
        session.execute(
            select(User.account_id)
            .join(Account, Account.id == User.account_id)
            .where(
                User.role.in_([str(role) for role in STAFF_ROLES]),
                Account.deleted_at.is_(None),
                Account.suspended_at.is_(None),
            )
        ).scalars()
    )
    for row in new:
        if row.account_id not in held:
            continue
        for member in staff:
            if member != row.from_account_id:
                copy = Notification(
                    account_id=member, from_account_id=row.from_account_id, type=row.type
                )
                if "post" in row.__dict__:  # a new post, inserted by the same flush
                    copy.post = row.post
                else:
                    copy.post_id = row.post_id
                session.add(copy)
