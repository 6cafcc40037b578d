"""Media: what an uploaded image becomes, what is refused, and whose attachments may be used."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import media, posts
from content.media import MediaAttachment, MediaError, clean_image
from tests.rig import world
from tests.rig.images import has_gps, metadata_left, phone_photo, plain_png, png_header

BASE = "https://harbour.test"


def test_a_phone_photo_keeps_its_pixels_turned_upright_and_nothing_else() -> None:
    original = phone_photo(40, 20)
    assert has_gps(original) and metadata_left(original)

    cleaned = clean_image(original)

    assert (cleaned.mime_type, cleaned.width, cleaned.height) == ("image/jpeg", 20, 40)
    assert metadata_left(cleaned.data) == []
    assert not has_gps(cleaned.data)
    upright = Image.open(io.BytesIO(cleaned.data))
    blue, red = upright.getpixel((10, 3)), upright.getpixel((10, 36))
    assert blue[2] > 200 > blue[0] and red[0] > 200 > red[2]  # the blue half is now on top


def test_png_gif_and_webp_are_re_encoded_and_transparency_kept() -> None:
    gif = io.BytesIO()
    frames = [Image.new("P", (8, 6), 1), Image.new("P", (8, 6), 2)]
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:], comment=b"secret comment")
    webp = io.BytesIO()
    Image.new("RGB", (5, 5), "green").save(webp, "WEBP", exif=Image.Exif())

    from_gif = clean_image(gif.getvalue())
    from_png = clean_image(plain_png(9, 4, "RGBA"))
    from_webp = clean_image(webp.getvalue())

    assert (from_gif.mime_type, from_gif.width, from_gif.height) == ("image/png", 8, 6)
    assert metadata_left(from_gif.data) == []
    assert Image.open(io.BytesIO(from_png.data)).mode == "RGBA"
    assert from_webp.mime_type == "image/webp"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: b"", "the file is empty"),
        (lambda: b"%PDF-1.7 not an image", "the file is not a JPEG, PNG, WebP or GIF image"),
        (lambda: b"<svg xmlns='http://www.w3.org/2000/svg'/>", "the file is not a JPEG, PNG"),
        (lambda: phone_photo()[:200], "the image is damaged and cannot be read"),
        (lambda: plain_png(8000, 6000, "1"), "the image has 8000×6000 pixels; at most 33 million"),
        (lambda: plain_png(20000, 10000, "1"), "the image has more than 33 million pixels"),
        (lambda: b"\xff" * (media.MAX_UPLOAD_BYTES + 1), "the file is larger than 16 MiB"),
    ],
    ids=["empty", "pdf", "svg", "truncated", "too-many-pixels", "bomb", "too-many-bytes"],
)
def test_what_is_not_a_usable_image_is_refused_with_a_reason(
    make: Callable[[], bytes], message: str
) -> None:
    with pytest.raises(MediaError) as refused:
        clean_image(make())
    assert str(refused.value).startswith(message)


PEAK_MEMORY = """
import resource, sys
from content.media import MediaError, clean_image
data = sys.stdin.buffer.read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    clean_image(data)
    print("accepted")
except MediaError as error:
    print(error)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


@pytest.mark.parametrize(
    ("make", "message"),
    [
        # 38 million pixels in a file of 3 kB: decoding it took ~0.4 GB (and 0.7 GB as RGBA).
        (lambda: plain_png(6400, 6000, "1"), "the image has 6400×6000 pixels; at most 33 million"),
        (lambda: png_header(30000, 30000), "the image has more than 33 million pixels"),
    ],
    ids=["just-too-many", "far-too-many"],
)
def test_a_small_file_claiming_many_pixels_is_refused_before_decoding(
    make: Callable[[], bytes], message: str
) -> None:
    checked = subprocess.run(  # in a process of its own, to measure its peak memory
        [sys.executable, "-c", PEAK_MEMORY],
        input=make(),
        capture_output=True,
        check=True,
        timeout=120,
    )
    said, grown_mb = checked.stdout.decode().splitlines()
    assert said == message
    assert int(grown_mb) < 20


def test_files_get_random_names_and_only_such_names_are_removed(tmp_path: Path) -> None:
    image = clean_image(plain_png(3, 3))
    names = {media.write_file(tmp_path, image) for _ in range(3)}
    assert len(names) == 3 and all(media.FILE_NAME.fullmatch(n) for n in names)
    (tmp_path / "keep.txt").write_text("x")
    media.remove_file(tmp_path, "../keep.txt")
    media.remove_file(tmp_path, "keep.txt")
    media.remove_file(tmp_path, sorted(names)[0])
    kept = sorted(names)[1:]
    previews = [media.preview_name(n, "jpg") for n in kept]  # each upload's, beside it
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*kept, *previews, "keep.txt"])


@pytest.mark.anyio
async def test_only_the_owners_unattached_media_go_into_a_post(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    image = clean_image(plain_png(4, 3))
    async with sessions() as session, session.begin():
        alice = await world.local_member(session, "alice")
        bob = await world.local_member(session, "bob")
        mine = media.add_local(session, alice, image, file_name="a.png", base_url=BASE)
        theirs = media.add_local(session, bob, image, file_name="b.png", base_url=BASE)
        await session.flush()
        with pytest.raises(MediaError, match=f"there is no attachment {theirs.id} of yours"):
            await media.for_new_post(session, alice, [theirs.id])
        with pytest.raises(MediaError, match="at most 4 attachments"):
            await media.for_new_post(session, alice, [mine.id] * 5)
        found = await media.for_new_post(session, alice, [str(mine.id)])
        post = posts.create_local(session, alice, "", attachments=found)
        await session.flush()
        with pytest.raises(MediaError, match=f"there is no attachment {mine.id} of yours"):
            await media.for_new_post(session, alice, [mine.id])
        with pytest.raises(posts.PostError, match="a post needs some text"):
            posts.create_local(session, alice, "  ")
        assert [m.id for m in await media.of_post(session, post.id)] == [mine.id]
        await posts.delete_post(session, post)
        assert await session.get(MediaAttachment, mine.id, populate_existing=True) is None
