"""Node settings safe to change while the node runs: an admin ticks them on /admin and
they take effect at once, for pages and the client API alike, each change audited; until
then the configuration's value holds."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from content.users import Role
from moderation.audit import AuditEntry
from node.state import Services
from tests.node.test_corrections import publish, staffed  # noqa: F401 (a fixture)
from tests.node.test_directory_pages import sign_in
from tests.rig import world

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("staffed")]
SUGGEST = "Suggest a correction"


async def test_an_admin_changes_settings_that_take_effect_at_once(
    client: httpx.AsyncClient, services: Services
) -> None:
    listing = await publish(client)  # sam, on the staff, publishes a listing
    async with services.sessions() as session, session.begin():
        await world.local_member(session, "ada", role=Role.ADMIN)
    await client.post("/logout")
    assert SUGGEST not in (await client.get(listing)).text  # visitors may not, as configured
    assert (await client.get("/api/v1/instance")).json()["approval_required"] is False
    assert (await client.post("/admin/settings", data={})).status_code in (303, 403)

    await sign_in(client, "ada")
    admin = (await client.get("/admin")).text
    assert "Node settings" in admin and 'name="registration_approval">' in admin
    both = {"registration_approval": "on", "corrections_from_visitors": "on"}
    assert (await client.post("/admin/settings", data=both)).headers["location"] == "/admin"
    assert 'name="registration_approval" checked>' in (await client.get("/admin")).text
    await client.post("/logout")
    assert SUGGEST in (await client.get(listing)).text
    assert (await client.get("/api/v1/instance")).json()["approval_required"] is True
    assert (await client.get("/api/v2/instance")).json()["registrations"]["approval_required"]

    await sign_in(client, "ada")
    await client.post("/admin/settings", data={"registration_approval": "on"})
    await client.post("/logout")
    assert SUGGEST not in (await client.get(listing)).text
    async with services.sessions() as session:
        logged = list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert [a for a in logged if a.startswith(("registration", "corrections"))] == [
        "registration_approval on",
        "corrections_from_visitors on",
        "corrections_from_visitors off",
    ]


async def test_a_member_cannot_change_them(client: httpx.AsyncClient) -> None:
    await sign_in(client, "sam")
    refused = await client.post("/admin/settings", data={"corrections_from_visitors": "on"})
    assert refused.status_code == 403
