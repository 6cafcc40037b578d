"""Finding discussion groups: a group says which language it talks in and its topics (on
its page, in its actor as Lemmy's `language` and `Hashtag` tags), and `/discussions` finds
groups by language and topic."""

from __future__ import annotations

import httpx
import pytest

from content import accounts, groups, relationships
from content.groups import GroupVisibility
from content.users import Role
from federation import resolve
from federation.worker import Worker
from node.state import Services
from tests.node.conftest import BASE
from tests.node.test_directory_pages import sign_in
from tests.node.test_discussions import AP, GROUP, make_group
from tests.node.test_inbox import deliver
from tests.rig import world
from tests.rig.keys import keypair_for_tests
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


async def test_groups_of_a_followed_organisation_join_the_directory(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await make_group(services)  # public: listed for other servers
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        await groups.create(
            session,
            base_url=BASE,
            username="here",
            keypair=keypair_for_tests(2),
            title="Here only",
            visibility=GroupVisibility.LOCAL,
        )
    ours = (await client.get("/discussions", headers=AP)).json()
    assert [item["id"] for item in ours["orderedItems"]] == [GROUP]

    org, casa = "https://remote.example/users/org", "https://remote.example/c/casa"
    remote.add_actor(org, keypair_for_tests(6), "org")
    remote.documents[org]["type"] = "Organization"
    listed = remote.add_actor(casa, keypair_for_tests(7), "casa").to_document()
    listed.update(type="Group", name="Casa", tag=[{"type": "Hashtag", "name": "#Housing"}])
    listed["language"] = [{"identifier": "pt-BR", "name": "português (Brasil)"}]
    stranger = {**listed, "id": "https://victim.example/c/fake", "name": "Fake"}
    remote.documents["https://remote.example/discussions"] = {
        "id": "https://remote.example/discussions",
        "type": "OrderedCollection",
        "orderedItems": [listed, stranger],
    }
    async with services.sessions() as session, session.begin():
        organisation = await resolve.actor_by_uri(services.federation, session, org)
        follow = f"{BASE}/users/alice#follows/org"
        await relationships.add_follow(session, alice, organisation, uri=follow, accepted=False)
    assert "Casa" not in (await client.get("/discussions")).text
    accept = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{org}/accepts/1",
        "type": "Accept",
        "actor": org,
        "object": {"id": follow, "type": "Follow", "actor": f"{BASE}/users/alice", "object": org},
    }
    sent_in = await deliver(client, accept, keypair=keypair_for_tests(6), key_id=f"{org}#main-key")
    assert sent_in.status_code == 202
    await Worker(services.federation).run_once()
    for query, shown in (("", True), ("?language=pt", True), ("?topic=housing", True),
                         ("?language=ro", False)):  # fmt: skip
        page = (await client.get(f"/discussions{query}")).text
        assert (">Casa</a>" in page) is shown, query
        assert "Fake" not in page
