"""Media attachments: images decoded, checked, turned upright and re-encoded without metadata.

An upload is never stored as it came: only its pixels are kept and written afresh, so EXIF
(camera, GPS position, times), XMP, IPTC, ICC profiles and comments are gone. Each upload also
gets a small preview (`<name>.small.<ext>`, at most PREVIEW_SIDE pixels a side) and a blurhash,
made in the same pass off the event loop. Files get random names under the node's media
folder; remote attachments are kept as links, which readers reach only through the node's
media proxy (`proxy_path`, federation/media_proxy.py).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Double, ForeignKey, String, Text, delete, false, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship

from content.accounts import Account
from content.orm import Base, new_id, utcnow
from content.paging import parse_id
from content.pools import Pool

if TYPE_CHECKING:
    from PIL import Image

    from content.posts import Post

MAX_UPLOAD_BYTES = 16 * 1024 * 1024
MAX_PIXELS = 7680 * 4320  # 33 million, as Mastodon; decoded as RGBA that is 133 MB a copy
MAX_DESCRIPTION = 1500
MAX_PER_POST = 4
MAX_REMOTE_PER_POST = 8
# The decoders Harbour lets near an upload; everything else is refused before decoding.
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
INPUT_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
ACCEPTED_MIME_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
FILE_NAME = re.compile(r"^[A-Za-z0-9_-]{32}(\.small)?\.(jpg|png|webp)$")
PREVIEW_SIDE = 640  # the preview's longer side, as Mastodon's `small`
BLURHASH_SIDE = 32  # the blurhash is computed from an image this small: it keeps 4×3 colours
BLURHASH_COMPONENTS = (4, 3)
UNATTACHED_FOR = timedelta(days=1)  # an upload in no post after this long is removed
_images = Pool(2, "images")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class MediaError(ValueError):
    """An upload or attachment is refused; the message is fit to show the member."""


class MediaAttachment(Base):
    """An image a local member uploaded (a file here) or a remote post's attachment (a link)."""

    __tablename__ = "media_attachments"

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    # Deleting a post deletes its attachments: a photo must not outlive the post it was in.
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(16), default="image")
    file_name: Mapped[str | None] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(2048))
    remote_url: Mapped[str | None] = mapped_column(String(2048))
    mime_type: Mapped[str] = mapped_column(String(255))
    width: Mapped[int | None]
    height: Mapped[int | None]
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The preview of an upload (`<name>.small.<ext>`), its size and the blurhash of both.
    preview_file_name: Mapped[str | None] = mapped_column(String(64))
    preview_width: Mapped[int | None]
    preview_height: Mapped[int | None]
    blurhash: Mapped[str | None] = mapped_column(String(64))
    # The focal point, -1.0 (left, bottom) to 1.0 (right, top), as Mastodon's `meta.focus`.
    focus_x: Mapped[float | None] = mapped_column(Double)
    focus_y: Mapped[float | None] = mapped_column(Double)
    # Once in a post, an upload is never removed as unattached: an edit may take it out of
    # the post, and the post's history still shows it.
    ever_posted: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Declared so a flush always inserts a new post before the attachments put into it.
    post: Mapped[Post | None] = relationship(lazy="raise")


@dataclass(frozen=True)
class CleanImage:
    """An image re-encoded from its pixels alone, ready to be written."""

    data: bytes
    mime_type: str
    extension: str
    width: int
    height: int
    preview: Preview


@dataclass(frozen=True)
class Preview:
    """An upload's small version and its blurhash."""

    data: bytes
    extension: str
    width: int
    height: int
    blurhash: str


@dataclass(frozen=True)
class RemoteMedia:
    """A remote post's attachment, already checked: an allowed URL and a plain description."""

    url: str
    mime_type: str
    description: str
    width: int | None
    height: int | None
    blurhash: str | None = None
    focus: tuple[float, float] | None = None


