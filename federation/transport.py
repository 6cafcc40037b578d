"""The one outbound HTTP client: signed, size-capped, and refusing private addresses.

Every remote request Harbour makes goes through `Transport`. It resolves the host itself and
connects to the address it checked, so a name cannot be re-pointed at an internal service
between the check and the connection. Redirects are followed by hand, each target checked.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from activitypub import ACTIVITY_JSON, InvalidDocument, read_document
from activitypub.hostnames import InvalidHost, host_of, split_port
from federation.back_off import BackOff
from federation.signature_styles import SignatureStyles, SigningKey, Style
from federation.signing_process import SigningProcess

if TYPE_CHECKING:
    import aiohttp
    import httpx  # imported by the first request out: a start need not load it (~1.3 MiB)
    import yarl

ACCEPT = f'{ACTIVITY_JSON}, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
MAX_RESPONSE_BYTES = 1_048_576
MAX_REDIRECTS = 3
# Where servers serve uploaded files (Harbour and Akkoma/Pleroma, Mastodon, Misskey).
UPLOAD_PATHS = ("/media/", "/system/media_attachments/", "/files/")
READ_SECONDS, CONNECT_SECONDS = 10.0, 5.0
DEADLINE = 20.0  # a whole request (lookup, connect, send, read), however a server dribbles
REFUSED = (401, 403)  # a signature refused: knock again the draft-cavage way
POST_ANSWER_BYTES = 65_536  # an inbox's answer is read this far (to keep the connection)

log = logging.getLogger("harbour.transport")

Resolver = Callable[[str, int], Awaitable[list[str]]]
"""Resolves a host name (and port) to its addresses; `system_resolver` unless injected."""


class FetchError(Exception):
    """A remote request failed or was refused; the message says why (never with secrets)."""


class Unavailable(FetchError):
    """The server is down, slow or overloaded (no connection, a timeout, 429 or 5xx): the
    same request may well work later."""


class RefusedAddress(FetchError):
    """The target resolves to an address Harbour does not connect to."""


class TimedOut(Unavailable):
    """The host did not answer in time, or timed out a moment ago and is left alone for now."""


class BackedOff(TimedOut):
    """The host timed out a moment ago and was not asked this time."""


@dataclass(frozen=True)
class TransportPolicy:
    """Where the transport may connect. The defaults are those of a public node."""

    allow_private_addresses: bool = False
    allow_http: bool = False
    # Development and tests only: host names resolved to fixed addresses.
    static_hosts: Mapping[str, str] = field(default_factory=dict)
    ca_bundle: str | None = None


@dataclass(frozen=True)
class Fetched:
    """A document as served: its media type and its bytes."""

    content_type: str
    body: bytes


@dataclass(frozen=True)
class PostResult:
    """What an inbox answered."""

    status: int
    retry_after: str | None = None


@cache
def tls_context(ca_bundle: str | None) -> ssl.SSLContext:
    """The TLS settings for peers, made once per CA bundle (the system's by default): loading
    the certificates took ~20 ms for every client made."""
    if ca_bundle:
        return ssl.create_default_context(cafile=ca_bundle)
    import httpx

    return httpx.create_ssl_context()


class Transport:
    """Signed GETs of documents and signed POSTs of activities."""

    def __init__(
        self,
        policy: TransportPolicy,
        *,
        user_agent: str,
        transport: httpx.AsyncBaseTransport | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        resolver: Resolver | None = None,
        deadline: float = DEADLINE,
        timeout: httpx.Timeout | None = None,
        styles: SignatureStyles | None = None,
    ) -> None:
        self.policy = policy
        self.styles = styles or SignatureStyles()
        self.resolver = resolver or system_resolver
        self.max_response_bytes = max_response_bytes
        self.deadline = deadline
        self.back_off = BackOff()  # hosts that timed out a moment ago
        self._transport = transport
        self._timeout = timeout
        self._user_agent = user_agent
        self._signing = SigningProcess()  # in a process of its own where it helps
        # POSTs (deliveries, Web Push) go through aiohttp, unless a test network is given:
        # ~0.15 CPU-ms a request beside httpx's 1-3.5 ms, whose pool checks every
        # connection on every request (benchmarks/fanout.py, issue 18).
        self._posts: aiohttp.ClientSession | None = None
        self._posts_by_aiohttp = transport is None

    @cached_property
    def timeout(self) -> httpx.Timeout:
        """The timeouts of a request (READ_SECONDS, CONNECT_SECONDS unless given)."""
        import httpx

        return self._timeout or httpx.Timeout(READ_SECONDS, connect=CONNECT_SECONDS)

    @cached_property
    def client(self) -> httpx.AsyncClient:
        """The pooled client, made for the first request: its TLS context loads the CA
        certificates (tens of milliseconds of CPU and ~2 MiB), which a start need not wait for
        (DESIGN.md, start-up)."""
        import httpx

        return httpx.AsyncClient(
            transport=self._transport,
            verify=tls_context(self.policy.ca_bundle),
            timeout=self.timeout,
            follow_redirects=False,
            headers={"User-Agent": self._user_agent},
            # None kept: the pool is keyed by the checked address (DESIGN.md).
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=0),
        )

    async def aclose(self) -> None:
        """Close pooled connections (if a request was ever made)."""
        await self._signing.aclose()  # first: what it still signs goes out
        if "client" in self.__dict__:
            await self.client.aclose()
        if self._posts is not None:
            await self._posts.close()

    async def get_document(self, url: str, signer: SigningKey | None) -> dict[str, Any]:
        """Fetch an ActivityPub (or other JSON) document, signed if a key is given. Uploads
        are never documents (Akkoma 2024: an uploaded file served from a server's own origin
        was taken as that server's actor or object): nothing under `/media/` is fetched, even
        through a redirect, and only an answer of a JSON media type is read."""
        response = await self._get(url, ACCEPT, signer, documents=True)
        media_type = response.headers.get("content-type", "").partition(";")[0].strip().lower()
        if not media_type.endswith(("/json", "+json")):
            raise FetchError(f"{url} did not answer a JSON media type")
        try:
            document = read_document(response.content)
        except InvalidDocument:
            raise FetchError(f"{url} did not answer JSON") from None
        if not isinstance(document, dict):
            raise FetchError(f"{url} did not answer a JSON object")
        return document

    async def get_bytes(self, url: str, accept: str, signer: SigningKey | None = None) -> Fetched:
        """A GET of any document (a published domain list), capped in size; signed if a key
        is given."""
        response = await self._get(url, accept, signer)
        return Fetched(response.headers.get("content-type", ""), response.content)

    async def _get(
        self, url: str, accept: str, signer: SigningKey | None, *, documents: bool = False
    ) -> httpx.Response:
        import httpx

        for _ in range(MAX_REDIRECTS + 1):
            if documents and _is_upload(url):
                raise FetchError(f"{url} is an uploaded media file, not a document")
            response = await self._send("GET", url, b"", {"accept": accept}, signer)
            assert isinstance(response, httpx.Response)  # only POSTs take the POST client
            if response.status_code in (301, 302, 303, 307, 308):
                location = response.headers.get("location")
                if not location:
                    raise FetchError(f"{url} redirected without a Location")
                following = str(httpx.URL(url).join(location))
                if _canonical_host(following) != _canonical_host(url):
                    # A document's origin is where it was asked for: never follow elsewhere.
                    raise FetchError(f"{url} redirected to another host")
                url = following
                continue
            if response.status_code == 429 or response.status_code >= 500:
                raise Unavailable(f"{url} answered {response.status_code}")
            if response.status_code != 200:
                raise FetchError(f"{url} answered {response.status_code}")
            return response
        raise FetchError(f"{url} redirected more than {MAX_REDIRECTS} times")

    async def get_json(self, url: str) -> dict[str, Any]:
        """An unsigned GET of a JSON document, e.g. WebFinger or NodeInfo."""
        return await self.get_document(url, None)

    async def post_activity(self, inbox: str, body: bytes, signer: SigningKey) -> PostResult:
        """Deliver an activity to an inbox, signed now; redirects are not followed."""
        response = await self._send(
            "POST", inbox, body, {"content-type": ACTIVITY_JSON}, signer, read_body=False
        )
        return _result(response)

    async def post_bytes(self, url: str, body: bytes, headers: dict[str, str]) -> PostResult:
        """An unsigned POST of bytes (a Web Push message); redirects are not followed."""
        response = await self._send("POST", url, body, headers, None, read_body=False)
        return _result(response)

    async def _send(
        self,
        method: str,
        url: str,
        body: bytes,
        headers: dict[str, str],
        signer: SigningKey | None,
        *,
        read_body: bool = True,
    ) -> httpx.Response | PostResult:
        """One request within DEADLINE, signed (if at all) RFC 9421 first, and draft-cavage
        if that is refused (`SignatureStyles` remembers the host); a host that times out is
        backed off for BACK_OFF seconds (its requests fail at once), so a slow server costs
        one wait, not one each."""
        target = _url(url)
        if target.scheme != "https" and not (target.scheme == "http" and self.policy.allow_http):
            raise FetchError(f"{url}: only https URLs are fetched")
        # Connect to exactly the canonical host the policy was asked about, whatever the
        # spelling of the URL (httpx reads some spellings differently).
        netloc = _canonical_host(url)
        if self.back_off.refuses(netloc):
            raise BackedOff(f"{url}: {netloc} timed out a moment ago; not asked again yet")
        style = self.styles.first(netloc)
        with self.back_off.waiting() as started:
            try:
                async with asyncio.timeout(self.deadline):
                    response = await self._exchange(
                        method, url, target, netloc, body, headers, signer, read_body, style
                    )
                    if signer is None or style is Style.CAVAGE or _status(response) not in REFUSED:
                        return response
                    again = await self._exchange(
                        method, url, target, netloc, body, headers, signer, read_body, Style.CAVAGE
                    )
                    if _status(again) not in REFUSED:
                        self.styles.takes_cavage(netloc)
                        log.info("%s refused RFC 9421 and took draft-cavage signatures", netloc)
                    return again
            except (TimeoutError, TimedOut):
                self.back_off.timed_out(netloc, started)
                raise TimedOut(f"{url} timed out") from None

    async def _exchange(
        self,
        method: str,
        url: str,
        target: httpx.URL,
        netloc: str,
        body: bytes,
        headers: dict[str, str],
        signer: SigningKey | None,
        read_body: bool,
        style: Style,
    ) -> httpx.Response | PostResult:
        import httpx

        name, port = _split_port(netloc)
        address = await self._checked_address(name.strip("[]"), port)
        headers = {**headers, "host": netloc}
        if signer is not None:
            path = target.raw_path.decode("ascii")
            parts = (method, target.scheme, path, netloc, headers, body, signer, style)
            headers.update(await self._signing.headers(*parts))
        if method == "POST" and not read_body and self._posts_by_aiohttp:
            return await self._post(url, _yarl(url, address, port), name, headers, body)
        request = self.client.build_request(
            method,
            _at(url, address, port),
            headers=headers,
            content=body or None,
            extensions={"sni_hostname": name},
        )
        try:
            response = await self.client.send(request, stream=True)
        except httpx.TimeoutException:
            raise TimedOut(f"{url} timed out") from None
        except httpx.ConnectError:
            raise _cannot_connect(url) from None
        except httpx.HTTPError as error:
            raise FetchError(f"{url}: {type(error).__name__}") from None
        try:
            if read_body:
                await self._read_capped(response, url)
        except httpx.TimeoutException:
            raise TimedOut(f"{url} timed out") from None
        except httpx.HTTPError as error:
            raise FetchError(f"{url}: {type(error).__name__}") from None
        finally:
            await response.aclose()
        return response

    async def _post(
        self, url: str, to: yarl.URL, name: str, headers: dict[str, str], body: bytes
    ) -> PostResult:
        """A POST through aiohttp to the checked address `to`, with TLS verified for
        `name` (also in its pool's key, so a connection made for one host is never used for
        another on the same address). The answer is read up to POST_ANSWER_BYTES so the
        connection is kept for the next; a longer one closes it."""
        import aiohttp  # here, not at the top: a start need not load it (memory)

        from federation.post_client import post_client

        if self._posts is None:
            tls = tls_context(self.policy.ca_bundle)
            self._posts = post_client(tls, self.timeout, self._user_agent)
        try:
            try:
                return await self._post_once(to, name, headers, body)
            except aiohttp.ClientConnectorError:
                raise  # no connection was made: nothing to try again on a new one
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
                # A kept connection closed as its keep-alive ran out (uvicorn's is 5 s,
                # aiohttp's 15 s), in order or by a reset (a loaded receiver's, in a CI
                # run): once more, on a new one (receivers drop duplicates by id).
                return await self._post_once(to, name, headers, body)
        except (TimeoutError, aiohttp.ServerTimeoutError):
            raise TimedOut(f"{url} timed out") from None
        except aiohttp.ClientConnectorError:
            raise _cannot_connect(url) from None
        except aiohttp.ClientError as error:
            raise FetchError(f"{url}: {type(error).__name__}") from None

    async def _post_once(
        self, to: yarl.URL, name: str, headers: dict[str, str], body: bytes
    ) -> PostResult:
        """One POST through the kept client (`_post`)."""
        assert self._posts is not None
        async with self._posts.post(
            to,
            data=body,
            headers=headers,
            allow_redirects=False,
            server_hostname=name if to.scheme == "https" else None,
        ) as response:
            await response.content.read(POST_ANSWER_BYTES)
            if not response.content.at_eof():
                response.close()  # not read to its end: the connection is not kept
            # All a POST's caller reads (an httpx.Response cost ~20 µs a delivery).
            return PostResult(response.status, response.headers.get("retry-after"))

    async def _read_capped(self, response: httpx.Response, url: str) -> None:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_response_bytes:
            raise FetchError(f"{url} answered more than {self.max_response_bytes} bytes")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.max_response_bytes:
                raise FetchError(f"{url} answered more than {self.max_response_bytes} bytes")
            chunks.append(chunk)
        response._content = b"".join(chunks)

    async def _checked_address(self, host: str, port: int | None) -> str:
        """The address to connect to: every address the host resolves to must be allowed,
        and the request goes to the one checked here, never to a second resolution."""
        fixed = self.policy.static_hosts.get(host)
        if fixed is not None:
            addresses = [fixed]
        elif _is_address(host):
            addresses = [host]
        else:
            addresses = list(dict.fromkeys(await self.resolver(host, port or 443)))
            if not addresses:
                raise FetchError(f"{host} does not resolve")
        for address in addresses:
            if not self.policy.allow_private_addresses and not _is_public(address):
                raise RefusedAddress(f"{host} resolves to a private or reserved address")
        return addresses[0]


async def system_resolver(host: str, port: int) -> list[str]:
    """The host's addresses from the system resolver (getaddrinfo, off the event loop)."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise FetchError(f"{host} does not resolve") from None
    return [str(info[4][0]) for info in infos]


def _cannot_connect(url: str) -> Unavailable:
    return Unavailable(f"{url}: cannot connect (the server is down or unreachable)")


def _is_upload(url: str) -> bool:
    """Whether `url` is where servers (Harbour, Mastodon, Akkoma, Pleroma) serve uploads."""
    import httpx

    try:
        path = httpx.URL(url).path
    except httpx.InvalidURL:
        return False  # refused as a URL when sent
    return any(path.startswith(prefix) for prefix in UPLOAD_PATHS)


@lru_cache(maxsize=4096)  # asked for every request (a failed parse raises: ~5 µs)
def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@lru_cache(maxsize=4096)
def _url(url: str) -> httpx.URL:
    """`url` parsed, once for a URL asked again and again (a fan-out's inboxes, post after
    post: parsing, the canonical host and the address's URL were ~0.1 ms a delivery)."""
    import httpx

    try:
        return httpx.URL(url)
    except httpx.InvalidURL:
        raise FetchError(f"{url!r} is not a valid URL") from None


@lru_cache(maxsize=4096)
def _at(url: str, address: str, port: int | None) -> httpx.URL:
    """`url` with its host replaced by the checked `address` (the name stays in Host/SNI)."""
    return _url(url).copy_with(host=address, port=port)


@lru_cache(maxsize=4096)
def _yarl(url: str, address: str, port: int | None) -> yarl.URL:
    """`_at` as aiohttp takes it, made once per URL and address."""
    import yarl  # with aiohttp, at the first POST

    return yarl.URL(str(_at(url, address, port)), encoded=True)


def _status(response: httpx.Response | PostResult) -> int:
    return response.status if isinstance(response, PostResult) else response.status_code


def _result(response: httpx.Response | PostResult) -> PostResult:
    """What a POST's caller reads of the answer."""
    if isinstance(response, PostResult):
        return response
    return PostResult(response.status_code, response.headers.get("retry-after"))


_split_port = lru_cache(maxsize=4096)(split_port)  # a canonical host[:port], every request


@lru_cache(maxsize=4096)
def _canonical_host(url: str) -> str:
    try:
        return host_of(url)
    except InvalidHost as error:
        raise FetchError(str(error)) from None


NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


@lru_cache(maxsize=4096)  # every address a request may go to, each time
def _is_public(address: str) -> bool:
    """Global unicast, also for IPv4 wrapped in IPv6 (mapped, compatible, 6to4, Teredo, NAT64)."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and (any(ip in net for net in NAT64) or int(ip) >> 32 == 0):
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            ip = embedded
    return ip.is_global and not ip.is_multicast
