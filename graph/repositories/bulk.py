"""The write side of imports and the demo: batches of parsed rows upserted through the repositories.

Implements ``importers.pipeline.RowWriter`` for one tenant. Node batches go through the idempotent
``base.upsert_nodes`` (custom fields merged key by key, so a later source adds without erasing);
relationship batches through ``links.upsert_links`` after checking which endpoints exist, so a row
pointing at a missing record comes back in ``missing`` for the report instead of vanishing.

On a store that scans DataFrames (``FrameScanner``: the embedded engine), each batch first asks
one ``LOAD FROM`` question over all its keys, answered column-wise: which node ids exist; which
pairs have both endpoints and which of those are already linked. New records then go straight to
the store's bulk insert; only records that exist are read back and compared (``base.upsert_nodes``
for nodes, the stored props for relationships). A first import thus reads one column per batch,
and a re-import pays for the comparison it needs.

Long imports and engine memory: Ladybug 0.22 keeps memory per open database that grows with what
was written in the session (measured after the frame fix in ``graph.backends.embedded``: ~25 MB
per 100k contacts with their employers, past the buffer pool), and frees it when the database is
reopened. A store that can ``recycle(tenant)`` (close it when idle; the next use reopens it) is
asked to every ``recycle_every`` rows written, and whenever the process has grown by more than
``memory_budget_mb`` since the writer started or last recycled, which keeps an import's memory
flat (what the engine holds, that is: memory the caller's own objects take is theirs to bound).

Spooling (``spool_rows``, for stores that can ``COPY``: ``BulkCopier``): records that do not exist
yet are not written batch by batch but held back, column-wise, and written with one ``COPY`` per
label and relationship type once ``spool_rows`` are held and at ``flush()`` (the pipeline calls it
at the end). The engine's bulk loader takes 100k+ rows at ~2-3x the rate of ``LOAD FROM ... CREATE``
in 20k batches, and a relationship with a held-back end needs no lookup of existing links (a record
not yet written has none). A record or link seen again while held back is merged into the held
row (and counted updated or unchanged, as a write would be). Crash safety is unchanged: each COPY is
one transaction, and a run killed before a flush leaves those records unwritten for the next run to
create. Off for imports with placeholder props (mail, calendars), whose reads of stored values a
held-back record would escape.

Lookups while spooling: a label with no records at the writer's first batch of it (a first import)
needs no lookup of ids the writer has not created itself (``_Created`` keeps their hashes); the
stored ends of held links are looked up once per spool (``_Spool.stored``). On the 1M-row HubSpot
bench that took the engine's lookups from ~2.1 s to ~0.3 s (1M contacts, 10k accounts).

Placeholder values: a parser sometimes fills a property with a stand-in (a person seen only by
address gets their address as ``name``) and later, in the same run or another, with the real value.
``placeholders`` names such properties per row; they are written only where the stored value is
empty, so a re-import does not flip a real name back to the address and then forward again (which
would make the second run report updates and rewrite records for nothing).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Final, Protocol, TypeVar, runtime_checkable

import numpy as np
import pandas as pd

from graph import schema
from graph.cypher import set_clause
from graph.errors import DuplicateId, StoreError
from graph.repositories import base, links
from graph.store import GraphStore
from importers.columns import NodeColumns, RelColumns
from importers.pipeline import WriteResult
from importers.rows import NodeRow, RelRow

EXISTING: Final = "UNWIND $uids AS u MATCH (n:{label} {{uid: u}}) RETURN n.uid AS uid"
EXISTING_INTO: Final = (
    "UNWIND $uids AS u MATCH (a:{src})-[r:{rel}]->(b:{dst} {{uid: u}}) RETURN a.uid AS src, b.uid AS dst, r"
)
UPDATE_INTO: Final = (
    "UNWIND $rows AS r0 MATCH (a:{src})-[r:{rel}]->(b:{dst} {{uid: r0.dst}}) WHERE a.uid = r0.src {set}"
)
# Relationship types whose target is the end with few edges (a message has a few participants, its
# sender thousands of messages; a deal one owner, the owner thousands of deals): their existing pairs
# are looked up from the target. Looking them up from the source re-read every edge of a busy sender
# for every batch: the write side of a mail import grew with the square of the mailbox.
ANCHOR_AT_TARGET: Final = frozenset({"PARTICIPATED_IN", "OWNS"})
SOME_NODE: Final = "MATCH (n:{label}) WHERE n.tenant = $tenant RETURN n.uid AS uid LIMIT 1"
STORED_PROPS: Final = "UNWIND $uids AS u MATCH (n:{label} {{uid: u}}) RETURN n.id AS id, {columns}"
# The batch lookups on stores that scan DataFrames (``$frame`` has an ``idx`` column numbering its
# rows): which ids exist; which pairs have both endpoints and whether they are linked; the stored
# props of linked pairs.
SCAN_IDS: Final = "LOAD FROM $frame MATCH (n:{label} {{uid: uid}}) RETURN idx"
SCAN_PAIRS: Final = (
    "LOAD FROM $frame MATCH (a:{src} {{uid: src_uid}}) MATCH (b:{dst} {{uid: dst_uid}}) "
    "OPTIONAL MATCH (a)-[r:{rel}]->(b) RETURN idx, r IS NOT NULL AS linked"
)
SCAN_LINKED: Final = (
    "LOAD FROM $frame MATCH (a:{src} {{uid: src_uid}}) MATCH (b:{dst} {{uid: dst_uid}}) "
    "MATCH (a)-[r:{rel}]->(b) RETURN src_uid, dst_uid{columns}"
)
CHUNK: Final = 5000
SCAN_CHUNK: Final = 50_000
RECYCLE_EVERY: Final = 150_000
# The engine's pages of a growing database fill its buffer pool a little more in every session
# (a 1 GB mbox: +144 MB in the first 150k rows written, +239 MB in the last): the database is also
# recycled whenever this process has grown by this much since the writer started or last recycled.
# One flush can still add up to ~80 MB (an interaction batch with bodies); a reopen costs ~0.1 s.
# 1 GB mbox, 256 MB pool: 128 MB peaked at 503 MB (importer + parser) and 3,961 msg/s; 96 MB at
# 453 MB and 3,374 msg/s; 64 MB ~300 MB but 60% slower.
MEMORY_BUDGET_MB: Final = 96

# Rows held back for COPY before a flush (nodes and relationships together); the held rows cost ~150
# bytes a column-value less than row dicts would. The 1M-row HubSpot bench, interleaved runs on 2
# cores: 500k a COPY 38,665 rows/s (importer 22.2 CPU s), peak RSS importer + parser ~0.9-1.0 GB;
# 200k 35,522 rows/s (26.3 CPU s), ~0.65 GB. Fewer and larger COPYs: each commits with a checkpoint
# (~40% of a COPY's time) and is followed by a recycle; the engine's cost per COPY grows with the table.
SPOOL_ROWS: Final = 500_000

Placeholders = Callable[[NodeRow], Collection[str]]
"""Which props of a row are stand-ins, to be written only where the stored value is empty."""


@runtime_checkable
class FrameScanner(Protocol):
    """A store that runs ``LOAD FROM $frame`` reads over a DataFrame (the embedded engine)."""

    def scan_rows(self, tenant: str, query: str, frame: pd.DataFrame) -> list[dict[str, Any]]:
        """The rows of ``query``, which scans ``frame`` as ``$frame``."""
        ...

    def scan_columns(self, tenant: str, query: str, frame: pd.DataFrame) -> pd.DataFrame:
        """The same answer as a DataFrame."""
        ...


@runtime_checkable
class BulkCopier(Protocol):
    """A store with a bulk loader for records known to be new (the embedded engine's ``COPY``)."""

    def copy_nodes(self, tenant: str, label: str, columns: Mapping[str, Sequence[Any]]) -> int:
        """Create nodes from columns (``uid``, ``id``, ... as stored); ``DuplicateId`` if any exists."""
        ...

    def copy_rels(self, tenant: str, rel_type: str, src: str, dst: str, columns: Mapping[str, Sequence[Any]]) -> int:
        """Create relationships from columns ``src``, ``dst`` (uids) and props; endpoints must exist."""
        ...


@runtime_checkable
class Recyclable(Protocol):
    """A store that can release a tenant's engine memory between writes."""

    def recycle(self, tenant: str) -> bool:
        """Close the tenant's database if nobody is using it (it reopens on next use); True if closed."""
        ...


def rss_mb() -> float:
    """This process's resident memory in MB (Linux ``/proc``; 0 where it cannot be read)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            resident = int(fh.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    return resident * _PAGE / (1024 * 1024)


_PAGE: Final = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _new_rows(spec: schema.NodeSpec, tenant: str, fields: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """``base.full_row(spec, tenant, id, base.to_stored(spec, f), ...)`` for each of ``fields``, as
    the embedded store's bulk insert takes them: without the columns left unset (its frame reads
    absent keys as null), which saves building an 18-key dict of Nones a row."""
    props = spec.props
    prefix = f"{tenant}/"
    out = []
    for f in fields:
        record_id = str(f["id"])
        row = {k: v for k, v in f.items() if k in props}
        custom = f.get("custom")
        row["custom"] = json.dumps(custom, sort_keys=True, default=str) if custom else "{}"
        row["uid"] = prefix + record_id
        row["tenant"] = tenant
        row["id"] = record_id
        row["created_at"] = now
        row["updated_at"] = now
        out.append(row)
    return out


def _by_props(rows: list[dict[str, Any]], spec: schema.RelSpec) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(k for k in spec.props if k in row), []).append(row)
    return {names: group for names, group in groups.items() if names}


PropsAt = Callable[[int], Mapping[str, Any]]
"""The props of a batch's row by its position."""
B = TypeVar("B", NodeColumns, RelColumns)
R = TypeVar("R", NodeRow, RelRow)


