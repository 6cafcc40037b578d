"""Which HTTP signature each host takes: RFC 9421 unless it refused one lately; and the
headers that sign a request in either style (`signing_headers`).

Outbound requests are signed RFC 9421 first ("double-knocking", as Mastodon 4.5 and Fedify
do); a host that answers 401 or 403 to that and accepts the same request signed the
draft-cavage way is remembered here, and asked draft-cavage only, for RE_PROBE (7 days),
after which it is tried with RFC 9421 again, since servers upgrade.

The memory is a bounded per-process map, not a table: forgetting it on a restart costs one
refused request per draft-cavage-only host, far less than a database write on the delivery
path would, and it keeps the transport free of the database.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from activitypub import SignatureError, message_signatures
from activitypub.signatures import RequestParts, sign

RE_PROBE = 7 * 24 * 3600.0
MAX_HOSTS = 10_000


class Style(StrEnum):
    """How a request is signed."""

    RFC9421 = "rfc9421"
    CAVAGE = "draft-cavage"


class SignatureStyles:
    """Per host (canonical host[:port]) the style to sign with first."""

    def __init__(
        self, *, rfc9421: bool = True, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rfc9421 = rfc9421  # False only to play a draft-cavage-only peer in tests
        self._clock = clock
        self._cavage_until: dict[str, float] = {}

    def first(self, host: str) -> Style:
        """The style to sign a request to `host` with."""
        if not self.rfc9421:
            return Style.CAVAGE
        until = self._cavage_until.get(host)
        if until is None:
            return Style.RFC9421
        if until <= self._now():
            del self._cavage_until[host]  # time to try RFC 9421 again
            return Style.RFC9421
        return Style.CAVAGE

    def takes_cavage(self, host: str) -> None:
        """`host` refused RFC 9421 but took draft-cavage: sign draft-cavage for a while."""
        self._cavage_until.pop(host, None)
        self._cavage_until[host] = self._now() + RE_PROBE
        while len(self._cavage_until) > MAX_HOSTS:
            del self._cavage_until[next(iter(self._cavage_until))]  # the oldest

    def _now(self) -> float:
        return self._clock()


@dataclass(frozen=True)
class SigningKey:
    """Whose key signs a request: the key id published in the actor, and the private PEM."""

    key_id: str
    private_pem: str = field(repr=False)


def signing_headers(
    method: str,
    scheme: str,
    path: str,
    netloc: str,
    headers: dict[str, str],
    body: bytes,
    signer: SigningKey,
    style: Style,
) -> dict[str, str]:
    """The headers that sign the request in `style`; the RFC 9421 `@target-uri` is built
    from the canonical host, as the receiving node rebuilds it from its own name. A target
    RFC 9421 cannot express (a path with characters URLs must escape, which httpx sends as
    given) is signed draft-cavage. `path` is the target's as sent (with its query)."""
    parts = RequestParts(method, path, headers, body)
    if style is Style.RFC9421:
        url = f"{scheme}://{netloc}{path}"
        try:
            return message_signatures.sign(
                parts, url, key_id=signer.key_id, private_pem=signer.private_pem
            )
        except SignatureError:
            pass
    return sign(parts, key_id=signer.key_id, private_pem=signer.private_pem)
