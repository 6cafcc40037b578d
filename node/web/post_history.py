"""`/posts/ID/history`: every kept version of an edited post, oldest first, no script."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from content import post_edits, posts
from content.accounts import Account
from content.posts import Post
from node.i18n import _
from node.state import services
from node.web.rendering import render
from node.web.sessions import signed_in_account


async def history(request: Request) -> Response:
    """The versions of a post the reader may see (as its own page shows it), the current
    one last; any other id is 'no such post', never a hint it exists."""
    async with services(request).sessions() as session:
        viewer = await signed_in_account(request, session)
        post = await session.get(Post, request.path_params["post_id"])
        author = await session.get(Account, post.account_id) if post else None
        if post is None or author is None or author.is_gone:
            return _missing(request)
        if not await posts.can_see(session, viewer, post):
            return _missing(request)
        versions = await post_edits.history(session, post)
    response = render(
        request,
        "post_history.html",
        account=author,
        post=post,
        versions=[(v, {0: v.attachments()}) for v in versions],
        robots="noindex, nofollow",
    )
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _missing(request: Request) -> Response:
    return render(request, "error.html", status_code=404, message=_("There is no such post."))


routes = [Route("/posts/{post_id:id}/history", history)]
