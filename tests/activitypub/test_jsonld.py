"""Compacted JSON-LD helpers: lists, references, types and required fields."""

from __future__ import annotations

import json
from typing import Any

import pytest

from activitypub import InvalidDocument, as_list, has_type, id_of
from activitypub.jsonld import optional_str, read_json, require_str, require_uri


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, []), ("a", ["a"]), (["a", "b"], ["a", "b"]), ([], []), ({"id": "x"}, [{"id": "x"}])],
)
def test_as_list_reads_absent_single_and_many(value: Any, expected: list[Any]) -> None:
    assert as_list(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://a.example/1", "https://a.example/1"),
        ({"id": "https://a.example/1", "type": "Note"}, "https://a.example/1"),
        ({"type": "Note"}, None),
        ({"id": 5}, None),
        (None, None),
        (["https://a.example/1"], None),
        (42, None),
    ],
)
def test_id_of_reads_a_bare_uri_or_an_embedded_object(value: Any, expected: str | None) -> None:
    assert id_of(value) == expected


def test_has_type_accepts_a_string_or_a_list_of_types() -> None:
    assert has_type({"type": "Note"}, "Note", "Article")
    assert has_type({"type": ["Object", "Article"]}, "Note", "Article")
    assert not has_type({"type": "Person"}, "Note")
    assert not has_type({}, "Note")


def test_require_str_names_the_missing_or_wrong_field() -> None:
    assert require_str({"name": "ada"}, "name") == "ada"
    for document in ({}, {"name": ""}, {"name": None}, {"name": 3}, {"name": ["ada"]}):
        with pytest.raises(InvalidDocument, match="'name' must be a non-empty string"):
            require_str(document, "name")


def test_optional_str_allows_absence_but_not_another_type() -> None:
    assert optional_str({}, "summary") is None
    assert optional_str({"summary": None}, "summary") is None
    assert optional_str({"summary": ""}, "summary") == ""
    with pytest.raises(InvalidDocument, match="'summary' must be a string"):
        optional_str({"summary": {"en": "hi"}}, "summary")


@pytest.mark.parametrize(
    "uri", ["https://a.example", "https://a.example/users/ada", "http://127.0.0.1:8080/actor"]
)
def test_require_uri_accepts_absolute_http_uris(uri: str) -> None:
    assert require_uri({"id": uri}, "id") == uri


@pytest.mark.parametrize(
    "uri",
    [
        "/users/ada",
        "a.example/users/ada",
        "https://",
        "https:///users/ada",
        "ftp://a.example/x",
        "javascript://a.example/%0Aalert(1)",
        "acct:ada@a.example",
    ],
)
def test_require_uri_rejects_relative_and_non_http_uris(uri: str) -> None:
    with pytest.raises(InvalidDocument, match="'id' must be an absolute http\\(s\\) URI"):
        require_uri({"id": uri}, "id")


def test_read_json_takes_documents_as_deep_as_allowed_and_no_deeper() -> None:
    # levels alternate objects and lists, with strings and numbers beside them at each level
    def nested(levels: int) -> object:
        inner: object = {"leaf": "x"}
        for level in range(levels - 1):
            inner = [1, "s", inner] if level % 2 else {"a": "b", "n": inner}
        return inner

    for levels in (1, 2, 15, 16):
        assert read_json(json.dumps(nested(levels)).encode(), 16) == nested(levels)
    with pytest.raises(InvalidDocument, match="nests deeper than 16"):
        read_json(json.dumps(nested(17)).encode(), 16)
    assert read_json(b'"text"', 1) == "text" and read_json(b"[]", 1) == []
    with pytest.raises(InvalidDocument):
        read_json(b"[[]]", 1)
