"""Small builders that write real rows: a local member, a group, a post."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import ActorType
from content import accounts, oauth, posts
from content.accounts import Account
from content.audience import Visibility
from content.posts import Post
from content.users import Role, add_user
from tests.rig.keys import keypair_for_tests

BASE_URL = "https://harbour.test"
PASSWORD = "correct horse battery staple"
OOB = "urn:ietf:wg:oauth:2.0:oob"


async def local_member(
    session: AsyncSession,
    username: str = "alice",
    *,
    base_url: str = BASE_URL,
    role: Role = Role.MEMBER,
) -> Account:
    """A local person with a login whose password is PASSWORD."""
    account = await accounts.create_local(
        session, base_url=base_url, username=username, keypair=keypair_for_tests(0)
    )
    add_user(session, account, PASSWORD, role)
    await session.flush()
    return account


async def local_actor(
    session: AsyncSession, username: str, actor_type: ActorType, *, base_url: str = BASE_URL
) -> Account:
    """A local group or organisation (no login)."""
    account = await accounts.create_local(
        session,
        base_url=base_url,
        username=username,
        keypair=keypair_for_tests(1),
        actor_type=actor_type,
    )
    await session.flush()
    return account


async def post(
    session: AsyncSession,
    author: Account,
    text: str,
    visibility: Visibility = Visibility.PUBLIC,
) -> Post:
    """A post by a local author."""
    created = posts.create_local(session, author, text, visibility=visibility)
    await session.flush()
    return created


async def bearer(
    session: AsyncSession, account: Account, scopes: Sequence[str] = ("read", "write", "follow")
) -> dict[str, str]:
    """An Authorization header for `account`, from a freshly registered app."""
    return {"Authorization": f"Bearer {await bearer_token(session, account, ' '.join(scopes))}"}


async def bearer_token(session: AsyncSession, account: Account, scopes: str = "read write") -> str:
    """An access token for `account`, as a client app would hold after logging in."""
    app, _ = oauth.register_app(
        session, name="tests", redirect_uris=[OOB], scopes=scopes.split(), website=None
    )
    await session.flush()
    _, token = oauth.issue_token(session, app, account, scopes.split())
    await session.flush()
    return token


async def notice_after(client: httpx.AsyncClient, answer: httpx.Response) -> str:
    """The notice a member reads on the page a refused form sent her back to."""
    assert answer.status_code == 303, answer.text
    page = (await client.get(answer.headers["location"])).text
    shown = re.search(r'<p class="error" role="alert">(.*?)</p>', page, re.S)
    return html.unescape(shown.group(1)) if shown else ""


def words(markup: str) -> str:
    """A page's text as a reader reads it: tags left out."""
    return re.sub(r"<[^>]+>", "", markup)
