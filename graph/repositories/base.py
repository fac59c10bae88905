"""Node persistence shared by every aggregate: get, create, partial update, delete, list, upsert.

The aggregate modules (accounts.py, contacts.py, ...) give these typed names and add their
relationships. Statements are templates over a label taken from ``graph.schema`` (labels cannot be
parameters in Cypher); every value is a parameter.

Upsert by external id is the fast, idempotent batch path (Ladybug runs ``UNWIND ... MERGE`` at
~900 rows/s): read which ids exist, create the new ones with the store's bulk insert, update only
rows whose values changed, and report created/updated/unchanged.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

from graph import schema
from graph.cypher import cast
from graph.errors import DuplicateId, InvalidInput, NotFound
from graph.store import Dialect, GraphStore, Row, Tx

GET_NODE: Final = "MATCH (n:{label} {{uid: $uid}}) RETURN n"
GET_COLUMNS: Final = "UNWIND $uids AS u MATCH (n:{label} {{uid: u}}) RETURN {cols}"
# One record: a direct primary-key match (UNWIND of a one-element list plans a join on Ladybug).
EXISTS: Final = "MATCH (n:{label} {{uid: $uid}}) RETURN n.uid AS uid"
DELETE_NODE: Final = "MATCH (n:{label} {{uid: $uid}}) DETACH DELETE n"
# MERGE on the primary key: deleting, re-creating and deleting again the same id is fine.
TOMBSTONE: Final = (
    "MERGE (t:Tombstone {{uid: $tuid}}) SET t.tenant = $tenant, t.id = $tid, t.label = $label, "
    "t.record_id = $rid, t.deleted_at = {ts}, t.created_at = {ts}, t.updated_at = {ts}, t.custom = '{{}}'"
)
TOUCH: Final = "MATCH (n:{label} {{uid: $uid}}) SET n.updated_at = {ts}"
LIST_NODES: Final = (
    "MATCH (n:{label}) WHERE n.tenant = $tenant AND n.uid > $after {where} RETURN n ORDER BY n.uid LIMIT $limit"
)

MAX_PAGE: Final = 500
SYSTEM_FIELDS: Final = frozenset({"uid", "tenant", "id", "created_at", "updated_at"})


@dataclass(frozen=True)
class UpsertResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: UpsertResult) -> UpsertResult:
        return UpsertResult(
            self.created + other.created, self.updated + other.updated, self.unchanged + other.unchanged
        )


# --- conversion between records and stored rows ----------------------------------------------------
def to_stored(spec: schema.NodeSpec, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Keep schema properties only; custom fields become a JSON string column."""
    out = {k: v for k, v in fields.items() if k in spec.props}
    if "custom" in fields:
        out["custom"] = json.dumps(fields["custom"] or {}, sort_keys=True, default=str)
    return out


def from_stored(node: Mapping[str, Any]) -> dict[str, Any]:
    """A stored node -> the fields of the read model (custom parsed back to a dict)."""
    out = {k: v for k, v in node.items() if not k.startswith("_") and k not in ("uid", "tenant")}
    out["custom"] = json.loads(node.get("custom") or "{}")
    if "other_emails" in out and out["other_emails"] is None:
        out["other_emails"] = []
    return {k: v for k, v in out.items() if v is not None}


def new_id() -> str:
    return uuid.uuid4().hex


def now_utc() -> datetime:
    return datetime.now(UTC)


# --- single records --------------------------------------------------------------------------------
def get_node(*, store: GraphStore, tenant: str, label: str, record_id: str) -> dict[str, Any]:
    rows = store.read(tenant, GET_NODE.format(label=label), {"uid": schema.uid(tenant, record_id)})
    if not rows:
        raise NotFound(f"{label.lower()} {record_id!r} not found")
    return from_stored(rows[0]["n"])


def require(*, store: GraphStore, tenant: str, label: str, record_id: str) -> str:
    """The uid of an existing record, or NotFound naming it (used before linking records)."""
    rows = store.read(tenant, EXISTS.format(label=label), {"uid": schema.uid(tenant, record_id)})
    if not rows:
        raise NotFound(f"{label.lower()} {record_id!r} not found")
    return str(rows[0]["uid"])


