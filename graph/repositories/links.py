"""Relationship writes shared by the aggregates: single links (a manager, a parent, an owner),
property links (employment, deal roles, line items), removal, and forest (no-cycle) checks.

Ancestor walks are done hop by hop in Python rather than with ``-[:T*]->``: Ladybug caps variable
length patterns at 30 hops (silently, for ``*1..``) and hierarchies may be deeper than that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from graph import schema
from graph.cypher import prop_map, prop_params, set_clause
from graph.errors import CycleError
from graph.repositories import base
from graph.store import GraphStore, Tx

DELETE_OUT: Final = "MATCH (a:{src} {{uid: $src}})-[r:{rel}]->(:{dst}) DELETE r"
DELETE_IN: Final = "MATCH (:{src})-[r:{rel}]->(b:{dst} {{uid: $dst}}) DELETE r"
CREATE_LINK: Final = (
    "MATCH (a:{src} {{uid: $src}}) MATCH (b:{dst} {{uid: $dst}}) CREATE (a)-[r:{rel}{props}]->(b) RETURN count(r) AS n"
)
UPDATE_LINK: Final = "MATCH (a:{src} {{uid: $src}})-[r:{rel}]->(b:{dst} {{uid: $dst}}) {set} RETURN count(r) AS n"
COUNT_LINK: Final = "MATCH (a:{src} {{uid: $src}})-[r:{rel}]->(b:{dst} {{uid: $dst}}) RETURN count(r) AS n"
DELETE_LINK: Final = "MATCH (a:{src} {{uid: $src}})-[r:{rel}]->(b:{dst} {{uid: $dst}}) DELETE r"
PARENTS: Final = "MATCH (a:{label} {{uid: $uid}})-[:{rel}]->(p:{label}) RETURN p.uid AS uid"
EXISTING_PAIRS: Final = (
    "UNWIND $srcs AS s MATCH (a:{src} {{uid: s}})-[r:{rel}]->(b:{dst}) RETURN a.uid AS src, b.uid AS dst, r"
)
UPDATE_PAIRS: Final = "UNWIND $rows AS r0 MATCH (a:{src} {{uid: r0.src}})-[r:{rel}]->(b:{dst} {{uid: r0.dst}}) {set}"

MAX_DEPTH: Final = 10_000


def _fmt(template: str, rel: str, src: str, dst: str, **extra: str) -> str:
    return template.format(rel=rel, src=src, dst=dst, **extra)


def _props(rel: str, values: Mapping[str, Any]) -> list[tuple[str, schema.PType]]:
    spec = schema.RELS[rel].props
    return [(k, spec[k]) for k in values]


def ancestors(tx: Tx, *, label: str, rel: str, uid: str) -> list[str]:
    """uids reached by following ``rel`` upwards from ``uid`` (nearest first)."""
    seen: list[str] = []
    frontier = [uid]
    while frontier and len(seen) < MAX_DEPTH:
        nxt: list[str] = []
        for u in frontier:
            for row in tx.run(PARENTS.format(label=label, rel=rel), {"uid": u}):
                if row["uid"] not in seen:
                    seen.append(row["uid"])
                    nxt.append(row["uid"])
        frontier = nxt
    return seen


def _closes_cycle(tx: Tx, rel: str, src: str, dst: str, src_uid: str, dst_uid: str) -> bool:
    if rel not in schema.ACYCLIC_RELS or src != dst:
        return False
    return src_uid == dst_uid or src_uid in ancestors(tx, label=dst, rel=rel, uid=dst_uid)


def set_single(
    store: GraphStore,
    tenant: str,
    *,
    rel: str,
    src: str,
    dst: str,
    src_uid: str,
    dst_uid: str,
    props: Mapping[str, Any] | None = None,
    replace: str = "out",
) -> None:
    """Make ``src -[rel]-> dst`` the only such link: ``replace='out'`` drops src's other outgoing
    links of this type (one manager, one parent); ``'in'`` drops dst's other incoming ones (one owner).
    Refuses a link that would close a cycle in an acyclic relation. Atomic."""
    values = dict(props or {})

    def work(tx: Tx) -> None:
        if _closes_cycle(tx, rel, src, dst, src_uid, dst_uid):
            raise CycleError(f"{rel} from {src_uid.split('/', 1)[1]!r} would create a cycle")
        if replace == "out":
            tx.run(_fmt(DELETE_OUT, rel, src, dst), {"src": src_uid})
        else:
            tx.run(_fmt(DELETE_IN, rel, src, dst), {"dst": dst_uid})
        query = _fmt(CREATE_LINK, rel, src, dst, props=prop_map(store.dialect, _props(rel, values)))
        tx.run(query, {"src": src_uid, "dst": dst_uid, **prop_params(values)})
        _touch_ends(tx, store, src, dst, src_uid, dst_uid)

    store.write_tx(tenant, work)


def clear_out(store: GraphStore, tenant: str, *, rel: str, src: str, dst: str, src_uid: str) -> None:
    def work(tx: Tx) -> None:
        tx.run(_fmt(DELETE_OUT, rel, src, dst), {"src": src_uid})
        base.touch(tx, store.dialect, src, src_uid)

    store.write_tx(tenant, work)


def _touch_ends(tx: Tx, store: GraphStore, src: str, dst: str, src_uid: str, dst_uid: str) -> None:
    """Both ends changed: a contact's employer, a deal's account or owner show in search documents."""
    base.touch(tx, store.dialect, src, src_uid)
    base.touch(tx, store.dialect, dst, dst_uid)


def upsert_link(
    store: GraphStore,
    tenant: str,
    *,
    rel: str,
    src: str,
    dst: str,
    src_uid: str,
    dst_uid: str,
    props: Mapping[str, Any] | None = None,
) -> bool:
    """Create ``src -[rel]-> dst`` or update its properties; True when it was created."""
    values = dict(props or {})
    params = {"src": src_uid, "dst": dst_uid, **prop_params(values)}

    def work(tx: Tx) -> bool:
        _touch_ends(tx, store, src, dst, src_uid, dst_uid)
        if tx.run(_fmt(COUNT_LINK, rel, src, dst), params)[0]["n"]:
            if values:
                setc = set_clause(store.dialect, "r", _props(rel, values))
                tx.run(_fmt(UPDATE_LINK, rel, src, dst, set=setc), params)
            return False
        tx.run(_fmt(CREATE_LINK, rel, src, dst, props=prop_map(store.dialect, _props(rel, values))), params)
        return True

    return store.write_tx(tenant, work)


def remove_link(store: GraphStore, tenant: str, *, rel: str, src: str, dst: str, src_uid: str, dst_uid: str) -> bool:
    """Delete ``src -[rel]-> dst``; False when there was none."""
    params = {"src": src_uid, "dst": dst_uid}

    def work(tx: Tx) -> bool:
        if not tx.run(_fmt(COUNT_LINK, rel, src, dst), params)[0]["n"]:
            return False
        tx.run(_fmt(DELETE_LINK, rel, src, dst), params)
        _touch_ends(tx, store, src, dst, src_uid, dst_uid)
        return True

    return store.write_tx(tenant, work)


def upsert_links(
    store: GraphStore, tenant: str, *, rel: str, src: str, dst: str, rows: Sequence[Mapping[str, Any]]
) -> tuple[int, int, int]:
    """Batch, idempotent: rows ``{"src": uid, "dst": uid, **props}``. Returns (created, updated, unchanged).

    Rows whose endpoints do not exist are not created (the caller checks and reports them)."""
    spec = schema.RELS[rel]
    latest = {(r["src"], r["dst"]): dict(r) for r in rows}
    existing: dict[tuple[str, str], dict[str, Any]] = {}
    srcs = sorted({s for s, _ in latest})
    for i in range(0, len(srcs), 5000):
        for row in store.read(tenant, _fmt(EXISTING_PAIRS, rel, src, dst), {"srcs": srcs[i : i + 5000]}):
            existing[(row["src"], row["dst"])] = row["r"]
    creates, updates = [], []
    for key, row in latest.items():
        props = {k: row.get(k) for k in spec.props}
        if key not in existing:
            creates.append({"src": key[0], "dst": key[1], **props})
        elif any(existing[key].get(k) != v for k, v in props.items() if k in row):
            updates.append(row)
    created = store.bulk_insert_rels(tenant, rel, src, dst, creates) if creates else 0
    if updates:
        names = [k for k in spec.props if k in updates[0]]
        setc = set_clause(store.dialect, "r", [(k, spec.props[k]) for k in names], source="r0")
        store.write(tenant, _fmt(UPDATE_PAIRS, rel, src, dst, set=setc), {"rows": updates})
    return created, len(updates), len(latest) - len(creates) - len(updates)
