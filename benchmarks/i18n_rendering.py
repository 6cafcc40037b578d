"""What a translated interface costs: the same pages rendered in Romanian and in English.

Run: .venv/bin/python benchmarks/i18n_rendering.py [--listings 20000] [--posts 100000]
                                                   [--requests 300]

Two real `harbour serve` processes on SQLite: one over a directory of --listings service
listings (benchmarks/_directory_data.py), one over --posts posts (benchmarks/_timeline_data.py)
where the reader, signed in through the login form, follows 500 accounts. The directory page
(/directory?country=DE, 20 results) and the home timeline page (/home) are fetched with
`Accept-Language: en` and `Accept-Language: ro`, the two languages alternating request by
request so the machine's noise falls on both alike. Prints each page's median per language
and the ratio Romanian/English (the goal: within 5 %, a ratio of at most 1.05).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import _directory_data, _timeline_data  # noqa: E402
from benchmarks._servers import scratch_database  # noqa: E402
from tests.rig.nodes import NodeProcess, free_port  # noqa: E402

LANGUAGES = ("en", "ro")
WARM_UP = 30


def alternating(http: httpx.Client, path: str, count: int) -> dict[str, list[float]]:
    """Seconds each GET of `path` took per language, the languages alternating, after a
    warm-up; every answer must be a 200 in the language asked for."""
    times: dict[str, list[float]] = {language: [] for language in LANGUAGES}
    for round_number in range(WARM_UP + count):
        for language in LANGUAGES:
            started = time.perf_counter()
            response = http.get(path, headers={"accept-language": language})
            elapsed = time.perf_counter() - started
            response.raise_for_status()
            assert f'lang="{language}"' in response.text[:400], f"{path} not in {language}"
            if round_number >= WARM_UP:
                times[language].append(elapsed)
    return times


def report(page: str, times: dict[str, list[float]]) -> None:
    english, romanian = (statistics.median(times[language]) * 1000 for language in LANGUAGES)
    print(
        f"  {page}: English p50 {english:.2f} ms, Romanian p50 {romanian:.2f} ms "
        f"= {romanian / english:.3f}x English ({len(times['en'])} requests each)"
    )


def node_over(workdir: Path, url: str) -> NodeProcess:
    node = NodeProcess(port=free_port(), data_dir=workdir / f"node-{free_port()}", database_url=url)
    node.start()
    return node


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=20_000)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        print(f"pages in Romanian against English, on SQLite; {args.listings} listings:")
        with scratch_database(workdir, None) as url:
            _directory_data.build(url, _directory_data.Shape(listings=args.listings))
            node = node_over(workdir, url)
            try:
                with node.client() as http:
                    times = alternating(http, "/directory?country=DE", args.requests)
            finally:
                node.stop()
            report("GET /directory?country=DE (a directory page)", times)
        print(f"{args.posts} posts, the reader follows {_timeline_data.Shape.followed}:")
        with scratch_database(workdir, None) as url:
            _timeline_data.build(url, _timeline_data.Shape.of_posts(args.posts))
            node = node_over(workdir, url)
            try:
                reader = _timeline_data.READER, _timeline_data.READER_PASSWORD
                with closing(node.sign_in(*reader)) as http:
                    times = alternating(http, "/home", args.requests)
            finally:
                node.stop()
            report("GET /home (the home timeline page)", times)


if __name__ == "__main__":
    main()
