"""Sanitising hostile HTML: bleach (html5lib) against nh3 (ammonia), raw and as Harbour bounds it.

Run: .venv/bin/python benchmarks/sanitise.py [--tags 5000] [--repeats 3]

The shapes are the attacks of issue 12: deep nesting of inline, list and block tags, one tag
with many attributes, flat text, each raw at `--tags` tags and then at 1 MiB through the
bounds `content.sanitize` applies before parsing (MAX_MARKUP characters, MAX_TAGS tags).
Both libraries get the same allow-list and the same linking of bare addresses. The last
table runs each bounded worst case in a thread and reports the event loop's longest stall:
bleach is pure Python and holds the GIL, nh3 releases it.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import bleach
from bleach.linkifier import Linker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from content import sanitize  # noqa: E402

MIB = 1_048_576


def bleach_clean(markup: str) -> str:
    """Harbour's sanitiser as it was with bleach: the same allow-list, then linkify."""

    def allowed(tag: str, name: str, value: str) -> bool:
        if tag not in ("a", "span"):
            return False
        if name == "class":
            return all(sanitize.ALLOWED_CLASS.fullmatch(c) for c in value.split())
        return tag == "a" and name in ("href", "rel")

    def set_rel(attrs: dict[object, str], new: bool = False) -> dict[object, str]:
        attrs[(None, "rel")] = sanitize.LINK_REL
        return attrs

    cleaned = bleach.clean(
        markup,
        tags=sanitize.ALLOWED_TAGS,
        attributes=allowed,
        protocols=sanitize.ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
    )
    return Linker(callbacks=[set_rel], skip_tags={"pre", "code"}).linkify(cleaned)


def bounded(clean: Callable[[str], str], markup: str) -> str:
    """`clean` behind Harbour's bounds: markup cut, too many tags reduced to text."""
    markup = markup[: sanitize.MAX_MARKUP]
    if len(sanitize._TAG_START.findall(markup)) > sanitize.MAX_TAGS:
        return sanitize._text_of(markup)
    return clean(markup)


def nh3_raw(markup: str) -> str:
    """nh3 with Harbour's options and no bounds."""
    saved = sanitize.MAX_MARKUP, sanitize.MAX_TAGS
    sanitize.MAX_MARKUP, sanitize.MAX_TAGS = len(markup), len(markup)
    try:
        return sanitize.clean_html(markup)
    finally:
        sanitize.MAX_MARKUP, sanitize.MAX_TAGS = saved


def nested(open_tag: str, close_tag: str, count: int) -> str:
    return open_tag * count + "x" + close_tag * count


def shapes(tags: int) -> dict[str, str]:
    """Each attack with `tags` tags (or attributes)."""
    return {
        "nested <b>": nested("<b>", "</b>", tags),
        "nested <ul><li>": nested("<ul><li>", "</li></ul>", tags // 2),
        "nested <div>": nested("<div>", "</div>", tags),
        "nested <blockquote>": nested("<blockquote>", "</blockquote>", tags),
        "<span> with many attributes": "<span "
        + " ".join(f"a{i}=1" for i in range(tags))
        + ">x</span>",
        "flat text with links": "word https://example.org/x " * tags,
    }


def mebibyte(markup: str) -> str:
    """1 MiB made of the shape's first MAX_TAGS tags (the most the bounds let through),
    padded with text: the worst a shape can do once bounded."""
    head = markup[: markup.find(">") + 1] if markup.startswith("<span") else markup
    head = head.split("x</", 1)[0]  # opening tags only: closing ones count as tags too
    return (head + "x" * MIB)[:MIB]


def median_seconds(clean: Callable[[str], str], markup: str, repeats: int) -> float:
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        clean(markup)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


async def longest_stall(clean: Callable[[str], str], markup: str) -> tuple[float, float]:
    """(seconds the thread took, the event loop's longest gap between 1 ms ticks)."""
    task = asyncio.create_task(asyncio.to_thread(clean, markup))
    started = last = time.perf_counter()
    stall = 0.0
    while not task.done():
        await asyncio.sleep(0.001)
        now = time.perf_counter()
        stall, last = max(stall, now - last), now
    await task
    return time.perf_counter() - started, stall


def table(title: str, rows: list[tuple[str, float, float]]) -> None:
    print(f"\n{title}")
    print(f"{'shape':38} {'bleach':>10} {'nh3':>10} {'bleach/nh3':>11}")
    for name, slow, fast in rows:
        print(f"{name:38} {slow * 1000:>8.1f}ms {fast * 1000:>8.2f}ms {slow / fast:>10.0f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tags", type=int, default=5_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    raw = [
        (name, median_seconds(bleach_clean, markup, args.repeats),
         median_seconds(nh3_raw, markup, args.repeats))
        for name, markup in shapes(args.tags).items()
    ]  # fmt: skip
    table(f"Raw, {args.tags} tags or attributes, no bounds (median of {args.repeats})", raw)
    big = {
        name: mebibyte(markup)
        for name, markup in shapes(sanitize.MAX_TAGS).items()
        if "attributes" not in name
    }
    big["<span> with many attributes"] = mebibyte(shapes(MIB // 8)["<span> with many attributes"])
    big["flat text with links"] = mebibyte(shapes(MIB // 28)["flat text with links"])
    capped = [
        (name, median_seconds(partial(bounded, bleach_clean), markup, args.repeats),
         median_seconds(sanitize.clean_html, markup, args.repeats))
        for name, markup in big.items()
    ]  # fmt: skip
    table(
        f"1 MiB worst cases, bounded to {sanitize.MAX_MARKUP} characters and "
        f"{sanitize.MAX_TAGS} tags "
        f"(median of {args.repeats})",
        capped,
    )
    # The worst shapes are those the table just timed (bleach takes seconds on each).
    bleach_worst = max(capped, key=lambda row: row[1])[0]
    worst = max(capped, key=lambda row: row[2])[0]
    print("\nEvent loop while the worst bounded 1 MiB input is sanitised in a thread:")
    for label, clean, name in (
        ("bleach", partial(bounded, bleach_clean), bleach_worst),
        ("nh3", sanitize.clean_html, worst),
    ):
        took, stall = asyncio.run(longest_stall(clean, big[name]))
        print(f"{label:7} {name:38} took {took * 1000:7.1f}ms, longest loop stall "
              f"{stall * 1000:6.1f}ms")  # fmt: skip


if __name__ == "__main__":
    main()