def _props_of(batch: NodeColumns | RelColumns, rows: Sequence[NodeRow] | Sequence[RelRow] | None) -> PropsAt:
    """A row's props as given when the batch came as rows (a None there means null), else from its
    columns (None there: not given)."""
    if rows is None:
        return batch.props_at
    return lambda at: rows[at].props


def _take(batch: B, rows: Sequence[R] | None, at: Sequence[int]) -> tuple[B, list[R] | None]:
    """The rows at ``at`` of a batch, and of the rows it was made of when there are some."""
    return batch.take(at), (None if rows is None else [rows[i] for i in at])


class _HeldNodes:
    """New nodes of one label held back for COPY, as columns (stored form: ``custom`` as JSON)."""

    def __init__(self, spec: schema.NodeSpec) -> None:
        self.spec = spec
        self.index: dict[str, int] = {}  # record id -> row
        self.columns: dict[str, list[Any]] = {name: [] for name in spec.columns}
        self.given: set[str] = set(schema.COMMON_NODE_PROPS)  # columns some held row has a value in

    def __len__(self) -> int:
        return len(self.index)

    def add(self, tenant: str, batch: NodeColumns, now: datetime) -> None:
        """Append new records (ids not held yet, unique) as ``_new_rows`` would store them. A batch's
        columns are taken as they are (a column it lacks is null), one list extension each."""
        columns, index = self.columns, self.index
        ids, given = batch.ids, batch.props
        size, count = len(index), len(ids)
        index.update(zip(ids, range(size, size + count), strict=True))
        self.given.update(given)
        for name in self.spec.props:
            values = given.get(name)
            columns[name] += [None] * count if values is None else values
        prefix = f"{tenant}/"
        columns["id"] += ids
        columns["uid"] += [prefix + i for i in ids]
        columns["tenant"] += [tenant] * count
        columns["created_at"] += [now] * count
        columns["updated_at"] += [now] * count
        customs = given.get("custom")
        if customs is None:
            columns["custom"] += ["{}"] * count
        else:
            dumps = json.dumps
            columns["custom"] += [dumps(c, sort_keys=True, default=str) if c else "{}" for c in customs]

    def merge(self, record_id: str, props: Mapping[str, Any]) -> bool:
        """Fold a later row of a held id into it (props replace, custom merged key by key); changed?"""
        at = self.index[record_id]
        changed = False
        for name, value in props.items():
            if name == "custom":
                if not value:
                    continue
                text = json.dumps({**json.loads(self.columns["custom"][at]), **value}, sort_keys=True, default=str)
                value = text
            elif name not in self.spec.props:
                continue
            column = self.columns[name]
            if column[at] != value:
                column[at] = value
                self.given.add(name)
                changed = True
        return changed

    def written(self) -> dict[str, list[Any]]:
        """The columns to COPY: those some row has a value in (the others are null anyway)."""
        return {name: values for name, values in self.columns.items() if name in self.given}

    def rows(self, ids: Collection[str]) -> list[dict[str, Any]]:
        """The held rows of ``ids`` as fields for ``base.upsert_nodes`` (custom as a dict)."""
        out = []
        for record_id in ids:
            at = self.index[record_id]
            row = {name: self.columns[name][at] for name in self.spec.props if self.columns[name][at] is not None}
            row["custom"] = json.loads(self.columns["custom"][at])
            row["id"] = record_id
            out.append(row)
        return out


