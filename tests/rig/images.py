"""Test images made with Pillow: a phone photo that gives away where and with what it was
taken, and plain images of a given size; and a post of the photo through the client API."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import httpx
from PIL import ExifTags, Image, ImageCms

SECRETS = (b"SecretCam", b"secret comment", b"secret-xmp")


def phone_photo(width: int = 40, height: int = 20) -> bytes:
    """A JPEG whose left half is blue and right half red, with EXIF (camera, GPS position and
    orientation 6: show it turned 90° clockwise), an XMP packet, a comment and an ICC profile."""
    image = Image.new("RGB", (width, height), "red")
    image.paste((0, 0, 255), (0, 0, width // 2, height))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "SecretCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 22.0, 5.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (4.0, 53.0, 2.0)
    buffer = io.BytesIO()
    image.save(
        buffer,
        "JPEG",
        exif=exif,
        comment=SECRETS[1],
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret-xmp</x:xmpmeta>',
        icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
    )
    return buffer.getvalue()


def has_gps(data: bytes) -> bool:
    """Whether an image carries a GPS position in its EXIF."""
    return bool(Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo))


def plain_png(width: int, height: int, mode: str = "RGB") -> bytes:
    """A one-colour PNG (tiny on disk however many pixels it has)."""
    buffer = io.BytesIO()
    Image.new(mode, (width, height)).save(buffer, "PNG")
    return buffer.getvalue()


def metadata_left(data: bytes) -> list[str]:
    """What an image still says beyond its pixels: EXIF tags, info keys, telltale bytes."""
    image = Image.open(io.BytesIO(data))
    found = [f"exif:{tag}" for tag in image.getexif()]
    found += [
        k for k in image.info if k in ("exif", "xmp", "icc_profile", "comment", "XML:com.adobe.xmp")
    ]
    found += [s.decode() for s in (*SECRETS, b"Exif\x00\x00") if s in data]
    return found


def png_header(width: int, height: int) -> bytes:
    """A 66-byte PNG that claims `width`×`height` RGBA pixels and holds none: what a
    decoder would allocate is all it costs."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"\0")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def post_photo(
    http: httpx.Client, auth: dict[str, str], text: str
) -> tuple[dict[str, Any], str, bytes]:
    """Upload `phone_photo()` and post it publicly with `text` through the client API, as an
    app does; returns the status, the photo's path on the node and the bytes it serves."""
    photo = http.post(
        "/api/v2/media", headers=auth, files={"file": ("p.jpg", phone_photo(), "image/jpeg")}
    ).json()
    posted = http.post(
        "/api/v1/statuses",
        headers=auth,
        data={"status": text, "media_ids[]": photo["id"], "visibility": "public"},
    ).json()
    media_path = "/media/" + photo["url"].rpartition("/")[2]
    return posted, media_path, http.get(media_path).content
