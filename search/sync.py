"""Keeps the search index in step with the graph. The graph is the source of truth; the index is
derived and can always be rebuilt (``relgraph reindex``).

Two paths, so that no acknowledged write is missing from search once sync has run:

- **Fast path** (``notify``): after a graph write commits, the API enqueues the records it touched; a
  background worker batches them, builds documents from the graph and commits the index about once
  a second (each tantivy commit fsyncs, ~100 ms: one per request would cap writes at ~10/s).
- **Safety net** (``catch_up``): every record carries ``updated_at`` (relationship changes touch both
  ends) and every delete leaves a ``Tombstone``; catch-up re-indexes what changed since the last
  watermark, minus a margin for writes whose timestamp was taken before a slow commit. It runs at
  start-up, after imports and on demand, so a kill -9 between a graph commit and the index commit
  costs nothing but a little catch-up work. The watermark is stored beside the index and only
  advanced after the index commit it covers.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

from graph import schema
from graph.store import GraphStore
from search.documents import DEPENDENTS, DOC_TYPE, INDEXED_LABELS, build_docs
from search.index import SearchIndex

log = logging.getLogger(__name__)

Ref = tuple[str, str]  # (label, id)
MARGIN: Final = timedelta(minutes=5)
CHANGED: Final = "MATCH (n:{label}) WHERE n.tenant = $tenant AND n.updated_at >= $since RETURN n.id AS id"
ALL_IDS: Final = (
    "MATCH (n:{label}) WHERE n.tenant = $tenant AND n.uid > $after "
    "RETURN n.uid AS uid, n.id AS id ORDER BY n.uid LIMIT $limit"
)
DELETED: Final = (
    "MATCH (t:Tombstone) WHERE t.tenant = $tenant AND t.deleted_at >= $since RETURN t.label AS label, t.record_id AS id"
)
COUNT: Final = "MATCH (n:{label}) WHERE n.tenant = $tenant RETURN count(n) AS n"
PAGE: Final = 5000


@dataclass
class SyncReport:
    upserted: int = 0
    deleted: int = 0
    seconds: float = 0.0
    by_type: dict[str, int] = field(default_factory=dict)


class Watermarks:
    """Per-tenant sync watermarks in a small JSON file, replaced atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def get(self, tenant: str) -> datetime | None:
        try:
            raw = json.loads(self.path.read_text()).get(tenant)
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        return datetime.fromisoformat(raw) if raw else None

    def set(self, tenant: str, at: datetime) -> None:
        with self._lock:
            try:
                data = json.loads(self.path.read_text())
            except (FileNotFoundError, json.JSONDecodeError):
                data = {}
            data[tenant] = at.isoformat()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data))
            os.replace(tmp, self.path)


