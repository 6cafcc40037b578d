"""Account moves, as Mastodon has them: a member names her other accounts (aliases, published
as `alsoKnownAs`), and an account that moved says where (`movedTo`). A move needs the new
account to name the old one, and an account moves at most once a week (`COOLDOWN`)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from content import accounts
from content.accounts import Account
from content.interface_text import N_, Message
from content.orm import utcnow

COOLDOWN = timedelta(days=7)
MAX_ALIASES = 10
TOO_SOON = N_("an account can move only once a week; try again later")
NOT_AN_ALIAS = N_("%(handle)s does not list this account as an alias: add the alias there first")
# Why a moved account cannot post: its owner posts from the new one.
MOVED_CANNOT_POST = N_(
    "this account has moved to another account, so it cannot post; post from the new one"
)


class MoveError(ValueError):
    """An alias or a move is refused; the message is fit to show the member."""


def add_alias(account: Account, other: Account) -> None:
    """Name `other` as another account of `account`'s owner (so she can move from it)."""
    if other.id == account.id:
        raise MoveError(N_("an account cannot be an alias of itself"))
    aliases = list(account.also_known_as or ())
    if other.uri in aliases:
        return
    if len(aliases) >= MAX_ALIASES:
        raise MoveError(
            Message(
                N_("you have named as many aliases as an account can have (%(count)s)"),
                count=MAX_ALIASES,
            )
        )
    account.also_known_as = [*aliases, other.uri]


def remove_alias(account: Account, uri: str) -> None:
    """Stop naming `uri` as another account of `account`'s owner."""
    account.also_known_as = [alias for alias in account.also_known_as or () if alias != uri]


def names(account: Account, old: Account) -> bool:
    """Whether `account` lists `old` among its aliases: what a move from `old` to it needs."""
    return old.uri in (account.also_known_as or ())


def moved_recently(account: Account) -> bool:
    """Whether a move of `account` was applied less than `COOLDOWN` ago."""
    return account.moved_at is not None and utcnow() - account.moved_at < COOLDOWN


def check_move(old: Account, new: Account) -> None:
    """Raise MoveError unless `old` may move to `new` now: another account, which lists
    `old` as an alias, and neither moved in the last week."""
    if new.id == old.id:
        raise MoveError(N_("an account cannot move to itself"))
    if new.is_gone:
        raise MoveError(N_("that account is not available"))
    if moved_recently(old) or moved_recently(new):
        raise MoveError(TOO_SOON)
    if not names(new, old):
        raise MoveError(Message(NOT_AN_ALIAS, handle=new.handle))


async def moved_to(session: AsyncSession, account: Account) -> Account | None:
    """The account `account` moved to, if it moved and that account is known here."""
    if account.moved_to_uri is None:
        return None
    return await accounts.get_by_uri(session, account.moved_to_uri)


async def record(session: AsyncSession, old: Account, new: Account) -> None:
    """`old` moved to `new`, now. One conditional update, so of two moves checked at once
    (two tabs, two workers) only one is recorded; the other raises MoveError: it had sent a
    second `Move` and carried the followers to another account."""
    now = utcnow()
    moved = await session.execute(
        update(Account)
        .where(
            Account.id == old.id,
            or_(Account.moved_at.is_(None), Account.moved_at < now - COOLDOWN),
        )
        .values(moved_to_uri=new.uri, moved_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(old, ["moved_to_uri", "moved_at"])
    if not moved.rowcount:  # type: ignore[attr-defined]
        raise MoveError(TOO_SOON)
