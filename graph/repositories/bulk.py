"""The write side of imports and the demo: batches of parsed rows upserted through the repositories.

Implements ``importers.pipeline.RowWriter`` for one tenant. Node batches go through the idempotent
``base.upsert_nodes`` (custom fields merged key by key, so a later source adds without erasing);
relationship batches through ``links.upsert_links`` after checking which endpoints exist, so a row
pointing at a missing record comes back in ``missing`` for the report instead of vanishing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from graph import schema
from graph.repositories import base, links
from graph.store import GraphStore
from importers.pipeline import WriteResult
from importers.rows import NodeRow, RelRow

EXISTING: Final = "UNWIND $uids AS u MATCH (n:{label} {{uid: u}}) RETURN n.uid AS uid"


class StoreRowWriter:
    """``RowWriter`` over a ``GraphStore`` for one tenant."""

    def __init__(self, store: GraphStore, tenant: str) -> None:
        self.store = store
        self.tenant = tenant

    def upsert_nodes(self, label: str, rows: Sequence[NodeRow]) -> WriteResult:
        fields = [{**r.props, "id": r.id} for r in rows]
        res = base.upsert_nodes(store=self.store, tenant=self.tenant, label=label, rows=fields, merge_custom=True)
        return WriteResult(created=res.created, updated=res.updated, unchanged=res.unchanged)

    def upsert_rels(self, rel_type: str, src_label: str, dst_label: str, rows: Sequence[RelRow]) -> WriteResult:
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
        if ok:
            created, updated, unchanged = links.upsert_links(
                self.store, self.tenant, rel=rel_type, src=src_label, dst=dst_label, rows=ok
            )
        return WriteResult(created=created, updated=updated, unchanged=unchanged, missing=missing)

    def _existing(self, label: str, uids: set[str]) -> set[str]:
        found: set[str] = set()
        ordered = sorted(uids)
        for i in range(0, len(ordered), 5000):
            rows = self.store.read(self.tenant, EXISTING.format(label=label), {"uids": ordered[i : i + 5000]})
            found.update(str(r["uid"]) for r in rows)
        return found
