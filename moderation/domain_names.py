"""Domain names as admins type them and as hosts appear in ids, and which rules match a host."""

from __future__ import annotations


def normalise(domain: str) -> str:
    """A domain as stored: lower case, without scheme, path or trailing dot."""
    text = domain.strip().lower()
    text = text.split("://", 1)[-1].split("/", 1)[0]
    return text.rstrip(".")


def candidates(host: str) -> set[str]:
    """The rule names that match `host`: itself, without its port, and every parent domain
    (a rule for `example.org` covers `social.example.org`), but never a bare top-level."""
    name = normalise(host)
    bare = name.rsplit(":", 1)[0] if name.count(":") == 1 else name
    labels = bare.split(".")
    return {name, bare} | {".".join(labels[i:]) for i in range(1, len(labels) - 1)}
