"""The keys local actors sign with, and the cache of remote public keys by keyId."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from content import accounts
from content.accounts import Account
from federation.signature_styles import SigningKey


def signer_of(account: Account) -> SigningKey:
    """The key a local account signs with."""
    if account.private_key_pem is None:
        raise ValueError("only local accounts sign")
    return SigningKey(key_id=account.key_id, private_pem=account.private_key_pem)


async def instance_signer(session: AsyncSession) -> SigningKey:
    """The instance actor's key, which signs the node's own fetches."""
    actor = await accounts.instance_actor(session)
    if actor is None:
        raise RuntimeError("the node has no instance actor: run harbour init")
    return signer_of(actor)


@dataclass(frozen=True)
class RemoteKey:
    """A remote actor's public key, as the inbox needs it."""

    account_id: int
    actor_uri: str
    domain: str
    pem: str = field(repr=False)


class KeyCache:
    """Remote public keys by keyId, kept in memory for `ttl` seconds so that a busy inbox
    does not look each one up in the database. The database stays the source of truth."""

    def __init__(self, ttl: float = 300.0, size: int = 10_000) -> None:
        self.ttl = ttl
        self.size = size
        self._keys: dict[str, tuple[float, RemoteKey]] = {}

    def get(self, key_id: str) -> RemoteKey | None:
        found = self._keys.get(key_id)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def put(self, key_id: str, key: RemoteKey) -> None:
        if len(self._keys) >= self.size:
            self._keys.clear()
        self._keys[key_id] = (time.monotonic() + self.ttl, key)

    def forget(self, key_id: str) -> None:
        self._keys.pop(key_id, None)
