"""Neo4j adapter: ``GraphStore`` on the official driver (``neo4j`` 5.x/6.x), for Neo4j 5 (+ GDS).

The driver is injected (``Neo4jStore(driver, ...)``; the constructor does no I/O); ``connect_neo4j``
builds one from settings and checks the server answers within a few seconds.

Tenancy, two layouts:

- shared (default, works on Community): every tenant lives in ``database``; nodes carry ``tenant``
  and ``uid = tenant/id`` (unique per label), so repository queries keyed by uid cannot cross
  tenants. Analyst Cypher is refused in this layout: a hand-written query cannot be confined to one
  tenant inside a shared database.
- one database per tenant (``database_per_tenant=True``, Neo4j Enterprise): tenant ``acme`` lives
  in database ``t-acme`` (see ``database_name``), created on first use with ``CREATE DATABASE ...
  IF NOT EXISTS`` from ``system``. Analyst Cypher runs there in a READ access-mode transaction, so
  the server refuses writes and the query can only see that tenant's graph.

The system tenant (API keys) always lives in ``database``. Tenants in use are registered as
``(:RelgraphTenant {tenant, database})`` nodes in ``database``; applied schema migrations as
``(:SchemaVersion {scope, version})`` nodes in each database (scope ``tenants`` or ``system``;
uniqueness constraints and indexes are per label and database, not per tenant).

Reads go through ``Driver.execute_query(..., routing_=READ)``, writes through managed transactions
(``Session.execute_write``) that the driver retries on transient errors; all of them share the
driver's query bookmark manager, so a read sees the writes acknowledged before it (also in a
cluster). Labels and relationship types come from ``graph.schema`` only; values are parameters.

Errors from the driver are translated at this boundary (``translate``), always ``from exc``:

    neo4j error                                          relgraph error
    ServiceUnavailable, SessionExpired, pool timeout  -> StoreUnavailable
    AuthError, Security.*, DatabaseNotFound           -> StoreUnavailable
    TransientError (retries exhausted)                -> StoreUnavailable
    Statement.AccessMode, General.ReadOnly            -> ReadOnlyViolation
    Transaction.TransactionTimedOut*, timed-out kill  -> QueryTimeout
    CypherSyntaxError, SemanticError, ParameterMissing -> QuerySyntaxError
    ConstraintError                                    -> DuplicateId
    other ClientError                                  -> InvalidInput (analyst) / StoreError
    anything else                                      -> StoreError
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeVar

import neo4j
import pandas as pd
from neo4j import READ_ACCESS, GraphDatabase, ManagedTransaction, RoutingControl, unit_of_work
from neo4j.exceptions import (
    AuthError,
    ClientError,
    ConnectionPoolError,
    ConstraintError,
    CypherSyntaxError,
    DriverError,
    IncompleteCommit,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)
from neo4j.graph import Node, Path, Relationship
from neo4j.time import Date as Neo4jDate
from neo4j.time import DateTime as Neo4jDateTime
from neo4j.time import Duration as Neo4jDuration
from neo4j.time import Time as Neo4jTime

from graph import schema
from graph.cypher import prop_map
from graph.errors import (
    DuplicateId,
    Forbidden,
    InvalidInput,
    QuerySyntaxError,
    QueryTimeout,
    ReadOnlyViolation,
    RelgraphError,
    StoreError,
    StoreUnavailable,
)
from graph.store import SYSTEM_TENANT, AnalystResult, Dialect, Params, Row, Tx, check_tenant

log = logging.getLogger(__name__)
T = TypeVar("T")

CONNECT_TIMEOUT_S: Final = 5.0
BATCH_ROWS: Final = 10_000  # rows per UNWIND statement (several statements share one transaction)
DROP_BATCH: Final = 10_000  # nodes deleted per transaction when a tenant is dropped
DB_WAIT_S: Final = 120  # how long CREATE/DROP DATABASE waits for the database to be online/gone
INDEX_WAIT_S: Final = 300

SCOPE_TENANTS: Final = "tenants"
SCOPE_SYSTEM: Final = "system"
REGISTRY_LABEL: Final = "RelgraphTenant"

# --- statements (labels from graph.schema only; values are parameters) ---------------------------
UID_CONSTRAINT: Final = "CREATE CONSTRAINT {name} IF NOT EXISTS FOR (n:{label}) REQUIRE n.uid IS UNIQUE"
TENANT_INDEX: Final = "CREATE INDEX {name} IF NOT EXISTS FOR (n:{label}) ON (n.tenant)"
AWAIT_INDEXES: Final = "CALL db.awaitIndexes($timeout)"
APPLIED_VERSIONS: Final = "MATCH (v:SchemaVersion {scope: $scope}) RETURN v.version AS version"
RECORD_VERSION: Final = "MERGE (v:SchemaVersion {scope: $scope, version: $version}) ON CREATE SET v.applied_at = $at"
REGISTER_TENANT: Final = (
    f"MERGE (t:{REGISTRY_LABEL} {{tenant: $tenant}}) ON CREATE SET t.database = $database, t.created_at = $at"
)
LIST_TENANTS: Final = f"MATCH (t:{REGISTRY_LABEL}) RETURN DISTINCT t.tenant AS tenant"
UNREGISTER_TENANT: Final = f"MATCH (t:{REGISTRY_LABEL} {{tenant: $tenant}}) DETACH DELETE t"
DELETE_BATCH: Final = (
    "MATCH (n{label}) WHERE n.tenant = $tenant WITH n LIMIT $batch DETACH DELETE n RETURN count(*) AS deleted"
)
CREATE_NODES: Final = "UNWIND $rows AS r CREATE (n:{label}) SET n = r RETURN count(n) AS created"
# ``SET n += r`` would also copy r.uid onto itself: harmless, and one statement for any column set.
UPDATE_NODES: Final = "UNWIND $rows AS r MATCH (n:{label} {{uid: r.uid}}) SET n += r RETURN count(n) AS updated"
CREATE_RELS: Final = (
    "UNWIND $rows AS r MATCH (a:{src} {{uid: r.src}}) MATCH (b:{dst} {{uid: r.dst}}) "
    "CREATE (a)-[x:{rel}{props}]->(b) RETURN count(x) AS created"
)
# Admin commands run against ``system``; the name is a parameter, WAIT takes a literal.
CREATE_DATABASE: Final = f"CREATE DATABASE $name IF NOT EXISTS WAIT {DB_WAIT_S} SECONDS"
DROP_DATABASE: Final = f"DROP DATABASE $name IF EXISTS WAIT {DB_WAIT_S} SECONDS"
EDITION: Final = "CALL dbms.components() YIELD edition RETURN edition"

PER_TENANT_HINT: Final = (
    "analyst Cypher on Neo4j needs RELGRAPH_NEO4J_DATABASE_PER_TENANT=true (Neo4j Enterprise, one database "
    "per tenant): in one shared database a hand-written query cannot be confined to the caller's tenant"
)

_SIMPLE_TENANT = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
_NOT_DB_CHAR = re.compile(r"[^a-z0-9-]+")
_READ_ONLY_CODES: Final = frozenset(
    {
        "Neo.ClientError.Statement.AccessMode",
        "Neo.ClientError.Fabric.AccessMode",
        "Neo.ClientError.General.ReadOnly",
        "Neo.ClientError.General.ForbiddenOnReadOnlyDatabase",
    }
)
_SYNTAX_CODES: Final = frozenset(
    {
        "Neo.ClientError.Statement.SyntaxError",
        "Neo.ClientError.Statement.InvalidSyntax",
        "Neo.ClientError.Statement.SemanticError",
        "Neo.ClientError.Statement.ParameterMissing",
    }
)


# --- pure helpers --------------------------------------------------------------------------------
def database_name(tenant: str) -> str:
    """The database of a tenant in per-tenant mode, within Neo4j's naming rules.

    Rules: 3-63 characters, ASCII letter first, then letters, digits, dots or dashes, not ending
    with a dot or dash, case-insensitive. Tenants are ``[a-z0-9][a-z0-9_-]{0,62}``: the simple
    ones (no underscore, not ending with a dash, at most 61 characters) map to ``t-<tenant>``;
    the others to ``h-<readable part>-<hash>``, so two tenants never share a database.
    """
    check_tenant(tenant)
    if tenant == SYSTEM_TENANT:
        raise ValueError("the system tenant lives in the default database")
    if _SIMPLE_TENANT.match(tenant) and len(tenant) <= 61:
        return f"t-{tenant}"
    readable = _NOT_DB_CHAR.sub("-", tenant)[:40].strip("-")
    digest = hashlib.sha256(tenant.encode()).hexdigest()[:16]
    return f"h-{readable}-{digest}" if readable else f"h-{digest}"


def from_neo4j(value: Any) -> Any:
    """Driver result value -> plain Python, in the shapes the Ladybug adapter returns.

    Nodes -> ``{"_label", **props}`` (every schema column present, missing ones None, since
    Ladybug returns all columns of a table); relationships -> ``{"_type", **props}``; paths ->
    ``{"nodes", "relationships"}``; ``neo4j.time`` values -> ``datetime`` (tz-aware UTC), ``date``,
    ``time``, ``timedelta`` (a duration with months becomes its ISO 8601 string).
    """
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Node):
        return _node(value)
    if isinstance(value, Relationship):
        return _relationship(value)
    if isinstance(value, Path):
        return {
            "nodes": [_node(n) for n in value.nodes],
            "relationships": [_relationship(r) for r in value.relationships],
        }
    if isinstance(value, Neo4jDateTime):
        return _utc(value.to_native())
    if isinstance(value, datetime):
        return _utc(value)
    if isinstance(value, Neo4jDate | Neo4jTime):
        return value.to_native()
    if isinstance(value, Neo4jDuration):
        return _duration(value)
    if isinstance(value, dict):
        return {k: from_neo4j(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [from_neo4j(v) for v in value]
    return value


def _utc(value: datetime) -> datetime:
    # A LocalDateTime (no zone) is read as UTC wall time, as Ladybug does with its TIMESTAMPs.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _duration(value: Neo4jDuration) -> timedelta | str:
    if value.months:
        return str(value.iso_format())
    return timedelta(days=value.days, seconds=value.seconds, microseconds=value.nanoseconds // 1000)


def _pick_label(labels: frozenset[str]) -> str:
    """Nodes have one label here; with several, prefer a schema label (deterministically)."""
    if len(labels) == 1:
        return next(iter(labels))
    known = sorted(lb for lb in labels if lb in schema.NODES or lb in schema.SYSTEM_NODES)
    return (known or sorted(labels) or [""])[0]


def _node(node: Node) -> Row:
    label = _pick_label(node.labels)
    props = {k: from_neo4j(v) for k, v in node.items()}
    spec = schema.NODES.get(label) or schema.SYSTEM_NODES.get(label)
    if spec is not None:
        _complete(props, spec.columns)
    return {"_label": label, **props}


def _relationship(rel: Relationship) -> Row:
    props = {k: from_neo4j(v) for k, v in rel.items()}
    spec = schema.RELS.get(rel.type)
    if spec is not None:
        _complete(props, spec.props)
    return {"_type": rel.type, **props}


def _complete(props: dict[str, Any], columns: Mapping[str, schema.PType]) -> None:
    """Declared columns that are absent read as None; DOUBLE columns always come back as float."""
    for name, ptype in columns.items():
        value = props.setdefault(name, None)
        if ptype is schema.PType.FLOAT and isinstance(value, int) and not isinstance(value, bool):
            props[name] = float(value)


def to_neo4j_params(params: Params | None) -> dict[str, Any] | None:
    """Parameters for the driver: datetimes as tz-aware UTC (a naive one is taken as UTC, as on
    Ladybug; Neo4j would store it as a LocalDateTime that never compares equal to a DateTime),
    tuples as lists. Dates, numbers, strings and lists pass through (the driver converts)."""
    if params is None:
        return None
    return {k: _param(v) for k, v in params.items()}


def _param(value: Any) -> Any:
    if isinstance(value, datetime):
        return _utc(value)
    if isinstance(value, dict):
        return {k: _param(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_param(v) for v in value]
    return value


def _coerce(value: Any, ptype: schema.PType) -> Any:
    """What Ladybug's CAST would store: floats in DOUBLE columns, UTC in TIMESTAMP, lists in STRING[]."""
    if ptype is schema.PType.FLOAT and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if ptype is schema.PType.TIMESTAMP and isinstance(value, datetime):
        return _utc(value)
    if ptype is schema.PType.STRINGS:
        return list(value) if value else []
    return value


