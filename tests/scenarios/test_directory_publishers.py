"""Who publishes into a node's directory, on three real nodes: A's organisation, which B's
member follows, does; a person on A whom she follows, C's organisation she has only asked
to follow (C limits B, so the request waits), and A's organisation on C, where nobody
follows it, do not, whatever they send signed with their own keys."""

from __future__ import annotations

import re
from contextlib import closing
from typing import Any

import pytest
from sqlalchemy import select

from content import accounts
from federation.inbox import InboxItem
from tests.node.test_listing_inbox import listing
from tests.rig.nodes import NodeProcess, read_database, wait_for
from tests.rig.signing import signed_post
from tests.scenarios.test_directory_federation import directory, following, publish

# Unsigned GETs must find nothing they should not even where a node allows them.
pytestmark = [pytest.mark.processes, pytest.mark.unsigned_fetches]


def send_listing(sender: NodeProcess, username: str, to: NodeProcess, name: str) -> str:
    """POST a Create of a listing named `name` into `to`'s inbox, signed by `username` on
    `sender` with its own key, as a hostile account holder could; returns the activity id."""

    async def key(session: Any) -> tuple[str, str]:
        account = await accounts.get_local(session, username)
        assert account is not None and account.private_key_pem
        return account.key_id, account.private_key_pem

    key_id, private_pem = read_database(sender, key)
    actor = f"{sender.base_url}/users/{username}"
    slug = name.replace(" ", "-")  # ids are written in canonical form
    document = listing(id=f"{sender.base_url}/directory/{slug}", attributedTo=actor, name=name)
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{document['id']}/create",
        "type": "Create",
        "actor": actor,
        "object": document,
    }
    headers, body = signed_post("/inbox", activity, host=to.domain, key_id=key_id,
                                private_pem=private_pem)  # fmt: skip
    with to.client() as http:
        assert http.post("/inbox", headers=headers, content=body).status_code == 202
    return str(activity["id"])


def state_of(node: NodeProcess, activity_id: str) -> str | None:
    async def read(session: Any) -> str | None:
        query = select(InboxItem.state).where(InboxItem.activity_id == activity_id)
        state: str | None = (await session.scalars(query)).first()
        return state

    return read_database(node, read)


# C's Create waits (unseen) for an Accept that never comes: held back, not a failure.
@pytest.mark.expect_failures(r"Pending-clinic/create retry: waiting for .* to accept a follow")
def test_only_an_accepted_organisation_publishes_into_the_directory(
    fleet: list[NodeProcess],
) -> None:
    a, b, c = fleet
    sam_password = a.create_member("sam")
    assert a.run("admin", "grant", "sam", "--role", "staff").returncode == 0
    mallory_password = a.create_member("mallory")
    assert c.run("domain", "block", b.domain, "--severity", "silence").returncode == 0
    with (
        closing(a.sign_in("sam", sam_password)) as sam,
        closing(a.sign_in("mallory", mallory_password)) as mallory,
        closing(b.sign_in("bob", b.create_member("bob"))) as bob,
    ):
        for handle in (f"mallory@{a.domain}", f"organisation@{a.domain}"):
            bob.post("/follow", data={"handle": handle})
        bob.post("/follow", data={"handle": f"organisation@{c.domain}"})
        wait_for(lambda: "/accept" in mallory.get("/follow-requests").text, what="bob's request")
        [accept] = re.findall(
            r'action="(/follow-requests/\d+/accept)"', mallory.get("/follow-requests").text
        )
        assert mallory.post(accept).status_code == 303
        wait_for(lambda: following(b, "bob") == 2, what="B follows mallory and A's organisation")

        by_person = send_listing(a, "mallory", b, "Mallory clinic")
        by_pending = send_listing(c, "organisation", b, "Pending clinic")
        by_stranger = send_listing(a, "organisation", c, "Stranger clinic")
        wait_for(lambda: state_of(b, by_person) == "ignored", what="B ignored mallory's Create")
        wait_for(lambda: state_of(b, by_pending) == "retry", what="B holds C's Create back")
        wait_for(lambda: state_of(c, by_stranger) == "ignored", what="C ignored A's Create")

        publish(sam)
        wait_for(lambda: "Rosa night clinic" in directory(b), what="A's listing at B")
        shown = directory(b)
        assert f"({a.domain}) · verified" in shown  # listed by its origin
        assert "Mallory clinic" not in shown and "Pending clinic" not in shown
        assert "Stranger clinic" not in directory(c) and "Rosa night clinic" not in directory(c)
