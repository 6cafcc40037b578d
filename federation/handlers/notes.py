"""Create, Update and Delete of notes: posts, replies and mentions from other servers."""

from __future__ import annotations

from activitypub import id_of
from content import posts, relationships
from content.relationships import FollowState
from federation import from_wire
from federation.handlers.incoming import Incoming, NotYet

NOT_RELEVANT = (
    "not relevant here: no one here follows its author, and it mentions no one here and "
    "answers no post here"
)


async def on_create(incoming: Incoming) -> None:
    """Store a remote post if someone here follows its author, it mentions someone here or
    it replies to a post here. A note not embedded is fetched from its own origin. A reply
    whose parent is not kept here asks the worker for the rest of its thread
    (`thread_backfill`, after this item, not in it). While a follow of the author from here
    is pending, the post waits (`NotYet`) for the Accept it may have overtaken."""
    note = await incoming.object_document()
    if (reason := from_wire.refusal(note)) is not None:
        incoming.drop(reason)
    elif not from_wire.note_owned_by(note, incoming.actor):
        incoming.drop("the note is not the actor's")
    elif (
        post := await from_wire.store_note(incoming.fed, incoming.session, note, incoming.actor)
    ) is None:
        if (
            await relationships.follow_state_from_here(incoming.session, incoming.actor)
            == FollowState.PENDING
        ):
            raise NotYet(f"waiting for {incoming.actor.uri} to accept a follow from here")
        incoming.drop(NOT_RELEVANT)
    elif post.in_reply_to_uri and not await posts.get_by_uri(
        incoming.session, post.in_reply_to_uri
    ):
        thread = id_of(note.get("context")) or post.in_reply_to_uri
        incoming.fed.want_thread(post.uri, thread)


async def on_update(incoming: Incoming) -> None:
    """The author edited a post we keep."""
    note = incoming.object
    if from_wire.refusal(note) is not None or not from_wire.note_owned_by(note, incoming.actor):
        return
    post = await posts.get_by_uri(incoming.session, note["id"])
    if post is not None and post.account_id == incoming.actor.id:
        await from_wire.update_note(incoming.fed, incoming.session, post, incoming.actor, note)


async def on_delete(incoming: Incoming) -> None:
    """The author deleted a post: our copy goes too."""
    post = await posts.get_by_uri(incoming.session, incoming.object_id or "")
    if post is not None and post.account_id == incoming.actor.id:
        await posts.delete_post(incoming.session, post)
