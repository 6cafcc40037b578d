"""Public pages: the home page, the node's about page, profiles and posts."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from content import (
    accounts,
    hashtags,
    interactions,
    moves,
    posts,
    relationships,
    timelines,
)
from content.accounts import Account
from content.interactions import Kind
from content.listing_fields import LABELS
from content.paging import Window, parse_id
from content.posts import Post
from moderation.policy import limited
from node.api.negotiation import wants_activitypub
from node.i18n import _
from node.state import services
from node.web import directory
from node.web.post_extras import post_extras
from node.web.rendering import render
from node.web.sessions import signed_in_account

PROFILE_PAGE_SIZE = 20
TAG_PAGE = Window(limit=40)


async def home(request: Request) -> Response:
    """The front page: what this node is, and who is signed in."""
    settings = services(request).settings
    async with services(request).sessions() as session:
        organisation = await accounts.get_local(session, settings.organisation_username)
        viewer = await signed_in_account(request, session)
    return render(
        request,
        "home.html",
        organisation=organisation,
        viewer=viewer,
        categories=LABELS,
        **directory.HELPERS,
    )


async def about(request: Request) -> Response:
    """About this node: the organisation that runs it and how to join."""
    return await home(request)


async def profile(request: Request, account: Account) -> Response:
    """A local actor's profile with its newest public posts: none for a signed-out visitor if
    the member hides them from guests. Not for search engines unless she is discoverable."""
    async with services(request).sessions() as session:
        viewer = await signed_in_account(request, session)
        hidden = account.hide_from_guests and viewer is None
        recent = (
            []
            if hidden
            else await posts.open_posts_page(session, account, max_id=None, limit=PROFILE_PAGE_SIZE)
        )
        follower_count = await relationships.count_followers(session, account)
        extras = await post_extras(session, viewer, [item.id for item in recent])
        moved_to = await moves.moved_to(session, account)
    response = render(
        request,
        "profile.html",
        viewer=viewer,
        account=account,
        posts=recent,
        hidden_from_guests=hidden,
        follower_count=follower_count,
        **extras,
        moved_to=moved_to,
        robots=_robots(account),
    )
    response.headers["X-Robots-Tag"] = _robots(account)
    return response


def _robots(account: Account) -> str:
    """What search engines may do with an account's pages: nothing, unless it opted in."""
    return "nofollow" if account.discoverable else "noindex, nofollow"


async def profile_page(request: Request) -> Response:
    """`/@name`: the profile page at its short address."""
    async with services(request).sessions() as session:
        account = await accounts.get_local(session, request.path_params["username"])
    if account is None or account.actor_type not in accounts.LOCAL_KINDS:
        return render(
            request, "error.html", status_code=404, message=_("There is no such account.")
        )
    if wants_activitypub(request):  # a pasted profile address, looked up by a server
        return RedirectResponse(account.uri, status_code=303)
    return await profile(request, account)


async def post(request: Request, account: Account, item: Post) -> Response:
    """One post on its own page, with how many liked and boosted it; to signed-in viewers only
    if its author hides her posts from guests."""
    async with services(request).sessions() as session:
        viewer = await signed_in_account(request, session)
        if account.hide_from_guests and viewer is None:
            return render(
                request, "error.html", status_code=404, message=_("There is no such post.")
            )
        likes = await interactions.count(session, item, Kind.LIKE)
        boosts = await interactions.count(session, item, Kind.BOOST)
        extras = await post_extras(session, viewer, [item.id])
    response = render(
        request,
        "post.html",
        account=account,
        post=item,
        likes=likes,
        boosts=boosts,
        viewer=viewer,
        **extras,
        robots=_robots(account),
    )
    response.headers["X-Robots-Tag"] = _robots(account)
    return response


async def post_page(request: Request) -> Response:
    """`/@name/123`: a post at its short address."""
    raw_id = request.path_params["post_id"]
    async with services(request).sessions() as session:
        account = await accounts.get_local(session, request.path_params["username"])
        post_id = parse_id(raw_id)
        item = (
            await posts.get_open_post(session, account, post_id)
            if account and post_id is not None
            else None
        )
    if account is None or item is None:
        return render(request, "error.html", status_code=404, message=_("There is no such post."))
    if wants_activitypub(request):  # a pasted post address, looked up by a server
        return RedirectResponse(item.uri, status_code=303)
    return await post(request, account, item)


async def tag_page(request: Request) -> Response:
    """`/tags/name`: the newest public posts kept here that carry the hashtag (for a guest,
    without those of members who hide their posts from guests)."""
    name = hashtags.normalise(request.path_params["name"])
    if name is None:
        return render(request, "error.html", status_code=404, message=_("That is not a hashtag."))
    async with services(request).sessions() as session:
        viewer = await signed_in_account(request, session)
        left_out = await limited(session)
        entries = await timelines.public(
            session,
            local_only=False,
            viewer_is_local=False,
            window=TAG_PAGE,
            exclude_accounts=[] if viewer else await accounts.hiding_from_guests(session),
            exclude_domains=left_out.domains,
            exclude_hosts=left_out.held,
            hashtag=name,
        )
        extras = await post_extras(session, viewer, [entry.post.id for entry in entries])
    return render(request, "tag.html", name=name, entries=entries, **extras)


async def gone(request: Request) -> Response:
    """The page of an account that was deleted or suspended."""
    return render(request, "error.html", status_code=410, message=_("This account is gone."))


routes = [
    Route("/", home),
    Route("/about", about),
    Route("/@{username}", profile_page),
    Route("/@{username}/{post_id}", post_page),
    Route("/tags/{name}", tag_page),
]
