"""What every discussion page and form looks up first: the group named in the path, who
is looking and in what role, and a thread or post in that group the viewer may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request

from content import accounts, group_threads, groups
from content.accounts import Account
from content.audience import Visibility
from content.groups import Space
from content.posts import Post
from node.i18n import N_
from node.web import notices
from node.web.sessions import signed_in_account


@dataclass(frozen=True)
class GroupPage:
    """Who looks at which group: what every group page shows around its content."""

    viewer: Account | None
    space: Space
    member: str
    moderator: bool

    def context(self, request: Request) -> dict[str, Any]:
        """The template values every group page shares."""
        return {
            "viewer": self.viewer,
            "space": self.space,
            "handle": handle_of(self.space),
            "member": self.member,
            "moderator": self.moderator,
            "notice": notices.take(request),
        }


async def page_of(session: AsyncSession, request: Request) -> GroupPage:
    """The group in the path, and the signed-in viewer's membership and role in it."""
    viewer = await signed_in_account(request, session)
    space = await space_named(session, request)
    member = await groups.membership(session, space.account, viewer)
    moderator = await groups.is_moderator(session, space.account, viewer)
    return GroupPage(viewer, space, member, moderator)


async def space_named(session: AsyncSession, request: Request) -> Space:
    """The group the path names (`name` here, `name@server` elsewhere), or 404."""
    raw = str(request.path_params["group"])[:300]
    name, _, domain = raw.partition("@")
    if domain:
        account = await accounts.get_remote_by_handle(session, name, domain)
    else:
        account = await accounts.get_local(session, name)
    space = await groups.get(session, account) if account is not None else None
    if space is None:
        raise HTTPException(404, N_("There is no such discussion group here."))
    return space


async def opener_of(
    session: AsyncSession, space: Space, request: Request, viewer: Account | None
) -> Post:
    """The thread's opening post, if the viewer may read it; any other is 'not found'."""
    post = await post_in(session, space, request.path_params["post_id"])
    entry = await group_threads.entry_of(session, post)
    readable = await groups.can_read(session, space, viewer)
    members_only = Visibility(post.visibility) == Visibility.MEMBERS
    if members_only and readable:
        readable = await groups.is_member(session, space.account, viewer) or (
            await groups.is_moderator(session, space.account, viewer)
        )
    if entry is None or entry.thread_id != post.id or not readable:
        raise HTTPException(404, N_("There is no such thread here."))
    return post


async def post_in(session: AsyncSession, space: Space, raw_id: int) -> Post:
    """A post filed in the group, or 404."""
    post = await session.get(Post, raw_id) if 0 < raw_id < 2**63 else None
    entry = await group_threads.entry_of(session, post) if post else None
    if post is None or entry is None or entry.group_id != space.account.id:
        raise HTTPException(404, N_("There is no such thread here."))
    return post


def handle_of(space: Space) -> str:
    """How the group is named in paths: `name`, or `name@server` for a remote group."""
    return space.account.handle
