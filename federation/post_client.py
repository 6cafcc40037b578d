"""The aiohttp session deliveries are POSTed through (`Transport._post`), made on the first
delivery: a start need not load aiohttp (memory). Its pool keeps connections per checked
address and TLS name; the worker bounds what it sends to each host."""

from __future__ import annotations

import ssl

import aiohttp
import httpx

POSTS_AT_ONCE = 128  # connections the POST client opens, all hosts together


def post_client(
    tls: ssl.SSLContext, timeout: httpx.Timeout, user_agent: str
) -> aiohttp.ClientSession:
    """A session for deliveries: no DNS of its own (it is given the checked address), no
    cookies, answers left compressed (only their status and Retry-After are read)."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(
            limit=POSTS_AT_ONCE,
            limit_per_host=0,  # the worker bounds what it sends to a host
            ssl=tls,
            use_dns_cache=False,  # never asked: it is given the checked address
        ),
        timeout=aiohttp.ClientTimeout(connect=timeout.connect, sock_read=timeout.read),
        headers={"User-Agent": user_agent},
        auto_decompress=False,
        cookie_jar=aiohttp.DummyCookieJar(),
    )