def _node_row(spec: schema.NodeSpec, row: Mapping[str, Any]) -> Row:
    out: Row = {}
    for name, ptype in spec.columns.items():
        value = _coerce(row.get(name), ptype)
        if value is not None:
            out[name] = value
    return out


def _rel_row(spec: schema.RelSpec, row: Mapping[str, Any]) -> Row:
    out: Row = {"src": row["src"], "dst": row["dst"]}
    for name, ptype in spec.props.items():
        out[name] = _coerce(row.get(name), ptype) if row.get(name) is not None else None
    return out


def _record(record: neo4j.Record) -> Row:
    return {k: from_neo4j(v) for k, v in zip(record.keys(), record.values(), strict=True)}


def _to_frame(result: neo4j.Result) -> pd.DataFrame:
    """Columns as ``read_frame`` promises: temporal values as UTC ``datetime64``."""
    frame = result.to_df(parse_dates=True)
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.DatetimeTZDtype):
            frame[name] = frame[name].dt.tz_convert("UTC")
    return frame


def _collect(result: neo4j.Result) -> list[Row]:
    return [_record(r) for r in result]


def _notices(summary: neo4j.ResultSummary) -> list[str]:
    """The server's warnings (unknown labels, cartesian products, ...), when the driver has them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gql_status_objects is a preview API on driver 5.x
        statuses = getattr(summary, "gql_status_objects", None) or ()
        return [str(s.status_description) for s in statuses if getattr(s, "is_notification", False)]


def _message(exc: BaseException) -> str:
    if isinstance(exc, Neo4jError) and getattr(exc, "_from_server", False):
        return exc.message
    return str(exc)


def translate(exc: Exception, *, analyst: bool = False) -> RelgraphError:
    """Map a driver or server error onto the relgraph exception tree (see the module docstring)."""
    msg = _message(exc)
    if isinstance(exc, IncompleteCommit):
        return StoreUnavailable(
            f"the connection to Neo4j broke during commit: the write may or may not have been applied ({msg})"
        )
    if isinstance(exc, ServiceUnavailable | SessionExpired | ConnectionPoolError):
        return StoreUnavailable(f"Neo4j is unreachable: {msg}")
    if not isinstance(exc, Neo4jError):
        return StoreError(f"Neo4j driver error: {msg}")
    code = exc.code or ""
    low = msg.lower()
    if code in _READ_ONLY_CODES or "AccessMode" in code or "read access mode" in low:
        return ReadOnlyViolation(f"write refused: the query runs in a read-only transaction ({msg})")
    if "TransactionTimedOut" in code or (code.endswith(".Terminated") and ("timed out" in low or "timeout" in low)):
        return QueryTimeout(f"query interrupted after its time limit ({msg})")
    if isinstance(exc, CypherSyntaxError) or code in _SYNTAX_CODES:
        return QuerySyntaxError(msg)
    if isinstance(exc, ConstraintError):
        return DuplicateId("a record with this id already exists", detail=msg)
    if isinstance(exc, AuthError) or code.startswith("Neo.ClientError.Security."):
        return StoreUnavailable(f"Neo4j refused the request (credentials or privileges): {msg}")
    if code == "Neo.ClientError.Database.DatabaseNotFound":
        return StoreUnavailable(f"Neo4j database not found: {msg}")
    if isinstance(exc, TransientError):
        return StoreUnavailable(f"Neo4j is busy or unavailable; retry later: {msg}")
    if analyst and isinstance(exc, ClientError):
        return InvalidInput(msg)
    return StoreError(f"Neo4j error {code}: {msg}")


# --- the adapter ---------------------------------------------------------------------------------
class _Neo4jTx:
    """``Tx`` over a managed transaction. Retryable errors stay raw so the driver retries the
    whole transaction function; the others are translated here, as Ladybug's ``Tx`` does."""

    def __init__(self, tx: ManagedTransaction) -> None:
        self._tx = tx

    def run(self, query: str, params: Params | None = None) -> list[Row]:
        try:
            return _collect(self._tx.run(query, to_neo4j_params(params)))
        except (Neo4jError, DriverError) as exc:
            if exc.is_retryable():
                raise
            raise translate(exc) from exc


