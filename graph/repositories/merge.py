"""Merge duplicate records into one kept record, preview it first, and undo it later.

``merge_records`` (``dry_run=True``) says what a merge would do; with ``dry_run=False`` it does it
in ONE write transaction:

- every relationship of the merged records is re-pointed to the kept one, none lost: an edge the
  kept record already has (same type, direction and other end) collapses into it (the kept edge's
  properties win; ``WORKS_AT`` stints whose properties disagree stay separate, people rejoin
  companies); an edge between the records being merged would become a self-loop and is dropped;
- fields empty on the kept record are filled from the merged ones (in the order given); fields that
  differ are left as kept and listed as conflicts; other addresses go to ``other_emails``; custom
  keys the kept record lacks are added;
- the merged records are deleted;
- a merge record goes into the kept record's ``custom["merged"]`` (a list): the merged records'
  full stored properties and relationships, the kept record's properties before, and the edges the
  merge added. ``undo_merge`` restores from it, again in one transaction: the merged records come
  back with their ids, timestamps and relationships, the added edges go, and the kept record
  returns to its earlier state (field by field when it was edited after the merge).

A merge that would close a ``REPORTS_TO`` / ``SUBSIDIARY_OF`` cycle is refused (``CycleError``).
The merge record lives with the kept record, so it is in every export and survives restarts; it
grows with the number of relationships moved (a person with thousands of emails: hundreds of KB).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Final

from graph import schema
from graph.cypher import prop_map, prop_params, set_clause
from graph.errors import Conflict, CycleError, InvalidInput, NotFound
from graph.repositories.links import ancestors
from graph.store import GraphStore, Params, Row, Tx

KINDS: Final[dict[str, str]] = {
    "contact": "Contact",
    "account": "Account",
    "rep": "Rep",
    "deal": "Deal",
    "product": "Product",
    "interaction": "Interaction",
}
MAX_MERGE: Final = 50
PREVIEW_EDGES: Final = 500
MERGED_KEY: Final = "merged"
EMAIL_LABELS: Final = frozenset({"Contact", "Rep"})
PARALLEL_RELS: Final = frozenset({"WORKS_AT"})  # time-bounded: two stints at one company are two edges
SINGLE_PARENT: Final = frozenset({"REPORTS_TO", "SUBSIDIARY_OF"})
_MERGE_ID: Final = re.compile(r"^[0-9a-f]{32}$")

GET_NODE: Final = "MATCH (n:{label} {{uid: $uid}}) RETURN n"
OUT_EDGES: Final = "MATCH (a:{src} {{uid: $uid}})-[r:{rel}]->(b:{dst}) RETURN b.id AS other, r"
IN_EDGES: Final = "MATCH (b:{src})-[r:{rel}]->(a:{dst} {{uid: $uid}}) RETURN b.id AS other, r"
PAIR_EDGES: Final = "MATCH (a:{src} {{uid: $src}})-[r:{rel}]->(b:{dst} {{uid: $dst}}) RETURN r"
DELETE_PAIR_EDGES: Final = "MATCH (a:{src} {{uid: $src}})-[r:{rel}]->(b:{dst} {{uid: $dst}}) DELETE r"
CREATE_EDGES: Final = (
    "UNWIND $rows AS r MATCH (a:{src} {{uid: r.src}}) MATCH (b:{dst} {{uid: r.dst}}) CREATE (a)-[:{rel}{props}]->(b)"
)
EXISTING: Final = "UNWIND $uids AS u MATCH (n:{label} {{uid: u}}) RETURN n.uid AS uid"
UPDATE_NODE: Final = "MATCH (n:{label} {{uid: $uid}}) {set}"
CREATE_NODE: Final = "CREATE (n:{label}{props})"
DELETE_NODE: Final = "MATCH (n:{label} {{uid: $uid}}) DETACH DELETE n"
FIND_HOLDER: Final = "MATCH (n:{label}) WHERE n.tenant = $tenant AND n.custom CONTAINS $needle RETURN n.id AS id"

EdgeKey = tuple[str, str, str, str]  # (type, direction from the record, other label, other id)


# --- values <-> JSON -------------------------------------------------------------------------------
def _encode(value: Any, ptype: schema.PType) -> Any:
    if value is None:
        return None
    if ptype is schema.PType.TIMESTAMP and isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if ptype is schema.PType.DATE and isinstance(value, date):
        return (value.date() if isinstance(value, datetime) else value).isoformat()
    if ptype is schema.PType.STRINGS:
        return list(value)
    return value


def _decode(value: Any, ptype: schema.PType) -> Any:
    if value is None:
        return None
    if ptype is schema.PType.TIMESTAMP:
        return datetime.fromisoformat(value)
    if ptype is schema.PType.DATE:
        return date.fromisoformat(value)
    return value


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


# --- reading ---------------------------------------------------------------------------------------
class _Reader:
    """``store.read`` behind the ``Tx`` interface, so previews and merges share their code."""

    def __init__(self, store: GraphStore, tenant: str) -> None:
        self.store = store
        self.tenant = tenant

    def run(self, query: str, params: Params | None = None) -> list[Row]:
        return self.store.read(self.tenant, query, params)


@dataclass(frozen=True)
class Edge:
    """One relationship seen from a record: ``direction`` is ``out`` when the record is its source."""

    type: str
    direction: str
    other_label: str
    other_id: str
    props: dict[str, Any]
    owner: str

    @property
    def key(self) -> EdgeKey:
        return (self.type, self.direction, self.other_label, self.other_id)

    def ends(self, tenant: str, label: str) -> tuple[str, str, str, str]:
        """(src label, src uid, dst label, dst uid) with the record at ``owner``."""
        own, other = schema.uid(tenant, self.owner), schema.uid(tenant, self.other_id)
        if self.direction == "out":
            return label, own, self.other_label, other
        return self.other_label, other, label, own

    def to_json(self) -> dict[str, Any]:
        spec = schema.RELS[self.type].props
        props = {k: _encode(v, spec[k]) for k, v in self.props.items()}
        return {
            "type": self.type,
            "direction": self.direction,
            "other_label": self.other_label,
            "other_id": self.other_id,
            "props": props,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], owner: str) -> Edge:
        spec = schema.RELS[data["type"]].props
        props = {k: _decode(v, spec[k]) for k, v in data["props"].items() if k in spec}
        return cls(data["type"], data["direction"], data["other_label"], data["other_id"], props, owner)


def _node(tx: Tx, tenant: str, label: str, record_id: str) -> dict[str, Any]:
    rows = tx.run(GET_NODE.format(label=label), {"uid": schema.uid(tenant, record_id)})
    if not rows:
        raise NotFound(f"{label.lower()} {record_id!r} not found")
    node: dict[str, Any] = rows[0]["n"]
    return {k: node.get(k) for k in schema.node_spec(label).columns}


def edges_of(tx: Tx, tenant: str, label: str, record_id: str) -> list[Edge]:
    """Every relationship of a record, both directions (a self-loop once)."""
    uid = schema.uid(tenant, record_id)
    out: list[Edge] = []
    for rel, spec in schema.RELS.items():
        for src, dst in spec.pairs:
            if src == label:
                for r in tx.run(OUT_EDGES.format(src=src, rel=rel, dst=dst), {"uid": uid}):
                    props = {k: r["r"].get(k) for k in spec.props}
                    out.append(Edge(rel, "out", dst, str(r["other"]), props, record_id))
            if dst == label:
                for r in tx.run(IN_EDGES.format(src=src, rel=rel, dst=dst), {"uid": uid}):
                    if src == label and str(r["other"]) == record_id:
                        continue  # the self-loop was seen going out
                    props = {k: r["r"].get(k) for k in spec.props}
                    out.append(Edge(rel, "in", src, str(r["other"]), props, record_id))
    return out


def relationships_of(*, store: GraphStore, tenant: str, label: str, record_id: str) -> list[Edge]:
    """Every relationship of one record, both directions."""
    return edges_of(_Reader(store, tenant), tenant, label, record_id)


# --- planning --------------------------------------------------------------------------------------
@dataclass
class EdgeAction:
    edge: Edge
    action: str  # "move", "collapse" (into an edge the kept record has) or "drop" (would be a self-loop)
    reason: str = ""


@dataclass
class MergePlan:
    """What a merge does; ``preview()`` is its JSON-able description."""

    kind: str
    label: str
    keep_id: str
    merge_ids: list[str]
    keep: dict[str, Any]
    merged: list[dict[str, Any]]
    merged_edges: dict[str, list[Edge]]
    fields: list[dict[str, Any]] = field(default_factory=list)
    emails_added: list[str] = field(default_factory=list)
    custom_added: list[str] = field(default_factory=list)
    changes: dict[str, Any] = field(default_factory=dict)  # stored columns to set on the kept record
    actions: list[EdgeAction] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def blocking(self) -> list[dict[str, Any]]:
        return [c for c in self.conflicts if c["kind"] == "cycle"]

    def preview(self) -> dict[str, Any]:
        by_type: dict[str, dict[str, int]] = {}
        for a in self.actions:
            counts = by_type.setdefault(a.edge.type, {"move": 0, "collapse": 0, "drop": 0})
            counts[a.action] += 1
        items = [
            {
                "type": a.edge.type,
                "direction": a.edge.direction,
                "other_label": a.edge.other_label,
                "other_id": a.edge.other_id,
                "from": a.edge.owner,
                "action": a.action,
                "reason": a.reason,
            }
            for a in self.actions[:PREVIEW_EDGES]
        ]
        return {
            "kind": self.kind,
            "keep": self.keep_id,
            "merge": list(self.merge_ids),
            "fields": self.fields,
            "emails_added": self.emails_added,
            "custom_added": self.custom_added,
            "relationships": {
                "moved": sum(a.action == "move" for a in self.actions),
                "collapsed": sum(a.action == "collapse" for a in self.actions),
                "dropped": sum(a.action == "drop" for a in self.actions),
                "by_type": by_type,
                "items": items,
                "truncated": len(self.actions) > PREVIEW_EDGES,
            },
            "conflicts": self.conflicts,
            "blocked": bool(self.blocking),
        }


def label_of_kind(kind: str) -> str:
    label = KINDS.get(kind.lower().removesuffix("s")) if kind else None
    if label is None:
        raise InvalidInput(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
    return label


def _check_ids(keep_id: str, merge_ids: Sequence[str]) -> list[str]:
    ids = list(dict.fromkeys(merge_ids))
    if not ids:
        raise InvalidInput("name at least one record to merge")
    if len(ids) > MAX_MERGE:
        raise InvalidInput(f"at most {MAX_MERGE} records per merge")
    if keep_id in ids:
        raise InvalidInput("the kept record cannot also be merged")
    return ids


def _custom(node: dict[str, Any]) -> dict[str, Any]:
    try:
        value = json.loads(node.get("custom") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def plan_merge(tx: Tx, *, tenant: str, kind: str, keep_id: str, merge_ids: Sequence[str]) -> MergePlan:
    """Read the records and decide everything a merge does (nothing is written)."""
    label = label_of_kind(kind)
    ids = _check_ids(keep_id, merge_ids)
    keep = _node(tx, tenant, label, keep_id)
    merged = [_node(tx, tenant, label, i) for i in ids]
    plan = MergePlan(kind, label, keep_id, ids, keep, merged, {i: edges_of(tx, tenant, label, i) for i in ids})
    _plan_fields(plan)
    _plan_custom(plan)
    _plan_edges(plan, edges_of(tx, tenant, label, keep_id))
    _plan_cycles(plan, tx, tenant)
    return plan


def _plan_fields(plan: MergePlan) -> None:
    spec = schema.node_spec(plan.label)
    for name in spec.props:
        if plan.label in EMAIL_LABELS and name in ("email", "other_emails"):
            continue
        kept = plan.keep.get(name)
        for node in plan.merged:
            value = node.get(name)
            if _empty(value):
                continue
            if _empty(kept) and name not in plan.changes:
                plan.changes[name] = value
                plan.fields.append({"field": name, "value": value, "from": node["id"]})
            elif value != (plan.changes.get(name, kept)):
                current = plan.changes.get(name, kept)
                plan.conflicts.append(
                    {
                        "kind": "field",
                        "field": name,
                        "kept": current,
                        "other": value,
                        "from": node["id"],
                        "detail": f"{name} differs; the kept value stays",
                    }
                )
    if plan.label in EMAIL_LABELS:
        _plan_emails(plan)


def _plan_emails(plan: MergePlan) -> None:
    primary = plan.keep.get("email")
    others = list(plan.keep.get("other_emails") or [])
    known = {e.lower() for e in [primary, *others] if e}
    for node in plan.merged:
        for address in [node.get("email"), *(node.get("other_emails") or [])]:
            if not address or address.lower() in known:
                continue
            known.add(address.lower())
            if primary is None:
                primary = address
                plan.changes["email"] = address
                plan.fields.append({"field": "email", "value": address, "from": node["id"]})
            else:
                others.append(address)
                plan.emails_added.append(address)
    if plan.emails_added:
        plan.changes["other_emails"] = others


def _plan_custom(plan: MergePlan) -> None:
    kept = {k: v for k, v in _custom(plan.keep).items() if k != MERGED_KEY}
    for node in plan.merged:
        for key, value in _custom(node).items():
            if key == MERGED_KEY:
                continue
            if key not in kept:
                kept[key] = value
                plan.custom_added.append(key)
            elif kept[key] != value:
                plan.conflicts.append(
                    {
                        "kind": "field",
                        "field": f"custom.{key}",
                        "kept": kept[key],
                        "other": value,
                        "from": node["id"],
                        "detail": f"custom field {key!r} differs; the kept value stays",
                    }
                )


def _compatible(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return all(_empty(a.get(k)) or _empty(b.get(k)) or a.get(k) == b.get(k) for k in set(a) | set(b))


def _plan_edges(plan: MergePlan, keep_edges: list[Edge]) -> None:
    group = {plan.keep_id, *plan.merge_ids}
    present: dict[EdgeKey, list[dict[str, Any]]] = {}
    for e in keep_edges:
        present.setdefault(e.key, []).append(e.props)
    outgoing_single = {e.type for e in keep_edges if e.direction == "out" and e.type in SINGLE_PARENT}
    for node_id in plan.merge_ids:
        for e in plan.merged_edges[node_id]:
            if e.other_label == plan.label and e.other_id in group:
                plan.actions.append(EdgeAction(e, "drop", "joins records being merged (would be a self-loop)"))
                continue
            existing = present.get(e.key)
            if existing is None or (e.type in PARALLEL_RELS and not any(_compatible(p, e.props) for p in existing)):
                present.setdefault(e.key, []).append(e.props)
                plan.actions.append(EdgeAction(e, "move"))
                if e.direction == "out" and e.type in SINGLE_PARENT:
                    if e.type in outgoing_single:
                        plan.conflicts.append(
                            {
                                "kind": "relationship",
                                "detail": f"the kept record will have two {e.type} targets "
                                f"(its own and {e.other_id!r} from {node_id!r})",
                            }
                        )
                    outgoing_single.add(e.type)
                continue
            differs = not any(p == e.props for p in existing)
            reason = "the kept record has it" + ("; its properties stay" if differs else "")
            plan.actions.append(EdgeAction(e, "collapse", reason))
            if differs:
                plan.conflicts.append(
                    {
                        "kind": "relationship",
                        "detail": f"{e.type} to {e.other_id!r}: properties differ "
                        f"({e.props} from {node_id!r}); the kept record's stay",
                    }
                )


def _plan_cycles(plan: MergePlan, tx: Tx, tenant: str) -> None:
    group = {schema.uid(tenant, i) for i in (plan.keep_id, *plan.merge_ids)}
    for a in plan.actions:
        e = a.edge
        if a.action != "move" or e.direction != "out" or e.type not in schema.ACYCLIC_RELS:
            continue
        if e.other_label != plan.label:
            continue
        above = ancestors(tx, label=plan.label, rel=e.type, uid=schema.uid(tenant, e.other_id))
        if group & set(above):
            plan.conflicts.append(
                {
                    "kind": "cycle",
                    "detail": f"{e.type} from {e.owner!r} to {e.other_id!r} would close a cycle "
                    "through the kept record; merge refused",
                }
            )


# --- merging ---------------------------------------------------------------------------------------
def _encode_node(label: str, node: dict[str, Any]) -> dict[str, Any]:
    cols = schema.node_spec(label).columns
    return {k: _encode(node.get(k), t) for k, t in cols.items()}


def _create_edges(tx: Tx, store: GraphStore, tenant: str, label: str, edges: Sequence[Edge]) -> int:
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for e in edges:
        src_label, src, dst_label, dst = e.ends(tenant, label)
        groups.setdefault((e.type, src_label, dst_label), []).append({"src": src, "dst": dst, **e.props})
    for (rel, src_label, dst_label), rows in groups.items():
        props = prop_map(store.dialect, schema.RELS[rel].props.items(), source="r")
        tx.run(CREATE_EDGES.format(src=src_label, dst=dst_label, rel=rel, props=props), {"rows": rows})
    return sum(len(rows) for rows in groups.values())


def _set_node(tx: Tx, store: GraphStore, label: str, uid: str, values: dict[str, Any]) -> None:
    cols = schema.node_spec(label).columns
    clause = set_clause(store.dialect, "n", [(k, cols[k]) for k in values])
    tx.run(UPDATE_NODE.format(label=label, set=clause), {"uid": uid, **prop_params(values)})


def merge_records(
    *, store: GraphStore, tenant: str, kind: str, keep_id: str, merge_ids: Sequence[str], dry_run: bool = True
) -> dict[str, Any]:
    """Preview (``dry_run``) or perform a merge; the preview, plus ``merge_id`` when performed."""
    if dry_run:
        plan = plan_merge(_Reader(store, tenant), tenant=tenant, kind=kind, keep_id=keep_id, merge_ids=merge_ids)
        return {**plan.preview(), "dry_run": True, "merge_id": None}
    merge_id = uuid.uuid4().hex

    def work(tx: Tx) -> dict[str, Any]:
        plan = plan_merge(tx, tenant=tenant, kind=kind, keep_id=keep_id, merge_ids=merge_ids)
        if plan.blocking:
            raise CycleError(plan.blocking[0]["detail"], detail=plan.blocking)
        label = plan.label
        at = datetime.now(UTC)
        moved = [a.edge for a in plan.actions if a.action == "move"]
        custom = {k: v for k, v in _custom(plan.keep).items() if k != MERGED_KEY}
        for node in plan.merged:
            for key, value in _custom(node).items():
                if key != MERGED_KEY:
                    custom.setdefault(key, value)
        entry = {
            "merge_id": merge_id,
            "at": at.isoformat(),
            "label": label,
            "keep_before": _encode_node(label, plan.keep),
            "changes": {k: _encode(v, schema.node_spec(label).columns[k]) for k, v in plan.changes.items()},
            "custom_added": plan.custom_added,
            "records": [
                {"props": _encode_node(label, node), "edges": [e.to_json() for e in plan.merged_edges[node["id"]]]}
                for node in plan.merged
            ],
            "added": [e.to_json() for e in moved],
        }
        custom[MERGED_KEY] = [*_custom(plan.keep).get(MERGED_KEY, []), entry]
        values = {**plan.changes, "custom": json.dumps(custom, sort_keys=True, default=str), "updated_at": at}
        _set_node(tx, store, label, schema.uid(tenant, keep_id), values)
        _create_edges(
            tx,
            store,
            tenant,
            label,
            [Edge(e.type, e.direction, e.other_label, e.other_id, e.props, keep_id) for e in moved],
        )
        for node in plan.merged:
            tx.run(DELETE_NODE.format(label=label), {"uid": node["uid"]})
        return {**plan.preview(), "dry_run": False, "merge_id": merge_id}

    return store.write_tx(tenant, work)


# --- undoing ---------------------------------------------------------------------------------------
def find_merge(*, store: GraphStore, tenant: str, merge_id: str) -> tuple[str, str]:
    """(label, kept record id) holding the merge record ``merge_id``, or NotFound."""
    if not _MERGE_ID.match(merge_id):
        raise NotFound(f"merge {merge_id!r} not found")
    needle = json.dumps({"merge_id": merge_id})[1:-1]
    for label in KINDS.values():
        for row in store.read(tenant, FIND_HOLDER.format(label=label), {"tenant": tenant, "needle": needle}):
            node = _node(_Reader(store, tenant), tenant, label, str(row["id"]))
            if any(e.get("merge_id") == merge_id for e in _custom(node).get(MERGED_KEY, [])):
                return label, str(row["id"])
    raise NotFound(f"merge {merge_id!r} not found")


def undo_merge(*, store: GraphStore, tenant: str, merge_id: str) -> dict[str, Any]:
    """Restore the records a merge removed, their relationships, and the kept record's fields."""
    label, keep_id = find_merge(store=store, tenant=tenant, merge_id=merge_id)
    spec = schema.node_spec(label)

    def work(tx: Tx) -> dict[str, Any]:
        keep = _node(tx, tenant, label, keep_id)
        custom = _custom(keep)
        entries = list(custom.get(MERGED_KEY, []))
        entry = next((e for e in entries if e.get("merge_id") == merge_id), None)
        if entry is None:
            raise NotFound(f"merge {merge_id!r} not found")
        records = [{k: _decode(v, spec.columns[k]) for k, v in r["props"].items()} for r in entry["records"]]
        uids = [str(r["uid"]) for r in records]
        if tx.run(EXISTING.format(label=label), {"uids": uids}):
            raise Conflict("a merged record exists again (re-imported?): delete or merge it first")
        for record in records:
            tx.run(
                CREATE_NODE.format(label=label, props=prop_map(store.dialect, spec.columns.items())),
                prop_params(record),
            )
        keep_uid = schema.uid(tenant, keep_id)
        for added in entry["added"]:
            _remove_one(tx, store, tenant, label, Edge.from_json(added, keep_id))
        restored, lost = _restore_edges(tx, store, tenant, label, entry["records"])
        remaining = [e for e in entries if e.get("merge_id") != merge_id]
        _restore_keep(tx, store, label, keep_uid, keep, entry, remaining)
        return {
            "merge_id": merge_id,
            "keep": keep_id,
            "restored": [str(r["id"]) for r in records],
            "relationships_restored": restored,
            "relationships_lost": lost,
        }

    return store.write_tx(tenant, work)


