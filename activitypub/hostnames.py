"""The one canonical spelling of a host (and port), used by policy, storage and transport alike.

A host can be written many ways that resolve to one server: upper case, Unicode full stops,
a trailing dot, the Unicode or the ASCII (punycode) form of an internationalised name, a port
with leading zeros or the scheme's default port. If the policy read one spelling and the HTTP
client another, a blocked server could come back under a new spelling. So every host goes
through `canonical_host` (UTS #46 processing by the `idna` package), and ids are accepted only
when already written in that form (`check_canonical`).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from activitypub.errors import InvalidDocument

DEFAULT_PORTS = {"https": 443, "http": 80}
_SPACE_OR_CONTROL = re.compile("[\x00-\x20\x7f]")  # a search, not a loop over characters
_NUMERIC_LABEL = re.compile(r"(0x[0-9a-f]*|[0-9]+)", re.IGNORECASE)
# A name already in canonical form, as nearly every server's is: lower-case ASCII letters,
# digits and inner hyphens, labels of 1-63 characters, none with hyphens 3rd and 4th (`xn--`
# A-labels go the long way, to be checked), the last not a number (an IPv4 address).
_PLAIN_LABEL = r"(?!..--)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_PLAIN_NAME = re.compile(
    rf"(?=.{{1,253}}\Z)(?:{_PLAIN_LABEL}\.)*(?!(?:0x[0-9a-f]*|[0-9]+)\Z){_PLAIN_LABEL}"
)


class InvalidHost(InvalidDocument):
    """A host or URI authority that names no server unambiguously."""


def canonical_host(authority: str, scheme: str = "https") -> str:
    """`host[:port]` in canonical form: ASCII (A-labels) in lower case after UTS #46 mapping,
    no trailing dot, IP addresses in their standard form, and a port only when it is not the
    scheme's default, in plain decimal. Raise InvalidHost for user information, an empty or
    invalid name, or a port that is not 1-65535 in ASCII digits."""
    if "@" in authority:
        raise InvalidHost("a host with user information is refused")
    host, port = split_port(authority)
    name = _canonical_name(host)
    if port is None or port == DEFAULT_PORTS.get(scheme):
        return name
    return f"{name}:{port}"


def host_of(uri: str) -> str:
    """The canonical `host[:port]` of an http(s) URI, however it is written; InvalidHost if
    it has none."""
    scheme, authority = _authority(uri)
    return canonical_host(authority, scheme)


def same_host(uri: str, other: str) -> bool:
    """Whether `uri`, written in canonical form, is on the host of `other` (False if either
    names none, or `uri` is spelled otherwise)."""
    try:
        return check_canonical(uri) == host_of(other)
    except InvalidHost:
        return False


def check_canonical(uri: str) -> str:
    """The canonical host of `uri`, which must already be written in canonical form (lower
    case scheme and host, as `canonical_host` spells it); InvalidHost otherwise."""
    scheme, authority = _authority(uri)
    canonical = canonical_host(authority, scheme)
    if scheme != uri[: len(scheme)] or authority != canonical:
        raise InvalidHost(f"{uri!r} does not write its host in canonical form ({canonical})")
    return canonical


def _authority(uri: str) -> tuple[str, str]:
    if _SPACE_OR_CONTROL.search(uri):  # urlsplit would drop some silently
        raise InvalidHost(f"{uri!r} has spaces or control characters")
    try:
        parts = urlsplit(uri)
    except ValueError:
        raise InvalidHost(f"{uri!r} is not a URI") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.netloc:
        raise InvalidHost(f"{uri!r} is not an absolute http(s) URI")
    return scheme, parts.netloc


def split_port(authority: str) -> tuple[str, int | None]:
    """The host and the port (None when not written) of `host[:port]`; InvalidHost for a
    port that is not 1-65535 in ASCII digits."""
    if authority.startswith("["):
        host, bracket, rest = authority[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise InvalidHost(f"{authority!r} is not a valid IPv6 host")
        host, digits = f"[{host}]", rest[1:]
        has_port = bool(rest)
    else:
        host, colon, digits = authority.rpartition(":")
        has_port = bool(colon)
        if not has_port:
            host = authority
    if not has_port or digits == "":
        return host, None
    if not (digits.isascii() and digits.isdigit()) or not 0 < int(digits) < 65536:
        raise InvalidHost(f"{authority!r} has no valid port (1-65535 in digits)")
    return host, int(digits)


def _canonical_name(host: str) -> str:
    """The canonical name of `host`. Not remembered: nothing a stranger sends can push a
    known server's name out of a cache (hosts are read before any signature is checked); a
    plain name is recognised by a pattern instead, so idna's mapping (5 % of an accepted
    inbox POST) runs only for the rare name that needs it, and `idna` (~0.35 MiB of idle
    memory) is imported by the first."""
    if _PLAIN_NAME.fullmatch(host):
        return host
    if host.startswith("["):
        try:
            return f"[{ipaddress.IPv6Address(host[1:-1]).compressed}]"
        except ValueError:
            raise InvalidHost(f"{host!r} is not an IPv6 address") from None
    import idna

    try:
        mapped = idna.uts46_remap(host, std3_rules=True, transitional=False)
    except idna.IDNAError as error:
        raise InvalidHost(f"{host!r} is not a valid host name: {error}") from None
    mapped = mapped.removesuffix(".")
    if mapped and _NUMERIC_LABEL.fullmatch(mapped.rsplit(".", 1)[-1]):
        # A name ending in a number is an IPv4 address (WHATWG URL): only its dotted-quad form.
        try:
            return str(ipaddress.IPv4Address(mapped))
        except ValueError:
            raise InvalidHost(f"{host!r} is not an IPv4 address in dotted-quad form") from None
    try:
        return idna.encode(mapped, uts46=False, std3_rules=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise InvalidHost(f"{host!r} is not a valid host name") from None
