"""An edited post on the web: "Edited" with its date, linking a page of its versions."""

from __future__ import annotations

import httpx
import pytest

from content.audience import Visibility
from node.state import Services
from tests.rig import world

pytestmark = pytest.mark.anyio
HTML = {"Accept": "text/html"}


async def test_an_edited_post_links_its_versions_for_whoever_may_read_it(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        alice = await world.local_member(session, "alice")
        post = await world.post(session, alice, "Clinic open Friday")
        private = await world.post(session, alice, "For followers", Visibility.PRIVATE)
    signed = await client.post("/login", data={"username": "alice", "password": world.PASSWORD})
    assert signed.status_code == 303
    history = f"/posts/{post.id}/history"
    assert history not in (await client.get(f"/@alice/{post.id}", headers=HTML)).text
    edited = await client.post(f"/posts/{post.id}/edit", data={"text": "Clinic open Saturday"})
    assert edited.status_code == 303
    await client.post(f"/posts/{private.id}/edit", data={"text": "Still for followers"})
    own = (await client.get(f"/@alice/{post.id}", headers=HTML)).text
    assert ">Clinic open Saturday</textarea>" in own  # the edit form starts from the text
    await client.post("/logout")

    page = (await client.get(f"/@alice/{post.id}", headers=HTML)).text
    assert f'<a href="{history}">Edited ' in page and "Clinic open Saturday" in page
    versions = (await client.get(history, headers=HTML)).text
    assert versions.index("Clinic open Friday") < versions.index("Clinic open Saturday")
    assert "original" in versions and "current version" in versions
    assert (await client.get(f"/posts/{private.id}/history", headers=HTML)).status_code == 404
    assert (await client.get("/posts/12345/history", headers=HTML)).status_code == 404