class _HeldLinks:
    """New relationships of one (type, source label, target label) held back for COPY."""

    def __init__(self, spec: schema.RelSpec) -> None:
        self.spec = spec
        self.index: dict[tuple[str, str], int] = {}  # (src uid, dst uid) -> row
        self.columns: dict[str, list[Any]] = {"src": [], "dst": [], **{name: [] for name in spec.props}}
        self.given: set[str] = {"src", "dst"}

    def __len__(self) -> int:
        return len(self.index)

    def add(self, latest: dict[tuple[str, str], int], batch: RelColumns, props_at: PropsAt) -> tuple[int, int, int]:
        """Hold new pairs, merge props into held ones: (created, updated, unchanged). ``latest`` maps
        each pair (uids) to its row in ``batch`` (the last one, when a pair comes twice)."""
        index, columns = self.index, self.columns
        names = self.spec.props
        updated = unchanged = 0
        new = list(latest) if index.keys().isdisjoint(latest) else [pair for pair in latest if pair not in index]
        if len(new) < len(latest):
            for pair, row in latest.items():
                at = index.get(pair)
                if at is None:
                    continue
                changed = False
                for name, value in props_at(row).items():
                    if name in names and columns[name][at] != value:
                        columns[name][at] = value
                        self.given.add(name)
                        changed = True
                updated += changed
                unchanged += not changed
        size, count = len(columns["src"]), len(new)
        index.update(zip(new, range(size, size + count), strict=True))
        columns["src"] += [pair[0] for pair in new]
        columns["dst"] += [pair[1] for pair in new]
        given = [name for name in names if name in batch.props]
        self.given.update(given)
        if count == len(batch):  # every row a new pair, in order: the batch's columns as they are
            for name in names:
                columns[name] += batch.props[name] if name in batch.props else [None] * count
        else:
            rows = [latest[pair] for pair in new]
            for name in names:
                values = batch.props.get(name)
                columns[name] += [None] * count if values is None else [values[at] for at in rows]
        return count, updated, unchanged

    def written(self) -> dict[str, list[Any]]:
        """The columns to COPY: the ends and the props some held link has a value for."""
        return {name: values for name, values in self.columns.items() if name in self.given}


