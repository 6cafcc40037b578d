"""What a preview and a blurhash add to an upload, against just decoding the image.

Run: .venv/bin/python benchmarks/media_upload.py [--width 4032 --height 3024] [--repeats 7]

Two JPEGs made here: a phone photo (`--width`×`--height`, 12 megapixels by default, with
photo-like detail and noise, quality 90) and a small one (640×480). For each, the median of
`--repeats` runs, in one process and one run: Pillow decoding the file (the baseline), the
whole of `content.media.clean_image` as an upload runs it (decode, turn upright, re-encode,
preview, blurhash), and within that `make_preview` (the 640-pixel preview and its blurhash)
and the blurhash alone (`blurhash_of` the preview, on its 32-pixel thumbnail).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from content import media  # noqa: E402


def photo(width: int, height: int) -> bytes:
    """A JPEG with a photo's mix of smooth areas, edges and sensor noise."""
    scene = Image.effect_mandelbrot((width, height), (-2.2, -1.2, 1.0, 1.2), 80).convert("RGB")
    grain = Image.effect_noise((width, height), 24).convert("RGB")
    mixed = Image.blend(scene, grain, 0.25)
    buffer = io.BytesIO()
    mixed.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def decode(data: bytes) -> Image.Image:
    """The baseline: what Pillow does to read the file at all."""
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def preview_size(image: Image.Image) -> Image.Image:
    """The decoded image at its preview's size, as `make_preview` hands it to the blurhash."""
    return image.resize(media._fitted(image.width, image.height, media.PREVIEW_SIDE))


def median_ms(work: Callable[[], object], repeats: int) -> float:
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs) * 1000


def measure(name: str, data: bytes, repeats: int) -> None:
    decoded = decode(data)
    baseline = median_ms(lambda: decode(data), repeats)
    cleaned = median_ms(lambda: media.clean_image(data), repeats)
    preview = median_ms(lambda: media.make_preview(decoded), repeats)
    small = preview_size(decoded)
    hashed = median_ms(lambda: media.blurhash_of(small), repeats)
    size = f"{decoded.width}x{decoded.height}, {len(data) / 1_048_576:.2f} MiB"
    print(f"{name} ({size}), median of {repeats}:")
    print(f"  decode only (baseline)       {baseline:8.1f} ms")
    print(f"  whole upload (clean_image)   {cleaned:8.1f} ms = {cleaned / baseline:.2f}x decode")
    print(
        f"  preview + blurhash           {preview:8.1f} ms = {preview / baseline:.2f}x decode,"
        f" {100 * preview / cleaned:.0f}% of the upload"
    )
    print(f"  blurhash alone               {hashed:8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=4032)
    parser.add_argument("--height", type=int, default=3024)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    measure("phone photo", photo(args.width, args.height), args.repeats)
    measure("small photo", photo(640, 480), args.repeats)


if __name__ == "__main__":
    main()
