"""Issue 12: every malformed input answers 4xx, never 500 (found by probing the app)."""

from __future__ import annotations

import base64
import email.utils
import hashlib
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from node.state import Services
from tests.node.conftest import EVE
from tests.rig.members import Member, member
from tests.rig.remote import FakeServer

BEYOND_64_BITS = "99999999999999999999"
NINETEEN_DIGITS = "9999999999999999999"  # above 2**63 - 1
NOT_A_NUMBER = ["\u00b2", "9" * 5000, "1e5"]  # isdigit() is true of the first
PATHS = [
    "/api/v1/statuses/{n}",
    "/api/v1/statuses/{n}/context",
    "/api/v1/accounts/{n}",
    "/api/v1/accounts/{n}/statuses",
    "/api/v1/timelines/public?max_id={n}",
    "/api/v1/timelines/public?since_id={n}&min_id={n}",
    "/api/v1/timelines/public?limit={n}",
    "/api/v1/notifications?max_id={n}&account_id={n}",
    "/api/v1/notifications/unread_count?limit={n}",
    "/api/v1/accounts/search?q=a&offset={n}&limit={n}",
    "/api/v2/search?q=a&offset={n}&limit={n}",
    "/api/v1/media/{n}",
    "/@alice/{n}",
    "/users/alice/statuses/{n}",
    "/users/alice/outbox?page=true&max_id={n}",
    "/directory/{n}",
    "/directory?max_id={n}",
]
NUMBERS = [BEYOND_64_BITS, NINETEEN_DIGITS, *NOT_A_NUMBER]
DEEP_ARRAYS = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECTS = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
BAD_UTF8 = b'{"id": "https://remote.example/\xff\xfe", "type": "Create"}'
UTF16 = '{"id": "https://remote.example/1", "type": "Create", "actor": "a"}'.encode("utf-16")


@pytest.fixture
async def probe(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A client that sees a 500 as the answer it is, rather than as the app's exception."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="https://harbour.test") as http:
        yield http


@pytest.fixture
async def alice(services: Services) -> Member:
    return await member(services, "alice")


@pytest.mark.anyio
@pytest.mark.parametrize("number", NUMBERS, ids=["20 digits", "19 digits", "2", "5000", "1e5"])
async def test_ids_limits_and_offsets_that_are_no_numbers_answer_4xx(
    probe: httpx.AsyncClient, alice: Member, number: str
) -> None:
    answers = {
        path: (await probe.get(path.format(n=number), headers=alice.headers)).status_code
        for path in PATHS
    }
    assert {path: status for path, status in answers.items() if status >= 500} == {}


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["/api/v2/search", "/api/v1/accounts/search"])
async def test_a_search_for_what_no_name_holds_finds_nothing(
    probe: httpx.AsyncClient, alice: Member, path: str
) -> None:
    """A NUL (a 500 on PostgreSQL before) or, in a JSON body, a lone surrogate."""
    by_url = await probe.get(path, params={"q": "ali\x00ce"}, headers=alice.headers)
    assert by_url.status_code == 200, by_url.text
    body = b'{"q": "ali\\ud800"}'
    by_json = await probe.request(
        "GET", path, content=body, headers={**alice.headers, "Content-Type": "application/json"}
    )
    assert by_json.status_code == 200, by_json.text
    for answer in (by_url, by_json):
        found = answer.json()
        assert (found["accounts"] if isinstance(found, dict) else found) == []
    plain = await probe.get(path, params={"q": "ali"}, headers=alice.headers)
    accounts = plain.json()["accounts"] if path.startswith("/api/v2") else plain.json()
    assert [account["username"] for account in accounts] == ["alice"]


@pytest.mark.anyio
@pytest.mark.parametrize(
    "body",
    [DEEP_ARRAYS, DEEP_OBJECTS, BAD_UTF8, UTF16],
    ids=["arrays", "objects", "utf8", "utf16"],
)
@pytest.mark.parametrize(
    "path", ["/inbox", "/users/alice/inbox", "/api/v1/statuses", "/api/v1/markers"]
)
async def test_deep_or_undecodable_json_answers_400(
    probe: httpx.AsyncClient, alice: Member, path: str, body: bytes
) -> None:
    answer = await probe.post(
        path, content=body, headers={**alice.headers, "content-type": "application/json"}
    )

    assert answer.status_code == 400, answer.text


MALFORMED_KEY_IDS = [
    "http://[::1",
    "https://remote.example:99999999/users/eve#main-key",
    "https://remote.example:port/users/eve#main-key",
    "://",
    "https://ex ample.org/a",
    "https://remote.example/%zz#a",
    "https://" + "a" * 300 + ".example/k",
    "https://[v1.x]/k",
    "",
    "mailto:eve@remote.example",
    "https://remote.example/users/eve#" + "k" * 5000,
]


@pytest.mark.anyio
@pytest.mark.parametrize("key_id", MALFORMED_KEY_IDS)
async def test_malformed_key_ids_answer_4xx(
    probe: httpx.AsyncClient, remote: FakeServer, key_id: str
) -> None:
    body = json.dumps({"id": f"{EVE}/1", "type": "Create", "actor": EVE}).encode()
    headers = {
        "content-type": "application/activity+json",
        "digest": "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode(),
        "date": email.utils.formatdate(usegmt=True),
        "signature": f'keyId="{key_id}",algorithm="rsa-sha256",headers="(request-target) host '
        f'date digest",signature="{base64.b64encode(b"x" * 256).decode()}"',
    }

    answer = await probe.post("/inbox", content=body, headers=headers)

    assert 400 <= answer.status_code < 500, answer.text