class _Created:
    """The ids of one label this writer created, kept for a label that had no records when the writer
    first wrote it: an id not among them does not exist (unless another writer created it since, which
    COPY reports as a duplicate: ``_copy_nodes`` then merges it), so only ids that may be among them
    need looking up. Held as 64-bit hashes, 8 bytes an id once merged into the sorted array; a hash
    that matches by chance costs one needless lookup, never a wrong answer."""

    MERGE_AT: Final = 100_000

    def __init__(self) -> None:
        self.merged = np.empty(0, dtype=np.int64)
        self.recent: set[int] = set()

    def add(self, ids: Sequence[str]) -> None:
        self.recent.update(map(hash, ids))
        if len(self.recent) >= self.MERGE_AT:
            fresh = np.sort(np.fromiter(self.recent, dtype=np.int64, count=len(self.recent)))
            # two sorted runs: a stable sort merges them in one pass (np.union1d sorted it all again)
            self.merged = np.sort(np.concatenate((self.merged, fresh)), kind="stable")
            self.recent = set()

    def maybe(self, ids: Sequence[str]) -> list[str]:
        """The ids that may have been created here (the others certainly were not)."""
        hashes = np.fromiter(map(hash, ids), dtype=np.int64, count=len(ids))
        hit = np.zeros(len(ids), dtype=bool)
        if len(self.merged):
            # searched in sorted order, the table is walked once instead of at random (~6x faster)
            order = np.argsort(hashes)
            ordered = hashes[order]
            at = np.minimum(np.searchsorted(self.merged, ordered), len(self.merged) - 1)
            hit[order] = self.merged[at] == ordered
        recent = self.recent
        if recent and not recent.isdisjoint(keys := hashes.tolist()):
            hit |= np.fromiter((k in recent for k in keys), dtype=bool, count=len(ids))
        return [ids[at] for at in np.flatnonzero(hit).tolist()]


class _Spool:
    def __init__(self) -> None:
        self.nodes: dict[str, _HeldNodes] = {}
        self.links: dict[tuple[str, str, str], _HeldLinks] = {}
        self.size = 0
        # Per label, the stored ids that ends of held links were found among while this spool fills:
        # the next batches' links to them (the same few accounts, owners, deals) are not looked up
        # again. Checked as before when the spool is written: a COPY of links fails as a whole if an
        # end was deleted meanwhile, and the row-wise insert then skips such pairs.
        self.stored: dict[str, set[str]] = {}

    def held(self, label: str) -> dict[str, int]:
        nodes = self.nodes.get(label)
        return nodes.index if nodes is not None else {}


