"""Benchmarks of content handling at a tiny size: sanitising and media uploads; and the
check that every benchmark has a tiny run in this folder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.benchmarks.tiny import BENCHMARKS, MS, run, shows

pytestmark = pytest.mark.processes


def test_sanitise() -> None:
    # The 1 MiB worst cases are fixed by the sanitiser's bounds; only the raw table shrinks.
    output = run("sanitise.py", "--tags", "50", "--repeats", "1")
    shows(
        output,
        r"Raw, 50 tags or attributes, no bounds \(median of 1\)",
        r"1 MiB worst cases, bounded to \d+ characters",
        r"nh3 +.+ took +[\d.]+ms, longest loop stall +[\d.]+ms",
    )


def test_media_upload() -> None:
    output = run("media_upload.py", "--width", "400", "--height", "300", "--repeats", "1")
    for name in (r"phone photo \(400x300", r"small photo \(640x480"):
        shows(output, rf"{name}, [\d.]+ MiB\), median of 1:")
    shows(
        output,
        rf"decode only \(baseline\) +{MS}",
        rf"whole upload \(clean_image\) +{MS} = [\d.]+x decode",
        rf"preview \+ blurhash +{MS} = [\d.]+x decode, \d+% of the upload",
        rf"blurhash alone +{MS}",
    )


def test_every_benchmark_has_a_test() -> None:
    scripts = {p.stem for p in BENCHMARKS.glob("*.py") if not p.name.startswith("_")}
    modules = "".join(p.read_text() for p in Path(__file__).parent.glob("test_*.py"))
    tested = set(re.findall(r"^def test_(\w+)", modules, re.M))
    assert scripts <= tested, f"benchmarks without a tiny run here: {scripts - tested}"
