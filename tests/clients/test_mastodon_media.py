"""Mastodon.py uploading photos and editing a profile on real Harbour nodes."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.clients.test_mastodon_py import client, follow_approved
from tests.rig.images import has_gps, metadata_left, phone_photo
from tests.rig.nodes import NodeProcess, wait_for

pytestmark = pytest.mark.processes


def jpeg(path: Path) -> io.BytesIO:
    """A file's contents as an open file (Mastodon.py leaves files it opens itself unclosed)."""
    return io.BytesIO(path.read_bytes())


def download(url: str) -> bytes:
    response = httpx.get(url, timeout=20)
    assert response.status_code == 200, url
    return response.content


def test_a_photo_posted_from_mastodon_py_is_served_without_exif(
    node: NodeProcess, tmp_path: Path
) -> None:
    api = client(node, "alice", node.create_member("alice"))
    assert api.instance().configuration.statuses.max_media_attachments == 4
    photo = tmp_path / "IMG_0001.jpg"
    photo.write_bytes(phone_photo(40, 20))
    assert has_gps(photo.read_bytes())

    uploaded = api.media_post(
        jpeg(photo), "image/jpeg", description="Flyers for Friday", focus=(0.0, 0.5)
    )
    assert uploaded.preview_url != uploaded.url and len(uploaded.blurhash) == 28
    posted = api.status_post("Our stall this week", media_ids=[uploaded])
    only_media = api.status_post("", media_ids=[api.media_post(jpeg(photo), "image/jpeg")])

    read = api.status(posted.id)
    [attachment] = read.media_attachments
    assert (attachment.id, attachment.type, attachment.description) == (
        uploaded.id,
        "image",
        "Flyers for Friday",
    )
    assert (attachment.meta.original.width, attachment.meta.original.height) == (20, 40)
    assert (attachment.meta.small.width, attachment.meta.small.height) == (20, 40)
    assert attachment.meta.focus == {"x": 0.0, "y": 0.5}
    assert attachment.preview_url.endswith(".small.jpg") and attachment.blurhash
    assert Image.open(io.BytesIO(download(attachment.preview_url))).size == (20, 40)
    served = download(attachment.url)
    assert metadata_left(served) == [] and not has_gps(served)
    assert Image.open(io.BytesIO(served)).size == (20, 40)
    assert api.status(only_media.id).media_attachments[0].type == "image"


def test_profile_changes_from_mastodon_py_are_visible(node: NodeProcess, tmp_path: Path) -> None:
    api = client(node, "alice", node.create_member("alice"))
    avatar = tmp_path / "me.jpg"
    avatar.write_bytes(phone_photo())

    changed = api.account_update_credentials(
        display_name="Alice (she/her)",
        note="Outreach worker.\nAsk me about the clinic.",
        fields=[("Languages", "nl, en"), ("Hours", "Fri 10-14")],
        avatar=jpeg(avatar),
        avatar_mime_type="image/jpeg",
    )

    seen = api.account(changed.id)
    assert seen.display_name == "Alice (she/her)"
    assert seen.note == "<p>Outreach worker.<br>Ask me about the clinic.</p>"
    assert [(f.name, f.value) for f in seen.fields] == [
        ("Languages", "nl, en"),
        ("Hours", "Fri 10-14"),
    ]
    assert api.account_verify_credentials().source.note == changed.source.note
    assert metadata_left(download(seen.avatar)) == []


def test_a_photo_and_a_new_name_reach_a_follower_on_another_node(
    two_nodes: tuple[NodeProcess, NodeProcess], tmp_path: Path
) -> None:
    a, b = two_nodes
    alice = client(a, "alice", a.create_member("alice"))
    bob = client(b, "bob", b.create_member("bob"))
    alice_at_b = follow_approved(bob, alice, f"alice@{a.domain}")
    photo = tmp_path / "stall.jpg"
    photo.write_bytes(phone_photo())
    uploaded = alice.media_post(jpeg(photo), "image/jpeg", description="Our stall")
    alice.status_post("Come by the stall", media_ids=[uploaded])

    wait_for(lambda: bool(bob.timeline_home()), what="alice's post at B")
    [copy] = bob.timeline_home()
    [attachment] = copy.media_attachments
    assert (attachment.type, attachment.description) == ("image", "Our stall")
    # B serves A's photo itself, from its media proxy; `remote_url` says where it came from.
    assert attachment.url.startswith(f"{b.base_url}/media/proxy/media/")
    assert attachment.preview_url == attachment.url and attachment.remote_url == uploaded.url
    assert (attachment.meta.original.width, attachment.meta.original.height) == (20, 40)
    assert download(attachment.url) == download(uploaded.url)

    avatar = alice.account_update_credentials(
        display_name="Alice at the stall", avatar=jpeg(photo), avatar_mime_type="image/jpeg"
    ).avatar
    wait_for(
        lambda: bob.account(alice_at_b.id).display_name == "Alice at the stall",
        what="alice's new name at B",
    )
    assert avatar.startswith(f"{a.base_url}/media/")
    seen_at_b = bob.account(alice_at_b.id).avatar
    assert seen_at_b.startswith(f"{b.base_url}/media/proxy/avatar/{alice_at_b.id}/")
    assert download(seen_at_b) == download(avatar)
