"""Inbox requests signed as a remote server would sign them (or, on purpose, wrongly)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from activitypub import message_signatures
from activitypub.signatures import RequestParts, sign


def signed_post(
    path: str,
    activity: dict[str, Any] | bytes,
    *,
    host: str,
    key_id: str,
    private_pem: str,
    now: datetime | None = None,
    rfc9421: bool = False,
) -> tuple[dict[str, str], bytes]:
    """Headers and body of a POST signed with `key_id`'s private key (draft-cavage, or RFC
    9421 as a request to https://`host`)."""
    body = activity if isinstance(activity, bytes) else json.dumps(activity).encode()
    headers = {"host": host, "content-type": "application/activity+json"}
    if rfc9421:
        parts = RequestParts("POST", path, headers, body)
        url = f"https://{host}{path}"
        headers.update(
            message_signatures.sign(parts, url, key_id=key_id, private_pem=private_pem, now=now)
        )
        return headers, body
    headers.update(
        sign(
            RequestParts("POST", path, headers, body),
            key_id=key_id,
            private_pem=private_pem,
            now=now,
        )
    )
    return headers, body


def mention(actor: str, number: int, member: str, **fields: Any) -> dict[str, Any]:
    """`actor`'s Create of note `number`, addressed to the local `member` (an actor URI) and
    mentioning her; `fields` go into the note."""
    note = f"{actor}/statuses/{number}"
    return {
        "id": f"{note}/activity",
        "type": "Create",
        "actor": actor,
        "to": [member],
        "object": {
            "id": note,
            "type": "Note",
            "attributedTo": actor,
            "to": [member],
            "content": f"<p>note {number}</p>",
            "tag": [{"type": "Mention", "href": member}],
            **fields,
        },
    }
