"""Short secrets kept in the database encrypted (Fernet), under a key derived (HKDF-SHA256)
from the node's secret key and what they are for, so a copy of the database alone does not
give them away. The key is derived, and `cryptography` imported, when a box first seals or
opens something, so making a box at start-up loads nothing (DESIGN.md, start-up)."""

from __future__ import annotations

import base64
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.fernet import Fernet


class SecretBox:
    """Seals and opens one kind of secret (`purpose` keeps kinds apart)."""

    def __init__(self, node_secret_key: str, purpose: bytes) -> None:
        self._node_secret_key = node_secret_key
        self._purpose = purpose

    @cached_property
    def _fernet(self) -> Fernet:
        from cryptography.fernet import Fernet
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=self._purpose).derive(
            self._node_secret_key.encode("utf-8")
        )
        return Fernet(base64.urlsafe_b64encode(key))

    def seal(self, secret: str) -> str:
        """The secret, encrypted."""
        return self._fernet.encrypt(secret.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> str | None:
        """The secret; None if it was sealed under another node secret key."""
        fernet = self._fernet
        from cryptography.fernet import InvalidToken

        try:
            return fernet.decrypt(sealed.encode("ascii")).decode("utf-8")
        except InvalidToken:
            return None
