"""Export and restore a tenant as JSON lines: the backup path, and a way between backends.

Line shapes: ``{"node": label, "props": {...}}`` then ``{"rel": type, "src": [label, id],
"dst": [label, id], "props": {...}}``; values as JSON (timestamps ISO-8601 UTC, dates ISO). Nodes
come before relationships, so a restore can stream. Ids are written without the tenant, so a dump
can be restored under another tenant name. Export pages by primary key, so memory stays flat.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any, Final

from graph import schema
from graph.errors import Conflict, InvalidInput
from graph.store import GraphStore

PAGE: Final = 5000
# The tenant filter is redundant on Ladybug (a database per tenant) but not on a shared Neo4j database.
NODE_PAGE: Final = "MATCH (n:{label}) WHERE n.tenant = $tenant AND n.uid > $after RETURN n ORDER BY n.uid LIMIT $limit"
RELS_FROM: Final = (
    "UNWIND $uids AS u MATCH (a:{src} {{uid: u}})-[r:{rel}]->(b:{dst}) RETURN a.id AS src, b.id AS dst, r"
)
ANY: Final = "MATCH (n:{label}) WHERE n.tenant = $tenant RETURN n.uid LIMIT 1"


@dataclass
class BackupCounts:
    nodes: dict[str, int] = field(default_factory=dict)
    rels: dict[str, int] = field(default_factory=dict)


def _json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _node_pages(store: GraphStore, tenant: str, label: str) -> Iterator[list[dict[str, Any]]]:
    after = ""
    while True:
        params = {"tenant": tenant, "after": after, "limit": PAGE}
        rows = store.read(tenant, NODE_PAGE.format(label=label), params)
        if not rows:
            return
        page = [r["n"] for r in rows]
        yield page
        after = str(page[-1]["uid"])


def export_tenant(store: GraphStore, tenant: str, out: IO[str]) -> BackupCounts:
    counts = BackupCounts()
    for label, spec in schema.NODES.items():
        for page in _node_pages(store, tenant, label):
            for n in page:
                props = {k: _json(n.get(k)) for k in spec.columns if k not in ("uid", "tenant")}
                out.write(json.dumps({"node": label, "props": props}, ensure_ascii=False) + "\n")
            counts.nodes[label] = counts.nodes.get(label, 0) + len(page)
    for rel, rspec in schema.RELS.items():
        for src, dst in rspec.pairs:
            for page in _node_pages(store, tenant, src):
                query = RELS_FROM.format(src=src, rel=rel, dst=dst)
                for r in store.read(tenant, query, {"uids": [n["uid"] for n in page]}):
                    props = {k: _json(r["r"].get(k)) for k in rspec.props}
                    line = {"rel": rel, "src": [src, r["src"]], "dst": [dst, r["dst"]], "props": props}
                    out.write(json.dumps(line, ensure_ascii=False) + "\n")
                    counts.rels[rel] = counts.rels.get(rel, 0) + 1
    return counts


def _parse(value: Any, ptype: schema.PType) -> Any:
    if value is None:
        return None
    if ptype is schema.PType.TIMESTAMP:
        return datetime.fromisoformat(value)
    if ptype is schema.PType.DATE:
        return date.fromisoformat(value)
    return value


def _lines(src: IO[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    for n, line in enumerate(src, 1):
        if line.strip():
            try:
                yield n, json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidInput(f"line {n}: not JSON ({exc.msg})") from exc


def restore_tenant(store: GraphStore, tenant: str, src: IO[str]) -> BackupCounts:
    """Load a dump into an EMPTY tenant (refuses to mix with existing data)."""
    store.ensure_tenant(tenant)
    for label in schema.NODES:
        if store.read(tenant, ANY.format(label=label), {"tenant": tenant}):
            raise Conflict(f"tenant {tenant!r} is not empty ({label} records exist): restore into a new tenant")
    counts = BackupCounts()
    nodes: dict[str, list[dict[str, Any]]] = {}
    rels: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for n, item in _lines(src):
        if "node" in item:
            label = item["node"]
            if label not in schema.NODES:
                raise InvalidInput(f"line {n}: unknown label {label!r}")
            nodes.setdefault(label, []).append(_node_row(tenant, label, item["props"]))
            if len(nodes[label]) >= PAGE:
                _flush_nodes(store, tenant, nodes, counts)
        elif "rel" in item:
            _flush_nodes(store, tenant, nodes, counts)
            key = (item["rel"], item["src"][0], item["dst"][0])
            if key[0] not in schema.RELS or key[1:] not in schema.RELS[key[0]].pairs:
                raise InvalidInput(f"line {n}: unknown relationship {key}")
            rels.setdefault(key, []).append(_rel_row(tenant, item))
            if len(rels[key]) >= PAGE:
                _flush_rels(store, tenant, {key: rels.pop(key)}, counts)
    _flush_nodes(store, tenant, nodes, counts)
    _flush_rels(store, tenant, rels, counts)
    return counts


def _node_row(tenant: str, label: str, props: dict[str, Any]) -> dict[str, Any]:
    spec = schema.NODES[label]
    row = {k: _parse(props.get(k), t) for k, t in spec.columns.items()}
    row.update(uid=schema.uid(tenant, str(props["id"])), tenant=tenant)
    return row


def _rel_row(tenant: str, item: dict[str, Any]) -> dict[str, Any]:
    spec = schema.RELS[item["rel"]]
    row = {k: _parse(item["props"].get(k), t) for k, t in spec.props.items()}
    return {"src": schema.uid(tenant, item["src"][1]), "dst": schema.uid(tenant, item["dst"][1]), **row}


def _flush_nodes(
    store: GraphStore, tenant: str, pending: dict[str, list[dict[str, Any]]], counts: BackupCounts
) -> None:
    for label, rows in pending.items():
        if rows:
            store.bulk_insert_nodes(tenant, label, rows)
            counts.nodes[label] = counts.nodes.get(label, 0) + len(rows)
    pending.clear()


def _flush_rels(
    store: GraphStore, tenant: str, pending: dict[tuple[str, str, str], list[dict[str, Any]]], counts: BackupCounts
) -> None:
    for (rel, src, dst), rows in pending.items():
        if rows:
            counts.rels[rel] = counts.rels.get(rel, 0) + store.bulk_insert_rels(tenant, rel, src, dst, rows)
    pending.clear()


def summary(counts: BackupCounts) -> Iterable[str]:
    for label, n in counts.nodes.items():
        yield f"  {label}: {n}"
    for rel, n in counts.rels.items():
        yield f"  {rel}: {n}"
