"""A member moves her follows between real nodes in Mastodon's file: she downloads
`following_accounts.csv` on node A and imports it on node C, whose worker follows the same
accounts on A and B through WebFinger and signed Follows; once they accept, her home
timeline on C shows their posts."""

from __future__ import annotations

import re
from contextlib import closing

import httpx
import pytest

from tests.rig.nodes import NodeProcess, wait_for
from tests.scenarios.test_message_signatures_federation import approve_all, follow, home, post

pytestmark = pytest.mark.processes
HEADER = "Account address,Show boosts,Notify on new posts,Languages"


def import_follows(member: httpx.Client, file: str) -> None:
    sent = member.post(
        "/settings/lists/import",
        data={"kind": "following_accounts", "mode": "merge"},
        files={"file": ("following_accounts.csv", file.encode(), "text/csv")},
    )
    assert sent.headers["location"] == "/settings/lists"


def test_follows_exported_on_one_node_are_followed_again_from_another(
    fleet: list[NodeProcess],
) -> None:
    a, b, c = fleet
    with (
        closing(a.sign_in("mara", a.create_member("mara"))) as mara_on_a,
        closing(a.sign_in("anna", a.create_member("anna"))) as anna,
        closing(b.sign_in("bea", b.create_member("bea"))) as bea,
        closing(c.sign_in("mara", c.create_member("mara"))) as mara_on_c,
    ):
        follow(mara_on_a, f"anna@{a.domain}")
        approve_all(anna)
        follow(mara_on_a, f"bea@{b.domain}")
        approve_all(bea)
        download = mara_on_a.get("/settings/lists/following_accounts.csv")
        assert download.headers["content-disposition"].startswith("attachment")
        assert download.text.splitlines() == [
            HEADER,
            f"anna@{a.domain},true,false,",
            f"bea@{b.domain},true,false,",
        ]

        import_follows(mara_on_c, download.text)
        approve_all(anna)
        approve_all(bea)
        post(anna, "Anna writes from A")
        post(bea, "Bea writes from B")
        wait_for(lambda: "Anna writes from A" in home(mara_on_c), what="A's post at C")
        wait_for(lambda: "Bea writes from B" in home(mara_on_c), what="B's post at C")
        page = mara_on_c.get("/settings/lists").text
        assert "Lines: 2. Done: 2. Waiting: 0. Failed: 0." in page
        mine = mara_on_c.get("/settings/lists/following_accounts.csv").text
        assert sorted(mine.splitlines()) == sorted(download.text.splitlines())  # applied at once
        assert not re.search(r"/follow-requests/\d+/accept", anna.get("/follow-requests").text)
