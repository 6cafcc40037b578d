"""Bearer tokens for in-process client API tests, issued as the token endpoint would."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from content import oauth
from content.accounts import Account

SCOPES = ["read", "write", "follow"]


async def bearer(
    session: AsyncSession, account: Account, scopes: list[str] = SCOPES
) -> dict[str, str]:
    """An Authorization header for `account` through a freshly registered app."""
    app, _ = oauth.register_app(
        session,
        name="tests",
        redirect_uris=["urn:ietf:wg:oauth:2.0:oob"],
        scopes=scopes,
        website=None,
    )
    await session.flush()
    _, token = oauth.issue_token(session, app, account, scopes)
    await session.flush()
    return {"Authorization": f"Bearer {token}"}
