"""Inbox requests signed as a remote server would sign them (or, on purpose, wrongly)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from activitypub.signatures import RequestParts, sign


def signed_post(
    path: str,
    activity: dict[str, Any] | bytes,
    *,
    host: str,
    key_id: str,
    private_pem: str,
    now: datetime | None = None,
) -> tuple[dict[str, str], bytes]:
    """Headers and body of a POST signed with `key_id`'s private key."""
    body = activity if isinstance(activity, bytes) else json.dumps(activity).encode()
    headers = {"host": host, "content-type": "application/activity+json"}
    headers.update(
        sign(
            RequestParts("POST", path, headers, body),
            key_id=key_id,
            private_pem=private_pem,
            now=now,
        )
    )
    return headers, body
