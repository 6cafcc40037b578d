"""Objects: the Note (a Question when it carries a poll), as Harbour publishes it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from activitypub.vocab import AS_CONTEXT, ObjectType


@dataclass(frozen=True)
class Choices:
    """A poll: a Question's options as (name, votes), one choice (`oneOf`) or several
    (`anyOf`), when it ends or ended (`endTime`, `closed`) and how many voted."""

    options: tuple[tuple[str, int], ...]
    multiple: bool = False
    end_time: str | None = None
    closed: str | None = None
    voters_count: int = 0

    def fields(self) -> dict[str, Any]:
        """The Question's own fields, as Mastodon publishes them."""
        found: dict[str, Any] = {
            "anyOf" if self.multiple else "oneOf": [
                {"type": "Note", "name": name, "replies": {"type": "Collection", "totalItems": n}}
                for name, n in self.options
            ],
            "votersCount": self.voters_count,
        }
        if self.end_time:
            found["endTime"] = self.end_time
        if self.closed:
            found["closed"] = self.closed
        return found


@dataclass(frozen=True)
class Note:
    """A short post. `content` is already-sanitised HTML; `language` is a BCP 47 tag."""

    id: str
    attributed_to: str
    content: str
    published: str
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()
    url: str | None = None
    summary: str | None = None
    sensitive: bool = False
    in_reply_to: str | None = None
    language: str | None = None
    updated: str | None = None
    tags: tuple[dict[str, Any], ...] = field(default=())
    attachments: tuple[dict[str, Any], ...] = field(default=())
    # FEP-7888: the collection of the note's whole thread, and of its direct replies.
    context: str | None = None
    replies: str | None = None
    poll: Choices | None = None  # a poll is published as a Question

    def to_document(self, *, with_context: bool = True) -> dict[str, Any]:
        """The note as compacted JSON-LD; embedded in an activity, leave out the context."""
        document: dict[str, Any] = {
            "id": self.id,
            "type": str(ObjectType.NOTE),
            "attributedTo": self.attributed_to,
            "content": self.content,
            "published": self.published,
            "to": list(self.to),
            "cc": list(self.cc),
            "url": self.url or self.id,
            "sensitive": self.sensitive,
            "summary": self.summary,
            "inReplyTo": self.in_reply_to,
            "tag": list(self.tags),
        }
        if self.attachments:
            document["attachment"] = list(self.attachments)
        if self.language:
            document["contentMap"] = {self.language: self.content}
        if self.updated:
            document["updated"] = self.updated
        if self.context:
            document["context"] = self.context
        if self.replies:
            document["replies"] = self.replies
        if self.poll is not None:
            document["type"] = str(ObjectType.QUESTION)
            document.update(self.poll.fields())
        if with_context:
            document = {"@context": [AS_CONTEXT, {"sensitive": "as:sensitive"}], **document}
        return document