def clean_image(data: bytes) -> CleanImage:
    """Decode an uploaded image, refuse what is not one or is too big, apply its EXIF
    orientation and re-encode the pixels only. CPU-bound: call it off the event loop.
    Pillow is imported here, on the first upload, not when a node starts."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow itself refuses twice as many when it opens one
    if not data:
        raise MediaError("the file is empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise MediaError(f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # checked below
            opened = Image.open(io.BytesIO(data), formats=INPUT_FORMATS)  # reads the header only
        with opened as image:
            if image.width * image.height > MAX_PIXELS:  # before a single pixel is decoded
                raise MediaError(_too_many_pixels(image.width, image.height))
            output_format = image.format if image.format in FORMATS else "PNG"
            image.load()
            ImageOps.exif_transpose(image, in_place=True)
            pixels = _normalised(image, output_format)
            # A fresh image made from the pixels alone carries no metadata at all, whatever
            # an encoder would copy from `info`; at most two copies of the pixels at once.
            fresh = Image.new(pixels.mode, pixels.size)
            fresh.paste(pixels)
            del pixels
    except MediaError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise MediaError(
            f"the image has more than {MAX_PIXELS // 1_000_000} million pixels"
        ) from None
    except UnidentifiedImageError:
        raise MediaError("the file is not a JPEG, PNG, WebP or GIF image") from None
    except (OSError, SyntaxError, ValueError):
        raise MediaError("the image is damaged and cannot be read") from None
    # An animated GIF keeps its first frame (the one open).
    buffer = io.BytesIO()
    if output_format == "JPEG":
        fresh.save(buffer, "JPEG", quality=90, optimize=True)
    elif output_format == "WEBP":
        fresh.save(buffer, "WEBP", quality=90)
    else:
        fresh.save(buffer, "PNG", optimize=True)
    mime_type, extension = FORMATS[output_format]
    preview = make_preview(fresh)
    return CleanImage(buffer.getvalue(), mime_type, extension, fresh.width, fresh.height, preview)


def make_preview(image: Image.Image) -> Preview:
    """The preview (JPEG, or WebP to keep transparency) and blurhash of decoded pixels.
    `reducing_gap` lets Pillow shrink by whole factors first: one small copy, not a second
    full-size one. The blurhash, from the pure-Python `blurhash` package, is computed on a
    BLURHASH_SIDE thumbnail of the preview: it only keeps a few colours, and its cost grows
    with the pixels it reads."""
    from PIL import Image

    size = _fitted(image.width, image.height, PREVIEW_SIDE)
    small = (
        image
        if size == image.size
        else image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    )
    buffer = io.BytesIO()
    if small.mode == "RGBA":
        small.save(buffer, "WEBP", quality=80)
        extension = "webp"
    else:
        small.save(buffer, "JPEG", quality=80, optimize=True)
        extension = "jpg"
    hashed = blurhash_of(small)
    return Preview(buffer.getvalue(), extension, small.width, small.height, hashed)


def blurhash_of(image: Image.Image) -> str:
    """The blurhash of `image`, computed on a BLURHASH_SIDE thumbnail of it."""
    import blurhash
    from PIL import Image

    tiny = image.convert("RGB").resize(
        _fitted(image.width, image.height, BLURHASH_SIDE), Image.Resampling.BILINEAR
    )
    flat = list(tiny.tobytes())
    rows = [
        [flat[i : i + 3] for i in range(start, start + 3 * tiny.width, 3)]
        for start in range(0, len(flat), 3 * tiny.width)
    ]
    x_components, y_components = BLURHASH_COMPONENTS
    if tiny.height > tiny.width:
        x_components, y_components = y_components, x_components
    encoded: str = blurhash.encode(rows, x_components, y_components)
    return encoded


def _fitted(width: int, height: int, side: int) -> tuple[int, int]:
    """`width`×`height` scaled down (never up) so the longer side is at most `side`."""
    scale = min(1.0, side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _normalised(image: Image.Image, output_format: str) -> Image.Image:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    mode = "RGBA" if has_alpha and output_format != "JPEG" else "RGB"
    return image if image.mode == mode else image.convert(mode)


def _too_many_pixels(width: int, height: int) -> str:
    return f"the image has {width}×{height} pixels; at most {MAX_PIXELS // 1_000_000} million"


async def clean_image_off_loop(data: bytes) -> CleanImage:
    """`clean_image` in a pool of two threads of its own: decoding takes up to a few hundred
    MB, so only two at once, whatever the number of uploads."""
    return await _images.run(lambda: clean_image(data))


def write_file(directory: Path, image: CleanImage) -> str:
    """Write a cleaned image under a new random name in `directory`, and its preview beside
    it (`preview_name`); return the image's name."""
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_urlsafe(24)}.{image.extension}"
    _write_new(directory / name, image.data)
    _write_new(directory / preview_name(name, image.preview.extension), image.preview.data)
    return name


