"""What moderators do to reports, accounts and posts, for the admin API and the admin pages
alike. Each action writes its audit entry (who, what, to whom, why) in its own transaction;
the caller commits, removes returned media files, and wakes the worker."""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from content import accounts, media, personas, posts, web_sessions
from content.accounts import Account
from content.interface_text import N_, Message
from content.posts import Post
from content.users import Role
from federation import outbox, report_flags
from federation.context import Federation
from moderation import audit, reports
from moderation.domain_names import normalise
from moderation.reports import Report
from moderation.verdicts import move_on

MODERATORS = frozenset({Role.MODERATOR, Role.ADMIN})
ADMINS = frozenset({Role.ADMIN})


class AccountAction(StrEnum):
    """Mastodon's `type` of `POST /api/v1/admin/accounts/:id/action`, as far as Harbour has
    it (`none` only records a warning in the audit log)."""

    NONE = "none"
    SILENCE = "silence"
    SUSPEND = "suspend"
    UNSILENCE = "unsilence"
    UNSUSPEND = "unsuspend"


class ModerationError(ValueError):
    """The action is not possible; the message is fit to show the moderator."""


async def has_role(session: AsyncSession, account: Account, roles: frozenset[Role]) -> bool:
    """Whether a local account's login holds one of `roles` (the organisation, held by
    every staff login, is nobody's login and holds none)."""
    login = await personas.login_of(session, account)
    return login is not None and Role(login.role) in roles


def subject(account: Account) -> str:
    """How the audit log names an account: `@name` or `@name@domain`."""
    return f"@{account.handle}"


async def resolve_report(
    fed: Federation,
    session: AsyncSession,
    report: Report,
    moderator: Account,
    *,
    note: str = "",
    forward: bool = False,
) -> None:
    """Close a report with a note; with `forward`, also send it (once, with its public posts
    only) to the reported account's server, as `forward_report` does."""
    target = await session.get(Account, report.target_id)
    remote = target is not None and not target.is_local
    if forward and remote and not report.forwarded and not report.shared_case:
        await forward_report(fed, session, report, moderator, comment=report.comment)
    reports.resolve(session, report, moderator, note)


async def forward_report(
    fed: Federation,
    session: AsyncSession,
    report: Report,
    moderator: Account,
    *,
    comment: str,
    added: Collection[str] = (),
) -> None:
    """Send a report on to the reported account's server, anonymously, with the moderator's
    `comment` and only the non-public reported posts she `added`; audited."""
    target = await session.get(Account, report.target_id)
    if target is None or report.shared_case:
        raise ModerationError(N_("a case shared by a partner is not forwarded from here"))
    try:
        await report_flags.forward(
            fed, session, report, target, comment=comment[: reports.MAX_COMMENT], added=added
        )
    except report_flags.FlagError as error:
        raise ModerationError(str(error)) from None
    reports.note_forwarded(session, report, moderator)


async def share_report(
    fed: Federation,
    session: AsyncSession,
    report: Report,
    moderator: Account,
    *,
    partner: str,
    comment: str,
    added: Collection[str] = (),
) -> None:
    """Share a report with a partner organisation's moderators as a case of their own; the
    reported account's server is told nothing. Audited."""
    target = await session.get(Account, report.target_id)
    if target is None or report.shared_case:
        raise ModerationError(N_("a case a partner shared stays between the two of you"))
    host = normalise(partner)
    try:
        await report_flags.share(
            fed,
            session,
            report,
            target,
            partner=host,
            comment=comment[: reports.MAX_COMMENT],
            added=added,
        )
    except report_flags.FlagError as error:
        raise ModerationError(str(error)) from None
    reports.note_shared(session, report, moderator, host)


