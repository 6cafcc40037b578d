"""The grants a process remembers (`content.token_cache`): only while revocations are heard,
never an answer read across an invalidation, and forgotten by the events that revoke."""

from __future__ import annotations

from content.stream_events import StreamEvent
from content.token_cache import Grant, TokenCache

SAM, KIM = Grant(1, 10, 100, "read"), Grant(2, 10, 200, "read write")


def test_nothing_is_remembered_while_revocations_cannot_be_heard() -> None:
    cache = TokenCache()
    cache.keep("sam", SAM, cache.epoch)
    assert cache.get("sam") is None  # not listening yet
    cache.trust(True)
    cache.keep("sam", SAM, cache.epoch)
    assert cache.get("sam") == SAM
    cache.trust(False)  # the LISTEN was lost: what was remembered is forgotten
    cache.trust(True)
    assert cache.get("sam") is None


def test_a_grant_read_while_an_invalidation_arrived_is_not_remembered() -> None:
    cache = TokenCache()
    cache.trust(True)
    before_the_read = cache.epoch
    cache.heard(StreamEvent("revoked", SAM.token_id))  # committed while the row was read
    cache.keep("sam", SAM, before_the_read)
    assert cache.get("sam") is None


def test_revocations_and_suspensions_forget_what_they_make_stale() -> None:
    cache = TokenCache()
    cache.trust(True)
    for digest, grant in (("sam", SAM), ("kim", KIM)):
        cache.keep(digest, grant, cache.epoch)
    cache.heard(StreamEvent("revoked", SAM.token_id))
    assert (cache.get("sam"), cache.get("kim")) == (None, KIM)
    cache.keep("sam", SAM, cache.epoch)
    cache.heard(StreamEvent("gone", KIM.account_id))
    assert (cache.get("sam"), cache.get("kim")) == (SAM, None)
    cache.keep("kim", KIM, cache.epoch)
    cache.heard(StreamEvent("post", 5))  # not about tokens
    assert (cache.get("sam"), cache.get("kim")) == (SAM, KIM)
    cache.heard(StreamEvent("revoked", 0))  # a statement revoked tokens: which, unknown
    assert (cache.get("sam"), cache.get("kim")) == (None, None)


def test_it_holds_a_bounded_number_for_a_bounded_time() -> None:
    cache = TokenCache(size=2)
    cache.trust(True)
    for digest, grant in (("sam", SAM), ("kim", KIM)):
        cache.keep(digest, grant, cache.epoch)
    assert cache.get("sam") == SAM  # used: kim is now the least recently used
    cache.keep("lee", Grant(3, 10, 300, "read"), cache.epoch)
    assert (cache.get("kim"), cache.get("sam")) == (None, SAM)
    stale = TokenCache(ttl=-1.0)
    stale.trust(True)
    stale.keep("sam", SAM, stale.epoch)
    assert stale.get("sam") is None
