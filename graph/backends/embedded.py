"""Ladybug (embedded Kùzu fork) adapter: the default ``GraphStore``, in-process and on disk.

Layout: ``<data_dir>/tenants/<tenant>/graph.lbug`` (one database per tenant, so analyst Cypher can
only ever see its own tenant) and ``<data_dir>/system/graph.lbug`` for API keys.

Engine facts this adapter is built around (../shared/ENGINES.md):
- one write transaction at a time per database; a second gets an immediate error, so writes are
  serialised here with a lock per database instead of failing;
- readers are never blocked by the writer; each thread borrows its own connection from a pool;
- after a kill -9 the WAL can fail its checksum on replay; we keep a copy of it and reopen with
  ``throw_on_wal_replay_failure=False`` (acknowledged commits were checkpointed or replayed);
- the default buffer pool grows RSS to 1.5 GB; we size it explicitly. Each open database also
  reserves its maximum size as virtual address space (8 TB by default, so ~15 open databases
  exhaust a 47-bit address space) and ~20 MB of RSS for the schema: we cap the size per database
  and keep at most ``max_open`` tenants open, closing the least recently used idle one.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import queue
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, TypeVar

import ladybug
import numpy as np
import pandas as pd

from graph import schema
from graph.backends import ladybug_sql
from graph.backends.values import from_ladybug, to_ladybug_params
from graph.errors import (
    DuplicateId,
    InvalidInput,
    QuerySyntaxError,
    QueryTimeout,
    ReadOnlyViolation,
    RelgraphError,
    StoreError,
    StoreUnavailable,
)
from graph.store import SYSTEM_TENANT, AnalystResult, Dialect, Params, Row, check_tenant

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")

DB_FILE = "graph.lbug"


POOL_RETRY_PAUSES_S: Final = (0.0, 0.05, 0.25)
_LOCKED: Final = "Could not set lock on file"  # Ladybug's message when another process holds the database


def translate(exc: Exception, *, analyst: bool = False) -> RelgraphError:
    """Map a Ladybug RuntimeError onto the relgraph exception tree by its message."""
    msg = str(exc)
    low = msg.lower()
    if "read-only" in low or "read only" in low:
        return ReadOnlyViolation(f"write refused: the query runs in a read-only transaction ({msg})")
    if "parser exception" in low or "binder exception" in low:
        return QuerySyntaxError(msg)
    if "interrupted" in low or "timeout" in low or "timed out" in low:
        return QueryTimeout(f"query interrupted after its time limit ({msg})")
    if "duplicated primary key" in low:
        return DuplicateId("a record with this id already exists", detail=msg)
    if "only one write transaction" in low or "lock" in low:
        return StoreUnavailable(f"the database is busy or locked by another process: {msg}")
    if analyst:
        return InvalidInput(msg)
    return StoreError(msg)


class _BulkGate:
    """Reads share the database; a bulk write (COPY, or LOAD FROM ... CREATE/SET of a batch) has it
    alone. Ladybug 0.22 lets a read that looks up a table's primary key while a bulk write into that
    table runs miss rows that exist, fail ("... of the DiskArray to be accessed is >= numElements ...
    may be corrupted") or crash the process (tests/graph/backends/test_copy_race.py; single-row
    writes showed none of it in 7,670 creates against 4,543 lookups). A bulk write waits for the reads
    under way and holds new ones back until it is done (an import's batch: tenths of a second to a
    few seconds). Not reentrant: nothing reads while holding a read, or writes in bulk while reading.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._reads = 0
        self._bulk_waiting = 0
        self._bulk_writing = False

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            # a waiting bulk write goes first: a stream of reads must not hold an import back forever
            self._cond.wait_for(lambda: not self._bulk_writing and not self._bulk_waiting)
            self._reads += 1
        try:
            yield
        finally:
            with self._cond:
                self._reads -= 1
                self._cond.notify_all()

    @contextmanager
    def bulk(self) -> Iterator[None]:
        with self._cond:
            self._bulk_waiting += 1
            self._cond.wait_for(lambda: not self._bulk_writing and not self._reads)
            self._bulk_waiting -= 1
            self._bulk_writing = True
        try:
            yield
        finally:
            with self._cond:
                self._bulk_writing = False
                self._cond.notify_all()


