"""Analyst Cypher: the guard and the service behind ``POST /cypher`` and ``relgraph cypher``.

The engine enforces read-only (a read-only transaction); this module adds what a read-only
transaction does not stop. On Ladybug, ``COPY ... TO``, ``EXPORT DATABASE``, ``ATTACH`` (which
would open another tenant's database file!) and ``LOAD FROM`` touch the file system even inside a
read-only transaction; on Neo4j ``LOAD CSV`` reads files and URLs and procedures can reach the
server. So: one statement; file, database and transaction-control clauses refused;
``CALL`` only for allow-listed read procedures. The guard reads tokens with string literals and
comments removed, so a keyword inside a string value is not mistaken for a clause.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from graph.errors import Forbidden, InvalidInput
from graph.store import AnalystResult, GraphStore

MAX_QUERY_CHARS: Final = 20_000
# Writes (CREATE, MERGE, SET, DELETE, DDL) are deliberately NOT listed: the engine refuses them
# inside the read-only transaction, which is the guarantee. These are what it would let through.
REFUSED: Final = frozenset(
    {
        "LOAD",
        "COPY",
        "EXPORT",
        "IMPORT",
        "ATTACH",
        "INSTALL",
        "USE",
        "PERIODIC",
        "BEGIN",
        "COMMIT",
        "ROLLBACK",
        "CHECKPOINT",
    }
)
ALLOWED_PROCEDURES: Final = frozenset(
    {
        "show_tables",
        "table_info",
        "show_connection",
        "db_version",  # Ladybug catalog
        "db.labels",
        "db.relationshiptypes",
        "db.propertykeys",
        "db.schema.visualization",  # Neo4j catalog
    }
)

_STRINGS = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`", re.S)
_COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*|;|\S")


def _tokens(query: str) -> list[str]:
    stripped = _STRINGS.sub(" '' ", _COMMENTS.sub(" ", query))
    return _TOKEN.findall(stripped)


def check_query(query: str) -> None:
    """Refuse what a read-only transaction would not stop; raise Forbidden/InvalidInput saying why."""
    if not query.strip():
        raise InvalidInput("empty query")
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidInput(f"query longer than {MAX_QUERY_CHARS} characters")
    tokens = _tokens(query)
    while tokens and tokens[-1] == ";":
        tokens.pop()
    if ";" in tokens:
        raise Forbidden("one statement per request")
    for i, tok in enumerate(tokens):
        upper = tok.upper()
        if upper in REFUSED:
            raise Forbidden(f"{upper} is refused in analyst queries (file, database and import clauses)")
        if upper == "CALL":
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            if nxt == "{":
                continue  # a subquery; its clauses are checked like the rest
            if nxt.lower() not in ALLOWED_PROCEDURES:
                allowed = ", ".join(sorted(ALLOWED_PROCEDURES))
                raise Forbidden(f"procedure {nxt!r} is not on the allow-list ({allowed})")


def run_analyst_query(
    *,
    store: GraphStore,
    tenant: str,
    query: str,
    params: Mapping[str, Any] | None,
    timeout_s: float,
    max_rows: int,
) -> AnalystResult:
    """Run an analyst's query against the caller's tenant only, read-only, bounded in time and rows."""
    check_query(query)
    return store.analyst_query(tenant, query, params, timeout_s=timeout_s, max_rows=max_rows)
