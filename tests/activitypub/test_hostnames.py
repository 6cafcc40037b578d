"""The one canonical host form: every spelling of a server's host comes out the same."""

from __future__ import annotations

import idna
import pytest

from activitypub.hostnames import InvalidHost, canonical_host, check_canonical, host_of, same_host

SPELLINGS_OF_ONE_HOST = [
    "bad.example",
    "BAD.Example",
    "bad.example.",
    "bad\u3002example",  # ideographic full stop
    "bad\uff0eexample",  # fullwidth full stop
    "bad\uff61example",  # halfwidth ideographic full stop
    "\uff42\uff41\uff44.example",  # fullwidth letters
    "bad.example:443",
    "bad.example:0443",
    "bad.example:",
]


@pytest.mark.parametrize("spelling", SPELLINGS_OF_ONE_HOST)
def test_every_spelling_of_a_host_has_one_canonical_form(spelling: str) -> None:
    assert canonical_host(spelling) == "bad.example"
    assert host_of(f"https://{spelling}/users/mallory") == "bad.example"


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("b\u00fccher.example", "xn--bcher-kva.example"),
        ("XN--BCHER-KVA.example", "xn--bcher-kva.example"),
        ("B\u00dcCHER\u3002example.:8443", "xn--bcher-kva.example:8443"),
        ("stra\u00dfe.example", "xn--strae-oqa.example"),  # UTS #46 non-transitional: ß kept
        ("bad.example:08000", "bad.example:8000"),
        ("127.0.0.1:8000", "127.0.0.1:8000"),
        ("[::1]:8000", "[::1]:8000"),
        ("[0:0:0:0:0:0:0:1]", "[::1]"),
    ],
)
def test_internationalised_names_ports_and_addresses_have_one_form(
    spelling: str, canonical: str
) -> None:
    assert canonical_host(spelling) == canonical


def test_the_default_port_depends_on_the_scheme() -> None:
    assert host_of("http://bad.example:80/x") == "bad.example"
    assert host_of("http://bad.example:443/x") == "bad.example:443"
    assert host_of("https://bad.example:80/x") == "bad.example:80"


@pytest.mark.parametrize(
    "authority",
    [
        "bad.example:0",
        "bad.example:65536",
        "bad.example:99999999999",
        "bad.example:44x",
        "bad.example:+443",
        "bad.example:\u0664\u0664\u0663",  # Arabic-Indic digits, which int() would accept
        "bad.example:443:443",
        "mallory@bad.example",
        "good.example:443@bad.example",
        "bad%2eexample",
        "bad example",
        "bad_host.example",
        "-bad.example",
        "bad..example",
        "",
        "2130706433",  # 127.0.0.1 as one decimal number
        "0177.0.0.1",  # octal
        "0x7f.1",
        "127.1",
        "[::1",
        "[not-an-address]",
    ],
)
def test_hosts_naming_no_server_unambiguously_are_invalid(authority: str) -> None:
    with pytest.raises(InvalidHost):
        canonical_host(authority)


@pytest.mark.parametrize(
    "uri",
    [
        "https://BAD.example/users/mallory",
        "https://bad.example./users/mallory",
        "https://bad\u3002example/users/mallory",
        "https://b\u00fccher.example/users/mallory",
        "https://bad.example:443/users/mallory",
        "https://bad.example:/users/mallory",
        "https://bad.example:0443/users/mallory",
        "HTTPS://bad.example/users/mallory",
        "https://bad.example:99999/users/mallory",
        "ftp://bad.example/users/mallory",
        "/users/mallory",
        "https://bad.exa\tmple/users/mallory",
        " https://bad.example/users/mallory",
        "https://bad.example/users/mal\nlory",
    ],
)
def test_ids_must_be_written_in_canonical_form(uri: str) -> None:
    with pytest.raises(InvalidHost):
        check_canonical(uri)


def test_canonical_ids_pass_and_name_their_host() -> None:
    assert check_canonical("https://xn--bcher-kva.example/users/a") == "xn--bcher-kva.example"
    assert check_canonical("http://node-a.test:8000/users/a") == "node-a.test:8000"


def test_an_id_is_on_an_actors_host_only_when_written_canonically() -> None:
    actor = "https://bad.example/users/mallory"
    assert same_host("https://bad.example/notes/1", actor)
    assert not same_host("https://BAD.example/notes/1", actor)
    assert not same_host("https://bad.example./notes/1", actor)
    assert not same_host("https://good.example/notes/1", actor)
    assert not same_host("https://bad.example:99999/notes/1", actor)


@pytest.mark.parametrize(
    "name",
    [
        "localhost",
        "a.example",
        "0a-b.example",
        "ab--c.example",  # hyphens 3rd and 4th: reserved for A-labels
        "xn--bcher-kva.example",
        "xn--zz.example",  # not valid punycode
        "a-.example",
        "-a.example",
        "a..example",
        "a" * 63 + ".example",
        "a" * 64 + ".example",
        ".".join(["a" * 63] * 3 + ["a" * 61]),  # 253 characters
        ".".join(["a" * 63] * 3 + ["a" * 62]),
    ],
)
def test_names_already_canonical_are_taken_as_idna_takes_them(name: str) -> None:
    try:
        mapped = idna.uts46_remap(name, std3_rules=True, transitional=False)
        expected: str | None = idna.encode(mapped, uts46=False, std3_rules=True).decode()
    except idna.IDNAError:
        expected = None
    try:
        assert canonical_host(name) == expected
    except InvalidHost:
        assert expected is None
