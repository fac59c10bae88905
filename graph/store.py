"""The storage port: the only thing services and routers see of the graph database.

Two adapters implement ``GraphStore``: ``graph.backends.embedded.LadybugStore`` (default, in-process,
on disk) and ``graph.backends.neo4j.Neo4jStore`` (official driver). Both are handed their
connection/paths by the app's lifespan; constructors do no I/O.

Tenancy: every method takes the tenant. Records are keyed by ``uid = tenant/id`` (see
``graph.schema``) so repository queries cannot reach another tenant's nodes. Analyst Cypher gets a
stronger guarantee: on Ladybug each tenant lives in its own database file, so a hand-written query
can only ever see the caller's tenant; on Neo4j each tenant maps to its own database (Enterprise) and
the adapter refuses analyst queries when it is configured with one shared database.

Errors: adapters raise only ``graph.errors`` classes (``NotFound``, ``DuplicateId``,
``QuerySyntaxError``, ``ReadOnlyViolation``, ``QueryTimeout``, ``StoreUnavailable``), chaining the
backend's exception with ``from exc``.

Rows: queries return a list of dicts keyed by the RETURN column names. Nodes come back as
``{"_label": ..., **properties}``, relationships as ``{"_type": ..., **properties}``, paths as
``{"nodes": [...], "relationships": [...]}``; timestamps are tz-aware UTC ``datetime``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, TypeVar, runtime_checkable

import pandas as pd

from graph.errors import InvalidInput

T = TypeVar("T")
Row = dict[str, Any]
Params = Mapping[str, Any]

TENANT_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
SYSTEM_TENANT = "_system"  # holds API keys; no user tenant can be named like it (pattern above)


class Dialect(StrEnum):
    LADYBUG = "ladybug"
    NEO4J = "neo4j"


def check_tenant(tenant: str) -> str:
    """Tenants are path components and database names: keep them to a safe alphabet."""
    if tenant != SYSTEM_TENANT and not TENANT_PATTERN.match(tenant):
        raise InvalidInput(f"invalid tenant name {tenant!r}: use [a-z0-9_-], 1-63 characters")
    return tenant


@runtime_checkable
class Tx(Protocol):
    """An open write transaction: statements run atomically, all or nothing."""

    def run(self, query: str, params: Params | None = None) -> list[Row]:
        """Run one statement inside the transaction and return its rows."""
        ...


@dataclass
class AnalystResult:
    """The result of an analyst's read-only query."""

    columns: list[str]
    rows: list[list[Any]]
    truncated: bool = False
    elapsed_ms: float = 0.0
    notices: list[str] = field(default_factory=list)


class GraphStore(Protocol):
    """A tenant-scoped property graph.

    Writes given to ``write``/``write_tx`` are durable once the call returns (acknowledged). Write
    functions passed to ``write_tx`` may be retried by the backend on transient errors, so they
    must be idempotent and free of side effects outside the transaction.
    """

    @property
    def dialect(self) -> Dialect:
        """Which Cypher dialect ``read``/``write`` speak (they differ in places; see README)."""
        ...

    def ensure_tenant(self, tenant: str) -> None:
        """Create the tenant's schema if missing and apply pending migrations. Idempotent."""
        ...

    def tenants(self) -> list[str]:
        """Tenants that have data in this store."""
        ...

    def drop_tenant(self, tenant: str) -> None:
        """Delete every record of the tenant. Irreversible (export first)."""
        ...

    def read(self, tenant: str, query: str, params: Params | None = None) -> list[Row]:
        """Run a read query; raises ``QuerySyntaxError`` for queries the engine cannot compile."""
        ...

    def read_frame(self, tenant: str, query: str, params: Params | None = None) -> pd.DataFrame:
        """Run a read query and return its rows as columns (one per RETURN name), for analytics that
        read hundreds of thousands of rows: 5-10x faster than ``read`` on Ladybug, which builds no
        Python object per value. Timestamp columns are ``datetime64[us, UTC]``."""
        ...

    def write(self, tenant: str, query: str, params: Params | None = None) -> list[Row]:
        """Run one write statement in its own transaction. ``DuplicateId`` on a primary-key clash."""
        ...

    def write_tx(self, tenant: str, work: Callable[[Tx], T]) -> T:
        """Run ``work`` in one write transaction: committed if it returns, rolled back if it raises."""
        ...

    def bulk_insert_nodes(self, tenant: str, label: str, rows: Sequence[Row]) -> int:
        """Insert new nodes fast (COPY on Ladybug, UNWIND CREATE on Neo4j).

        Rows carry every column of the label (``graph.schema``) and ids that do not exist yet; a
        clash raises ``DuplicateId`` and inserts nothing.
        """
        ...

    def bulk_update_nodes(self, tenant: str, label: str, rows: Sequence[Row]) -> int:
        """Set properties of existing nodes fast. Rows are ``{"uid": ..., **props}`` and all carry the
        same property names; rows whose uid does not exist are ignored."""
        ...

    def bulk_insert_rels(self, tenant: str, rel_type: str, src: str, dst: str, rows: Sequence[Row]) -> int:
        """Create relationships ``(src {uid: r.src})-[rel_type]->(dst {uid: r.dst})`` fast.

        Rows are ``{"src": uid, "dst": uid, **props}``; rows whose endpoints do not exist are
        skipped. The caller makes sure the relationship does not exist yet.
        """
        ...

    def analyst_query(
        self, tenant: str, query: str, params: Params | None, *, timeout_s: float, max_rows: int
    ) -> AnalystResult:
        """Run an analyst's query read-only (enforced by the engine), with a timeout and a row cap.

        Raises ``ReadOnlyViolation`` for writes, ``QuerySyntaxError`` with the engine's message,
        ``QueryTimeout`` past ``timeout_s``.
        """
        ...

    def health(self) -> dict[str, Any]:
        """Check the store answers; raise ``StoreUnavailable`` if it does not."""
        ...

    def close(self) -> None:
        """Release connections and files."""
        ...


@runtime_checkable
class SoleWriter(Protocol):
    """A store whose databases only this process can write while it holds them open (the embedded
    one: a database file is locked by the process that opens it). Neo4j has no such guarantee:
    other clients write to the same server."""

    def opened(self, tenant: str) -> int:
        """A count that moves when the tenant's database is opened again with its files changed
        since this store closed them: when another process may have written to it meanwhile."""
        ...
