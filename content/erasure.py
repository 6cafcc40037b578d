"""Erasing a local account's data for good."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from content import corrections, countries, timeline_lists, web_sessions
from content.accounts import Account
from content.events import EventAttendance
from content.media import MediaAttachment
from content.orm import utcnow
from content.posts import Post
from content.relationships import Follow
from content.users import User


async def erase_local_account(session: AsyncSession, account: Account) -> list[str]:
    """Delete a local account's posts, media, follows, lists, login, sessions, app tokens and
    profile (and its name on the country page revisions it wrote and the corrections it
    signed or sent, and the events it said it was going to), keeping a tombstone row;
    return the names of its image files, for the caller to delete once this is committed.

    The row stays so the username is never given to someone else: other servers still hold
    the old actor id and would take a newcomer for the deleted member.
    """
    owned = MediaAttachment.account_id == account.id
    files = [n for n in await session.scalars(select(MediaAttachment.file_name).where(owned)) if n]
    files += [u.rpartition("/")[2] for u in (account.avatar_url, account.header_url) if u]
    await session.execute(delete(MediaAttachment).where(owned))
    await session.execute(delete(Post).where(Post.account_id == account.id))
    await timeline_lists.erase_owner(session, account)
    await session.execute(
        delete(Follow).where(
            (Follow.follower_id == account.id) | (Follow.followed_id == account.id)
        )
    )
    await web_sessions.end_all(session, account.id)
    await session.execute(delete(User).where(User.account_id == account.id))
    await countries.forget_author(session, account)
    # Which events she said she was going to.
    await session.execute(delete(EventAttendance).where(EventAttendance.account_id == account.id))
    await corrections.forget_member(session, account)
    account.display_name = ""
    account.summary_html = ""
    account.note_text = ""
    account.fields = []
    account.avatar_url = account.header_url = None
    account.deleted_at = utcnow()
    return files