class SearchSync:
    """Graph -> index synchronisation for every tenant of one store and one index."""

    def __init__(self, store: GraphStore, index: SearchIndex, watermarks: Watermarks, *, interval_s: float = 1.0):
        self.store = store
        self.index = index
        self.watermarks = watermarks
        self.interval_s = interval_s
        self._pending: dict[str, set[Ref]] = {}
        self.listeners: list[Callable[[str, list[Ref]], None]] = []
        self._cond = threading.Condition()
        self._worker: threading.Thread | None = None
        self._stopping = False
        self._io = threading.Lock()  # one index writer: every apply/catch-up/rebuild goes through it
        self._flushing = threading.Lock()

    # --- fast path -------------------------------------------------------------------------------
    def notify(self, tenant: str, refs: Iterable[Ref]) -> None:
        """Records changed (or were deleted) in the graph; index them soon. ``listeners`` hear of
        every change, indexed or not (the intelligence caches and KNOWS refresh do)."""
        refs = list(refs)
        for listener in self.listeners:
            listener(tenant, refs)
        refs = [r for r in refs if r[0] in DOC_TYPE]
        if not refs:
            return
        with self._cond:
            self._pending.setdefault(tenant, set()).update(refs)
            self._cond.notify()

    def start(self) -> None:
        if self._worker is None:
            self._stopping = False
            self._worker = threading.Thread(target=self._run, name="search-sync", daemon=True)
            self._worker.start()

    def stop(self) -> None:
        """Index what is pending, then stop the worker."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._worker is not None:
            self._worker.join(timeout=30)
            self._worker = None
        self.flush()

    def flush(self) -> int:
        """Index everything pending now; returns when it is searchable, including what the worker
        had already picked up (so a caller sees its own writes). Returns the records handled."""
        with self._flushing:
            with self._cond:
                pending, self._pending = self._pending, {}
            done = 0
            for tenant, refs in pending.items():
                try:
                    self.apply(tenant, sorted(refs))
                    done += len(refs)
                except Exception:  # the catch-up at the next start re-indexes these
                    log.exception("search sync failed for %d records of %s", len(refs), tenant)
            return done

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                # Gather a batch (one commit for many writes); a stop request ends the wait early.
                self._cond.wait(self.interval_s)
                if self._stopping:
                    return
            self.flush()

    # --- building and applying -------------------------------------------------------------------
    def apply(self, tenant: str, refs: Sequence[Ref]) -> SyncReport:
        """Re-index ``refs`` (and records whose documents show them) from the graph, then commit."""
        report = SyncReport()
        started = time.perf_counter()
        with self._io:
            self._apply(tenant, self._with_dependents(tenant, refs), report)
            self.index.refresh()
        report.seconds = time.perf_counter() - started
        return report

    def _with_dependents(self, tenant: str, refs: Sequence[Ref]) -> list[Ref]:
        out = set(refs)
        for label, rid in refs:
            for dep_label, query in DEPENDENTS.get(label, ()):
                rows = self.store.read(tenant, query, {"uid": schema.uid(tenant, rid)})
                out.update((dep_label, str(r["id"])) for r in rows)
        return sorted(out)

    def _apply(self, tenant: str, refs: Sequence[Ref], report: SyncReport) -> None:
        by_label: dict[str, list[str]] = {}
        for label, rid in refs:
            by_label.setdefault(label, []).append(rid)
        for label, ids in by_label.items():
            docs = build_docs(self.store, tenant, label, ids)
            found = {d.id for d in docs}
            gone = [(DOC_TYPE[label], rid) for rid in ids if rid not in found]
            if docs:
                self.index.upsert(docs)
            if gone:
                self.index.delete(tenant, gone)
            report.upserted += len(docs)
            report.deleted += len(gone)
            report.by_type[DOC_TYPE[label]] = report.by_type.get(DOC_TYPE[label], 0) + len(docs)

    @property
    def stopping(self) -> bool:
        return self._stopping

    def record_count(self, tenant: str) -> int:
        """How many indexable records the tenant has (to decide whether a rebuild is cheap)."""
        total = 0
        for label in INDEXED_LABELS:
            rows = self.store.read(tenant, COUNT.format(label=label), {"tenant": tenant})
            total += int(rows[0]["n"]) if rows else 0
        return total

    # --- safety net ------------------------------------------------------------------------------
    def catch_up(self, tenant: str) -> SyncReport:
        """Re-index what changed since the watermark (everything when there is none)."""
        since = self.watermarks.get(tenant)
        if since is None:
            return self.rebuild(tenant)
        started_at = datetime.now(UTC)
        params = {"tenant": tenant, "since": since - MARGIN}
        refs: list[Ref] = [(r["label"], str(r["id"])) for r in self.store.read(tenant, DELETED, params)]
        for label in INDEXED_LABELS:
            refs += [(label, str(r["id"])) for r in self.store.read(tenant, CHANGED.format(label=label), params)]
        report = self.apply(tenant, refs)
        self.watermarks.set(tenant, started_at)
        return report

    def rebuild(self, tenant: str) -> SyncReport:
        """Drop the tenant's documents and index every record again."""
        report = SyncReport()
        started, started_at = time.perf_counter(), datetime.now(UTC)
        with self._io:
            self.index.delete_tenant(tenant)
            for label in INDEXED_LABELS:
                for ids in self._id_pages(tenant, label):
                    self._apply(tenant, [(label, i) for i in ids], report)
            self.index.refresh()
        self.watermarks.set(tenant, started_at)
        report.seconds = time.perf_counter() - started
        return report

    def _id_pages(self, tenant: str, label: str) -> Iterable[list[str]]:
        after = ""
        while True:
            rows = self.store.read(
                tenant, ALL_IDS.format(label=label), {"tenant": tenant, "after": after, "limit": PAGE}
            )
            if not rows:
                return
            yield [str(r["id"]) for r in rows]
            after = str(rows[-1]["uid"])