def _remove_one(tx: Tx, store: GraphStore, tenant: str, label: str, edge: Edge) -> None:
    """Delete one edge equal to ``edge`` between the kept record and its other end (parallels kept)."""
    src_label, src, dst_label, dst = edge.ends(tenant, label)
    params = {"src": src, "dst": dst}
    spec = schema.RELS[edge.type].props
    rows = tx.run(PAIR_EDGES.format(src=src_label, rel=edge.type, dst=dst_label), params)
    current = [{k: r["r"].get(k) for k in spec} for r in rows]
    if edge.props in current:
        current.remove(edge.props)
    tx.run(DELETE_PAIR_EDGES.format(src=src_label, rel=edge.type, dst=dst_label), params)
    parallels = [Edge(edge.type, edge.direction, edge.other_label, edge.other_id, p, edge.owner) for p in current]
    _create_edges(tx, store, tenant, label, parallels)


def _restore_edges(
    tx: Tx, store: GraphStore, tenant: str, label: str, records: list[dict[str, Any]]
) -> tuple[int, list[dict[str, Any]]]:
    edges = [Edge.from_json(e, str(r["props"]["id"])) for r in records for e in r["edges"]]
    wanted: dict[str, set[str]] = {}
    for e in edges:
        wanted.setdefault(e.other_label, set()).add(schema.uid(tenant, e.other_id))
    alive: set[str] = set()
    for other_label, uids in wanted.items():
        rows = tx.run(EXISTING.format(label=other_label), {"uids": sorted(uids)})
        alive.update(str(r["uid"]) for r in rows)
    ok = [e for e in edges if schema.uid(tenant, e.other_id) in alive]
    lost = [{**e.to_json(), "from": e.owner} for e in edges if schema.uid(tenant, e.other_id) not in alive]
    _create_edges(tx, store, tenant, label, ok)
    return len(ok), lost


