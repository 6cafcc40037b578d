"""The worker's side of trust lists: every subscription is fetched again every few hours;
an automatically applied one applies its changes at once (`trust_lists.automatic`), the
others keep the fetched copy for an admin to review on /admin/trust."""

from __future__ import annotations

import logging
from datetime import timedelta

from content.orm import utcnow
from federation.context import Federation
from federation.trust_sources import SourceError, fetch_list
from moderation import trust_lists
from moderation.trust_lists import TrustList

log = logging.getLogger("harbour.trust")
REFRESH = timedelta(hours=6)


async def refresh_due(fed: Federation) -> int:
    """Fetch every subscription that is due (each taken by one worker only); returns how
    many were fetched. A list that cannot be had keeps its last copy and says why."""
    fetched_before = utcnow() - REFRESH * fed.retry_scale
    async with fed.sessions() as session:
        due = await trust_lists.due(session, fetched_before)
    done = 0
    for list_id in due:
        async with fed.sessions() as session:
            taken = await trust_lists.claim(session, list_id, fetched_before)
            await session.commit()
        if taken:
            await _refresh(fed, list_id)
            done += 1
    return done


async def _refresh(fed: Federation, list_id: int) -> None:
    async with fed.sessions() as session:
        row = await session.get(TrustList, list_id)
        if row is None:  # unsubscribed meanwhile
            return
        try:
            published = await fetch_list(fed, session, row.url)
        except SourceError as error:
            trust_lists.record_fetch(row, None, str(error))
            await session.commit()
            log.info("trust list %s could not be fetched: %s", row.name, error)
            return
        trust_lists.record_fetch(row, published, None)
        changes = []
        if row.auto_apply:
            changes = trust_lists.automatic(await trust_lists.review(session, row, published))
        await session.commit()
    await trust_lists.apply_in_batches(fed.sessions, list_id, changes)
    if changes:
        log.info("trust list %s: %d changes applied", row.name, len(changes))
