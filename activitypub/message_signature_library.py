"""What `activitypub.message_signatures` subclasses in `http-message-signatures`, in a module
of its own so the library (and `cryptography`, which it loads) is imported with the first
RFC 9421 signature made or checked, not at start-up (`activitypub.keys` says why)."""

from __future__ import annotations

from http_message_signatures import HTTPMessageVerifier, HTTPSignatureKeyResolver

from activitypub.message_signatures import MAX_AHEAD


class Verifier(HTTPMessageVerifier):
    """The library's verifier: it refuses a `created` ahead of the wall clock and an
    `expires` behind it; the age limit is checked by the caller, against an injectable
    clock."""

    max_clock_skew = MAX_AHEAD


class OneKey(HTTPSignatureKeyResolver):
    """The one key a verifier or signer is made for. A verifier's key was fetched for the
    keyid the request names, and a signer's is ours, so every keyid resolves to it."""

    def __init__(self, key: object) -> None:
        self.key = key

    def resolve_public_key(self, key_id: str) -> object:
        return self.key

    def resolve_private_key(self, key_id: str) -> object:
        return self.key
