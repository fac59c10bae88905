"""Account hierarchies: ancestors and the whole subtree of any depth, with roll-ups per node and
in total: open pipeline, won revenue, contacts, coverage (share of senior contacts with a strong
relationship to any of our reps) and last interaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from graph import schema
from graph.analytics.hierarchy import AccountMetrics, RollupNode, ancestors, subtree
from graph.analytics.titles import parse_title
from graph.repositories import base
from graph.store import GraphStore

FOREST: Final = (
    "MATCH (c:Account)-[:SUBSIDIARY_OF]->(p:Account) WHERE c.tenant = $tenant RETURN c.id AS child, p.id AS parent"
)
NAMES: Final = "UNWIND $uids AS u MATCH (a:Account {uid: u}) RETURN a.id AS id, a.name AS name"
DEALS: Final = (
    "UNWIND $uids AS u MATCH (d:Deal)-[:FOR_ACCOUNT]->(a:Account {uid: u}) "
    "RETURN a.id AS account, d.status AS status, d.amount AS amount"
)
STAFF: Final = (
    "UNWIND $uids AS u MATCH (c:Contact)-[w:WORKS_AT]->(a:Account {uid: u}) WHERE w.until IS NULL "
    "RETURN a.id AS account, c.uid AS contact, coalesce(w.title, c.title) AS title"
)
STRONG_REP: Final = (
    "UNWIND $uids AS u MATCH (c:Contact {uid: u})-[k:KNOWS]-(:Rep) WHERE k.strength >= $threshold "
    "RETURN DISTINCT c.uid AS contact"
)
LAST_TOUCH: Final = (
    "UNWIND $uids AS u MATCH (c:Contact {uid: u})-[:PARTICIPATED_IN]->(i:Interaction) "
    "RETURN c.uid AS contact, max(i.occurred_at) AS last"
)
SENIOR_LEVEL: Final = 3  # director and above
STRONG: Final = 0.3


def hierarchy(*, store: GraphStore, tenant: str, account_id: str) -> dict[str, Any]:
    base.require(store=store, tenant=tenant, label="Account", record_id=account_id)
    parent_of = {r["child"]: r["parent"] for r in store.read(tenant, FOREST, {"tenant": tenant})}
    chain = ancestors(parent_of, account_id)
    members = _subtree_ids(parent_of, account_id)
    metrics = _metrics(store, tenant, members)
    tree = subtree(parent_of, account_id, metrics)
    names = _names(store, tenant, [*members, *chain])
    return {
        "ancestors": [{"id": a, "name": names.get(a)} for a in chain],
        "tree": _json(tree, names),
        "total": _totals(tree.total),
    }


def _subtree_ids(parent_of: dict[str, str], root: str) -> list[str]:
    children: dict[str, list[str]] = {}
    for child, parent in parent_of.items():
        children.setdefault(parent, []).append(child)
    out, stack = [], [root]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(children.get(node, []))
    return out


def _metrics(store: GraphStore, tenant: str, accounts: list[str]) -> dict[str, AccountMetrics]:
    uids = [schema.uid(tenant, a) for a in accounts]
    pipeline: dict[str, float] = {}
    won: dict[str, float] = {}
    for r in store.read(tenant, DEALS, {"uids": uids}):
        amount = float(r["amount"] or 0.0)
        if r["status"] == "open":
            pipeline[r["account"]] = pipeline.get(r["account"], 0.0) + amount
        elif r["status"] == "won":
            won[r["account"]] = won.get(r["account"], 0.0) + amount
    staff = store.read(tenant, STAFF, {"uids": uids})
    contact_uids = sorted({r["contact"] for r in staff})
    strong = {r["contact"] for r in store.read(tenant, STRONG_REP, {"uids": contact_uids, "threshold": STRONG})}
    last = {r["contact"]: r["last"] for r in store.read(tenant, LAST_TOUCH, {"uids": contact_uids})}
    per: dict[str, dict[str, Any]] = {a: {"contacts": 0, "senior": 0, "covered": 0, "last": None} for a in accounts}
    for r in staff:
        m = per[r["account"]]
        m["contacts"] += 1
        if r["title"] and parse_title(r["title"]).level >= SENIOR_LEVEL:
            m["senior"] += 1
            m["covered"] += r["contact"] in strong
        when: datetime | None = last.get(r["contact"])
        if when is not None and (m["last"] is None or when > m["last"]):
            m["last"] = when
    return {
        a: AccountMetrics(
            open_pipeline=pipeline.get(a, 0.0),
            won_revenue=won.get(a, 0.0),
            contacts=m["contacts"],
            senior_contacts=m["senior"],
            senior_covered=m["covered"],
            last_interaction=m["last"],
        )
        for a, m in per.items()
    }


def _names(store: GraphStore, tenant: str, ids: list[str]) -> dict[str, str]:
    rows = store.read(tenant, NAMES, {"uids": [schema.uid(tenant, i) for i in ids]})
    return {r["id"]: r["name"] for r in rows}


def _totals(t: Any) -> dict[str, Any]:
    return {
        "accounts": t.accounts,
        "open_pipeline": round(t.open_pipeline, 2),
        "won_revenue": round(t.won_revenue, 2),
        "contacts": t.contacts,
        "senior_contacts": t.senior_contacts,
        "senior_covered": t.senior_covered,
        "coverage": None if t.coverage is None else round(t.coverage, 4),
        "last_interaction": t.last_interaction,
    }


def _json(root: RollupNode, names: dict[str, str]) -> dict[str, Any]:
    def node(n: RollupNode) -> dict[str, Any]:
        return {
            "id": n.account,
            "name": names.get(n.account),
            "depth": n.depth,
            "own": _totals(n.own),
            "total": _totals(n.total),
            "children": [],
        }

    top = node(root)
    stack = [(root, top)]
    while stack:
        n, out = stack.pop()
        for child in n.children:
            c = node(child)
            out["children"].append(c)
            stack.append((child, c))
    return top