class _TenantDb:
    """One open Ladybug database: a writer connection behind a lock and a pool of readers."""

    def __init__(self, db: ladybug.Database) -> None:
        self.db = db
        self.write_lock = threading.Lock()
        self.writer = ladybug.Connection(db)
        self._readers: queue.LifoQueue[ladybug.Connection] = queue.LifoQueue()
        self.users = 0  # callers inside ``LadybugStore._use``; only idle databases are evicted
        self.exhausted = False  # the buffer pool refused memory: reopen when idle
        self.last_used = 0.0
        self.gate = _BulkGate()

    @contextmanager
    def reader(self) -> Iterator[ladybug.Connection]:
        try:
            conn = self._readers.get_nowait()
        except queue.Empty:
            conn = ladybug.Connection(self.db)
        try:
            with self.gate.read():
                yield conn
        finally:
            self._readers.put(conn)

    def close(self) -> None:
        while not self._readers.empty():
            self._readers.get_nowait().close()
        self.writer.close()
        self.db.close()


def _rows(result: Any) -> list[Row]:
    results = result if isinstance(result, list) else [result]
    try:
        last = results[-1]  # several statements: keep the last one's rows
        columns = last.get_column_names()
        out = []
        while last.has_next():
            out.append(dict(zip(columns, (from_ladybug(v) for v in last.get_next()), strict=True)))
        return out
    finally:
        for r in results:
            r.close()  # an open result keeps engine memory pinned


def _frame_of(result: Any) -> pd.DataFrame:
    """The last statement's rows as a DataFrame; Ladybug hands timestamps back naive (they are UTC)."""
    results = result if isinstance(result, list) else [result]
    try:
        frame = results[-1].get_as_df()
    finally:
        for r in results:
            r.close()
    for name in frame.columns:
        dtype = frame[name].dtype
        if isinstance(dtype, np.dtype) and dtype.kind == "M":
            frame[name] = frame[name].dt.tz_localize("UTC")
        elif isinstance(dtype, pd.StringDtype):
            # pandas' string dtype goes through Python per element when iterated (itertuples, tolist):
            # several times slower than plain object columns for the row loops the services run.
            frame[name] = frame[name].astype(object)
    return frame


class _LadybugTx:
    def __init__(self, conn: ladybug.Connection) -> None:
        self._conn = conn

    def run(self, query: str, params: Params | None = None) -> list[Row]:
        try:
            return _rows(self._conn.execute(query, to_ladybug_params(params)))
        except RuntimeError as exc:
            raise translate(exc) from exc


