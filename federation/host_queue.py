"""One host's claimed deliveries, sent by at most PER_HOST senders that take the next in
turn, each send's outcome recorded before its sender starts another.

A host's outcomes were written only once its whole queue ended: a worker frozen past its
claim's lease (SIGSTOP, a paused VM) had sent part of the queue, recorded none of it, and
another worker took the claim over and sent it all again (attack5, 48 of 600 twice). Now
what a sender sent is recorded before its next send, in the group commit of the hosts'
outcomes (`delivery_outcomes.Outcomes`, after 5 ms for such a record: a sender waits).
Each sender has at most one send not recorded at any moment, so across a freeze only the
sends in flight go twice. A record that finds its claim taken over stops the host's
senders: the rest is another worker's. A queue of up to PER_HOST deliveries (a fan-out's
shared inbox) is recorded once, at its end, as before.

A sender that fails otherwise than a send does (a bug, an error `_post` does not catch) stops
the host's others as a lost claim does: each ends its send in flight and starts no other.
Then what was sent is recorded, what was not is given back (due again, no attempt counted),
and `send` raises the error for the caller to log once. Left to `gather`, the error left
`send` at once: the other senders went on after it had returned, and nothing of the host's
queue was recorded (its leases ran out and it was all sent again). A send that raised counts
as a failed attempt, due again after the usual wait: given back, a bug in sending one
delivery was met again and logged on every pass of the worker.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from federation.delivery import Claimed
from federation.delivery_outcomes import Outcomes, Result, Sent

log = logging.getLogger("harbour.worker")
PER_HOST = 4  # requests in flight to one host


async def send(
    host: str,
    queue: list[Claimed],
    post: Callable[[Claimed], Awaitable[Result]],
    outcomes: Outcomes,
    confidential: set[int],
) -> None:
    """Send `queue` to `host` with `post` (None: not sent, given back) and record each
    outcome; returns once all are committed."""
    results: list[Result] = [None] * len(queue)
    recorded = [False] * len(queue)
    turns = iter(range(len(queue)))  # shared by the host's senders, each takes the next
    lost = False  # a record found the claim taken over, or a sender failed: send no more
    failed: list[Exception] = []  # what made a sender fail (`send` raises the first)

    async def record(number: int) -> bool:
        """Write one send's outcome now; whether this worker still held it."""
        sent = Sent(host, [queue[number]], [results[number]], confidential, more=True)
        try:
            await outcomes.record(sent)
        except Exception:  # recorded with the rest at the end, or the lease runs out
            log.exception("recording a delivery to %s failed", host)
            return False
        recorded[number] = True
        return not sent.lost

    async def sender() -> None:
        nonlocal lost
        last = None  # this sender's send not recorded yet
        try:
            for number in turns:
                if last is not None and not (lost or await record(last)):
                    lost = True
                if lost:
                    return
                try:
                    results[number] = await post(queue[number])
                except Exception as error:  # due again later, not at once: a bug repeats
                    results[number] = f"sending failed: {type(error).__name__}"
                    raise
                last = number if results[number] is not None else None  # unsent: nothing lost
        except Exception as error:  # the others end their sends in flight and stop
            lost = True
            failed.append(error)

    outcomes.begin()
    try:
        # A task per delivery cost a task, a semaphore and gather's bookkeeping (issue 18).
        if len(queue) == 1:
            await sender()
        else:
            await asyncio.gather(*(sender() for _ in range(min(PER_HOST, len(queue)))))
    finally:
        outcomes.sent()
    left = [number for number, done in enumerate(recorded) if not done]
    try:
        await outcomes.record(
            Sent(host, [queue[n] for n in left], [results[n] for n in left], confidential)
        )
    finally:
        if failed:
            raise failed[0]