class StoreRowWriter:
    """``RowWriter`` over a ``GraphStore`` for one tenant."""

    def __init__(
        self,
        store: GraphStore,
        tenant: str,
        *,
        placeholders: Placeholders | None = None,
        recycle_every: int | None = RECYCLE_EVERY,
        memory_budget_mb: int | None = MEMORY_BUDGET_MB,
        spool_rows: int | None = None,
    ) -> None:
        """``spool_rows``: hold new records back for COPY, up to this many rows (module docstring);
        only on a store that is a ``FrameScanner`` and a ``BulkCopier``, and without placeholders."""
        self.store = store
        self.tenant = tenant
        self.placeholders = placeholders
        self.recycle_every = recycle_every
        self.memory_budget_mb = memory_budget_mb
        self._written = 0
        self._rss_base = rss_mb()
        can_copy = isinstance(store, FrameScanner) and isinstance(store, BulkCopier) and placeholders is None
        self.spool_rows = spool_rows if spool_rows and can_copy else None
        self._spool = _Spool()
        self._created: dict[str, _Created | None] = {}  # per label (None: had records: look every id up)

    def upsert_nodes(self, label: str, rows: Sequence[NodeRow]) -> WriteResult:
        if self.placeholders is not None:
            rows = self._without_stored_placeholders(label, rows)
        if self.spool_rows is not None and isinstance(self.store, FrameScanner):
            res = self._upsert_nodes_held(self.store, NodeColumns.of(label, rows), rows)  # counts its own writes
            return WriteResult(created=res.created, updated=res.updated, unchanged=res.unchanged)
        fields = [{**r.props, "id": r.id} for r in rows]
        if isinstance(self.store, FrameScanner):
            res = self._upsert_nodes_scanned(self.store, label, fields)
        else:
            res = base.upsert_nodes(store=self.store, tenant=self.tenant, label=label, rows=fields, merge_custom=True)
        self._count(res.created + res.updated)
        return WriteResult(created=res.created, updated=res.updated, unchanged=res.unchanged)

    def _upsert_nodes_scanned(self, store: FrameScanner, label: str, fields: list[dict[str, Any]]) -> base.UpsertResult:
        """``base.upsert_nodes`` after one column-wise lookup: new ids are inserted here directly,
        existing ones go through ``base.upsert_nodes`` (read back, compared, updated)."""
        spec = schema.node_spec(label)
        latest = {str(f["id"]): f for f in fields}  # duplicate ids: the last wins, as upsert_nodes does
        ids = list(latest)
        exists = self._found(store, SCAN_IDS.format(label=label), {"uid": [f"{self.tenant}/{i}" for i in ids]})
        old = [latest[i] for i, seen in zip(ids, exists, strict=True) if seen]
        new = [latest[i] for i, seen in zip(ids, exists, strict=True) if not seen]
        result = base.UpsertResult()
        if old:
            result += base.upsert_nodes(store=self.store, tenant=self.tenant, label=label, rows=old, merge_custom=True)
        if new:
            creates = _new_rows(spec, self.tenant, new, base.now_utc())
            try:
                self.store.bulk_insert_nodes(self.tenant, label, creates)
            except DuplicateId:  # a concurrent writer created some of them: the general path sorts it out
                return result + base.upsert_nodes(
                    store=self.store, tenant=self.tenant, label=label, rows=new, merge_custom=True
                )
            result += base.UpsertResult(created=len(creates))
        return result

    def upsert_node_columns(self, batch: NodeColumns) -> WriteResult:
        """``upsert_nodes`` of a batch as columns (ids unique): held as they are when spooling."""
        if self.spool_rows is None or not isinstance(self.store, FrameScanner):
            return self.upsert_nodes(batch.label, batch.rows())
        res = self._upsert_nodes_held(self.store, batch, None)
        return WriteResult(created=res.created, updated=res.updated, unchanged=res.unchanged)

    def _upsert_nodes_held(
        self, store: FrameScanner, batch: NodeColumns, rows: Sequence[NodeRow] | None
    ) -> base.UpsertResult:
        """``_upsert_nodes_scanned`` with the new ids held back for COPY (``flush``). ``rows``: the
        batch as the rows it was made of, when it was (their props as given: a None there sets null
        on a stored record, where a column's None means "not given").

        A full spool is flushed before a node batch, not after it: the links that follow the batch
        then still find its records held (no lookups of their links)."""
        self._flush_when_full()
        label = batch.label
        held = self._spool.nodes.get(label)
        if held is None:
            held = self._spool.nodes[label] = _HeldNodes(schema.node_spec(label))
        result = base.UpsertResult()
        index = held.index
        again = [] if index.keys().isdisjoint(batch.ids) else [at for at, i in enumerate(batch.ids) if i in index]
        if again:
            props_at = _props_of(batch, rows)
            for at in again:
                changed = held.merge(batch.ids[at], props_at(at))
                result += base.UpsertResult(updated=1) if changed else base.UpsertResult(unchanged=1)
            batch, rows = _take(batch, rows, [at for at, i in enumerate(batch.ids) if i not in index])
        ids = batch.ids
        if not ids:
            return result
        created = self._created_here(label)
        if created is None:
            exists = self._found(store, SCAN_IDS.format(label=label), {"uid": [f"{self.tenant}/{i}" for i in ids]})
            old_at = np.flatnonzero(exists).tolist()
        else:  # ask only about the ids this writer may have created
            asked = created.maybe(ids)
            found = self._stored(store, label, set(asked)) if asked else set()
            old_at = [at for at, i in enumerate(ids) if i in found] if found else []
        new = batch
        if old_at:
            props_at = _props_of(batch, rows)
            old = [{**props_at(at), "id": ids[at]} for at in old_at]
            updated = base.upsert_nodes(store=self.store, tenant=self.tenant, label=label, rows=old, merge_custom=True)
            self._count(updated.created + updated.updated)
            result += updated
            stored = set(old_at)
            new = batch.take([at for at in range(len(ids)) if at not in stored])
        if created is not None:
            created.add(new.ids)
        if len(new):
            held.add(self.tenant, new, base.now_utc())
            self._spool.size += len(new)
            result += base.UpsertResult(created=len(new))
        return result

    def _created_here(self, label: str) -> _Created | None:
        """What ``_Created`` keeps for ``label``, when the tenant had no records of it at this writer's
        first batch (uids carry the tenant: other tenants' records cannot be among the ids)."""
        if label not in self._created:
            query = SOME_NODE.format(label=label)
            had = self.store.read(self.tenant, query, {"tenant": self.tenant})
            self._created[label] = None if had else _Created()
        return self._created[label]

    def _flush_when_full(self) -> None:
        if self.spool_rows is not None and self._spool.size >= self.spool_rows:
            self.flush()

    def flush(self) -> None:
        """Write what is held back: nodes first (one COPY per label), then relationships."""
        spool, self._spool = self._spool, _Spool()
        if not spool.size:
            return
        written = self._write_held(spool)
        del spool  # before a recycle's full collection, which would walk every held value
        self._count(written)

    def _write_held(self, spool: _Spool) -> int:
        written = 0
        for label, held in spool.nodes.items():
            if len(held):
                written += self._copy_nodes(label, held)
        for (rel, src, dst), pending in spool.links.items():
            if len(pending):
                written += self._copy_links(rel, src, dst, pending)
        return written

    def _copy_nodes(self, label: str, held: _HeldNodes) -> int:
        assert isinstance(self.store, BulkCopier) and isinstance(self.store, FrameScanner)
        try:
            return self.store.copy_nodes(self.tenant, label, held.written())
        except DuplicateId:
            pass  # a concurrent writer created some of them: write those through the general path
        ids = list(held.index)
        exists = self._found(self.store, SCAN_IDS.format(label=label), {"uid": [f"{self.tenant}/{i}" for i in ids]})
        taken = [i for i, seen in zip(ids, exists, strict=True) if seen]
        base.upsert_nodes(store=self.store, tenant=self.tenant, label=label, rows=held.rows(taken), merge_custom=True)
        free = [i for i, seen in zip(ids, exists, strict=True) if not seen]
        if free:
            rows = _new_rows(held.spec, self.tenant, held.rows(free), base.now_utc())
            self.store.bulk_insert_nodes(self.tenant, label, rows)
        return len(ids)

    def _copy_links(self, rel: str, src: str, dst: str, pending: _HeldLinks) -> int:
        assert isinstance(self.store, BulkCopier)
        try:
            return self.store.copy_rels(self.tenant, rel, src, dst, pending.written())
        except StoreError:
            # an endpoint checked when the link was held is gone (deleted meanwhile): create the
            # others (the row-wise insert skips a pair whose end is missing)
            names = list(pending.columns)
            rows = [dict(zip(names, values, strict=True)) for values in zip(*pending.columns.values(), strict=True)]
            return self.store.bulk_insert_rels(self.tenant, rel, src, dst, rows)

    def _found(self, store: FrameScanner, query: str, columns: dict[str, list[str]]) -> np.ndarray:
        """Which rows of ``columns`` the lookup ``query`` returns (by their ``idx``), as a bool array."""
        size = len(next(iter(columns.values())))
        found = np.zeros(size, dtype=bool)
        for start in range(0, size, SCAN_CHUNK):
            stop = min(size, start + SCAN_CHUNK)
            frame = pd.DataFrame(
                {
                    "idx": np.arange(start, stop, dtype=np.int64),
                    **{name: pd.Series(values[start:stop], dtype=object) for name, values in columns.items()},
                }
            )
            answer = store.scan_columns(self.tenant, query, frame)
            found[answer["idx"].to_numpy(dtype=np.int64)] = True
        return found

    def upsert_rels(self, rel_type: str, src_label: str, dst_label: str, rows: Sequence[RelRow]) -> WriteResult:
        if self.spool_rows is not None and isinstance(self.store, FrameScanner):
            batch = RelColumns.of((rel_type, src_label, dst_label), rows)
            return self._upsert_rels_held(self.store, batch, rows)
        if isinstance(self.store, FrameScanner):
            return self._upsert_rels_scanned(self.store, rel_type, src_label, dst_label, rows)
        uid = schema.uid
        srcs = self._existing(src_label, {uid(self.tenant, r.src_id) for r in rows})
        dsts = self._existing(dst_label, {uid(self.tenant, r.dst_id) for r in rows})
        ok, missing = [], []
        for r in rows:
            s, d = uid(self.tenant, r.src_id), uid(self.tenant, r.dst_id)
            if s in srcs and d in dsts:
                ok.append(
                    {"src": s, "dst": d, **{k: v for k, v in r.props.items() if k in schema.RELS[rel_type].props}}
                )
            else:
                missing.append(r)
        created, updated, unchanged = (0, 0, 0)
        if ok and rel_type in ANCHOR_AT_TARGET:
            created, updated, unchanged = self._upsert_into(rel_type, src_label, dst_label, ok)
        elif ok:
            created, updated, unchanged = links.upsert_links(
                self.store, self.tenant, rel=rel_type, src=src_label, dst=dst_label, rows=ok
            )
        self._count(created + updated)
        return WriteResult(created=created, updated=updated, unchanged=unchanged, missing=missing)

    def _upsert_rels_scanned(
        self, store: FrameScanner, rel: str, src: str, dst: str, rows: Sequence[RelRow]
    ) -> WriteResult:
        """``upsert_rels`` with one column-wise lookup per batch (endpoints and links together);
        the stored props are read only for pairs already linked."""
        spec = schema.RELS[rel]
        prefix = f"{self.tenant}/"
        keys = [(prefix + r.src_id, prefix + r.dst_id) for r in rows]
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        for key, r in zip(keys, rows, strict=True):
            latest[key] = {k: v for k, v in r.props.items() if k in spec.props}
        pairs = list(latest)
        present, linked = self._pairs(store, SCAN_PAIRS.format(src=src, dst=dst, rel=rel), pairs)
        ok = {pair for pair, seen in zip(pairs, present, strict=True) if seen}
        missing = [r for key, r in zip(keys, rows, strict=True) if key not in ok]
        creates = [
            {"src": pair[0], "dst": pair[1], **latest[pair]}
            for pair, seen, done in zip(pairs, present, linked, strict=True)
            if seen and not done
        ]
        stored = self._linked_props(store, spec, src, dst, [p for p, done in zip(pairs, linked, strict=True) if done])
        updates = [
            {"src": pair[0], "dst": pair[1], **props}
            for pair, props in ((p, latest[p]) for p in stored)
            if any(stored[pair].get(k) != v for k, v in props.items())
        ]
        created = self.store.bulk_insert_rels(self.tenant, rel, src, dst, creates) if creates else 0
        template = UPDATE_INTO if rel in ANCHOR_AT_TARGET else links.UPDATE_PAIRS
        for names, group in _by_props(updates, spec).items():
            setc = set_clause(self.store.dialect, "r", [(k, spec.props[k]) for k in names], source="r0")
            self.store.write(self.tenant, template.format(src=src, rel=rel, dst=dst, set=setc), {"rows": group})
        unchanged = len(ok) - len(creates) - len(updates)
        self._count(created + len(updates))
        return WriteResult(created=created, updated=len(updates), unchanged=unchanged, missing=missing)

    def upsert_rel_columns(self, batch: RelColumns) -> WriteResult:
        """``upsert_rels`` of a batch as columns: its new links held as they are when spooling."""
        if self.spool_rows is None or not isinstance(self.store, FrameScanner):
            return self.upsert_rels(batch.type, batch.src_label, batch.dst_label, batch.rows())
        return self._upsert_rels_held(self.store, batch, None)

    def _upsert_rels_held(self, store: FrameScanner, batch: RelColumns, rows: Sequence[RelRow] | None) -> WriteResult:
        """``_upsert_rels_scanned`` for pairs with no held-back end; a pair with one is new unless
        held itself (its held end has no links yet), and is held back too once its other end is
        known to exist. ``rows`` as in ``_upsert_nodes_held``."""
        rel, src, dst = batch.key
        held_src, held_dst = self._spool.held(src), self._spool.held(dst)
        all_src = all(map(held_src.__contains__, batch.src_ids))  # a batch of links of new records
        all_dst = not all_src and all(map(held_dst.__contains__, batch.dst_ids))
        mine: Sequence[int] = range(len(batch))
        if not all_src and not all_dst:
            ends = enumerate(zip(batch.src_ids, batch.dst_ids, strict=True))
            mine = [at for at, (s, d) in ends if s in held_src or d in held_dst] if held_src or held_dst else []
        if len(mine) < len(batch):
            chosen = set(mine)
            rest, rest_rows = _take(batch, rows, [at for at in range(len(batch)) if at not in chosen])
            result = self._upsert_rels_scanned(store, rel, src, dst, rest_rows or rest.rows())
            if not mine:
                return result
            batch, rows = _take(batch, rows, mine)
        else:
            result = WriteResult()
        srcs, dsts = batch.src_ids, batch.dst_ids
        out_src = set() if all_src else {s for s in set(srcs) if s not in held_src}
        out_dst = {d for d in set(dsts) if d not in held_dst}
        stored_src = self._stored_ends(store, src, out_src)
        stored_dst = self._stored_ends(store, dst, out_dst)
        prefix = f"{self.tenant}/"
        latest: dict[tuple[str, str], int]  # pair (uids) -> its last row in the batch
        if out_src <= stored_src and out_dst <= stored_dst:  # every end exists: every link is kept
            pairs = zip(map(prefix.__add__, srcs), map(prefix.__add__, dsts), strict=True)
            latest = dict(zip(pairs, range(len(srcs)), strict=True))
        else:
            latest = {}
            for at, (s, d) in enumerate(zip(srcs, dsts, strict=True)):
                if (s in held_src or s in stored_src) and (d in held_dst or d in stored_dst):
                    latest[(prefix + s, prefix + d)] = at
                else:
                    result.missing.append(rows[at] if rows is not None else batch.row(at))
        pending = self._spool.links.get(batch.key)
        if pending is None:
            pending = self._spool.links[batch.key] = _HeldLinks(schema.RELS[rel])
        created, updated, unchanged = pending.add(latest, batch, _props_of(batch, rows))
        result.created += created
        result.updated += updated
        result.unchanged += unchanged
        self._spool.size += created
        self._flush_when_full()
        return result

    def _stored_ends(self, store: FrameScanner, label: str, ids: set[str]) -> set[str]:
        """``_stored`` for the ends of links to hold, remembered while the spool fills."""
        known = self._spool.stored.setdefault(label, set())
        found = self._stored(store, label, ids - known)
        known |= found
        return found | (ids & known)

    def _stored(self, store: FrameScanner, label: str, ids: set[str]) -> set[str]:
        """Which of ``ids`` exist in the store."""
        if not ids:
            return set()
        ordered = list(ids)
        found = self._found(store, SCAN_IDS.format(label=label), {"uid": [f"{self.tenant}/{i}" for i in ordered]})
        return {i for i, seen in zip(ordered, found, strict=True) if seen}

    def _pairs(self, store: FrameScanner, query: str, pairs: list[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
        """Per pair: both endpoints exist; they are already linked."""
        present = np.zeros(len(pairs), dtype=bool)
        linked = np.zeros(len(pairs), dtype=bool)
        for start in range(0, len(pairs), SCAN_CHUNK):
            chunk = pairs[start : start + SCAN_CHUNK]
            frame = pd.DataFrame(
                {
                    "idx": np.arange(start, start + len(chunk), dtype=np.int64),
                    "src_uid": pd.Series([p[0] for p in chunk], dtype=object),
                    "dst_uid": pd.Series([p[1] for p in chunk], dtype=object),
                }
            )
            answer = store.scan_columns(self.tenant, query, frame)
            idx = answer["idx"].to_numpy(dtype=np.int64)
            present[idx] = True
            linked[idx[answer["linked"].to_numpy(dtype=bool)]] = True
        return present, linked

    def _linked_props(
        self, store: FrameScanner, spec: schema.RelSpec, src: str, dst: str, pairs: list[tuple[str, str]]
    ) -> dict[tuple[str, str], dict[str, Any]]:
        """The stored props of linked pairs (empty dicts for a type without props)."""
        if not spec.props:
            return {pair: {} for pair in pairs}
        out: dict[tuple[str, str], dict[str, Any]] = {}
        columns = "".join(f", r.{k} AS {k}" for k in spec.props)
        query = SCAN_LINKED.format(src=src, dst=dst, rel=spec.type, columns=columns)
        for start in range(0, len(pairs), SCAN_CHUNK):
            chunk = pairs[start : start + SCAN_CHUNK]
            frame = pd.DataFrame(
                {
                    "src_uid": pd.Series([p[0] for p in chunk], dtype=object),
                    "dst_uid": pd.Series([p[1] for p in chunk], dtype=object),
                }
            )
            for rec in store.scan_rows(self.tenant, query, frame):
                out.setdefault((rec["src_uid"], rec["dst_uid"]), rec)
        return out

    def _upsert_into(self, rel: str, src: str, dst: str, rows: Sequence[dict[str, Any]]) -> tuple[int, int, int]:
        """``links.upsert_links`` with the existing pairs read from the targets' side."""
        spec = schema.RELS[rel]
        latest = {(r["src"], r["dst"]): r for r in rows}
        existing: dict[tuple[str, str], dict[str, Any]] = {}
        dsts = sorted({d for _, d in latest})
        query = EXISTING_INTO.format(src=src, rel=rel, dst=dst)
        for i in range(0, len(dsts), CHUNK):
            for row in self.store.read(self.tenant, query, {"uids": dsts[i : i + CHUNK]}):
                existing[(str(row["src"]), str(row["dst"]))] = row["r"]
        creates, updates = [], []
        for key, row in latest.items():
            props = {k: row.get(k) for k in spec.props}
            if key not in existing:
                creates.append({"src": key[0], "dst": key[1], **props})
            elif any(existing[key].get(k) != v for k, v in props.items() if k in row):
                updates.append(row)
        created = self.store.bulk_insert_rels(self.tenant, rel, src, dst, creates) if creates else 0
        for names, group in _by_props(updates, spec).items():
            setc = set_clause(self.store.dialect, "r", [(k, spec.props[k]) for k in names], source="r0")
            self.store.write(self.tenant, UPDATE_INTO.format(src=src, rel=rel, dst=dst, set=setc), {"rows": group})
        return created, len(updates), len(latest) - len(creates) - len(updates)

    def _count(self, written: int) -> None:
        self._written += written
        if self.recycle_every is None or not isinstance(self.store, Recyclable):
            return
        grown = self.memory_budget_mb is not None and rss_mb() - self._rss_base > self.memory_budget_mb
        if (self._written >= self.recycle_every or grown) and self.store.recycle(self.tenant):
            self._written = 0
            self._rss_base = rss_mb()  # what the process holds besides the engine's session

    def _existing(self, label: str, uids: set[str]) -> set[str]:
        found: set[str] = set()
        ordered = sorted(uids)
        for i in range(0, len(ordered), CHUNK):
            rows = self.store.read(self.tenant, EXISTING.format(label=label), {"uids": ordered[i : i + CHUNK]})
            found.update(str(r["uid"]) for r in rows)
        return found

    def _without_stored_placeholders(self, label: str, rows: Sequence[NodeRow]) -> list[NodeRow]:
        """Drop placeholder props from rows whose stored record already has a value for them."""
        assert self.placeholders is not None
        marked = {r.id: set(self.placeholders(r)) for r in rows}
        marked = {rid: props for rid, props in marked.items() if props}
        if not marked:
            return list(rows)
        spec = schema.node_spec(label)
        names = sorted({p for props in marked.values() for p in props if p in spec.props})
        if not names:
            return list(rows)
        stored: dict[str, dict[str, object]] = {}
        query = STORED_PROPS.format(label=label, columns=", ".join(f"n.{p} AS {p}" for p in names))
        ordered = sorted(marked)
        for i in range(0, len(ordered), CHUNK):
            uids = [schema.uid(self.tenant, rid) for rid in ordered[i : i + CHUNK]]
            for rec in self.store.read(self.tenant, query, {"uids": uids}):
                stored[str(rec["id"])] = rec
        out = []
        for row in rows:
            have = stored.get(row.id)
            drop = {p for p in marked.get(row.id, ()) if have is not None and have.get(p) not in (None, "", [])}
            kept = {k: v for k, v in row.props.items() if k not in drop}
            out.append(NodeRow(row.label, row.id, kept) if drop else row)
        return out