class LadybugStore:
    """``GraphStore`` on Ladybug. Construct cheaply; databases open on first use of a tenant."""

    dialect = Dialect.LADYBUG

    def __init__(self, data_dir: Path, *, buffer_pool_mb: int = 256, max_db_gb: int = 64, max_open: int = 16) -> None:
        self._root = Path(data_dir)
        self._buffer_pool = buffer_pool_mb * 1024 * 1024
        self._max_db_size = max_db_gb * 1024**3
        self._max_open = max_open
        self._dbs: dict[str, _TenantDb] = {}
        self._open_lock = threading.Lock()
        self._schema_ready: set[str] = set()
        self.recovered: list[str] = []  # tenants whose WAL had to be skipped on open
        self._opened: dict[str, int] = {}  # opens per tenant after a change by others (see ``opened``)
        self._closed_as: dict[str, tuple[tuple[str, int, int], ...]] = {}  # files when this store closed them

    # --- opening ---------------------------------------------------------------------------------
    def _path(self, tenant: str) -> Path:
        if tenant == SYSTEM_TENANT:
            return self._root / "system" / DB_FILE
        return self._root / "tenants" / check_tenant(tenant) / DB_FILE

    @contextmanager
    def _use(self, tenant: str) -> Iterator[_TenantDb]:
        """The tenant's open database, kept open (not evicted) while the caller is inside."""
        with self._open_lock:
            tdb = self._dbs.get(tenant)
            if tdb is not None and tdb.exhausted and tdb.users == 0:
                # Ladybug 0.22 can leave a database whose buffer pool is "full" for every later
                # query (seen at 1M nodes with mixed heavy reads): reopen it once nobody uses it.
                log.warning("reopening %s: its buffer pool stopped freeing pages", tenant)
                self._close(tenant)
                tdb = None
            if tdb is None:
                self._evict_idle()
                path = self._path(tenant)
                if tenant not in self._opened or self._closed_as.pop(tenant, None) != _files_state(path):
                    self._opened[tenant] = self._opened.get(tenant, 0) + 1  # others may have written
                tdb = self._dbs[tenant] = _TenantDb(self._open(path))
            tdb.users += 1
            tdb.last_used = time.monotonic()
        try:
            if tenant not in self._schema_ready:
                self._apply_schema(tenant, tdb)
            yield tdb
        finally:
            with self._open_lock:
                tdb.users -= 1

    def opened(self, tenant: str) -> int:
        """A count of the opens of the tenant's database that found its files changed since this
        store closed them (opening it now if it is closed). A database is held by one process at a
        time, so while this count stands every write to the tenant went through this process:
        caches of figures derived from the graph need no time limit
        (``graph.intelligence.hierarchy.AccountBooks``)."""
        with self._use(tenant):
            return self._opened[tenant]

    def _close(self, tenant: str) -> None:  # under the open lock
        self._dbs.pop(tenant).close()
        self._closed_as[tenant] = _files_state(self._path(tenant))

    def _evict_idle(self) -> None:
        idle = sorted((t.last_used, name) for name, t in self._dbs.items() if t.users == 0)
        while len(self._dbs) >= self._max_open and idle:
            _, name = idle.pop(0)
            self._close(name)
            self._schema_ready.discard(name)

    def _open(self, path: Path) -> ladybug.Database:
        path.parent.mkdir(parents=True, exist_ok=True)
        wal = path.with_name(path.name + ".wal")
        try:
            return self._database(path)
        except _WAL_REPLAY_ERRORS as exc:
            # A torn WAL record can carry a garbage length: replaying it fails with bad_alloc
            # (MemoryError) or a string length_error (ValueError) as well as a RuntimeError,
            # depending on the bytes (tests/graph/backends/test_torn_wal.py).
            if _LOCKED in str(exc):  # another process has it open: its WAL is live, not torn
                raise StoreUnavailable(
                    f"{path} is open in another process (one process per database: stop the server, "
                    "or go through its API: POST /imports, relgraph ... --key)"
                ) from exc
            if not wal.exists():
                raise translate(exc) from exc
            return self._open_with_bad_wal(path, wal, exc)

    def _database(self, path: Path, *, tolerant: bool = False) -> ladybug.Database:
        return ladybug.Database(
            str(path),
            buffer_pool_size=self._buffer_pool,
            max_db_size=self._max_db_size,
            throw_on_wal_replay_failure=not tolerant,
        )

    def _open_with_bad_wal(self, path: Path, wal: Path, exc: Exception) -> ladybug.Database:
        # A kill -9 can leave a torn WAL tail whose replay fails. Keep a copy for forensics, then
        # replay what is intact (acknowledged commits were fsynced whole before the tear).
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        shutil.copy2(wal, wal.with_name(f"{wal.name}.corrupt-{stamp}"))
        log.warning("WAL replay failed for %s (%s); reopening tolerant of a torn tail", path, exc)
        self.recovered.append(str(path))
        try:
            return self._database(path, tolerant=True)
        except _WAL_REPLAY_ERRORS as exc2:
            raise StoreUnavailable(
                f"cannot open {path}: {exc2}. The WAL was copied to {wal.name}.corrupt-{stamp}; "
                "restore from the last `relgraph export` if the file itself is damaged"
            ) from exc2

    def _apply_schema(self, tenant: str, tdb: _TenantDb) -> None:
        with tdb.write_lock:
            conn = tdb.writer
            try:
                conn.execute(ladybug_sql.SCHEMA_VERSION_TABLE)
                done = {r["version"] for r in _rows(conn.execute(ladybug_sql.APPLIED_VERSIONS))}
                migrations = schema.SYSTEM_MIGRATIONS if tenant == SYSTEM_TENANT else schema.MIGRATIONS
                for migration in migrations:
                    if migration.version in done:
                        continue
                    for ddl in ladybug_sql.migration_ddl(migration):
                        conn.execute(ddl)
                    conn.execute(
                        ladybug_sql.RECORD_VERSION,
                        {"v": migration.version, "at": datetime.now(UTC).replace(tzinfo=None)},
                    )
            except RuntimeError as exc:
                raise translate(exc) from exc
        self._schema_ready.add(tenant)

    # --- GraphStore ------------------------------------------------------------------------------
    def ensure_tenant(self, tenant: str) -> None:
        with self._use(check_tenant(tenant)):
            pass

    def tenants(self) -> list[str]:
        base = self._root / "tenants"
        if not base.exists():
            return []
        return sorted(p.name for p in base.iterdir() if (p / DB_FILE).exists())

    def drop_tenant(self, tenant: str) -> None:
        check_tenant(tenant)
        with self._open_lock:
            tdb = self._dbs.pop(tenant, None)
            if tdb is not None:
                if tdb.users:
                    self._dbs[tenant] = tdb
                    raise StoreUnavailable(f"tenant {tenant!r} is in use; retry the drop")
                tdb.close()
            self._schema_ready.discard(tenant)
            self._closed_as.pop(tenant, None)
            shutil.rmtree(self._path(tenant).parent, ignore_errors=True)

    def read(self, tenant: str, query: str, params: Params | None = None) -> list[Row]:
        return self._read(tenant, query, params, _rows)

    def _read(self, tenant: str, query: str, params: Params | None, collect: Callable[[Any], R]) -> R:
        # "The buffer pool is full" can be passing: Ladybug 0.22 also says it when reads running
        # at the same time hold the memory (seen on a test tenant of a few hundred records with a
        # 256 MB pool, with roll-up reads in three threads), and a reopened database clears a pool
        # that stopped freeing pages. Retried after the others have had time to finish.
        for pause in POOL_RETRY_PAUSES_S:
            try:
                return self._read_once(tenant, query, params, collect)
            except StoreError as exc:
                if not _pool_exhausted(exc):
                    raise
                time.sleep(pause)
        return self._read_once(tenant, query, params, collect)

    def _read_once(self, tenant: str, query: str, params: Params | None, collect: Callable[[Any], R]) -> R:
        with self._use(tenant) as tdb, tdb.reader() as conn:
            try:
                return collect(conn.execute(query, to_ladybug_params(params)))
            except RuntimeError as exc:
                err = translate(exc)
                if _pool_exhausted(err):
                    tdb.exhausted = True
                raise err from exc

    def read_frame(self, tenant: str, query: str, params: Params | None = None) -> pd.DataFrame:
        return self._read(tenant, query, params, _frame_of)

    def write(self, tenant: str, query: str, params: Params | None = None) -> list[Row]:
        with self._use(tenant) as tdb, tdb.write_lock:
            return _LadybugTx(tdb.writer).run(query, params)

    def write_tx(self, tenant: str, work: Callable[[_LadybugTx], T]) -> T:
        with self._use(tenant) as tdb, tdb.write_lock:
            conn = tdb.writer
            conn.execute("BEGIN TRANSACTION")
            try:
                result = work(_LadybugTx(conn))
            except BaseException:
                _rollback(conn)
                raise
            try:
                conn.execute("COMMIT")
            except RuntimeError as exc:
                _rollback(conn)
                raise translate(exc) from exc
            return result

    def bulk_insert_nodes(self, tenant: str, label: str, rows: Sequence[Row]) -> int:
        if not rows:
            return 0
        spec = schema.node_spec(label)
        with self._use(tenant) as tdb, tdb.write_lock, tdb.gate.bulk():
            try:
                if _rows(tdb.writer.execute(ladybug_sql.ANY_NODE.format(label=label))):
                    # COPY into a non-empty node table exhausted the buffer pool after a few rounds
                    # in Ladybug 0.22 (demo build, 256 MB pool); LOAD FROM ... CREATE does not, and
                    # skips the per-value parameter conversion of UNWIND $rows (~5x faster). Each
                    # column costs about a microsecond a row even when null: columns no row sets
                    # are left out (null on a new node anyway; lists are written, as [] as before).
                    names = [c for c in spec.columns if _always(spec, c) or any(r.get(c) is not None for r in rows)]
                    query = load_create_nodes(spec, names)
                    _rows(tdb.writer.execute(query, {"frame": _frame(spec.columns, names, rows)}))
                else:
                    frame = _node_frame(spec, rows)  # noqa: F841  (read by COPY through its name)
                    _rows(tdb.writer.execute(f"COPY {spec.label} FROM frame"))
            except RuntimeError as exc:
                raise translate(exc) from exc
            finally:
                _forget_frames(tdb.writer)
        return len(rows)

    def bulk_update_nodes(self, tenant: str, label: str, rows: Sequence[Row]) -> int:
        if not rows:
            return 0
        spec = schema.node_spec(label)
        props = [k for k in rows[0] if k != "uid"]
        frame = _frame(spec.columns, ["uid", *props], rows)  # noqa: F841  (read by LOAD FROM through its name)
        with self._use(tenant) as tdb, tdb.write_lock, tdb.gate.bulk():
            try:
                _rows(tdb.writer.execute(ladybug_sql.load_update_nodes(spec, props)))
            except RuntimeError as exc:
                raise translate(exc) from exc
            finally:
                _forget_frames(tdb.writer)
        return len(rows)

    def bulk_insert_rels(self, tenant: str, rel_type: str, src: str, dst: str, rows: Sequence[Row]) -> int:
        if not rows:
            return 0
        spec = schema.RELS[rel_type]
        # LOAD FROM a DataFrame: ~5x the rate of UNWIND $rows, whose per-value parameter conversion
        # was most of the cost. The frame travels as a parameter (never mixed with a name lookup:
        # a statement with other parameters keeps the frame it was first prepared with). Props no
        # row sets are left out (a column costs about a microsecond a row even when null).
        props = [k for k in spec.props if any(r.get(k) is not None for r in rows)]
        query = load_create_rels(spec, src, dst, props)  # ValueError for a pair the type does not join
        frame = _frame(spec.props, [REL_SRC, REL_DST, *props], rows, rename={REL_SRC: "src", REL_DST: "dst"})
        with self._use(tenant) as tdb, tdb.write_lock, tdb.gate.bulk():
            try:
                result = _rows(tdb.writer.execute(query, {"frame": frame}))
            except RuntimeError as exc:
                raise translate(exc) from exc
            finally:
                _forget_frames(tdb.writer)
        return int(result[0]["created"]) if result else 0

    def copy_nodes(self, tenant: str, label: str, columns: Mapping[str, Sequence[Any]]) -> int:
        """``COPY <label> FROM`` a frame of ``columns`` (any of the table's; the rest null, lists []): the
        engine's bulk loader, ~2-3x ``bulk_insert_nodes`` per row when given 100k+ rows at a time,
        into empty and non-empty tables alike. All or nothing: ``DuplicateId`` if any uid exists.

        (The failures once seen copying into non-empty tables, "buffer pool is full", came from the
        frames the statement cache pinned, since dropped by ``_forget_frames``. Should the engine's
        checkpoint after the commit still run out of pool, the rows are committed and durable, as
        its message says: they count, and the database is reopened when idle.)
        """
        spec = schema.node_spec(label)
        size = len(next(iter(columns.values()), ()))
        if not size:
            return 0
        # Columns not given are left out of the COPY (null on a new node; ~8% of a COPY's time
        # for three such columns of eighteen), lists written as [] as everywhere else.
        names = [c for c in spec.columns if c in columns or _always(spec, c)]
        frame = _column_frame(spec.columns, names, columns, size)  # noqa: F841  (read by COPY)
        return self._copy(tenant, f"COPY {spec.label}({', '.join(names)}) FROM frame", size)

    def copy_rels(self, tenant: str, rel_type: str, src: str, dst: str, columns: Mapping[str, Sequence[Any]]) -> int:
        """``COPY <type> FROM`` a frame: ``columns`` holds ``src`` and ``dst`` (uids) and any of the
        type's props (the rest null). Every endpoint must exist (``StoreError`` otherwise, nothing
        written); pairs are not checked for existing links: the caller knows they are new."""
        spec = schema.RELS[rel_type]
        if (src, dst) not in spec.pairs:
            raise ValueError(f"{spec.type} does not connect {src} to {dst}")
        size = len(columns["src"])
        if not size:
            return 0
        props = [name for name in spec.props if name in columns]  # the others null
        frame = _column_frame(spec.props, ["src", "dst", *props], columns, size)  # noqa: F841
        return self._copy(tenant, f"COPY {spec.type}({', '.join(props)}) FROM frame (from='{src}', to='{dst}')", size)

    def _copy(self, tenant: str, statement: str, size: int) -> int:
        with self._use(tenant) as tdb, tdb.write_lock, tdb.gate.bulk():
            try:
                _rows(tdb.writer.execute(statement))
            except RuntimeError as exc:
                if "committed successfully" not in str(exc):
                    raise translate(exc) from exc
                log.warning("%s: committed, but the checkpoint after it failed (%s); reopening when idle", tenant, exc)
                tdb.exhausted = True
            finally:
                _forget_frames(tdb.writer)
        return size

    def scan_rows(self, tenant: str, query: str, frame: pd.DataFrame) -> list[Row]:
        """Run a read that scans ``frame`` (``LOAD FROM $frame ...``) and return its rows.

        The bulk writers' lookups: which of a batch's ids or pairs exist, with their stored values,
        in one statement. A DataFrame scan skips the per-value parameter conversion of
        ``UNWIND $list`` (2-3x faster at 20k keys), and the engine's cached statement, which would
        pin the frame, is dropped afterwards (``_forget_frames``).
        """
        return self._scan(tenant, query, frame, _rows)

    def scan_columns(self, tenant: str, query: str, frame: pd.DataFrame) -> pd.DataFrame:
        """``scan_rows`` as a DataFrame (no per-value conversion: for large answers of plain columns)."""
        return self._scan(tenant, query, frame, _frame_of)

    def _scan(self, tenant: str, query: str, frame: pd.DataFrame, collect: Callable[[Any], R]) -> R:
        with self._use(tenant) as tdb, tdb.reader() as conn:
            try:
                return collect(conn.execute(query, {"frame": frame}))
            except RuntimeError as exc:
                err = translate(exc)
                if _pool_exhausted(err):
                    tdb.exhausted = True
                raise err from exc
            finally:
                _forget_frames(conn)

    def analyst_query(
        self, tenant: str, query: str, params: Params | None, *, timeout_s: float, max_rows: int
    ) -> AnalystResult:
        started = time.perf_counter()
        with self._use(tenant) as tdb, tdb.reader() as conn:
            conn.set_query_timeout(max(1, int(timeout_s * 1000)))
            try:
                # The engine enforces read-only: a write inside this transaction is refused.
                conn.execute("BEGIN TRANSACTION READ ONLY")
                try:
                    result = conn.execute(query, to_ladybug_params(params))
                    return _analyst_result(result, max_rows, started)
                finally:
                    _rollback(conn)
            except RuntimeError as exc:
                raise translate(exc, analyst=True) from exc
            finally:
                conn.set_query_timeout(0)

    def health(self) -> dict[str, Any]:
        rows = self.read(SYSTEM_TENANT, "RETURN 1 AS ok")
        if not rows or rows[0]["ok"] != 1:
            raise StoreUnavailable("embedded store did not answer")
        return {"backend": "ladybug", "data_dir": str(self._root), "open_tenants": len(self._dbs)}

    def recycle(self, tenant: str) -> bool:
        """Close a tenant's database if nobody uses it (it reopens on next use). Ladybug 0.22 keeps
        per-session memory that grows with what was written; long imports call this between batches."""
        with self._open_lock:
            tdb = self._dbs.get(tenant)
            if tdb is None or tdb.users:
                return False
            self._close(tenant)
            self._schema_ready.discard(tenant)
        gc.collect()
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)  # hand the freed engine memory back to the OS
        return True

    def checkpoint(self, tenant: str) -> None:
        """Fold the WAL into the database file (cheap restarts, smaller WAL)."""
        self.write(tenant, "CHECKPOINT")

    def close(self) -> None:
        with self._open_lock:
            for tenant in list(self._dbs):
                self._close(tenant)
            self._schema_ready.clear()