class Neo4jStore:
    """``GraphStore`` on Neo4j. Construct cheaply with a driver; nothing is sent until first use."""

    dialect = Dialect.NEO4J

    def __init__(
        self, driver: neo4j.Driver, *, database: str | None = "neo4j", database_per_tenant: bool = False
    ) -> None:
        self._driver = driver
        self._database = database or None  # None: the server's default (home) database
        self._per_tenant = database_per_tenant
        self._ready: set[str] = set()  # tenants prepared by this process
        self._schema_ready: set[tuple[str | None, str]] = set()  # (database, scope)
        self._lock = threading.Lock()

    @property
    def database_per_tenant(self) -> bool:
        return self._per_tenant

    # --- plumbing --------------------------------------------------------------------------------
    def _db_for(self, tenant: str) -> str | None:
        if self._per_tenant and tenant != SYSTEM_TENANT:
            return database_name(tenant)
        return self._database

    @contextmanager
    def _translated(self, *, analyst: bool = False) -> Iterator[None]:
        try:
            yield
        except RelgraphError:
            raise
        except (Neo4jError, DriverError) as exc:
            raise translate(exc, analyst=analyst) from exc

    def _session(self, database: str | None, **config: Any) -> neo4j.Session:
        return self._driver.session(
            database=database, bookmark_manager=self._driver.execute_query_bookmark_manager, **config
        )

    def _query(self, database: str | None, query: str, params: Params | None, routing: RoutingControl) -> list[Row]:
        with self._translated():
            rows: list[Row] = self._driver.execute_query(
                query,
                to_neo4j_params(params),
                routing_=routing,
                database_=database,
                result_transformer_=_collect,
            )
            return rows

    def _in_write_tx(self, database: str | None, work: Callable[[Tx], T]) -> T:
        def fn(tx: ManagedTransaction) -> T:
            return work(_Neo4jTx(tx))

        with self._translated(), self._session(database) as session:
            return session.execute_write(fn)

    def _admin(self, query: str, params: Params) -> list[Row]:
        """An administration command on ``system`` in an auto-commit transaction."""
        with self._translated(), self._session("system") as session:
            return _collect(session.run(query, dict(params)))

    def _use(self, tenant: str) -> str | None:
        """The tenant's database, its schema applied first time round (as Ladybug opens on first use)."""
        check_tenant(tenant)
        if tenant not in self._ready:
            self._prepare(tenant)
        return self._db_for(tenant)

    def _prepare(self, tenant: str) -> None:
        with self._lock:
            if tenant in self._ready:
                return
            db = self._db_for(tenant)
            if self._per_tenant and tenant != SYSTEM_TENANT:
                self._create_database(tenant, db)
            scope = SCOPE_SYSTEM if tenant == SYSTEM_TENANT else SCOPE_TENANTS
            if (db, scope) not in self._schema_ready:
                self._migrate(db, scope)
                self._schema_ready.add((db, scope))
            if tenant != SYSTEM_TENANT:
                params = {"tenant": tenant, "database": db or "", "at": datetime.now(UTC)}
                self._query(self._database, REGISTER_TENANT, params, RoutingControl.WRITE)
            self._ready.add(tenant)

    def _create_database(self, tenant: str, db: str | None) -> None:
        try:
            rows = self._admin(CREATE_DATABASE, {"name": db})
        except StoreError as exc:
            raise StoreUnavailable(
                f"cannot create database {db!r} for tenant {tenant!r}: one database per tenant needs Neo4j "
                f"Enterprise (set RELGRAPH_NEO4J_DATABASE_PER_TENANT=false on Community): {exc.message}"
            ) from exc
        failed = [r for r in rows if r.get("success") is False]
        if failed:
            raise StoreUnavailable(f"database {db!r} did not come online in {DB_WAIT_S} s: {failed[0]}")

    def _migrate(self, db: str | None, scope: str) -> None:
        done = {r["version"] for r in self._query(db, APPLIED_VERSIONS, {"scope": scope}, RoutingControl.READ)}
        migrations = schema.SYSTEM_MIGRATIONS if scope == SCOPE_SYSTEM else schema.MIGRATIONS
        for migration in migrations:
            if migration.version in done:
                continue
            for statement in migration_statements(migration):
                self._query(db, statement, None, RoutingControl.WRITE)  # schema commands: one per tx
            self._query(db, AWAIT_INDEXES, {"timeout": INDEX_WAIT_S}, RoutingControl.WRITE)
            params = {"scope": scope, "version": migration.version, "at": datetime.now(UTC)}
            self._query(db, RECORD_VERSION, params, RoutingControl.WRITE)

    def _delete_tenant_nodes(self, db: str | None, tenant: str) -> None:
        # Label by label (the tenant index makes each batch cheap), then one sweep for any other label.
        labels = [f":{lb}" for lb in (*schema.NODES, *schema.SYSTEM_NODES, REGISTRY_LABEL)] + [""]
        for label in labels:
            query = DELETE_BATCH.format(label=label)
            while True:
                rows = self._query(db, query, {"tenant": tenant, "batch": DROP_BATCH}, RoutingControl.WRITE)
                if not rows or not rows[0]["deleted"]:
                    break

    # --- GraphStore ------------------------------------------------------------------------------
    def ensure_tenant(self, tenant: str) -> None:
        self._use(tenant)

    def tenants(self) -> list[str]:
        rows = self._query(self._database, LIST_TENANTS, None, RoutingControl.READ)
        return sorted({str(r["tenant"]) for r in rows if r["tenant"] and r["tenant"] != SYSTEM_TENANT})

    def drop_tenant(self, tenant: str) -> None:
        check_tenant(tenant)
        with self._lock:
            self._ready.discard(tenant)
        if self._per_tenant and tenant != SYSTEM_TENANT:
            db = database_name(tenant)
            self._admin(DROP_DATABASE, {"name": db})
            with self._lock:
                self._schema_ready = {k for k in self._schema_ready if k[0] != db}
            self._query(self._database, UNREGISTER_TENANT, {"tenant": tenant}, RoutingControl.WRITE)
        else:
            self._delete_tenant_nodes(self._database, tenant)

    def read(self, tenant: str, query: str, params: Params | None = None) -> list[Row]:
        return self._query(self._use(tenant), query, params, RoutingControl.READ)

    def read_frame(self, tenant: str, query: str, params: Params | None = None) -> pd.DataFrame:
        with self._translated():
            frame: pd.DataFrame = self._driver.execute_query(
                query,
                to_neo4j_params(params),
                routing_=RoutingControl.READ,
                database_=self._use(tenant),
                result_transformer_=_to_frame,
            )
            return frame

    def write(self, tenant: str, query: str, params: Params | None = None) -> list[Row]:
        return self._in_write_tx(self._use(tenant), lambda tx: tx.run(query, params))

    def write_tx(self, tenant: str, work: Callable[[Tx], T]) -> T:
        return self._in_write_tx(self._use(tenant), work)

    def bulk_insert_nodes(self, tenant: str, label: str, rows: Sequence[Row]) -> int:
        if not rows:
            return 0
        spec = schema.node_spec(label)
        prepared = [_node_row(spec, r) for r in rows]
        query = CREATE_NODES.format(label=spec.label)

        def work(tx: Tx) -> int:
            # One transaction for every batch: a uid clash (ConstraintError -> DuplicateId) inserts nothing.
            return sum(int(tx.run(query, {"rows": chunk})[0]["created"]) for chunk in _chunks(prepared))

        return self.write_tx(tenant, work)

    def bulk_update_nodes(self, tenant: str, label: str, rows: Sequence[Row]) -> int:
        if not rows:
            return 0
        spec = schema.node_spec(label)
        query = UPDATE_NODES.format(label=spec.label)
        prepared = [{k: v for k, v in r.items() if k == "uid" or k in spec.columns} for r in rows]

        def work(tx: Tx) -> int:
            return sum(int(tx.run(query, {"rows": chunk})[0]["updated"]) for chunk in _chunks(prepared))

        return self.write_tx(tenant, work)

    def bulk_insert_rels(self, tenant: str, rel_type: str, src: str, dst: str, rows: Sequence[Row]) -> int:
        if not rows:
            return 0
        query = create_rels_query(schema.RELS[rel_type], src, dst)
        spec = schema.RELS[rel_type]
        prepared = [_rel_row(spec, r) for r in rows]

        def work(tx: Tx) -> int:
            total = 0
            for chunk in _chunks(prepared):
                result = tx.run(query, {"rows": chunk})
                total += int(result[0]["created"]) if result else 0
            return total

        return self.write_tx(tenant, work)

    def analyst_query(
        self, tenant: str, query: str, params: Params | None, *, timeout_s: float, max_rows: int
    ) -> AnalystResult:
        check_tenant(tenant)
        if tenant == SYSTEM_TENANT:
            raise Forbidden("analyst Cypher cannot run on the system tenant")
        if not self._per_tenant:
            raise Forbidden(PER_TENANT_HINT)
        db = self._use(tenant)
        started = time.perf_counter()

        @unit_of_work(timeout=timeout_s)
        def work(tx: ManagedTransaction) -> tuple[list[str], list[list[Any]], bool, list[str]]:
            result = tx.run(query, to_neo4j_params(params))
            columns = list(result.keys())
            rows: list[list[Any]] = []
            truncated = False
            for record in result:
                if len(rows) >= max_rows:
                    truncated = True
                    break
                rows.append([from_neo4j(v) for v in record.values()])
            return columns, rows, truncated, _notices(result.consume())

        # READ access mode: the server itself refuses writes (Neo.ClientError.Statement.AccessMode).
        with self._translated(analyst=True), self._session(db, default_access_mode=READ_ACCESS) as session:
            columns, rows, truncated, notices = session.execute_read(work)
        elapsed = (time.perf_counter() - started) * 1000
        return AnalystResult(columns=columns, rows=rows, truncated=truncated, elapsed_ms=elapsed, notices=notices)

    def health(self) -> dict[str, Any]:
        try:
            info = self._driver.get_server_info()
            rows = self._driver.execute_query(
                "RETURN 1 AS ok", routing_=RoutingControl.READ, database_=self._database, result_transformer_=_collect
            )
        except (Neo4jError, DriverError) as exc:
            raise StoreUnavailable(f"Neo4j does not answer: {translate(exc).message}") from exc
        if not rows or rows[0].get("ok") != 1:
            raise StoreUnavailable("Neo4j did not answer RETURN 1")
        return {
            "backend": "neo4j",
            "address": str(info.address),
            "agent": info.agent,
            "database": self._database,
            "database_per_tenant": self._per_tenant,
        }

    def close(self) -> None:
        self._driver.close()


