"""RFC 9421 signatures: the RFC's own test vector, and Harbour's signing and checking policy.

The keys in rfc9421_vectors/ are the RFC's Appendix B.1 test keys as shipped in the
`http-message-signatures` sdist. RFC 9421 has no Appendix B vector for rsa-v1_5-sha256 (its
one such signature, §4.3 `proxy_sig`, carries an `expires` long past), so RSA is checked by
round trips here and against Fedify in tests/interop.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms

from activitypub.errors import SignatureError
from activitypub.message_signatures import is_message_signature, key_id_of, sign, verify
from activitypub.signatures import RequestParts
from tests.rig.keys import keypair_for_tests

VECTORS = Path(__file__).parent / "rfc9421_vectors"
B26_URL = "https://example.com/foo?param=Value&Pet=dog"
B26_CREATED = datetime.fromtimestamp(1618884473, UTC)


def b26_request(**changed: str) -> RequestParts:
    """RFC 9421 Appendix B.2.6: the Ed25519 signature of the example POST (its body and
    Content-Digest are not covered, so they are left out)."""
    headers = {
        "Host": "example.com",
        "Date": "Tue, 20 Apr 2021 02:07:55 GMT",
        "Content-Type": "application/json",
        "Content-Length": "18",
        "Signature-Input": 'sig-b26=("date" "@method" "@path" "@authority" "content-type" '
        '"content-length");created=1618884473;keyid="test-key-ed25519"',
        "Signature": "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUP"
        "iu4A0w6vuQv5lIp5WPpBKRCw==:",
    }
    return RequestParts("POST", "/foo?param=Value&Pet=dog", {**headers, **changed})


def test_the_rfc_ed25519_vector_b26_verifies() -> None:
    pem = (VECTORS / "test-key-ed25519.pem").read_text()
    parts = b26_request()
    assert is_message_signature(parts)
    assert key_id_of(parts) == "test-key-ed25519"
    covered = ("@method", "@authority", "@path")
    assert verify(parts, B26_URL, pem, now=B26_CREATED, required=covered) == "test-key-ed25519"


@pytest.mark.parametrize(
    "changed",
    [
        {"Content-Length": "19"},
        {"Date": "Tue, 20 Apr 2021 02:07:56 GMT"},
        {
            "Signature": "sig-b26=:xqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUP"
            "iu4A0w6vuQv5lIp5WPpBKRCw==:"
        },
    ],
)
def test_a_tampered_rfc_vector_is_refused(changed: dict[str, str]) -> None:
    pem = (VECTORS / "test-key-ed25519.pem").read_text()
    covered = ("@method", "@authority", "@path")
    with pytest.raises(SignatureError, match="does not verify"):
        verify(b26_request(**changed), B26_URL, pem, now=B26_CREATED, required=covered)


def test_the_rfc_vector_for_another_host_is_refused() -> None:
    pem = (VECTORS / "test-key-ed25519.pem").read_text()
    covered = ("@method", "@authority", "@path")
    with pytest.raises(SignatureError, match="does not verify"):
        verify(
            b26_request(),
            "https://example.org/foo?param=Value&Pet=dog",
            pem,
            now=B26_CREATED,
            required=covered,
        )


def test_harbours_policy_refuses_the_vector_without_target_uri() -> None:
    pem = (VECTORS / "test-key-ed25519.pem").read_text()
    with pytest.raises(SignatureError, match="@target-uri"):
        verify(b26_request(), B26_URL, pem, now=B26_CREATED)


def test_the_vector_is_refused_when_old_or_from_the_future() -> None:
    pem = (VECTORS / "test-key-ed25519.pem").read_text()
    covered = ("@method", "@authority", "@path")
    for now in (B26_CREATED + timedelta(hours=2), B26_CREATED - timedelta(minutes=10)):
        with pytest.raises(SignatureError, match="too old|future"):
            verify(b26_request(), B26_URL, pem, now=now, required=covered)


def post(body: bytes = b'{"type":"Follow"}') -> RequestParts:
    return RequestParts(
        "POST", "/inbox", {"host": "b.example", "content-type": "application/activity+json"}, body
    )


def signed(parts: RequestParts, url: str = "https://b.example/inbox") -> RequestParts:
    key = keypair_for_tests(0)
    added = sign(parts, url, key_id="https://a.example/actor#main-key", private_pem=key.private_pem)
    return RequestParts(parts.method, parts.path, {**parts.headers, **added}, parts.body)


def test_a_signed_post_covers_method_target_authority_and_digest() -> None:
    parts = signed(post())
    assert (parts.header("content-digest") or "").startswith("sha-256=:")
    signature_input = parts.header("signature-input") or ""
    for component in ('"@method"', '"@target-uri"', '"@authority"', '"content-digest"'):
        assert component in signature_input
    assert 'keyid="https://a.example/actor#main-key"' in signature_input
    assert 'alg="rsa-v1_5-sha256"' in signature_input and ";created=" in signature_input
    assert verify(parts, "https://b.example/inbox", keypair_for_tests(0).public_pem).endswith(
        "#main-key"
    )


def test_a_changed_body_or_another_target_is_refused() -> None:
    parts = signed(post())
    changed = RequestParts(parts.method, parts.path, parts.headers, b'{"type":"Block"}')
    with pytest.raises(SignatureError, match="does not verify"):
        verify(changed, "https://b.example/inbox", keypair_for_tests(0).public_pem)
    with pytest.raises(SignatureError, match="does not verify"):
        verify(parts, "https://c.example/inbox", keypair_for_tests(0).public_pem)
    with pytest.raises(SignatureError, match="does not verify"):
        verify(parts, "https://b.example/inbox", keypair_for_tests(1).public_pem)


def test_a_body_without_a_signed_digest_is_refused() -> None:
    get = signed(RequestParts("GET", "/inbox", {"host": "b.example"}))
    with_body = RequestParts("POST", "/inbox", get.headers, json.dumps({"a": 1}).encode())
    with pytest.raises(SignatureError, match="does not verify"):
        verify(with_body, "https://b.example/inbox", keypair_for_tests(0).public_pem)


def test_two_signatures_or_none_are_refused() -> None:
    parts = signed(post())
    one = parts.header("signature-input") or ""
    doubled = {k: v for k, v in parts.headers.items() if k.lower() != "signature-input"}
    doubled["Signature-Input"] = one + ", " + one.replace("sig1=", "sig2=")
    with pytest.raises(SignatureError, match="exactly one"):
        key_id_of(RequestParts("POST", "/inbox", doubled, parts.body))
    with pytest.raises(SignatureError, match="no Signature-Input"):
        key_id_of(post())


URLS = [
    "https://b.example/inbox",
    "http://sink-0001.bench:8443/users/a_b-c.d~e/inbox",
    "https://b.example:443/inbox",  # a default port: the library writes the authority
    "http://b.example:80/inbox",
    "https://b.example:0443/inbox",
    "https://B.Example/inbox",  # upper case: the library lower-cases the authority
    "https://b.example/users/caf%C3%A9/inbox",
    "https://b.example/inbox?page=1",
    "https://[2001:db8::1]:8443/inbox",
    "https://b.example",
]
KEY_IDS = ["https://a.example/actor#main-key", 'https://a.example/a"b\\c#key']


@pytest.mark.parametrize("method", ["POST", "GET"])
@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("key_id", KEY_IDS)
def test_signing_writes_the_fields_the_librarys_own_sign_writes(
    method: str, url: str, key_id: str
) -> None:
    """sign() skips the library's apply() (see its comment) and writes the signature base
    of its fixed components by hand where nothing needs normalising or escaping: for any
    target and keyid, the headers must be those the library's own sign() writes, and
    verify."""
    key = keypair_for_tests(0)
    now = datetime.now(UTC)
    parts = RequestParts(
        method, "/inbox", {"host": "b.example"}, b'{"a":1}' if method == "POST" else b""
    )
    ours = sign(parts, url, key_id=key_id, private_pem=key.private_pem, now=now)
    resolver = MappingKeyResolver(public_keys={}, private_keys={key_id: key.private_pem.encode()})
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.RSA_V1_5_SHA256, key_resolver=resolver
    )
    message = type("Message", (), {"method": method, "url": url, "headers": {}})()
    components = ["@method", "@target-uri", "@authority"]
    if method == "POST":
        components.append("content-digest")
    signer.sign(
        message,
        key_id=key_id,
        created=now,
        label="sig1",
        covered_component_ids=components,
        body=parts.body if method == "POST" else None,
    )
    assert ours == message.headers
    signed = RequestParts(parts.method, parts.path, {**parts.headers, **ours}, parts.body)
    assert verify(signed, url, key.public_pem, required=("@method", "@target-uri")) == key_id
