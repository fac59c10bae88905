"""The GraphStore contract on Neo4j, plus unit tests of the adapter that need no server.

Contract tests (the shared suite in ``graph_suite.py``) run when ``RELGRAPH_NEO4J_URI`` is set
(user/password from ``RELGRAPH_NEO4J_USER`` / ``RELGRAPH_NEO4J_PASSWORD``; layout from
``RELGRAPH_NEO4J_DATABASE`` / ``RELGRAPH_NEO4J_DATABASE_PER_TENANT``), each test on a fresh random
tenant that is dropped afterwards. Without a server they skip; the ``TestWithoutServer`` class
still runs: value conversion, error translation, and the statements the adapter sends, recorded by
a fake driver (a recording fake, not a mock: it answers through a small responder function).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, cast

import neo4j
import pytest
from neo4j import READ_ACCESS, RoutingControl
from neo4j.exceptions import Neo4jError, ServiceUnavailable, SessionExpired
from neo4j.graph import Graph, Node, Path, Relationship
from neo4j.time import Date as Neo4jDate
from neo4j.time import DateTime as Neo4jDateTime
from neo4j.time import Duration as Neo4jDuration

from graph import schema
from graph.backends import neo4j as adapter
from graph.backends.neo4j import Neo4jStore, connect_neo4j, database_name, from_neo4j, to_neo4j_params, translate
from graph.errors import (
    CycleError,
    DuplicateId,
    Forbidden,
    InvalidInput,
    QuerySyntaxError,
    QueryTimeout,
    ReadOnlyViolation,
    StoreError,
    StoreUnavailable,
)
from graph.store import SYSTEM_TENANT, GraphStore, Tx
from tests.contracts import graph_suite
from tests.contracts.graph_suite import *  # noqa: F403

NEO4J_URI = os.environ.get("RELGRAPH_NEO4J_URI")
SKIP_REASON = "RELGRAPH_NEO4J_URI not set: Neo4j contract tests need a server"


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


@pytest.fixture(scope="module")
def store() -> Iterator[Neo4jStore]:
    if not NEO4J_URI:
        pytest.skip(SKIP_REASON)
    s = connect_neo4j(
        NEO4J_URI,
        os.environ.get("RELGRAPH_NEO4J_USER", "neo4j"),
        os.environ.get("RELGRAPH_NEO4J_PASSWORD", ""),
        database=os.environ.get("RELGRAPH_NEO4J_DATABASE", "neo4j"),
        database_per_tenant=_env_flag("RELGRAPH_NEO4J_DATABASE_PER_TENANT"),
    )
    yield s
    s.close()


@pytest.fixture
def tenant(store: Neo4jStore) -> Iterator[str]:
    name = f"rgt-{uuid.uuid4().hex[:12]}"
    yield name
    for t in (name, f"{name}-other"):  # the suite also touches "<tenant>-other" (cross-tenant reads)
        store.drop_tenant(t)


def test_analyst_query_is_read_only_and_capped(store: Neo4jStore, tenant: str) -> None:  # type: ignore[no-redef]
    """Replaces the suite's test: in one shared database analyst Cypher is refused outright."""
    if store.database_per_tenant:
        graph_suite.test_analyst_query_is_read_only_and_capped(store, tenant)
        return
    with pytest.raises(Forbidden, match="DATABASE_PER_TENANT"):
        store.analyst_query(tenant, "MATCH (c:Contact) RETURN c", None, timeout_s=5, max_rows=7)


def test_tenants_lists_ensured_and_forgets_dropped(store: Neo4jStore) -> None:
    name = f"rgt-{uuid.uuid4().hex[:12]}"
    store.ensure_tenant(name)
    store.ensure_tenant(name)  # idempotent
    assert name in store.tenants()
    store.drop_tenant(name)
    assert name not in store.tenants()


def test_health_answers(store: Neo4jStore) -> None:
    assert store.health()["backend"] == "neo4j"


# --- a recording fake driver ---------------------------------------------------------------------
@dataclass
class Call:
    how: str  # "query" (execute_query), "tx" (managed tx), "run" (auto-commit), "commit", "rollback"
    database: str | None
    query: str = ""
    params: dict[str, Any] | None = None
    mode: str = ""  # "r" or "w"
    config: dict[str, Any] | None = None


Responder = Callable[[str, dict[str, Any] | None], list[dict[str, Any]]]


