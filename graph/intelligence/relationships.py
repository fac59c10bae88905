"""Who a person knows, strongest first, with the evidence behind each relationship."""

from __future__ import annotations

from typing import Any, Final

from graph import schema
from graph.intelligence.people import evidence_of
from graph.repositories import base
from graph.store import GraphStore

OF_PERSON: Final = (
    "MATCH (p:{label} {{uid: $uid}})-[k:KNOWS]-(o:{other}) "
    "RETURN o.id AS id, o.name AS name, o.title AS title, k.strength AS strength, k.interactions AS interactions, "
    "k.last_at AS last_at, k.reciprocity AS reciprocity, k.evidence AS evidence"
)
RECENT: Final = (
    "UNWIND $uids AS u MATCH (i:Interaction {uid: u}) "
    "RETURN i.id AS id, i.kind AS kind, i.subject AS subject, i.occurred_at AS occurred_at"
)
EMPLOYER: Final = (
    "UNWIND $uids AS u MATCH (c:Contact {uid: u})-[w:WORKS_AT]->(a:Account) WHERE w.until IS NULL "
    "RETURN c.id AS id, a.id AS account_id, a.name AS account"
)


def relationships(*, store: GraphStore, tenant: str, label: str, person_id: str, limit: int) -> list[dict[str, Any]]:
    """The person's KNOWS relationships (contacts and reps), strongest first, with evidence:
    counts by channel, the latest interactions, reciprocity, the other person's current employer."""
    uid = base.require(store=store, tenant=tenant, label=label, record_id=person_id)
    rows: list[dict[str, Any]] = []
    for other in ("Contact", "Rep"):
        for r in store.read(tenant, OF_PERSON.format(label=label, other=other), {"uid": uid}):
            rows.append({**r, "kind": other.lower()})
    rows.sort(key=lambda r: -(r["strength"] or 0.0))
    rows = rows[:limit]
    recent_ids: set[str] = set()
    for r in rows:
        evidence = evidence_of(r.pop("evidence"))
        r["by_channel"] = evidence.get("by_kind", {})
        r["recent_ids"] = evidence.get("recent_ids", [])[:3]
        recent_ids.update(r["recent_ids"])
    recent = {
        x["id"]: x for x in store.read(tenant, RECENT, {"uids": [schema.uid(tenant, i) for i in sorted(recent_ids)]})
    }
    contacts = [schema.uid(tenant, r["id"]) for r in rows if r["kind"] == "contact"]
    employers = {x["id"]: x for x in store.read(tenant, EMPLOYER, {"uids": contacts})}
    for r in rows:
        r["last_interactions"] = [recent[i] for i in r.pop("recent_ids") if i in recent]
        job = employers.get(r["id"]) if r["kind"] == "contact" else None
        r["account"] = {"id": job["account_id"], "name": job["account"]} if job else None
    return rows