def migration_statements(migration: schema.Migration) -> list[str]:
    """Schema statements of one migration: a uid uniqueness constraint and a tenant index per label.

    Relationship types and properties need no declaration on Neo4j, so ``rels``/``add_props`` add
    nothing here."""
    out: list[str] = []
    for label in migration.nodes:
        spec = schema.node_spec(label)
        base = f"relgraph_{spec.label.lower()}"
        out.append(UID_CONSTRAINT.format(name=f"{base}_uid", label=spec.label))
        out.append(TENANT_INDEX.format(name=f"{base}_tenant", label=spec.label))
    return out


def create_rels_query(spec: schema.RelSpec, src: str, dst: str) -> str:
    """UNWIND-create relationships between existing endpoints (two MATCHes, as on Ladybug)."""
    if (src, dst) not in spec.pairs:
        raise ValueError(f"{spec.type} does not connect {src} to {dst}")
    props = prop_map(Dialect.NEO4J, spec.props.items(), source="r")
    return CREATE_RELS.format(src=src, dst=dst, rel=spec.type, props=props)


def _chunks(rows: list[Row]) -> Iterator[list[Row]]:
    for i in range(0, len(rows), BATCH_ROWS):
        yield rows[i : i + BATCH_ROWS]


def connect_neo4j(
    uri: str,
    user: str,
    password: str,
    *,
    database: str | None = "neo4j",
    database_per_tenant: bool = False,
    connection_timeout: float = CONNECT_TIMEOUT_S,
    **driver_config: Any,
) -> Neo4jStore:
    """Build the driver, check the server answers within ``connection_timeout`` and return the store.

    Raises ``StoreUnavailable`` with what to check when the URI is malformed, the server cannot be
    reached, the credentials are refused, or per-tenant databases are asked of a Community server.
    """
    try:
        driver = GraphDatabase.driver(
            uri, auth=(user, password), connection_timeout=connection_timeout, **driver_config
        )
    except (ValueError, DriverError) as exc:
        raise StoreUnavailable(f"invalid RELGRAPH_NEO4J_URI {uri!r}: {exc}") from exc
    try:
        driver.verify_connectivity()
        if database_per_tenant:
            _require_enterprise(driver)
    except AuthError as exc:
        driver.close()
        raise StoreUnavailable(
            f"Neo4j at {uri} refused the credentials of user {user!r} "
            f"(RELGRAPH_NEO4J_USER / RELGRAPH_NEO4J_PASSWORD): {_message(exc)}"
        ) from exc
    except (Neo4jError, DriverError, OSError) as exc:
        driver.close()
        raise StoreUnavailable(
            f"cannot reach Neo4j at {uri} (timeout {connection_timeout:g} s): {_message(exc)}. "
            "Is the server running and RELGRAPH_NEO4J_URI right?"
        ) from exc
    except StoreUnavailable:
        driver.close()
        raise
    log.info("connected to Neo4j at %s (database %s, per tenant: %s)", uri, database, database_per_tenant)
    return Neo4jStore(driver, database=database, database_per_tenant=database_per_tenant)


def _require_enterprise(driver: neo4j.Driver) -> None:
    """Per-tenant databases need Enterprise: say so at startup rather than at the first tenant."""
    try:
        rows = driver.execute_query(EDITION, routing_=RoutingControl.READ, result_transformer_=_collect)
    except ClientError as exc:  # e.g. no privilege to call dbms.components(): leave it to CREATE DATABASE
        log.warning("could not read the Neo4j edition (%s); assuming it supports several databases", _message(exc))
        return
    edition = str(rows[0]["edition"]) if rows else "unknown"
    if edition.lower() == "community":
        raise StoreUnavailable(
            "RELGRAPH_NEO4J_DATABASE_PER_TENANT=true needs Neo4j Enterprise (Community has one database); "
            "use a neo4j:5-enterprise image or set it to false (analyst Cypher is then refused)"
        )


__all__ = [
    "Neo4jStore",
    "connect_neo4j",
    "database_name",
    "from_neo4j",
    "to_neo4j_params",
    "translate",
]