class FakeResult:
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self._rows = rows

    def keys(self) -> list[str]:
        return list(self._rows[0]) if self._rows else []

    def __iter__(self) -> Iterator[neo4j.Record]:
        return (neo4j.Record(r) for r in self._rows)

    def consume(self) -> Any:
        return type("Summary", (), {"gql_status_objects": ()})()


class FakeTx:
    def __init__(self, driver: FakeDriver, database: str | None, mode: str) -> None:
        self._driver, self._database, self._mode = driver, database, mode

    def run(self, query: str, parameters: dict[str, Any] | None = None) -> FakeResult:
        self._driver.calls.append(Call("tx", self._database, query, parameters, self._mode))
        return FakeResult(self._driver.responder(query, parameters))


class FakeSession:
    def __init__(self, driver: FakeDriver, config: dict[str, Any]) -> None:
        self._driver, self.config = driver, config
        self._database = config.get("database")

    def __enter__(self) -> FakeSession:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def _transaction(self, fn: Callable[..., Any], mode: str) -> Any:
        self._driver.sessions.append(self.config | {"timeout": getattr(fn, "timeout", None), "mode": mode})
        try:
            out = fn(FakeTx(self._driver, self._database, mode))
        except BaseException:
            self._driver.calls.append(Call("rollback", self._database))
            raise
        self._driver.calls.append(Call("commit", self._database))
        return out

    def execute_write(self, fn: Callable[..., Any]) -> Any:
        return self._transaction(fn, "w")

    def execute_read(self, fn: Callable[..., Any]) -> Any:
        return self._transaction(fn, "r")

    def run(self, query: str, parameters: dict[str, Any] | None = None) -> FakeResult:
        self._driver.calls.append(Call("run", self._database, query, parameters, config=self.config))
        return FakeResult(self._driver.responder(query, parameters))


class FakeDriver:
    """Records what the adapter sends; ``responder(query, params)`` gives the rows (or raises)."""

    def __init__(self, responder: Responder | None = None) -> None:
        self.calls: list[Call] = []
        self.sessions: list[dict[str, Any]] = []
        self.responder: Responder = responder or _default_answer
        self.execute_query_bookmark_manager = object()
        self.closed = False

    def execute_query(
        self,
        query: str,
        parameters_: dict[str, Any] | None = None,
        routing_: RoutingControl = RoutingControl.WRITE,
        database_: str | None = None,
        result_transformer_: Callable[[Any], Any] | None = None,
    ) -> Any:
        mode = "r" if routing_ == RoutingControl.READ else "w"
        self.calls.append(Call("query", database_, query, parameters_, mode))
        result = FakeResult(self.responder(query, parameters_))
        assert result_transformer_ is not None
        return result_transformer_(result)

    def session(self, **config: Any) -> FakeSession:
        assert config.get("bookmark_manager") is self.execute_query_bookmark_manager
        return FakeSession(self, config)

    def verify_connectivity(self) -> None:
        self.responder("VERIFY", None)

    def get_server_info(self) -> Any:
        return type("Info", (), {"address": "fake:7687", "agent": "Neo4j/5.26.0"})()

    def close(self) -> None:
        self.closed = True

    def queries(self, *hows: str) -> list[Call]:
        return [c for c in self.calls if not hows or c.how in hows]


def _default_answer(query: str, params: dict[str, Any] | None) -> list[dict[str, Any]]:
    if "AS created" in query:
        return [{"created": len((params or {}).get("rows", []))}]
    if "AS deleted" in query:
        return [{"deleted": 0}]
    if query.startswith("RETURN 1"):
        return [{"ok": 1}]
    return []


def _make(responder: Responder | None = None, *, per_tenant: bool = False) -> tuple[Neo4jStore, FakeDriver]:
    driver = FakeDriver(responder)
    return Neo4jStore(cast(neo4j.Driver, driver), database="neo4j", database_per_tenant=per_tenant), driver


def _error(code: str, message: str = "boom") -> Neo4jError:
    return Neo4jError._hydrate_neo4j(code=code, message=message)


def _raising(match: str, exc: Exception) -> Responder:
    def answer(query: str, params: dict[str, Any] | None) -> list[dict[str, Any]]:
        if match in query:
            raise exc
        return _default_answer(query, params)

    return answer