def create_node(*, store: GraphStore, tenant: str, label: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    spec = schema.node_spec(label)
    record_id = fields.get("id") or new_id()
    now = now_utc()
    row = full_row(spec, tenant, record_id, to_stored(spec, fields), created=now, updated=now)
    store.bulk_insert_nodes(tenant, label, [row])  # DuplicateId if the id is taken
    return get_node(store=store, tenant=tenant, label=label, record_id=record_id)


def update_node(
    *, store: GraphStore, tenant: str, label: str, record_id: str, changes: Mapping[str, Any]
) -> dict[str, Any]:
    """Partial update: only the given fields change; ``custom`` is merged (a null value deletes)."""
    spec = schema.node_spec(label)
    current = get_node(store=store, tenant=tenant, label=label, record_id=record_id)
    changes = dict(changes)
    if "custom" in changes:
        merged = {**current.get("custom", {}), **(changes["custom"] or {})}
        changes["custom"] = {k: v for k, v in merged.items() if v is not None}
    stored = to_stored(spec, changes)
    if not stored:
        return current
    stored["updated_at"] = now_utc()
    stored["uid"] = schema.uid(tenant, record_id)
    _write_updates(store, tenant, spec, [stored])
    return get_node(store=store, tenant=tenant, label=label, record_id=record_id)


def delete_node(*, store: GraphStore, tenant: str, label: str, record_id: str) -> None:
    """Delete the record and its relationships, leaving a tombstone (same transaction)."""
    require(store=store, tenant=tenant, label=label, record_id=record_id)
    tid = f"{label}:{record_id}"
    params = {
        "uid": schema.uid(tenant, record_id),
        "tuid": schema.uid(tenant, tid),
        "tenant": tenant,
        "tid": tid,
        "label": label,
        "rid": record_id,
        "now": now_utc(),
    }
    ts = cast(store.dialect, "$now", schema.PType.TIMESTAMP)

    def work(tx: Tx) -> None:
        tx.run(DELETE_NODE.format(label=label), params)
        tx.run(TOMBSTONE.format(ts=ts), params)

    store.write_tx(tenant, work)


def touch(tx: Tx, dialect: Dialect, label: str, uid: str) -> None:
    """Mark a record changed because its relationships changed (derived views key on updated_at)."""
    tx.run(TOUCH.format(label=label, ts=cast(dialect, "$now", schema.PType.TIMESTAMP)), {"uid": uid, "now": now_utc()})


# --- lists -----------------------------------------------------------------------------------------
def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode()).decode()


def decode_cursor(cursor: str | None) -> str:
    if not cursor:
        return ""
    try:
        return base64.b64decode(cursor.encode(), altchars=b"-_", validate=True).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("invalid cursor: pass back the next_cursor of the previous page") from exc


