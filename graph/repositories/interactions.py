"""Interactions (emails, meetings, calls, notes) with their participants, recorded atomically."""

from __future__ import annotations

from typing import Any, Final

from graph import schema
from graph.cypher import label_of, prop_map, prop_params
from graph.errors import NotFound
from graph.model import Interaction, InteractionRecord
from graph.repositories import base
from graph.repositories.nodes import NodeRepository
from graph.store import GraphStore, Tx

interactions: Final = NodeRepository("Interaction", Interaction)

EXISTING_PEOPLE: Final = "UNWIND $uids AS u MATCH (p:{label} {{uid: u}}) RETURN p.uid AS uid"
CREATE_INTERACTION: Final = "CREATE (i:Interaction{props})"
LINK_PARTICIPANTS: Final = (
    "UNWIND $rows AS r MATCH (p:{label} {{uid: r.person}}) MATCH (i:Interaction {{uid: $uid}}) "
    "CREATE (p)-[:PARTICIPATED_IN {{role: r.role}}]->(i)"
)
LINK_ABOUT: Final = "MATCH (i:Interaction {{uid: $uid}}) MATCH (x:{label} {{uid: $about}}) CREATE (i)-[:ABOUT]->(x)"
PARTICIPANTS: Final = (
    "MATCH (p)-[r:PARTICIPATED_IN]->(i:Interaction {{uid: $uid}}) "
    "RETURN p.id AS person_id, p.name AS name, {label} AS kind, r.role AS role"
)
OF_PERSON: Final = (
    "MATCH (p:{label} {{uid: $person}})-[:PARTICIPATED_IN]->(i:Interaction) WHERE i.uid > $after "
    "RETURN DISTINCT i ORDER BY i.uid LIMIT $limit"
)
LABELS: Final = {"contact": "Contact", "rep": "Rep"}


def record(*, store: GraphStore, tenant: str, data: InteractionRecord) -> Interaction:
    """Create the interaction, its participants and what it is about, all or nothing.

    Unknown participants, deals or accounts raise NotFound and nothing is written."""
    people = {(LABELS[p.kind], schema.uid(tenant, p.person_id)) for p in data.participants}
    for label in ("Contact", "Rep"):
        wanted = sorted(u for lb, u in people if lb == label)
        found = {r["uid"] for r in store.read(tenant, EXISTING_PEOPLE.format(label=label), {"uids": wanted})}
        missing = [u.split("/", 1)[1] for u in wanted if u not in found]
        if missing:
            raise NotFound(f"{label.lower()} {missing[0]!r} not found (participant)")
    about = _about(store, tenant, data)
    fields = data.model_dump(exclude={"participants", "about_deal_id", "about_account_id"}, exclude_none=True)
    spec = schema.NODES["Interaction"]
    record_id = fields.get("id") or base.new_id()
    now = base.now_utc()
    row = base.full_row(spec, tenant, record_id, base.to_stored(spec, fields), created=now, updated=now)
    uid = row["uid"]

    def work(tx: Tx) -> None:
        tx.run(CREATE_INTERACTION.format(props=prop_map(store.dialect, spec.columns.items())), prop_params(row))
        for kind, label in LABELS.items():
            rows = [
                {"person": schema.uid(tenant, p.person_id), "role": p.role} for p in data.participants if p.kind == kind
            ]
            if rows:
                tx.run(LINK_PARTICIPANTS.format(label=label), {"rows": rows, "uid": uid})
        for label, target in about:
            tx.run(LINK_ABOUT.format(label=label), {"uid": uid, "about": target})

    store.write_tx(tenant, work)
    return interactions.get(store=store, tenant=tenant, record_id=record_id)


def _about(store: GraphStore, tenant: str, data: InteractionRecord) -> list[tuple[str, str]]:
    out = []
    for label, rid in (("Deal", data.about_deal_id), ("Account", data.about_account_id)):
        if rid is not None:
            out.append((label, base.require(store=store, tenant=tenant, label=label, record_id=rid)))
    return out


def participants(*, store: GraphStore, tenant: str, interaction_id: str) -> list[dict[str, Any]]:
    uid = interactions.require(store=store, tenant=tenant, record_id=interaction_id)
    rows = store.read(tenant, PARTICIPANTS.format(label=label_of(store.dialect, "p")), {"uid": uid})
    return [{**r, "kind": str(r["kind"]).lower()} for r in rows]


def of_person(
    *, store: GraphStore, tenant: str, kind: str, person_id: str, cursor: str | None, limit: int
) -> tuple[list[Interaction], str | None]:
    label = LABELS[kind]
    person = base.require(store=store, tenant=tenant, label=label, record_id=person_id)
    after = base.decode_cursor(cursor)
    limit = max(1, min(limit, base.MAX_PAGE))
    params = {"person": person, "after": schema.uid(tenant, after) if after else "", "limit": limit + 1}
    rows = [base.from_stored(r["i"]) for r in store.read(tenant, OF_PERSON.format(label=label), params)]
    page, nxt = base.page(rows, limit)
    return [Interaction.model_validate(r) for r in page], nxt
