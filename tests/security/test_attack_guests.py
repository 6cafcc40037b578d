"""Attack: reading a member's posts without signing in, when she hides them from guests.

A member can hide her public posts from signed-out visitors (as GoToSocial does): the web
pages honoured it, but the client API answered anyone without a token (or with an app's own
token, which names no member) with those posts, one by one, in the public and hashtag
timelines and in her list of posts. Found and checked on a real node process.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rig.nodes import NodeProcess, free_port

pytestmark = pytest.mark.processes
SECRET = "where can I get tested this week #harbourtag"


@pytest.fixture
def node(database_url: str, tmp_path: Path) -> Iterator[NodeProcess]:
    node = NodeProcess(port=free_port(), data_dir=tmp_path / "node", database_url=database_url)
    node.start()
    yield node
    node.stop()


def test_posts_hidden_from_guests_are_not_served_to_them_by_the_client_api(
    node: NodeProcess,
) -> None:
    password = node.create_member("alice")
    member = {"Authorization": f"Bearer {node.app_token('alice', password, 'read write')}"}
    with node.client() as http:
        hidden = {"hide_from_guests": "true"}
        answer = http.patch("/api/v1/accounts/update_credentials", data=hidden, headers=member)
        assert answer.status_code == 200, answer.text
        status = http.post(
            "/api/v1/statuses", data={"status": SECRET, "visibility": "public"}, headers=member
        ).json()
        post, alice = status["id"], status["account"]["id"]
        app = http.post(
            "/api/v1/apps",
            data={"client_name": "guest", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"},
        ).json()
        app_only = http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "client_id": app["client_id"],
                  "client_secret": app["client_secret"]},
        ).json()["access_token"]  # fmt: skip
        guests = [{}, {"Authorization": f"Bearer {app_only}"}]
        # The web page refuses a guest; so must every client API way to the same post.
        assert http.get(f"/@alice/{post}").status_code == 404
        for headers in guests:
            for path in (f"/api/v1/statuses/{post}", f"/api/v1/statuses/{post}/context"):
                assert http.get(path, headers=headers).status_code == 404, (path, headers)
            for path in (
                "/api/v1/timelines/public",
                "/api/v1/timelines/public?local=true",
                "/api/v1/timelines/tag/harbourtag",
                f"/api/v1/accounts/{alice}/statuses",
            ):
                answer = http.get(path, headers=headers)
                assert answer.status_code == 200, answer.text
                assert "where can I get tested" not in answer.text, (path, headers)
        # Signed in, she and other members still read it.
        assert http.get(f"/api/v1/statuses/{post}", headers=member).status_code == 200
        timeline = http.get("/api/v1/timelines/tag/harbourtag", headers=member).json()
        assert [s["id"] for s in timeline] == [post]