def _restore_keep(
    tx: Tx,
    store: GraphStore,
    label: str,
    keep_uid: str,
    keep: dict[str, Any],
    entry: dict[str, Any],
    remaining: list[dict[str, Any]],
) -> None:
    cols = schema.node_spec(label).columns
    before = {k: _decode(v, cols[k]) for k, v in entry["keep_before"].items()}
    before_custom = {k: v for k, v in _custom(before).items() if k != MERGED_KEY}
    untouched = keep.get("updated_at") == datetime.fromisoformat(entry["at"])
    if untouched:
        values = {k: v for k, v in before.items() if k not in ("uid", "tenant", "id", "custom")}
        custom = before_custom
    else:  # edited since the merge: undo only what the merge set and nobody changed since
        values = {}
        for name, set_value in entry["changes"].items():
            if keep.get(name) == _decode(set_value, cols[name]):
                values[name] = before.get(name)
        custom = {k: v for k, v in _custom(keep).items() if k != MERGED_KEY}
        for key in entry.get("custom_added", []):
            custom.pop(key, None)
        values["updated_at"] = datetime.now(UTC)
    if remaining:
        custom[MERGED_KEY] = remaining
    values["custom"] = json.dumps(custom, sort_keys=True, default=str)
    if untouched and _custom(before).get(MERGED_KEY, []) == remaining:
        values["custom"] = before.get("custom")  # byte for byte what it was
    _set_node(tx, store, label, keep_uid, values)