async def change_report(
    fed: Federation,
    session: AsyncSession,
    report: Report,
    moderator: Account,
    verb: str,
    *,
    note: str = "",
    forward: bool = False,
) -> None:
    """`resolve` (see `resolve_report`), `reopen`, `assign_to_self` or `unassign` a report."""
    if verb == "resolve":
        await resolve_report(fed, session, report, moderator, note=note, forward=forward)
    elif verb == "reopen":
        reports.reopen(session, report, moderator)
    elif verb in ("assign_to_self", "unassign"):
        reports.assign(session, report, moderator, to_self=verb == "assign_to_self")
    else:
        raise ModerationError(
            Message(N_("“%(verb)s” is not something done to a report"), verb=verb)
        )


async def act_on_account(
    fed: Federation,
    session: AsyncSession,
    moderator: Account,
    target: Account,
    action: AccountAction,
    reason: str = "",
) -> None:
    """Limit, suspend, lift either, or only warn (an audit entry), local or remote alike.

    Moderation acts on the login, without telling anyone else which identities are hers:
    only `target` changes where others see it (another identity suspended or limited at the
    same moment would name it). A suspension ends every session and app token of the
    login, and it cannot sign in again while one of its identities is suspended
    (`users.authenticate`); a limited login makes no new nickname (`personas.create`).
    A remote account's suspension ends her follows of this node's accounts for good, each
    with a `Reject` to her server (`outbox.reject_follows`); the caller wakes the worker."""
    held = await personas.accounts_of(session, target)
    mine = {moderator.id} | {a.id for a in await personas.accounts_of(session, moderator)}
    if mine & {a.id for a in held} and action in (AccountAction.SILENCE, AccountAction.SUSPEND):
        raise ModerationError(N_("you cannot limit or suspend yourself"))
    if target.actor_type == "Application" and target.is_local:
        raise ModerationError(N_("this node's own actor cannot be moderated"))
    change = {
        AccountAction.SILENCE: accounts.silence,
        AccountAction.UNSILENCE: accounts.unsilence,
        AccountAction.SUSPEND: accounts.suspend,
        AccountAction.UNSUSPEND: accounts.unsuspend,
    }.get(action)
    if change is not None:
        # The policy's generation first, then the account's row (its trigger moves it too,
        # but last): the order an inbox batch takes them in, so the two never deadlock.
        await move_on(session)
        change(target)
    if action == AccountAction.SUSPEND and target.is_local:
        for account in held:
            await web_sessions.end_all(session, account.id)
    elif action == AccountAction.SUSPEND:
        await outbox.reject_follows(fed, session, target)
    name = "warn" if action == AccountAction.NONE else str(action)
    audit.record(session, moderator, f"account.{name}", subject(target), reason)


async def delete_account(
    fed: Federation, session: AsyncSession, moderator: Account, target: Account, reason: str
) -> list[str]:
    """Erase a local account and tell the servers this node knows; returns the media files
    to remove after the commit."""
    if not target.is_local or target.actor_type not in accounts.LOCAL_KINDS:
        raise ModerationError(N_("only this node's accounts can be deleted"))
    held = await personas.accounts_of(session, target)  # the login, with all its identities
    if moderator.id in {a.id for a in held}:
        raise ModerationError(N_("delete your own account from your settings"))
    if await session.get(personas.Persona, target.id) is not None:
        held = [target]  # a further nickname goes alone: its login and the others stay
    files = []
    for account in held:
        files += await outbox.delete_account(fed, session, account)
    audit.record(session, moderator, "account.delete", subject(target), reason)
    return files


async def delete_post(
    fed: Federation, session: AsyncSession, moderator: Account, post: Post, reason: str
) -> list[str]:
    """Delete a post: a local one everywhere it went, a remote one only here (our copy).
    Returns the media files to remove after the commit."""
    author = await session.get(Account, post.account_id)
    if author is None:
        raise ModerationError(N_("there is no such post"))
    files = [m.file_name for m in await media.of_post(session, post.id) if m.file_name]
    if author.is_local:
        await outbox.delete(fed, session, author, post)
    else:
        await posts.delete_post(session, post)
    audit.record(session, moderator, "post.delete", post.uri, reason)
    return files
