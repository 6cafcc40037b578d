"""Whether a host column is on any of a list of domains (the domain itself or one of its
sub-domains, with or without a port), as one SQL condition with one parameter, however long
the list.

A condition per domain, joined by OR, is what SQLite reads as a tree one level deeper per
term: past about 250 domains it refused the statement ("Expression tree is too large"), and
every timeline that leaves silenced, quarantined or blocked servers out failed. A server can
be met from hundreds of sub-domains and a trust list can silence thousands of domains, so
the list is bound as one JSON object, read by the database as an indexed set, and each row
looks up its host and the host's parent domains in it (x.y.evil.example: itself,
y.evil.example, evil.example, example): a handful of lookups a row, not one per domain."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from sqlalchemy import Boolean, ColumnElement, String, bindparam, false
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal


class _OnAny(ColumnElement[bool]):
    """`column` (a host, perhaps with a port) is on one of the domains, the keys of a JSON
    object."""

    type = Boolean()
    inherit_cache = True

    def __init__(self, column: ColumnElement[Any], domains: ColumnElement[Any]) -> None:
        self.column = column
        self.domains = domains

    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("domains", InternalTraversal.dp_clauseelement),
    ]


def _parents(column: str, find: str) -> str:
    """A recursive CTE `parent(host)`: the host as it is, then without its port (an IPv6
    address's "[...]" kept whole), then each parent domain in turn."""
    bracketed = "substr(host, 1, 1) = '['"
    ported = f"NOT {bracketed} AND {find}(host, ':') > 0"
    ported_v6 = f"{bracketed} AND {find}(host, ']:') > 0"
    dotted = f"NOT {bracketed} AND {find}(host, '.') > 0"
    following = (
        f"CASE WHEN {ported} THEN substr(host, 1, {find}(host, ':') - 1) "
        f"WHEN {ported_v6} THEN substr(host, 1, {find}(host, ']:')) "
        f"ELSE substr(host, {find}(host, '.') + 1) END"
    )
    return (
        f"WITH RECURSIVE parent(host) AS (SELECT CAST({column} AS TEXT) UNION ALL "
        f"SELECT {following} FROM parent WHERE ({ported}) OR ({ported_v6}) OR ({dotted}))"
    )


@compiles(_OnAny)
def _on_sqlite(element: _OnAny, compiler: SQLCompiler, **kw: Any) -> str:
    # The keys of the JSON object, as an uncorrelated IN: SQLite builds its index once.
    column, domains = (
        compiler.process(element.column, **kw),
        compiler.process(element.domains, **kw),
    )
    keys = f"SELECT key FROM json_each({domains})"
    return f"EXISTS ({_parents(column, 'instr')} SELECT 1 FROM parent WHERE host IN ({keys}))"


@compiles(_OnAny, "postgresql")
def _on_postgresql(element: _OnAny, compiler: SQLCompiler, **kw: Any) -> str:
    # The object cast once (an InitPlan), each host found among its sorted keys.
    column, domains = (
        compiler.process(element.column, **kw),
        compiler.process(element.domains, **kw),
    )
    found = f"jsonb_exists((SELECT CAST({domains} AS JSONB)), host)"
    return f"EXISTS ({_parents(column, 'strpos')} SELECT 1 FROM parent WHERE {found})"


def on_any(
    column: ColumnElement[str | None] | InstrumentedAttribute[str | None], domains: Collection[str]
) -> ColumnElement[bool]:
    """Whether `column` is one of `domains` or a sub-domain of one, with or without a port."""
    if not domains:
        return false()
    keys = json.dumps(dict.fromkeys(sorted(domains), True))
    listed = bindparam(None, keys, type_=String, unique=True)
    clause = column.__clause_element__() if isinstance(column, InstrumentedAttribute) else column
    return _OnAny(clause, listed)