_WAL_REPLAY_ERRORS = (RuntimeError, MemoryError, ValueError)


def _files_state(path: Path) -> tuple[tuple[str, int, int], ...]:
    """The database file and its WAL as (name, mtime, size): what another process's writes change."""
    found = []
    for f in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            st = f.stat()
            found.append((f.name, st.st_mtime_ns, st.st_size))
    return tuple(found)


def _pool_exhausted(exc: Exception) -> bool:
    return isinstance(exc, StoreError) and "buffer pool is full" in str(exc)


def _rollback(conn: ladybug.Connection) -> None:
    # The engine may already have ended the transaction (it does after an error).
    with contextlib.suppress(RuntimeError):
        conn.execute("ROLLBACK")


def _analyst_result(result: Any, max_rows: int, started: float) -> AnalystResult:
    if isinstance(result, list):
        result = result[-1]
    columns = result.get_column_names()
    rows: list[list[Any]] = []
    truncated = False
    while result.has_next():
        if len(rows) >= max_rows:
            truncated = True
            break
        rows.append([from_ladybug(v) for v in result.get_next()])
    elapsed = (time.perf_counter() - started) * 1000
    return AnalystResult(columns=columns, rows=rows, truncated=truncated, elapsed_ms=elapsed)


def _forget_frames(conn: ladybug.Connection) -> None:
    """Drop the engine's cached statements that scanned a DataFrame.

    Ladybug 0.22 caches a prepared statement per (query, parameter signature), and a DataFrame's
    signature carries the object's identity: every ``LOAD FROM``/``COPY FROM`` a new frame adds an
    entry that pins that frame's data until the connection closes (measured: +1.9 MB per 20k-row
    frame, for ever). That, not the engine, was most of the memory a long import grew by.
    """
    cache: dict[tuple[str, tuple[Any, ...]], Any] | None = getattr(conn, "_pybind_implicit_prepared_cache", None)
    lock = getattr(conn, "_prepared_cache_lock", None)
    if not cache or lock is None:
        return
    with lock:
        for key in [k for k in cache if any(_is_frame_signature(sig) for _, sig in k[1])]:
            del cache[key]


