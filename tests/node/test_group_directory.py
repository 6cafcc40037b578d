"""Finding discussion groups: a group says which language it talks in and its topics (on
its page, in its actor as Lemmy's `language` and `Hashtag` tags), and `/discussions` finds
groups by language and topic."""

from __future__ import annotations

import httpx
import pytest

from content.users import Role
from node.state import Services
from tests.node.test_directory_pages import sign_in
from tests.node.test_discussions import AP
from tests.rig import world
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio


async def test_groups_are_found_by_language_and_topic(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    async with services.sessions() as session, session.begin():
        await world.local_member(session, "sam", role=Role.STAFF)
    await sign_in(client, "sam")
    for name, language, topics in (
        ("casa", "PT-br", "Housing, #health housing"),
        ("drepturi", "ro", "rights"),
    ):
        form = {"name": name, "title": name.title(), "visibility": "public"}
        made = await client.post(
            "/discussions/new", data={**form, "language": language, "topics": topics}
        )
        assert made.status_code == 303, made.text
    actor = (await client.get("/users/casa", headers=AP)).json()
    assert actor["language"] == [{"identifier": "pt-BR", "name": "português (Brasil)"}]
    assert [tag["name"] for tag in actor["tag"]] == ["#housing", "#health"]
    assert "#housing" in (await client.get("/discussions/casa")).text
    await client.post("/logout")  # visitors find groups too
    for query, found in (
        ("", {"Casa", "Drepturi"}),
        ("?language=pt", {"Casa"}),
        ("?language=pt-BR&topic=%23Housing", {"Casa"}),
        ("?topic=rights", {"Drepturi"}),
        ("?language=ro&topic=housing", set()),
    ):
        page = (await client.get(f"/discussions{query}")).text
        assert {title for title in ("Casa", "Drepturi") if f">{title}</a>" in page} == found
    assert "No group matches." in page
    await sign_in(client, "sam")
    refused = await client.post(
        "/discussions/new",
        data={"name": "x", "title": "X", "visibility": "public", "language": "not a tag"},
    )
    assert refused.status_code == 400 and "language tag" in refused.text
