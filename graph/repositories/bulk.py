"""The write side of imports and the demo: batches of parsed rows upserted through the repositories.

Implements ``importers.pipeline.RowWriter`` for one tenant. Node batches go through the idempotent
``base.upsert_nodes`` (custom fields merged key by key, so a later source adds without erasing);
relationship batches through ``links.upsert_links`` after checking which endpoints exist, so a row
pointing at a missing record comes back in ``missing`` for the report instead of vanishing.

Long imports and engine memory: Ladybug 0.22 keeps memory per open database that grows with what
was written in the session (about 5 KB per 2 KB interaction, past the buffer pool; a 250k-message
import reached 1.5 GB and then failed a checkpoint), and frees it when the database is reopened. A
store that can ``recycle(tenant)`` (close it when idle; the next use reopens it) is asked to every
``recycle_every`` rows written, which keeps an import's memory flat.

Placeholder values: a parser sometimes fills a property with a stand-in (a person seen only by
address gets their address as ``name``) and later, in the same run or another, with the real value.
``placeholders`` names such properties per row; they are written only where the stored value is
empty, so a re-import does not flip a real name back to the address and then forward again (which
would make the second run report updates and rewrite records for nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any, Final, Protocol, runtime_checkable

import pandas as pd

from graph import schema
from graph.cypher import set_clause
from graph.repositories import base, links
from graph.store import GraphStore
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
STORED_PROPS: Final = "UNWIND $uids AS u MATCH (n:{label} {{uid: u}}) RETURN n.id AS id, {columns}"
# One lookup per batch on stores that scan DataFrames: which pairs have both endpoints, and the
# stored props of those already linked. The rows of pairs with a missing endpoint are absent.
SCAN_PAIRS: Final = (
    "LOAD FROM $frame MATCH (a:{src} {{uid: src_uid}}) MATCH (b:{dst} {{uid: dst_uid}}) "
    "OPTIONAL MATCH (a)-[r:{rel}]->(b) RETURN src_uid, dst_uid, r IS NOT NULL AS linked{columns}"
)
CHUNK: Final = 5000
SCAN_CHUNK: Final = 50_000
RECYCLE_EVERY: Final = 40_000

Placeholders = Callable[[NodeRow], Collection[str]]
"""Which props of a row are stand-ins, to be written only where the stored value is empty."""


@runtime_checkable
class FrameScanner(Protocol):
    """A store that runs ``LOAD FROM $frame`` reads over a DataFrame (the embedded engine)."""

    def scan_frame(self, tenant: str, query: str, frame: pd.DataFrame) -> list[dict[str, Any]]:
        """The rows of ``query``, which scans ``frame`` as ``$frame``."""
        ...


@runtime_checkable
class Recyclable(Protocol):
    """A store that can release a tenant's engine memory between writes."""

    def recycle(self, tenant: str) -> bool:
        """Close the tenant's database if nobody is using it (it reopens on next use); True if closed."""
        ...


def _by_props(rows: list[dict[str, Any]], spec: schema.RelSpec) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(k for k in spec.props if k in row), []).append(row)
    return {names: group for names, group in groups.items() if names}


class StoreRowWriter:
    """``RowWriter`` over a ``GraphStore`` for one tenant."""

    def __init__(
        self,
        store: GraphStore,
        tenant: str,
        *,
        placeholders: Placeholders | None = None,
        recycle_every: int | None = RECYCLE_EVERY,
    ) -> None:
        self.store = store
        self.tenant = tenant
        self.placeholders = placeholders
        self.recycle_every = recycle_every
        self._written = 0

    def upsert_nodes(self, label: str, rows: Sequence[NodeRow]) -> WriteResult:
        if self.placeholders is not None:
            rows = self._without_stored_placeholders(label, rows)
        fields = [{**r.props, "id": r.id} for r in rows]
        res = base.upsert_nodes(store=self.store, tenant=self.tenant, label=label, rows=fields, merge_custom=True)
        self._count(res.created + res.updated)
        return WriteResult(created=res.created, updated=res.updated, unchanged=res.unchanged)

    def upsert_rels(self, rel_type: str, src_label: str, dst_label: str, rows: Sequence[RelRow]) -> WriteResult:
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
        """``upsert_rels`` with one lookup per batch: endpoints and existing pairs together."""
        spec = schema.RELS[rel]
        prefix = f"{self.tenant}/"
        keys = [(prefix + r.src_id, prefix + r.dst_id) for r in rows]
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        for key, r in zip(keys, rows, strict=True):
            latest[key] = {k: v for k, v in r.props.items() if k in spec.props}
        found: dict[tuple[str, str], dict[str, Any]] = {}
        columns = "".join(f", r.{k} AS {k}" for k in spec.props)
        query = SCAN_PAIRS.format(src=src, dst=dst, rel=rel, columns=columns)
        pairs = list(latest)
        for i in range(0, len(pairs), SCAN_CHUNK):
            chunk = pairs[i : i + SCAN_CHUNK]
            frame = pd.DataFrame(
                {
                    "src_uid": pd.Series([s for s, _ in chunk], dtype=object),
                    "dst_uid": pd.Series([d for _, d in chunk], dtype=object),
                }
            )
            for rec in store.scan_frame(self.tenant, query, frame):
                found.setdefault((rec["src_uid"], rec["dst_uid"]), rec)
        missing = [r for key, r in zip(keys, rows, strict=True) if key not in found]
        creates: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for key, props in latest.items():
            stored = found.get(key)
            if stored is None:
                continue
            if not stored["linked"]:
                creates.append({"src": key[0], "dst": key[1], **props})
            elif any(stored.get(k) != v for k, v in props.items()):
                updates.append({"src": key[0], "dst": key[1], **props})
        created = self.store.bulk_insert_rels(self.tenant, rel, src, dst, creates) if creates else 0
        template = UPDATE_INTO if rel in ANCHOR_AT_TARGET else links.UPDATE_PAIRS
        for names, group in _by_props(updates, spec).items():
            setc = set_clause(self.store.dialect, "r", [(k, spec.props[k]) for k in names], source="r0")
            self.store.write(self.tenant, template.format(src=src, rel=rel, dst=dst, set=setc), {"rows": group})
        unchanged = len(found) - len(creates) - len(updates)
        self._count(created + len(updates))
        return WriteResult(created=created, updated=len(updates), unchanged=unchanged, missing=missing)

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
        if self.recycle_every is None or self._written < self.recycle_every:
            return
        if isinstance(self.store, Recyclable) and self.store.recycle(self.tenant):
            self._written = 0

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
