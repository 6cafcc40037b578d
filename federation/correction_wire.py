"""Corrections on the wire (DESIGN.md section 6, "Corrections").

A reader's node offers the suggestion to the organisation that owns the object, from its
instance actor, as ForgeFed offers a ticket to a project's tracker:

    {"type": "Offer", "id": <correction id>, "actor": <instance actor>,
     "to": [<organisation>], "target": <organisation>,
     "object": {"type": "Note", "context": <listing or country page id>,
                "correctionKind": "hours", "section": "health", "inLanguage": "ro",
                "content": "<p>…</p>",
                "experienceRating": "good" | "mixed" | "bad",  (correctionKind "experience")
                "signedBy": <member's actor, only if she signed>}}

The organisation answers the instance actor with `Accept` (accepted), `TentativeAccept`
(it needs a call to the service) or `Reject` (with the reason as `content`), whose object is
the correction id. Nothing else about the reader is on the wire."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from activitypub import AS_CONTEXT, id_of
from activitypub.hostnames import same_host
from activitypub.vocab import CORRECTION_CONTEXT, MAX_ID_LENGTH
from content.corrections import MAX_TEXT, Checked, CorrectionError, State, checked
from content.sanitize import strip_html

CONTEXT: list[Any] = [AS_CONTEXT, CORRECTION_CONTEXT]
ANSWERS = {"Accept": State.ACCEPTED, "TentativeAccept": State.NEEDS_CALL, "Reject": State.REJECTED}
ANSWER_OF = {state: kind for kind, state in ANSWERS.items()}
MAX_MARKUP = 4 * MAX_TEXT  # of `content` read at all


@dataclass(frozen=True)
class Suggestion:
    """An offered correction as read from the wire."""

    uri: str
    organisation_uri: str
    object_uri: str
    checked: Checked
    language: str
    signed_by: str


def _html(text: str) -> str:
    paragraphs = [html.escape(part) for part in text.split("\n") if part.strip()]
    return "".join(f"<p>{part}</p>" for part in paragraphs)


def _text(value: Any) -> str:
    return strip_html(value[:MAX_MARKUP]) if isinstance(value, str) else ""


def offer(
    *,
    uri: str,
    instance_uri: str,
    organisation_uri: str,
    object_uri: str,
    suggestion: Checked,
    signed_by: str = "",
    language: str = "",
) -> dict[str, Any]:
    """The Offer of a correction to the organisation that owns `object_uri` (`language`:
    which language version of a country page)."""
    note: dict[str, Any] = {
        "type": "Note",
        "attributedTo": instance_uri,
        "context": object_uri,
        "correctionKind": str(suggestion.kind),
        "content": _html(suggestion.text),
    }
    if suggestion.section:
        note["section"] = suggestion.section
    if suggestion.rating:
        note["experienceRating"] = str(suggestion.rating)
    if language:
        note["inLanguage"] = language
    if signed_by:
        note["signedBy"] = signed_by
    return {
        "@context": CONTEXT,
        "id": uri,
        "type": "Offer",
        "actor": instance_uri,
        "to": [organisation_uri],
        "target": organisation_uri,
        "object": note,
    }


def is_correction(activity: dict[str, Any]) -> bool:
    """Whether an Offer carries a correction (rather than anything else one may offer)."""
    note = activity.get("object")
    return isinstance(note, dict) and "correctionKind" in note


def parse_offer(activity: dict[str, Any]) -> Suggestion:
    """The suggestion an Offer carries; CorrectionError if it is not a valid one. A section
    given must be a country page's; a signature must name an actor on the sending server
    (nobody signs for someone elsewhere)."""
    note = activity.get("object")
    organisation = id_of(activity.get("target"))
    if not isinstance(note, dict) or organisation is None:
        raise CorrectionError("an Offer of a correction needs a target and a Note")
    object_uri = id_of(note.get("context"))
    if object_uri is None:
        raise CorrectionError("the Note's context must be the corrected object")
    text = _text(note.get("content"))[:MAX_TEXT]
    section = note.get("section")
    section = section if isinstance(section, str) else ""
    rating = note.get("experienceRating")
    found = checked(
        str(note.get("correctionKind")),
        text,
        section,
        rating if isinstance(rating, str) else "",
        page=bool(section),
    )
    signed_by = id_of(note.get("signedBy")) or ""
    if len(signed_by) > MAX_ID_LENGTH:
        raise CorrectionError(f"signedBy has at most {MAX_ID_LENGTH} characters")
    if signed_by and not same_host(signed_by, str(activity.get("actor", ""))):
        raise CorrectionError("a correction is signed only by an actor of its own server")
    language = note.get("inLanguage")
    return Suggestion(
        uri=str(activity["id"]),
        organisation_uri=organisation,
        object_uri=object_uri,
        checked=found,
        language=language[:64] if isinstance(language, str) else "",
        signed_by=signed_by,
    )


def answer(
    *, uri: str, organisation_uri: str, correction_uri: str, sender_uri: str, outcome: State,
    reason: str,
) -> dict[str, Any]:  # fmt: skip
    """The organisation's answer to a correction, for the server that offered it."""
    activity: dict[str, Any] = {
        "@context": CONTEXT,
        "id": uri,
        "type": ANSWER_OF[outcome],
        "actor": organisation_uri,
        "to": [sender_uri],
        "object": correction_uri,
    }
    if reason:
        activity["content"] = _html(reason)
    return activity


def parse_answer(activity: dict[str, Any]) -> tuple[State, str] | None:
    """The outcome and reason an answer gives; None for an Accept or Reject of anything."""
    outcome = ANSWERS.get(str(activity.get("type")))
    if outcome is None:
        return None
    return outcome, _text(activity.get("content"))[:MAX_TEXT]
