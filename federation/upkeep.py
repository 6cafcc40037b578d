"""The worker's hourly upkeep (`Worker.prune`): what keeps tables bounded and the node's
promises kept when no request asks for it."""

from __future__ import annotations

import logging
from datetime import timedelta

from content import home_feed, media
from content.orm import utcnow
from content.retention import Retention, expire
from federation import delivery, delivery_retention, jobs, outbox
from federation.context import Federation
from federation.delivery import Delivery
from federation.inbox import InboxItem
from federation.push import PushMessage

log = logging.getLogger("harbour.worker")
KEEP_ENDED = timedelta(days=14)  # ended jobs are kept this long for inspection, then deleted


async def prune(fed: Federation, retention: Retention | None) -> None:
    """Delete applied, ignored and refused inbox items and finished deliveries that ended
    more than KEEP_ENDED ago (or the node's shortest retention), so the job tables do not
    grow forever, and the shared rate-limit buckets that are full again; build the home
    feeds members lack and trim the long ones; uploads never put into a post a day after
    they were made; and direct messages and members-only group posts past the node's
    retention, if it has one, with the delivery bodies that carry them; and the follows of
    this node's accounts by remote accounts suspended before a suspension ended them
    (`outbox.reject_suspended_follows`)."""
    keep = KEEP_ENDED if retention is None else retention.keep_ended(KEEP_ENDED)
    async with fed.sessions() as session:
        if ended := await outbox.reject_suspended_follows(fed, session):
            await session.commit()
            fed.notify()
            log.info("ended the follows of %d suspended remote accounts", ended)
        for model in (InboxItem, Delivery, PushMessage):
            await jobs.prune(session, model, keep)
        await delivery.drop_unused_bodies(session)  # those of the deliveries gone
        await session.commit()
        while await home_feed.build_missing(session):
            await session.commit()
        await home_feed.trim(session)  # a commit per feed
        await session.commit()  # the read of which feeds are long
        await fed.limits.forget_full()
        if retention is not None:
            unattached = await media.remove_unattached(session, utcnow())
            media.remove_files(retention.media_dir, unattached)
            if unattached:
                log.info("removed %d uploads never put into a post", len(unattached))
            if given_up := await delivery_retention.give_up_expired(session, retention):
                log.info("retention: gave up %d deliveries past it", given_up)
            await session.commit()
        expired = 0
        while retention is not None and (batch := await expire(session, retention)):
            expired += batch
        if expired:
            log.info("retention: deleted %d direct messages and members-only posts", expired)
