"""Signed-in members for in-process client API tests, with tokens issued as OAuth would."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from content.accounts import Account
from node.state import Services
from tests.rig import world


@dataclass
class Member:
    """A local account and the Authorization header of a token for it."""

    account: Account
    headers: dict[str, str]

    @property
    def id(self) -> str:
        return str(self.account.id)


async def member(services: Services, name: str, base_url: str = world.BASE_URL) -> Member:
    """A new local member with a token."""
    async with services.sessions() as session, session.begin():
        account = await world.local_member(session, name, base_url=base_url)
        return Member(account, await world.bearer(session, account))


async def members(services: Services, *names: str) -> list[Member]:
    """New local members with tokens, one for each name."""
    return [await member(services, name) for name in names]


async def get_list(
    client: httpx.AsyncClient, who: Member, path: str, **params: object
) -> list[Any]:
    """GET a list from the client API as `who`; the JSON list."""
    response = await client.get(path, params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    found: list[Any] = response.json()
    return found


async def post_status(
    client: httpx.AsyncClient, who: Member, text: str, **extra: str
) -> dict[str, Any]:
    """POST /api/v1/statuses as `who`; the Status entity."""
    response = await client.post(
        "/api/v1/statuses", data={"status": text, **extra}, headers=who.headers
    )
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created
