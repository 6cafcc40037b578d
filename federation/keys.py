"""The keys local actors sign with."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from content import accounts
from content.accounts import Account
from federation.transport import SigningKey


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
