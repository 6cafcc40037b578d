"""The version Harbour reports to other servers and clients."""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version


@cache
def harbour_version() -> str:
    """The installed package's version."""
    try:
        return version("harbour")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0.0.0+source"
