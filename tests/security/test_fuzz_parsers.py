"""Fuzzing every inbox-facing parser and the sanitiser (Hypothesis, a few seconds each).

A parser of remote input may refuse it only with its documented error (InvalidDocument,
SignatureError, DigestMismatch); anything else would be a 500 or an errored inbox item.
The sanitiser's output is stable (sanitising it again changes nothing) and never holds a
script, an event handler or a `javascript:` link.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from activitypub import (
    InvalidDocument,
    SignatureError,
    parse_acct,
    parse_actor,
    parse_nodeinfo,
    read_json,
    self_link,
)
from activitypub.digests import check_sha256, sha256_of
from activitypub.errors import DigestMismatch
from activitypub.signatures import parse_signature_header
from content.sanitize import (
    clean_document_html,
    clean_html,
    render_markdown,
    render_plain_text,
    strip_html,
)
from federation import country_wire, from_wire, listing_wire

FUZZ = settings(
    max_examples=150,
    deadline=timedelta(seconds=2),
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# Field names the parsers look for, so that generated documents reach past the first check.
KEYS = [
    "id", "type", "actor", "object", "inbox", "outbox", "preferredUsername", "publicKey",
    "publicKeyPem", "owner", "endpoints", "sharedInbox", "name", "summary", "content",
    "contentMap", "nameMap", "summaryMap", "tag", "attachment", "url", "href", "mediaType",
    "width", "height", "to", "cc", "inReplyTo", "published", "links", "rel", "version",
    "software", "usage", "users", "protocols", "openRegistrations", "total", "areaServed",
    "address", "provider", "serviceType", "availableLanguage", "countryCode",
    "languageVersions", "inLanguage", "revision", "sources", "lastReviewed", "icon", "image",
    "followers", "following", "featured", "manuallyApprovesFollowers", "attributedTo",
]  # fmt: skip
TYPES = ["Person", "Group", "Note", "Page", "ServiceListing", "CountryInformation", "Image",
         "Hashtag", "Mention", "Link", "Create", "Service", "Organization"]  # fmt: skip
SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=20) | st.sampled_from(TYPES)
    | st.sampled_from(["https://remote.example/users/eve", "http://[::1", "acct:a@b", "en"])
)  # fmt: skip
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=8)
    ),
    max_leaves=40,
)
OBJECTS = st.dictionaries(st.sampled_from(KEYS), DOCUMENTS, max_size=12)
HTML_PIECES = st.sampled_from([
    "<script>", "</script>", "<style>", "<b>", "</b>", "<p onclick=x>", "<pre>", "</pre>",
    "<code>", "<a href='javascript:alert(1)'>", '<a href="https://x.example/a?b=1&c=2">',
    "</a>", "<span class='h-card u-url'>", "<svg onload=x>", "<img src=x onerror=y>",
    "<iframe srcdoc='<script>x</script>'>", "<math><mtext><table><mglyph><style>",
    "<![CDATA[", "]]>", "<!--", "-->", "<template>", "<noscript>", "<h3>", "<li>",
    "https://example.org/x", "http://e.example/(y)", "&nbsp;", "&amp;", "&#x6a;", "&lt;",
    '"', "'", "<", ">", "javascript:", " ", "\n", "<a href=JaVaScRiPt:x>", "<br/>",
    "<form><input>", "<base href=//evil.example>", "<a href=\"\x01javascript:x\">",
])  # fmt: skip
HTML = st.lists(HTML_PIECES | st.text(max_size=6), max_size=40).map("".join)
ATTRIBUTES = re.compile(r"<[^>]*>")


def refuses_only_with(
    errors: tuple[type[Exception], ...], parse: Callable[[Any], object], value: Any
) -> None:
    try:
        parse(value)
    except errors:
        pass


@FUZZ
@given(st.binary(max_size=200) | DOCUMENTS.map(repr).map(str.encode))
def test_read_json(body: bytes) -> None:
    refuses_only_with((InvalidDocument,), read_json, body)


@FUZZ
@given(OBJECTS)
def test_parse_actor(document: dict[str, Any]) -> None:
    refuses_only_with((InvalidDocument,), parse_actor, document)


@FUZZ
@given(OBJECTS)
def test_note_fields(note: dict[str, Any]) -> None:
    from_wire.hashtags_of(note)
    from_wire.attachments_of(note)


@FUZZ
@given(OBJECTS)
def test_webfinger_and_nodeinfo(document: dict[str, Any]) -> None:
    refuses_only_with((InvalidDocument,), self_link, document)
    refuses_only_with((InvalidDocument,), parse_nodeinfo, document)


@FUZZ
@given(st.text(max_size=60) | st.sampled_from(["acct:a@b", "@a@b:99999", "a@[::1]"]))
def test_acct(resource: str) -> None:
    refuses_only_with((InvalidDocument,), parse_acct, resource)


@FUZZ
@given(st.text(max_size=120), st.text(max_size=80) | st.none(), st.binary(max_size=40))
def test_signature_and_digest_headers(signature: str, digest: str | None, body: bytes) -> None:
    refuses_only_with((SignatureError,), parse_signature_header, signature)
    refuses_only_with(
        (DigestMismatch,), lambda header: check_sha256(header, sha256_of(body)), digest
    )


@FUZZ
@given(OBJECTS)
def test_listing_and_country_wire(document: dict[str, Any]) -> None:
    listing_wire.is_listing(document)
    listing_wire.fields_of(document)
    country_wire.is_country_information(document)
    country_wire.versions_of(document)


def assert_safe(output: str) -> None:
    assert "<script" not in output.lower() and "<style" not in output.lower()
    for tag in ATTRIBUTES.findall(output):
        assert not re.search(r"\son[a-z]+\s*=", tag, re.IGNORECASE), tag
        assert not re.search(r"=\s*\"?\s*javascript:", tag, re.IGNORECASE), tag


@FUZZ
@given(HTML)
@example("https://example.org/x'0")  # linked with &#x27;, which cleaning again decoded
def test_sanitiser_output_is_safe_and_stable(markup: str) -> None:
    for clean in (clean_html, clean_document_html):
        once = clean(markup)
        assert_safe(once)
        assert clean(once) == once


@FUZZ
@given(HTML)
def test_markdown_plain_text_and_stripped_text_are_safe(source: str) -> None:
    assert_safe(render_markdown(source))
    assert_safe(render_plain_text(source))
    assert_safe(render_plain_text(strip_html(source)))
