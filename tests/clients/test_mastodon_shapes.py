"""Mastodon.py on two real nodes: sensitive media, linked mentions, and pasted URLs."""

from __future__ import annotations

import io

import pytest

from tests.clients.test_mastodon_py import client, follow_approved
from tests.rig.images import phone_photo
from tests.rig.nodes import NodeProcess, wait_for

pytestmark = pytest.mark.processes


def test_sensitive_media_and_mentions_here_and_on_a_followers_node(
    two_nodes: tuple[NodeProcess, NodeProcess],
) -> None:
    a, b = two_nodes
    alice = client(a, "alice", a.create_member("alice"))
    bob_password = b.create_member("bob")
    bob = client(b, "bob", bob_password)
    follow_approved(bob, alice, f"alice@{a.domain}")
    uploaded = alice.media_post(io.BytesIO(phone_photo()), "image/jpeg", description="A bruise")
    posted = alice.status_post(
        f"Before and after, for @bob@{b.domain}", media_ids=[uploaded], sensitive=True
    )
    assert posted.sensitive is True and posted.spoiler_text == ""
    assert alice.status(posted.id).sensitive is True
    # The mention is a link to bob, as Mastodon writes one.
    [mention] = posted.mentions
    assert mention.acct == f"bob@{b.domain}"
    assert f'href="{mention.url}" class="u-url mention">@<span>bob</span></a>' in posted.content

    wait_for(lambda: bool(bob.timeline_home()), what="alice's post at B")
    [copy] = bob.timeline_home()
    assert copy.sensitive is True
    assert [m.type for m in copy.media_attachments] == ["image"]
    assert 'class="u-url mention"' in copy.content
    # On bob's home page the photo waits behind a click that needs no script.
    browser = b.sign_in("bob", bob_password)
    page = browser.get("/home").text
    browser.close()
    hidden = page.split('<details class="sensitive">', 1)
    assert len(hidden) == 2, "the sensitive photo is not behind a <details>"
    assert "Sensitive media: show" in hidden[1].split("</details>", 1)[0]
    assert "A bruise" in hidden[1].split("</details>", 1)[0]


def test_search_resolves_pasted_post_and_profile_urls(
    two_nodes: tuple[NodeProcess, NodeProcess],
) -> None:
    a, b = two_nodes
    alice = client(a, "alice", a.create_member("alice"))
    bob = client(b, "bob", b.create_member("bob"))
    posted = bob.status_post("Worth sharing by its link", visibility="public")
    me = bob.account_verify_credentials()

    unresolved = alice.search_v2(posted.uri, resolve=False, result_type="statuses")
    assert unresolved.statuses == []
    [found] = alice.search_v2(posted.uri, resolve=True, result_type="statuses").statuses
    assert found.content == "<p>Worth sharing by its link</p>"
    assert found.account.acct == f"bob@{b.domain}"
    [profile] = alice.search_v2(me.url, resolve=True, result_type="accounts").accounts
    assert profile.acct == f"bob@{b.domain}"
    # Only the kind asked for comes back.
    assert alice.search_v2(me.url, resolve=True, result_type="statuses").statuses == []

    # A blocked server is never asked, and nothing from it is found.
    later = bob.status_post("Said after the block", visibility="public")
    assert a.run("domain", "block", b.domain.split(":")[0]).returncode == 0
    assert alice.search_v2(later.uri, resolve=True, result_type="statuses").statuses == []
