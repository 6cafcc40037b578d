"""HTTP Signatures against the draft-cavage test vectors, and round trips of our own."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpsig
import pytest
from httpsig.verify import HeaderVerifier

from activitypub import DigestMismatch, SignatureError
from activitypub.signatures import RequestParts, parse_signature_header, sign, verify
from tests.rig.keys import keypair_for_tests

# draft-cavage-http-signatures-12, appendix C: the test key ships in the httpsig package; the
# request and the expected signature are the appendix's (also in httpsig's own tests).
VECTOR_KEY = (Path(httpsig.__file__).parent / "tests" / "rsa_public.pem").read_text()
VECTOR_NOW = datetime(2014, 1, 5, 21, 31, 40, tzinfo=UTC)
VECTOR_HEADERS = {
    "Host": "example.com",
    "Date": "Thu, 05 Jan 2014 21:31:40 GMT",
    "Content-Type": "application/json",
    "Digest": "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
    "Content-Length": "18",
}
VECTOR_BODY = b'{"hello": "world"}'
ALL_HEADERS_SIGNATURE = (
    "Ef7MlxLXoBovhil3AlyjtBwAL9g4TN3tibLj7uuNB3CROat/9KaeQ4hW2NiJ+pZ6HQEOx9vYZAyi+7cmIkmJszJCut5"
    "kQLAwuX+Ms/mUFvpKlSo9StS2bMXDBNjOh4Auj774GFj4gwjS+3NhFeoqyr/MuN6HsEnkvn6zdgfE2i0="
)
BASIC_SIGNATURE = (
    "HUxc9BS3P/kPhSmJo+0pQ4IsCo007vkv6bUm4Qehrx+B1Eo4Mq5/6KylET72ZpMUS80XvjlOPjKzxfeTQj4DiKbAzwJ"
    "Ab4HX3qX6obQTa00/qPDXlMepD2JtTw33yNnm/0xV7fQuvILN/ys+378Ysi082+4xBQFwvhNvSoVsGv4="
)


def vector_request(
    headers: str, signature: str, path: str = "/foo?param=value&pet=dog"
) -> RequestParts:
    authorization = (
        f'Signature keyId="Test",algorithm="rsa-sha256",headers="{headers}",signature="{signature}"'
    )
    return RequestParts(
        "POST", path, {**VECTOR_HEADERS, "Authorization": authorization}, VECTOR_BODY
    )


def test_the_all_headers_vector_verifies() -> None:
    info = verify(
        vector_request(
            "(request-target) host date content-type digest content-length", ALL_HEADERS_SIGNATURE
        ),
        VECTOR_KEY,
        now=VECTOR_NOW,
    )
    assert info.key_id == "Test"
    assert info.headers[:3] == ("(request-target)", "host", "date")


def test_the_vector_fails_for_another_path_or_body() -> None:
    covered = "(request-target) host date content-type digest content-length"
    with pytest.raises(SignatureError, match="does not match"):
        verify(
            vector_request(covered, ALL_HEADERS_SIGNATURE, path="/foo?pet=cat"),
            VECTOR_KEY,
            now=VECTOR_NOW,
        )
    altered = vector_request(covered, ALL_HEADERS_SIGNATURE)
    altered = RequestParts(altered.method, altered.path, altered.headers, b'{"hello": "there"}')
    with pytest.raises(DigestMismatch):
        verify(altered, VECTOR_KEY, now=VECTOR_NOW)


def test_the_basic_vector_is_valid_but_too_weak_for_an_inbox() -> None:
    # It signs (request-target) host date only: the body could be anything, so it is refused.
    with pytest.raises(SignatureError, match="must cover digest"):
        verify(
            vector_request("(request-target) host date", BASIC_SIGNATURE),
            VECTOR_KEY,
            now=VECTOR_NOW,
        )


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_our_signatures_verify_here_and_in_httpsig(method: str) -> None:
    keys = keypair_for_tests(0)
    body = b'{"type":"Follow"}' if method == "POST" else b""
    headers = {"host": "harbour.test", "content-type": "application/activity+json"}
    headers.update(
        sign(
            RequestParts(method, "/users/alice/inbox", headers, body),
            key_id="https://harbour.test/users/bob#main-key",
            private_pem=keys.private_pem,
        )
    )
    parts = RequestParts(method, "/users/alice/inbox", headers, body)
    assert verify(parts, keys.public_pem).key_id == "https://harbour.test/users/bob#main-key"
    independent = HeaderVerifier(
        headers=headers,
        secret=keys.public_pem,
        method=method,
        path="/users/alice/inbox",
        sign_header="Signature",
    )
    assert independent.verify() is True


def test_hs2019_is_read_as_rsa_sha256_and_unknown_algorithms_are_refused() -> None:
    assert parse_signature_header('keyId="k",algorithm="hs2019",signature="x"').algorithm == (
        "hs2019"
    )
    with pytest.raises(SignatureError, match="not accepted"):
        parse_signature_header('keyId="k",algorithm="hmac-sha256",signature="x"')
    with pytest.raises(SignatureError, match="needs keyId"):
        parse_signature_header('algorithm="rsa-sha256"')


def test_unsigned_and_undated_requests_are_refused() -> None:
    with pytest.raises(SignatureError, match="not signed"):
        verify(RequestParts("GET", "/", {"host": "h"}), keypair_for_tests(0).public_pem)
    keys = keypair_for_tests(0)
    headers = {"host": "h"}
    headers.update(
        sign(RequestParts("GET", "/", headers), key_id="k", private_pem=keys.private_pem)
    )
    del headers["Date"]
    with pytest.raises(SignatureError, match="Date header is missing"):
        verify(RequestParts("GET", "/", headers), keys.public_pem)


def test_a_signed_header_outside_ascii_is_a_failed_signature() -> None:
    # httpsig's signing string raised UnicodeEncodeError past the check (a 500 in the inbox)
    headers = {**VECTOR_HEADERS, "Content-Type": "application/jsön"}
    authorization = (
        'Signature keyId="Test",algorithm="rsa-sha256",'
        'headers="(request-target) host date content-type digest content-length",'
        f'signature="{ALL_HEADERS_SIGNATURE}"'
    )
    parts = RequestParts(
        "POST", "/foo?param=value&pet=dog", {**headers, "Authorization": authorization}, VECTOR_BODY
    )
    with pytest.raises(SignatureError, match="does not match"):
        verify(parts, VECTOR_KEY, now=VECTOR_NOW)
