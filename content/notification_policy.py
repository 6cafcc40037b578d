"""A member's notification policy: notifications from strangers held back, or dropped.

Mastodon's five rules, each `accept`, `filter` (held back: kept out of the notifications and
shown as a request per sender) or `drop` (never shown). They are applied when reading, as
conditions on the notification and its sender, so a changed policy applies to what is
already here and nothing is lost by a rule set too wide. A sender whose request the member
accepted always passes; a dismissed request is no longer listed (its notifications stay
held back)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, ForeignKey, Select, String, and_, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content.accounts import Account
from content.audience import Visibility
from content.domain_match import on_any
from content.notifications import Notification, NotificationType
from content.orm import Base, utcnow
from content.posts import Post
from content.relationships import Follow, FollowState

NEW_ACCOUNT_DAYS = 30
# Follow requests are answered in their own list; the rest can be held back.
FILTERABLE = (
    NotificationType.MENTION,
    NotificationType.FAVOURITE,
    NotificationType.REBLOG,
    NotificationType.FOLLOW,
)


class Choice(StrEnum):
    ACCEPT = "accept"
    FILTER = "filter"
    DROP = "drop"


DEFAULTS = {
    "for_not_following": Choice.ACCEPT,
    "for_not_followers": Choice.ACCEPT,
    "for_new_accounts": Choice.ACCEPT,
    "for_private_mentions": Choice.ACCEPT,
    "for_limited_accounts": Choice.FILTER,
}
RULES = tuple(DEFAULTS)  # Mastodon's five, in its order


def _rule(name: str) -> Mapped[str]:
    return mapped_column(String(8), default=DEFAULTS[name])


class NotificationPolicy(Base):
    """A member's rules; a member without a row has the defaults. Unlike Mastodon, private
    mentions from strangers are accepted until she chooses otherwise: a first message from
    a peer asking for help is what this network is for. Accounts the node limits are held
    back, as on Mastodon."""

    __tablename__ = "notification_policies"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    for_not_following: Mapped[str] = _rule("for_not_following")
    for_not_followers: Mapped[str] = _rule("for_not_followers")
    for_new_accounts: Mapped[str] = _rule("for_new_accounts")
    for_private_mentions: Mapped[str] = _rule("for_private_mentions")
    for_limited_accounts: Mapped[str] = _rule("for_limited_accounts")


class RequestAnswer(Base):
    """The member answered this sender's request: accepted (its notifications always pass)
    or dismissed (it is no longer listed; its notifications stay held back)."""

    __tablename__ = "notification_request_answers"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    from_account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    accepted: Mapped[bool]
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)


async def policy_of(session: AsyncSession, account: Account) -> NotificationPolicy:
    """The member's policy (a new, unsaved one with the defaults if she never set one)."""
    found = await session.get(NotificationPolicy, account.id)
    if found is not None:
        return found
    return NotificationPolicy(account_id=account.id, **DEFAULTS)


async def update(session: AsyncSession, account: Account, changes: Mapping[str, str]) -> None:
    """Set some rules (names from RULES, values from Choice; the caller checked them)."""
    policy = await policy_of(session, account)
    for rule, value in changes.items():
        setattr(policy, rule, value)
    session.add(policy)


@dataclass(frozen=True)
class Sorting:
    """Conditions on a notification (joined to its sender, `Account`) for one member:
    `held` are held back as requests, `dropped` are never shown."""

    held: ColumnElement[bool]
    dropped: ColumnElement[bool]

    def shown(self, *, include_held: bool = False) -> ColumnElement[bool]:
        """What her notifications show: neither held nor dropped (or not dropped)."""
        if include_held:
            return ~self.dropped
        return and_(~self.held, ~self.dropped)


async def sorting(
    session: AsyncSession,
    account: Account,
    limited_domains: Collection[str],
    held_hosts: Select[str],
) -> Sorting:
    """How the member's policy sorts her notifications; `limited_domains` are the domains
    this node silences, `held_hosts` selects the servers it holds in quarantine."""
    policy = await policy_of(session, account)
    followed = select(Follow.followed_id).where(
        Follow.follower_id == account.id, Follow.state == FollowState.ACCEPTED
    )
    followers = select(Follow.follower_id).where(
        Follow.followed_id == account.id, Follow.state == FollowState.ACCEPTED
    )
    direct = select(Post.id).where(Post.visibility == Visibility.DIRECT)
    stranger = Notification.from_account_id.not_in(followed)
    matches = {
        "for_not_following": stranger,
        "for_not_followers": Notification.from_account_id.not_in(followers),
        "for_new_accounts": Account.created_at > utcnow() - timedelta(days=NEW_ACCOUNT_DAYS),
        "for_private_mentions": and_(
            Notification.type == NotificationType.MENTION,
            Notification.post_id.in_(direct),
            stranger,
        ),
        "for_limited_accounts": or_(
            Account.silenced_at.is_not(None),
            and_(  # never NULL: a local sender has no domain
                Account.domain.is_not(None),
                or_(on_any(Account.domain, limited_domains), Account.domain.in_(held_hosts)),
            ),
        ),
    }
    permitted = _answered(account, accepted=True)
    subject = and_(
        Notification.type.in_(FILTERABLE), Notification.from_account_id.not_in(permitted)
    )

    def any_set_to(choice: Choice) -> ColumnElement[bool]:
        chosen = [matches[rule] for rule in RULES if getattr(policy, rule) == choice]
        return and_(subject, or_(*chosen)) if chosen else false()

    return Sorting(held=any_set_to(Choice.FILTER), dropped=any_set_to(Choice.DROP))


def _answered(account: Account, *, accepted: bool) -> Select[int]:
    return select(RequestAnswer.from_account_id).where(
        RequestAnswer.account_id == account.id, RequestAnswer.accepted.is_(accepted)
    )


def dismissed(account: Account) -> ColumnElement[bool]:
    """Senders whose request the member dismissed."""
    return Notification.from_account_id.in_(_answered(account, accepted=False))


async def answer(
    session: AsyncSession, account: Account, sender_ids: Collection[int], *, accepted: bool
) -> None:
    """Accept these senders' requests (their notifications come through, now and from now
    on) or dismiss them (no longer listed)."""
    for sender_id in sender_ids:
        await session.merge(
            RequestAnswer(
                account_id=account.id,
                from_account_id=sender_id,
                accepted=accepted,
                answered_at=utcnow(),
            )
        )