def _is_frame_signature(sig: Any) -> bool:
    return isinstance(sig, tuple) and len(sig) > 0 and sig[0] == "pointer"


def _node_frame(spec: schema.NodeSpec, rows: Sequence[Row]) -> pd.DataFrame:
    """A DataFrame in the table's column order (what COPY needs)."""
    return _frame(spec.columns, list(spec.columns), rows)


def _frame(
    types: Mapping[str, schema.PType],
    names: Sequence[str],
    rows: Sequence[Row],
    *,
    rename: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Object columns of plain Python values: what the engine's scan reads reliably (pandas'
    nullable extension dtypes trip an assertion in it). Column ``name`` takes each row's
    ``rename.get(name, name)`` key; names missing from ``types`` are strings."""
    keys = rename or {}
    columns = {name: [r.get(keys.get(name, name)) for r in rows] for name in names}
    return _column_frame(types, names, columns, len(rows))


def _column_frame(
    types: Mapping[str, schema.PType], names: Sequence[str], columns: Mapping[str, Sequence[Any]], size: int
) -> pd.DataFrame:
    """``_frame`` from columns: ``names`` in order, absent ones null (lists [])."""
    data: dict[str, pd.Series[Any]] = {}
    for name in names:
        ptype = types.get(name, schema.PType.STRING)
        given = columns.get(name)
        empty: list[str] = []  # one list for every row without values (only read)
        if given is None:
            values: list[Any] = [empty] * size if ptype is schema.PType.STRINGS else [None] * size
        elif ptype is schema.PType.TIMESTAMP:
            values = _naive_utc_all(list(given))
        elif ptype is schema.PType.STRINGS:
            values = [list(v) if v else empty for v in given]
        else:
            values = list(given)
        data[name] = pd.Series(values, dtype=object)
    return pd.DataFrame(data)


REL_SRC = "src_uid"
REL_DST = "dst_uid"


def load_create_rels(spec: schema.RelSpec, src: str, dst: str, props: Sequence[str] | None = None) -> str:
    """Create relationships from a DataFrame parameter ``$frame`` (columns ``src_uid``, ``dst_uid``
    and the properties set, all of the type's by default); two separate MATCHes (a comma pattern is
    ~500x slower here). Rows whose endpoints do not exist create nothing; ``created`` counts what
    was created."""
    if (src, dst) not in spec.pairs:
        raise ValueError(f"{spec.type} does not connect {src} to {dst}")
    names = list(spec.props) if props is None else props
    body = ", ".join(f"{name}: CAST({name} AS {spec.props[name].value})" for name in names)
    body = f" {{{body}}}" if body else ""
    return (
        f"LOAD FROM $frame MATCH (a:{src} {{uid: {REL_SRC}}}) MATCH (b:{dst} {{uid: {REL_DST}}}) "
        f"CREATE (a)-[:{spec.type}{body}]->(b) RETURN count(*) AS created"
    )


def _always(spec: schema.NodeSpec, column: str) -> bool:
    return column == "uid" or spec.columns[column] is schema.PType.STRINGS


def load_create_nodes(spec: schema.NodeSpec, names: Sequence[str]) -> str:
    """Create nodes from a DataFrame parameter ``$frame`` holding the columns ``names``."""
    body = ", ".join(f"{name}: CAST({name} AS {spec.columns[name].value})" for name in names)
    return f"LOAD FROM $frame CREATE (n:{spec.label} {{{body}}})"


def _naive_utc_all(values: list[Any]) -> list[Any]:
    """``_naive_utc`` of each value; runs of the same value (a batch's ``created_at``) converted once."""
    out: list[Any] = []
    last: Any = None
    done: Any = None
    for v in values:
        if v is not last:
            last, done = v, _naive_utc(v)
        out.append(done)
    return out


def _naive_utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)