def list_nodes(
    *,
    store: GraphStore,
    tenant: str,
    label: str,
    filters: Mapping[str, Any] | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page ordered by id; ``filters`` are equality on schema properties (None values ignored)."""
    spec = schema.node_spec(label)
    limit = max(1, min(limit, MAX_PAGE))
    after_id = decode_cursor(cursor)
    params: dict[str, Any] = {"tenant": tenant, "after": schema.uid(tenant, after_id) if after_id else ""}
    clauses = []
    for i, (name, value) in enumerate((filters or {}).items()):
        if value is None:
            continue
        if name not in spec.props:
            raise InvalidInput(f"cannot filter {label} by {name!r}")
        clauses.append(f"AND n.{name} = {cast(store.dialect, f'$f{i}', spec.props[name])}")
        params[f"f{i}"] = value
    params["limit"] = limit + 1
    query = LIST_NODES.format(label=label, where=" ".join(clauses))
    rows = [from_stored(r["n"]) for r in store.read(tenant, query, params)]
    return page(rows, limit)


def page(rows: list[dict[str, Any]], limit: int) -> tuple[list[dict[str, Any]], str | None]:
    """Cut one extra row off to know whether a next page exists."""
    if len(rows) > limit:
        return rows[:limit], encode_cursor(str(rows[limit - 1]["id"]))
    return rows, None


# --- batch upsert by external id -------------------------------------------------------------------
def upsert_nodes(
    *,
    store: GraphStore,
    tenant: str,
    label: str,
    rows: Sequence[Mapping[str, Any]],
    defaults: Mapping[str, Any] | None = None,
    merge_custom: bool = False,
) -> UpsertResult:
    """Create or update by ``id``. Running the same rows twice changes nothing the second time.

    Each row must carry ``id``; fields it leaves out are not touched on update (``custom`` is
    replaced as a whole when given) and take ``defaults`` on create. Duplicate ids inside one
    batch: the last row wins.
    """
    spec = schema.node_spec(label)
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:
        if not row.get("id"):
            raise InvalidInput(f"upsert of {label}: every row needs an id")
        latest[str(row["id"])] = to_stored(spec, row)
    if not latest:
        return UpsertResult()
    existing = _existing(store, tenant, label, list(latest), {k for f in latest.values() for k in f})
    if merge_custom:
        _merge_custom(latest, existing)
    now = now_utc()
    base_fields = to_stored(spec, defaults or {})
    creates = [
        full_row(spec, tenant, rid, {**base_fields, **fields}, created=now, updated=now)
        for rid, fields in latest.items()
        if rid not in existing
    ]
    updates = _changed(latest, existing)
    if creates:
        try:
            store.bulk_insert_nodes(tenant, label, creates)
        except DuplicateId:  # a concurrent writer created some of them: fall back to a fresh diff
            return upsert_nodes(
                store=store, tenant=tenant, label=label, rows=rows, defaults=defaults, merge_custom=merge_custom
            )
    for u in updates:
        u["updated_at"] = now
    _write_updates(store, tenant, spec, updates)
    return UpsertResult(created=len(creates), updated=len(updates), unchanged=len(latest) - len(creates) - len(updates))


def _write_updates(store: GraphStore, tenant: str, spec: schema.NodeSpec, updates: list[dict[str, Any]]) -> None:
    """SET the given properties; rows that change the same properties share one UNWIND."""
    for group in _group_by_props(updates).values():
        store.bulk_update_nodes(tenant, spec.label, group)


def _merge_custom(latest: dict[str, dict[str, Any]], existing: Mapping[str, Mapping[str, Any]]) -> None:
    """Importers add custom fields key by key: a second source must not erase the first's."""
    for rid, fields in latest.items():
        stored = existing.get(rid)
        if stored is None or "custom" not in fields:
            continue
        merged = {**json.loads(stored.get("custom") or "{}"), **json.loads(fields["custom"])}
        fields["custom"] = json.dumps(merged, sort_keys=True, default=str)


def _existing(
    store: GraphStore, tenant: str, label: str, ids: list[str], props: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """The stored values of ``props`` for the ids that exist (only those columns: converting whole
    nodes was half the cost of an upsert batch)."""
    columns = ["uid", "id", *sorted(set(props) - {"uid", "id"})]
    query = GET_COLUMNS.format(label=label, cols=", ".join(f"n.{c} AS {c}" for c in columns))
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks([schema.uid(tenant, i) for i in ids], 5000):
        for r in store.read(tenant, query, {"uids": chunk}):
            found[str(r["id"])] = r
    return found


def _changed(latest: Mapping[str, dict[str, Any]], existing: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for rid, fields in latest.items():
        stored = existing.get(rid)
        if stored is None:
            continue
        diff = {k: v for k, v in fields.items() if not _same(stored.get(k), v)}
        if diff:
            diff["uid"] = stored["uid"]
            out.append(diff)
    return out


def _same(stored: Any, new: Any) -> bool:
    if isinstance(new, datetime) and isinstance(stored, datetime):
        return stored.astimezone(UTC) == (new if new.tzinfo else new.replace(tzinfo=UTC)).astimezone(UTC)
    if isinstance(new, date) and isinstance(stored, datetime):
        return stored.date() == new
    if isinstance(new, list | tuple) or isinstance(stored, list | tuple):
        return list(stored or []) == list(new or [])
    if isinstance(new, float) and isinstance(stored, int | float):
        return abs(float(stored) - new) < 1e-9
    return bool(stored == new)


def _group_by_props(updates: list[dict[str, Any]]) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    """Rows that change the same properties share one UNWIND statement."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for u in updates:
        key = tuple(sorted(k for k in u if k != "uid"))
        groups.setdefault(key, []).append(u)
    return groups


def full_row(
    spec: schema.NodeSpec,
    tenant: str,
    record_id: str,
    fields: Mapping[str, Any],
    *,
    created: datetime,
    updated: datetime,
) -> Row:
    row: Row = {name: None for name in spec.columns}
    row.update({k: v for k, v in fields.items() if k not in SYSTEM_FIELDS})
    row.update(uid=schema.uid(tenant, record_id), tenant=tenant, id=record_id, created_at=created, updated_at=updated)
    if row.get("custom") is None:
        row["custom"] = "{}"
    return row


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
