"""Domain names as admins type them and as hosts appear in ids, and which rules match a host."""

from __future__ import annotations

import ipaddress
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from activitypub.hostnames import InvalidHost, canonical_host, split_port

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList


def normalise(domain: str) -> str:
    """A domain as stored, without scheme or path: the canonical host ids are matched with
    (`activitypub.hostnames`; an IPv6 address typed without brackets gets them), or, for
    what is no host (`*.example`), lower case without a trailing dot, for the caller to
    refuse."""
    text = domain.strip().split("://", 1)[-1].split("/", 1)[0]
    try:
        return canonical_host(f"[{ipaddress.IPv6Address(text)}]")
    except ValueError:
        pass
    try:
        return canonical_host(text)
    except InvalidHost:
        return text.lower().rstrip(".")


@lru_cache(maxsize=4096)  # every host of a fan-out, twice (queued, claimed): ~5 µs a host
def candidates(host: str) -> frozenset[str]:
    """The rule names that match `host`: itself, without its port (an IPv6 address's too),
    and every parent domain of a name (a rule for `example.org` covers
    `social.example.org`), but never a bare top-level."""
    name, bare, address = _parts(host)
    if address:
        return frozenset((name, bare))
    labels = bare.split(".")
    return frozenset((name, bare, *(".".join(labels[i:]) for i in range(1, len(labels) - 1))))


@lru_cache(maxsize=4096)  # asked on every inbox POST (12 µs a time); a miss only costs time
def site_of(host: str) -> str:
    """The registrable domain `host` belongs to, by the Public Suffix List: `evil.example` for
    `a.b.evil.example:8443`, `alice.github.io` for itself. Limits per server count by it, as
    sub-domains cost their owner nothing; an address, or a name with nothing registrable,
    is its own."""
    _, bare, address = _parts(host)
    if address:
        return bare
    return _public_suffixes().privatesuffix(bare) or bare


def is_public_suffix(name: str) -> bool:
    """Whether a rule name is a public suffix (`co.uk`, `github.io`): a registry under which
    anyone registers, never one server."""
    _, bare, address = _parts(name)
    return not address and _public_suffixes().is_public(bare)


def _parts(host: str) -> tuple[str, str, bool]:
    """The host normalised, without its port, and whether it is an IP address."""
    name = normalise(host)
    try:
        bare = split_port(name)[0]
    except InvalidHost:
        bare = name
    return name, bare, bare.startswith("[") or _is_ipv4(bare)


@cache
def _public_suffixes() -> PublicSuffixList:
    """The list, imported and read on first use (about 40 ms: not on every start)."""
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


def names_a_server(name: str, *, localhost: bool = False) -> bool:
    """Whether a normalised rule name can match a host: an IP address or a name with a dot
    (never a bare top-level such as `com`), or `localhost` if allowed; written as hosts are
    (so `*.example.com`, `.example.com` or `example..com`, which no host matches, are not)."""
    try:
        if canonical_host(name) != name:
            return False
        bare = split_port(name)[0]
    except InvalidHost:
        return False
    return bare.startswith("[") or "." in bare or (localhost and bare == "localhost")


def _is_ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True