def _write_new(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def preview_name(name: str, extension: str) -> str:
    """The file name of the preview of the stored image `name`."""
    return f"{name.partition('.')[0]}.small.{extension}"


def remove_file(directory: Path, name: str | None) -> None:
    """Delete a stored file, if the name is one of ours, and its preview if it has one."""
    if name and FILE_NAME.fullmatch(name):
        (directory / name).unlink(missing_ok=True)
        for extension in ("jpg", "webp"):
            (directory / preview_name(name, extension)).unlink(missing_ok=True)


def remove_files(directory: Path, names: Iterable[str | None]) -> None:
    """Delete stored files (after the transaction that dropped their rows committed)."""
    for name in names:
        remove_file(directory, name)


def add_local(
    session: AsyncSession,
    owner: Account,
    image: CleanImage,
    *,
    file_name: str,
    base_url: str,
    description: str = "",
) -> MediaAttachment:
    """Record an uploaded image, not yet attached to a post."""
    attachment = MediaAttachment(
        id=new_id(),
        account_id=owner.id,
        type="image",
        file_name=file_name,
        url=f"{base_url}/media/{file_name}",
        mime_type=image.mime_type,
        width=image.width,
        height=image.height,
        description=plain_description(description),
        created_at=utcnow(),
        preview_file_name=preview_name(file_name, image.preview.extension),
        preview_width=image.preview.width,
        preview_height=image.preview.height,
        blurhash=image.preview.blurhash,
    )
    session.add(attachment)
    return attachment


def parse_focus(value: object) -> tuple[float, float] | None:
    """Mastodon's `focus` parameter, "x,y" each from -1.0 to 1.0; None if it is not one."""
    parts = str(value).split(",")
    try:
        x, y = (float(p) for p in parts) if len(parts) == 2 else (None, None)
    except ValueError:
        return None
    if x is None or y is None or not (-1.0 <= x <= 1.0 and -1.0 <= y <= 1.0):
        return None
    return x, y


def proxy_path(kind: str, row_id: int, url: str) -> str:
    """Where this node serves a remote file: `kind` is "media", "avatar" or "header", `row_id`
    the attachment's or account's id; the digest of the remote URL makes the path change
    when the file does (so it can be cached for long) and names nothing a reader could use."""
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    return f"/media/proxy/{kind}/{row_id}/{digest}"


async def remove_unattached(session: AsyncSession, now: datetime) -> list[str]:
    """Delete uploads that were never in a post, UNATTACHED_FOR after they were made, and
    commit; return their file names, to delete once committed."""
    stale = (
        MediaAttachment.post_id.is_(None),
        MediaAttachment.file_name.is_not(None),
        MediaAttachment.ever_posted.is_(False),
        MediaAttachment.created_at < now - UNATTACHED_FOR,
    )
    # RETURNING: exactly the rows deleted, even if one was put into a post meanwhile.
    removed = await session.scalars(
        delete(MediaAttachment).where(*stale).returning(MediaAttachment.file_name)
    )
    names = [n for n in removed if n]
    await session.commit()
    return names


def plain_description(text: str) -> str:
    """A description as plain text: no control characters, at most MAX_DESCRIPTION long."""
    return _CONTROL.sub("", text).strip()[:MAX_DESCRIPTION]


async def get_unattached(
    session: AsyncSession, owner: Account, raw_id: object
) -> MediaAttachment | None:
    """The owner's own attachment that is not in a post yet; None for anyone else's."""
    media_id = parse_id(raw_id)
    if media_id is None:
        return None
    found = await session.get(MediaAttachment, media_id)
    if found is None or found.account_id != owner.id or found.post_id is not None:
        return None
    return found


async def for_new_post(
    session: AsyncSession, owner: Account, raw_ids: Sequence[object]
) -> list[MediaAttachment]:
    """The attachments a new post asks for, in the order asked: the owner's own, unattached."""
    if len(raw_ids) > MAX_PER_POST:
        raise MediaError(f"a post has at most {MAX_PER_POST} attachments")
    found = []
    for raw_id in dict.fromkeys(str(i) for i in raw_ids):
        attachment = await get_unattached(session, owner, raw_id)
        if attachment is None:
            raise MediaError(f"there is no attachment {raw_id} of yours that is not in a post")
        found.append(attachment)
    return found


async def for_edit(
    session: AsyncSession, owner: Account, post: Post, raw_ids: Sequence[object]
) -> list[MediaAttachment]:
    """The attachments an edit asks for, in the order asked: the owner's own, already in
    this post or in none yet."""
    if len(raw_ids) > MAX_PER_POST:
        raise MediaError(f"a post has at most {MAX_PER_POST} attachments")
    found = []
    for raw_id in dict.fromkeys(str(i) for i in raw_ids):
        media_id = parse_id(raw_id)
        row = await session.get(MediaAttachment, media_id) if media_id is not None else None
        if row is None or row.account_id != owner.id or row.post_id not in (None, post.id):
            raise MediaError(f"there is no attachment {raw_id} of yours that is not in a post")
        found.append(row)
    return found


async def replace_attachments(
    session: AsyncSession, post: Post, attachments: Sequence[MediaAttachment]
) -> None:
    """Make `attachments` the post's own: the others leave it (their files stay, for the
    post's history)."""
    keep = {a.id for a in attachments}
    for row in await of_post(session, post.id):
        if row.id not in keep:
            row.post_id = None
    attach(post, attachments)


def attach(post: Post, attachments: Sequence[MediaAttachment]) -> None:
    """Put attachments into a post."""
    for attachment in attachments:
        attachment.post = post
        attachment.ever_posted = True


async def of_posts(
    session: AsyncSession, post_ids: Sequence[int]
) -> dict[int, list[MediaAttachment]]:
    """The attachments of several posts, by post id, in upload order."""
    found: dict[int, list[MediaAttachment]] = {i: [] for i in post_ids}
    if not post_ids:
        return found
    rows = await session.scalars(
        select(MediaAttachment)
        .where(MediaAttachment.post_id.in_(post_ids))
        .order_by(MediaAttachment.id)
    )
    for row in rows:
        found[row.post_id or 0].append(row)
    return found


async def of_post(session: AsyncSession, post_id: int) -> list[MediaAttachment]:
    """One post's attachments, in upload order."""
    return (await of_posts(session, [post_id]))[post_id]


async def remove_remote(session: AsyncSession, post_id: int) -> None:
    """Forget a remote post's attachments (before its edited version's are added)."""
    await session.execute(
        delete(MediaAttachment).where(
            MediaAttachment.post_id == post_id, MediaAttachment.file_name.is_(None)
        )
    )


def add_remote(
    session: AsyncSession, author: Account, post_id: int, found: Sequence[RemoteMedia]
) -> None:
    """Record a remote post's attachments as links (at most MAX_REMOTE_PER_POST)."""
    for item in found[:MAX_REMOTE_PER_POST]:
        major = item.mime_type.partition("/")[0]
        session.add(
            MediaAttachment(
                id=new_id(),
                account_id=author.id,
                post_id=post_id,
                type=major if major in ("image", "video", "audio") else "unknown",
                url=item.url,
                remote_url=item.url,
                mime_type=item.mime_type,
                width=item.width,
                height=item.height,
                description=plain_description(item.description),
                created_at=utcnow(),
                ever_posted=True,
                blurhash=item.blurhash,
                focus_x=item.focus[0] if item.focus else None,
                focus_y=item.focus[1] if item.focus else None,
            )
        )