def _graph_objects() -> tuple[Node, Node, Relationship]:
    g = Graph()
    when = Neo4jDateTime(2026, 3, 1, 9, 30, tzinfo=UTC)
    a = Node(
        g, "4:x:1", 1, ["Account"], {"uid": "t/a", "id": "a", "name": "Acme", "annual_revenue": 5, "created_at": when}
    )
    c = Node(g, "4:x:2", 2, ["Contact"], {"uid": "t/c", "id": "c", "other_emails": ["z@x.io"]})
    rel = g.relationship_type("WORKS_AT")(g, "5:x:1", 1, {"title": "CTO", "since": Neo4jDate(2020, 1, 2)})
    rel._start_node, rel._end_node = c, a
    return a, c, rel


class TestWithoutServer:
    # --- database names ---------------------------------------------------------------------------
    @pytest.mark.parametrize("tenant", ["a", "acme", "acme-eu", "a_b", "a-", "9lives", "x" * 63, "a__b", "_x"[1:]])
    def test_database_names_follow_neo4j_rules(self, tenant: str) -> None:
        name = database_name(tenant)
        assert 3 <= len(name) <= 63
        assert name[0].isalpha() and name[-1].isalnum()
        assert set(name) <= set("abcdefghijklmnopqrstuvwxyz0123456789-")

    def test_database_names_are_distinct(self) -> None:
        tenants = ["a-b", "a_b", "a--b", "a-", "a", "h-a", "x" * 62, "x" * 63, "x" * 61]
        assert len({database_name(t) for t in tenants}) == len(tenants)
        assert database_name("acme") == "t-acme"

    def test_system_tenant_has_no_database_of_its_own(self) -> None:
        with pytest.raises(ValueError):
            database_name(SYSTEM_TENANT)

    # --- values -----------------------------------------------------------------------------------
    def test_datetimes_become_tz_aware_utc(self) -> None:
        aware = from_neo4j(Neo4jDateTime(2026, 3, 1, 11, 30, tzinfo=timezone(timedelta(hours=2))))
        assert aware == datetime(2026, 3, 1, 9, 30, tzinfo=UTC) and aware.tzinfo is UTC
        local = from_neo4j(Neo4jDateTime(2026, 3, 1, 9, 30, 15, 123456789))
        assert local == datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
        assert from_neo4j(Neo4jDate(2020, 1, 2)) == date(2020, 1, 2)
        assert type(from_neo4j(Neo4jDate(2020, 1, 2))) is date

    def test_durations_and_containers(self) -> None:
        assert from_neo4j(Neo4jDuration(days=1, seconds=2, nanoseconds=3000)) == timedelta(
            days=1, seconds=2, microseconds=3
        )
        assert from_neo4j(Neo4jDuration(months=2)) == "P2M"
        nested = from_neo4j({"xs": [Neo4jDate(2020, 1, 2), None, 1.5], "t": ("a",)})
        assert nested == {"xs": [date(2020, 1, 2), None, 1.5], "t": ["a"]}

    def test_nodes_relationships_and_paths_match_the_ladybug_shapes(self) -> None:
        a, c, rel = _graph_objects()
        node = from_neo4j(a)
        assert node["_label"] == "Account" and node["name"] == "Acme"
        assert node["created_at"] == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
        assert node["annual_revenue"] == 5.0 and isinstance(node["annual_revenue"], float)
        assert set(node) == {"_label", *schema.ACCOUNT.columns}  # absent columns read as None
        assert node["domain"] is None
        r = from_neo4j(rel)
        assert r == {"_type": "WORKS_AT", "title": "CTO", "since": date(2020, 1, 2), "department": None, "until": None}
        path = from_neo4j(Path(c, rel))
        assert [n["id"] for n in path["nodes"]] == ["c", "a"]
        assert [x["_type"] for x in path["relationships"]] == ["WORKS_AT"]

    def test_unknown_labels_keep_their_properties_only(self) -> None:
        g = Graph()
        assert from_neo4j(Node(g, "4:x:9", 9, ["SchemaVersion"], {"version": 1})) == {
            "_label": "SchemaVersion",
            "version": 1,
        }
        assert from_neo4j(Node(g, "4:x:8", 8, ["Zeta", "Contact"], {"id": "z"}))["_label"] == "Contact"

    def test_params_send_utc_datetimes(self) -> None:
        naive = datetime(2026, 1, 1, 12, 0)
        out = to_neo4j_params({"at": naive, "rows": [{"t": (1, 2), "d": date(2020, 1, 1)}]})
        assert out == {"at": datetime(2026, 1, 1, 12, 0, tzinfo=UTC), "rows": [{"t": [1, 2], "d": date(2020, 1, 1)}]}
        assert to_neo4j_params(None) is None

    # --- error translation ------------------------------------------------------------------------
    @pytest.mark.parametrize(
        ("code", "expected"),
        [
            ("Neo.ClientError.Statement.SyntaxError", QuerySyntaxError),
            ("Neo.ClientError.Statement.SemanticError", QuerySyntaxError),
            ("Neo.ClientError.Schema.ConstraintValidationFailed", DuplicateId),
            ("Neo.ClientError.Statement.AccessMode", ReadOnlyViolation),
            ("Neo.ClientError.General.ForbiddenOnReadOnlyDatabase", ReadOnlyViolation),
            ("Neo.ClientError.Transaction.TransactionTimedOut", QueryTimeout),
            ("Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration", QueryTimeout),
            ("Neo.ClientError.Security.Unauthorized", StoreUnavailable),
            ("Neo.ClientError.Database.DatabaseNotFound", StoreUnavailable),
            ("Neo.TransientError.Transaction.DeadlockDetected", StoreUnavailable),
            ("Neo.TransientError.General.DatabaseUnavailable", StoreUnavailable),
            ("Neo.DatabaseError.General.UnknownError", StoreError),
            ("Neo.ClientError.Statement.ArgumentError", StoreError),
        ],
    )
    def test_server_errors_map_onto_the_tree(self, code: str, expected: type[Exception]) -> None:
        err = translate(_error(code, "server says no"))
        assert type(err) is expected
        assert "server says no" in err.message or "server says no" in str(err.detail)

    def test_syntax_error_keeps_the_server_message(self) -> None:
        msg = "Invalid input 'RETURN': expected ')' (line 1, column 18)"
        err = translate(_error("Neo.ClientError.Statement.SyntaxError", msg))
        assert isinstance(err, QuerySyntaxError) and err.message == msg

    def test_terminated_by_timeout_is_a_timeout(self) -> None:
        exc = _error("Neo.TransientError.Transaction.Terminated", "The transaction has been terminated: timed out")
        assert isinstance(translate(exc), QueryTimeout)

    def test_other_client_errors_are_invalid_input_for_analysts(self) -> None:
        exc = _error("Neo.ClientError.Statement.ArgumentError", "bad argument")
        assert type(translate(exc, analyst=True)) is InvalidInput

    def test_driver_errors(self) -> None:
        assert isinstance(translate(ServiceUnavailable("down")), StoreUnavailable)
        assert isinstance(translate(SessionExpired("gone")), StoreUnavailable)
        assert isinstance(translate(neo4j.exceptions.IncompleteCommit("cut")), StoreUnavailable)
        assert isinstance(translate(neo4j.exceptions.ResultConsumedError(None, "used")), StoreError)

    # --- what the adapter sends ---------------------------------------------------------------------
    def test_constructor_does_no_io(self) -> None:
        _, driver = _make()
        assert driver.calls == [] and driver.sessions == []

    def test_satisfies_the_protocol(self) -> None:
        store: GraphStore = _make()[0]  # checked by mypy
        assert store.dialect.value == "neo4j"

    def test_ensure_tenant_shared_creates_schema_once_and_registers(self) -> None:
        store, driver = _make()
        store.ensure_tenant("acme")
        sent = [c.query for c in driver.queries()]
        for label in schema.NODES:
            assert any(f"FOR (n:{label}) REQUIRE n.uid IS UNIQUE" in q and "IF NOT EXISTS" in q for q in sent)
            assert any(f"FOR (n:{label}) ON (n.tenant)" in q for q in sent)
        assert not any("ApiKey" in q for q in sent)
        assert {c.database for c in driver.queries()} == {"neo4j"}
        version = next(c for c in driver.calls if "SchemaVersion" in c.query and "MERGE" in c.query)
        assert version.params is not None and (version.params["scope"], version.params["version"]) == ("tenants", 1)
        register = next(c for c in driver.calls if "RelgraphTenant" in c.query)
        assert register.params is not None and register.params["tenant"] == "acme" and register.mode == "w"
        before = len(driver.calls)
        store.ensure_tenant("acme")
        store.read("acme", "MATCH (n) RETURN n")
        assert len(driver.calls) == before + 1  # cached: only the read
        store.ensure_tenant("globex")  # schema already there: only the registration
        assert [c.query for c in driver.calls[before + 1 :]] == [adapter.REGISTER_TENANT]

    def test_applied_migrations_are_skipped(self) -> None:
        def answer(query: str, params: dict[str, Any] | None) -> list[dict[str, Any]]:
            applied = [{"version": m.version} for m in schema.MIGRATIONS]
            return applied if query == adapter.APPLIED_VERSIONS else []

        store, driver = _make(answer)
        store.ensure_tenant("acme")
        assert not any("CONSTRAINT" in c.query for c in driver.calls)

    def test_system_tenant_schema_has_api_keys_and_no_registration(self) -> None:
        store, driver = _make(per_tenant=True)
        store.ensure_tenant(SYSTEM_TENANT)
        sent = [c.query for c in driver.calls]
        assert any("FOR (n:ApiKey) REQUIRE n.uid IS UNIQUE" in q for q in sent)
        assert not any("RelgraphTenant" in q or "CREATE DATABASE" in q for q in sent)
        assert {c.database for c in driver.calls} == {"neo4j"}

    def test_per_tenant_creates_the_database_from_system(self) -> None:
        store, driver = _make(per_tenant=True)
        store.ensure_tenant("acme")
        create = driver.calls[0]
        assert create.how == "run" and create.database == "system"
        assert create.query.startswith("CREATE DATABASE $name IF NOT EXISTS") and create.params == {"name": "t-acme"}
        schema_calls = [c for c in driver.calls if "CONSTRAINT" in c.query]
        assert schema_calls and {c.database for c in schema_calls} == {"t-acme"}
        register = next(c for c in driver.calls if "RelgraphTenant" in c.query)
        assert register.database == "neo4j"

    def test_reads_route_to_readers_with_utc_params(self) -> None:
        store, driver = _make()
        store.ensure_tenant("acme")
        driver.calls.clear()
        store.read("acme", "MATCH (n:Contact {uid: $uid}) RETURN n", {"uid": "acme/1", "at": datetime(2026, 1, 1)})
        (call,) = driver.calls
        assert (call.how, call.mode, call.database) == ("query", "r", "neo4j")
        assert call.params is not None and call.params["at"].tzinfo is UTC

    def test_bulk_insert_nodes_is_one_transaction_of_batches(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(adapter, "BATCH_ROWS", 2)
        store, driver = _make()
        store.ensure_tenant("acme")
        driver.calls.clear()
        rows = [
            {"uid": f"acme/{i}", "tenant": "acme", "id": str(i), "annual_revenue": 7, "domain": None, "junk": 1}
            for i in range(5)
        ]
        assert store.bulk_insert_nodes("acme", "Account", rows) == 5
        txs = [c for c in driver.calls if c.how == "tx"]
        assert len(txs) == 3 and [c.how for c in driver.calls].count("commit") == 1
        assert txs[0].query == "UNWIND $rows AS r CREATE (n:Account) SET n = r RETURN count(n) AS created"
        assert txs[0].params is not None
        first = txs[0].params["rows"][0]
        assert first == {"uid": "acme/0", "tenant": "acme", "id": "0", "annual_revenue": 7.0}  # schema columns only

    def test_bulk_insert_nodes_lists_and_timestamps(self) -> None:
        store, driver = _make()
        naive = datetime(2026, 1, 1, 8, 0)
        store.bulk_insert_nodes("acme", "Contact", [{"uid": "acme/c", "id": "c", "created_at": naive}])
        (tx,) = [c for c in driver.calls if c.how == "tx"]
        assert tx.params is not None
        row = tx.params["rows"][0]
        assert row["other_emails"] == [] and row["created_at"] == naive.replace(tzinfo=UTC)

    def test_duplicate_uid_is_duplicate_id_and_rolls_back(self) -> None:
        clash = _error(
            "Neo.ClientError.Schema.ConstraintValidationFailed", "Node(3) already exists with label `Contact`"
        )
        store, driver = _make(_raising("CREATE (n:Contact)", clash))
        with pytest.raises(DuplicateId) as info:
            store.bulk_insert_nodes("acme", "Contact", [{"uid": "acme/c", "id": "c"}])
        assert info.value.__cause__ is clash
        assert driver.calls[-1].how == "rollback"

    def test_bulk_insert_rels_uses_schema_props_only(self) -> None:
        store, driver = _make()
        rows = [{"src": "acme/c", "dst": "acme/a", "title": "CTO", "since": date(2020, 1, 1), "extra": "x"}]
        assert store.bulk_insert_rels("acme", "WORKS_AT", "Contact", "Account", rows) == 1
        (tx,) = [c for c in driver.calls if c.how == "tx"]
        assert "MATCH (a:Contact {uid: r.src}) MATCH (b:Account {uid: r.dst})" in tx.query
        assert (
            "CREATE (a)-[x:WORKS_AT {title: r.title, department: r.department, since: r.since, until: r.until}]"
            in tx.query
        )
        assert tx.params is not None and "extra" not in tx.params["rows"][0]
        with pytest.raises(ValueError):
            store.bulk_insert_rels("acme", "WORKS_AT", "Account", "Contact", rows)

    def test_write_tx_passes_rows_and_lets_service_errors_through(self) -> None:
        store, driver = _make(lambda q, p: [{"n": 1}] if "count(n)" in q else [])

        def work(tx: Tx) -> list[dict[str, Any]]:
            return tx.run("MATCH (n) RETURN count(n) AS n")

        assert store.write_tx("acme", work) == [{"n": 1}]

        def refuse(tx: Tx) -> None:
            tx.run("MATCH (n) RETURN n")
            raise CycleError("would close a cycle")

        with pytest.raises(CycleError):
            store.write_tx("acme", refuse)
        assert driver.calls[-1].how == "rollback"

    def test_tx_leaves_retryable_errors_to_the_driver(self) -> None:
        transient = _error("Neo.TransientError.Transaction.DeadlockDetected", "deadlock")
        tx = adapter._Neo4jTx(cast(neo4j.ManagedTransaction, FakeTx(FakeDriver(_raising("", transient)), "neo4j", "w")))
        with pytest.raises(Neo4jError):
            tx.run("MATCH (n) RETURN n")
        syntax = _error("Neo.ClientError.Statement.SyntaxError", "bad")
        tx = adapter._Neo4jTx(cast(neo4j.ManagedTransaction, FakeTx(FakeDriver(_raising("", syntax)), "neo4j", "w")))
        with pytest.raises(QuerySyntaxError):
            tx.run("MATCH (n RETURN n")

    def test_analyst_refused_in_shared_database_without_io(self) -> None:
        store, driver = _make()
        with pytest.raises(Forbidden, match="RELGRAPH_NEO4J_DATABASE_PER_TENANT=true"):
            store.analyst_query("acme", "MATCH (n) RETURN n", None, timeout_s=5, max_rows=10)
        assert driver.calls == []

    def test_analyst_refused_on_system_tenant(self) -> None:
        store, _ = _make(per_tenant=True)
        with pytest.raises(Forbidden):
            store.analyst_query(SYSTEM_TENANT, "MATCH (k:ApiKey) RETURN k", None, timeout_s=5, max_rows=10)

    def test_analyst_runs_read_only_with_timeout_and_row_cap(self) -> None:
        def answer(query: str, params: dict[str, Any] | None) -> list[dict[str, Any]]:
            return [{"n": i} for i in range(20)] if query.startswith("MATCH (c") else _default_answer(query, params)

        store, driver = _make(answer, per_tenant=True)
        res = store.analyst_query("acme", "MATCH (c:Contact) RETURN c.n AS n", None, timeout_s=2.5, max_rows=7)
        assert res.columns == ["n"] and res.rows == [[i] for i in range(7)] and res.truncated
        session = driver.sessions[-1]
        assert session["database"] == "t-acme" and session["default_access_mode"] == READ_ACCESS
        assert session["mode"] == "r" and session["timeout"] == 2.5
        res = store.analyst_query("acme", "MATCH (c:Contact) RETURN c.n AS n", None, timeout_s=2.5, max_rows=20)
        assert len(res.rows) == 20 and not res.truncated

    @pytest.mark.parametrize(
        ("code", "expected"),
        [
            ("Neo.ClientError.Statement.AccessMode", ReadOnlyViolation),
            ("Neo.ClientError.Statement.SyntaxError", QuerySyntaxError),
            ("Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration", QueryTimeout),
            ("Neo.ClientError.Procedure.ProcedureCallFailed", InvalidInput),
        ],
    )
    def test_analyst_errors(self, code: str, expected: type[Exception]) -> None:
        store, _ = _make(_raising("MATCH (c", _error(code, "no")), per_tenant=True)
        with pytest.raises(expected):
            store.analyst_query("acme", "MATCH (c:Contact) RETURN c", None, timeout_s=1, max_rows=5)

    def test_drop_tenant_shared_deletes_in_batches_per_label(self) -> None:
        left = {"n": 3}

        def answer(query: str, params: dict[str, Any] | None) -> list[dict[str, Any]]:
            if "MATCH (n:Contact)" in query and "DETACH DELETE" in query:
                done, left["n"] = left["n"], 0
                return [{"deleted": done}]
            return _default_answer(query, params)

        store, driver = _make(answer)
        store.drop_tenant("acme")
        deletes = [c for c in driver.calls if "DETACH DELETE" in c.query]
        assert sum("(n:Contact)" in c.query for c in deletes) == 2  # one batch, then an empty one
        assert any("MATCH (n) WHERE" in c.query for c in deletes)  # the sweep for other labels
        assert all(c.params is not None and c.params["tenant"] == "acme" for c in deletes)
        assert not any("DROP DATABASE" in c.query for c in driver.calls)

    def test_drop_tenant_per_tenant_drops_the_database(self) -> None:
        store, driver = _make(per_tenant=True)
        store.ensure_tenant("acme")
        store.drop_tenant("acme")
        drop = next(c for c in driver.calls if "DROP DATABASE" in c.query)
        assert drop.database == "system" and drop.params == {"name": "t-acme"}
        assert driver.calls[-1].query == adapter.UNREGISTER_TENANT
        driver.calls.clear()
        store.read("acme", "MATCH (n) RETURN n")  # used again: created again
        assert any("CREATE DATABASE" in c.query for c in driver.calls)

    def test_tenants_from_the_registry(self) -> None:
        rows = [{"tenant": "b"}, {"tenant": "a"}, {"tenant": SYSTEM_TENANT}, {"tenant": "a"}]
        store, driver = _make(lambda q, p: rows if q == adapter.LIST_TENANTS else [])
        assert store.tenants() == ["a", "b"]
        assert driver.calls[0].mode == "r"

    def test_health_and_unreachable_server(self) -> None:
        store, _ = _make()
        assert store.health()["backend"] == "neo4j"
        down, _ = _make(_raising("RETURN 1", ServiceUnavailable("connection refused")))
        with pytest.raises(StoreUnavailable):
            down.health()
        with pytest.raises(StoreUnavailable):
            down.read("acme", "RETURN 1 AS x")

    def test_close_closes_the_driver(self) -> None:
        store, driver = _make()
        store.close()
        assert driver.closed

    # --- connecting -----------------------------------------------------------------------------
    def test_connect_fails_fast_when_nothing_listens(self) -> None:
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match="cannot reach Neo4j"):
            connect_neo4j("bolt://127.0.0.1:1", "neo4j", "secret")
        assert time.monotonic() - started < 10

    def test_connect_wants_enterprise_for_database_per_tenant(self, monkeypatch: pytest.MonkeyPatch) -> None:
        driver = FakeDriver(lambda q, p: [{"edition": "community"}] if "dbms.components" in q else [])
        monkeypatch.setattr(adapter.GraphDatabase, "driver", lambda *a, **k: driver)
        with pytest.raises(StoreUnavailable, match="Enterprise"):
            connect_neo4j("bolt://db:7687", "neo4j", "secret", database_per_tenant=True)
        assert driver.closed
        assert connect_neo4j("bolt://db:7687", "neo4j", "secret").database_per_tenant is False

    def test_connect_names_refused_credentials(self, monkeypatch: pytest.MonkeyPatch) -> None:
        refused = _error("Neo.ClientError.Security.Unauthorized", "The client is unauthorized")
        driver = FakeDriver(_raising("VERIFY", refused))
        monkeypatch.setattr(adapter.GraphDatabase, "driver", lambda *a, **k: driver)
        with pytest.raises(StoreUnavailable, match="refused the credentials"):
            connect_neo4j("bolt://db:7687", "neo4j", "wrong")
        assert driver.closed

    def test_connect_refuses_a_bad_uri(self) -> None:
        with pytest.raises(StoreUnavailable, match="invalid RELGRAPH_NEO4J_URI"):
            connect_neo4j("mysql://localhost", "neo4j", "secret")
