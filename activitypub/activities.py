"""Activities and their builders."""

from __future__ import annotations

from typing import Any

from activitypub.objects import Note
from activitypub.vocab import AS_CONTEXT, ActivityType


def create(note: Note, *, with_context: bool = True) -> dict[str, Any]:
    """The `Create` that publishes `note`, addressed exactly as the note is."""
    document: dict[str, Any] = {
        "id": f"{note.id}/activity",
        "type": str(ActivityType.CREATE),
        "actor": note.attributed_to,
        "published": note.published,
        "to": list(note.to),
        "cc": list(note.cc),
        "object": note.to_document(with_context=False),
    }
    if with_context:
        document = {"@context": [AS_CONTEXT, {"sensitive": "as:sensitive"}], **document}
    return document


def move(activity_id: str, actor: str, target: str) -> dict[str, Any]:
    """The `Move` of an account to its new one: the actor moves itself (`object` is the
    actor) to `target`, as Mastodon sends it."""
    return {
        "@context": AS_CONTEXT,
        "id": activity_id,
        "type": str(ActivityType.MOVE),
        "actor": actor,
        "object": actor,
        "target": target,
    }
