"""`harbour database copy-to`: move a node from SQLite to PostgreSQL."""

from __future__ import annotations

import argparse
import time

from node import database_copy
from node.database import shown_url
from node.settings import Settings


def copy_to(settings: Settings, args: argparse.Namespace) -> None:
    """Copy this (stopped) node's SQLite database into the empty PostgreSQL one at args.url."""
    started = time.perf_counter()
    copied = database_copy.copy(settings.database_url, args.url, report=_print)
    print(
        f"copied {copied.rows} rows of {copied.tables} tables in "
        f"{time.perf_counter() - started:.1f} s; every table's row count and every account's "
        "counters are the same in both databases, and the counters add up"
    )
    print(
        f"media files stay where they are, in {settings.media_dir} (the database holds only "
        "their names): nothing to copy, keep the same HARBOUR_DATA_DIR"
    )
    print(f"next: set HARBOUR_DATABASE_URL={shown_url(args.url)} and start the node")


def _print(line: str) -> None:
    print(line, flush=True)
