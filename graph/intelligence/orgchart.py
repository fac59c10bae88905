"""The org chart of an account: explicit reporting lines plus inferred ones, each node annotated
with influence, the strongest relationship to one of our reps and whether we met them lately.

Inference (``graph.analytics.orgchart``) uses titles (seniority and department) and interaction
patterns (who writes to whom, who is cc'd); an inferred line carries its confidence and evidence
and never overrides an explicit one. Relationship facts are computed from the interactions at read
time, so the chart is current even between KNOWS refreshes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

from graph import schema
from graph.analytics.orgchart import OrgChart, OrgNode, OrgPerson, build_org_chart
from graph.analytics.strength import DirectedEmailCounts, PairStrength, StrengthAccumulator
from graph.intelligence import people as P
from graph.intelligence.influence import Person, compute, explain
from graph.repositories import base
from graph.store import GraphStore

RECENT: Final = timedelta(days=90)


def org_chart(
    *, store: GraphStore, tenant: str, account_id: str, include_inferred: bool = True, now: datetime | None = None
) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    account = base.get_node(store=store, tenant=tenant, label="Account", record_id=account_id)
    rows = store.read(tenant, P.ACCOUNT_CONTACTS, {"account": schema.uid(tenant, account_id)})
    today = now.date()
    staff = {r["id"]: r for r in rows if r["until"] is None or r["until"] >= today}
    uids = [schema.uid(tenant, i) for i in staff]
    explicit = [(r["report"], r["manager"]) for r in store.read(tenant, P.EXPLICIT_REPORTS, {"uids": uids})]
    acc = StrengthAccumulator()
    for event in P.events_of_people(store, tenant, [P.key("Contact", i) for i in staff]):
        acc.add(event)
    people = [OrgPerson(key=i, title=r["title"], name=r["name"], department=r["department"]) for i, r in staff.items()]
    chart = build_org_chart(
        people, explicit=explicit, email_counts=_contact_counts(acc.email_counts), include_inferred=include_inferred
    )
    pairs = acc.pairs(now)
    ranked = _influence(staff, chart, pairs)
    rep_names = _rep_names(store, tenant, pairs)
    facts = _rep_facts(pairs, rep_names, now)
    return {
        "account": {"id": account["id"], "name": account.get("name")},
        "people": len(staff),
        "explicit_lines": sum(1 for e in chart.edges if e.source == "explicit"),
        "inferred_lines": sum(1 for e in chart.edges if e.source == "inferred"),
        "dropped_lines": [{"report": d.report, "manager": d.manager, "reason": d.reason} for d in chart.dropped],
        "roots": [_tree(root, ranked, facts) for root in chart.roots],
    }


def _contact_counts(counts: DirectedEmailCounts) -> DirectedEmailCounts:
    """The same counts keyed by contact id (the org chart's keys); reps are left out."""

    def cid(person: str) -> str | None:
        label, rid = P.split_key(person)
        return rid if label == "Contact" else None

    out = DirectedEmailCounts()
    for s, n in counts.sent.items():
        if (c := cid(s)) is not None:
            out.sent[c] = n
    for src, dst in ((counts.to, out.to), (counts.cc, out.cc)):
        for (a, b), n in src.items():
            ca, cb = cid(a), cid(b)
            if ca is not None and cb is not None:
                dst[(ca, cb)] = n
    return out


def _influence(staff: dict[str, dict[str, Any]], chart: OrgChart, pairs: list[PairStrength]) -> dict[str, float]:
    people = [Person(P.key("Contact", i), r["name"], r["title"]) for i, r in staff.items()]
    inside = {p.key for p in people}
    edges = [(p.a, p.b, p.strength) for p in pairs if p.a in inside and p.b in inside]
    lines = [(P.key("Contact", e.report), P.key("Contact", e.manager), e.confidence) for e in chart.edges]
    if not people:
        return {}
    result = compute(people, edges, lines)
    return {P.split_key(str(k))[1]: s for k, s in result.ranking()}


def _rep_names(store: GraphStore, tenant: str, pairs: list[PairStrength]) -> dict[str, str]:
    reps = sorted({P.split_key(x)[1] for p in pairs for x in (p.a, p.b) if x.startswith("Rep:")})
    rows = store.read(
        tenant,
        "UNWIND $uids AS u MATCH (r:Rep {uid: u}) RETURN r.id AS id, r.name AS name",
        {"uids": [schema.uid(tenant, r) for r in reps]},
    )
    return {r["id"]: r["name"] for r in rows}


def _rep_facts(pairs: list[PairStrength], rep_names: dict[str, str], now: datetime) -> dict[str, dict[str, Any]]:
    """Per contact id: the strongest rep relationship and the last time any rep met them."""
    out: dict[str, dict[str, Any]] = {}
    for p in pairs:
        ends = {P.split_key(p.a), P.split_key(p.b)}
        reps = [rid for label, rid in ends if label == "Rep"]
        contacts = [rid for label, rid in ends if label == "Contact"]
        if len(reps) != 1 or len(contacts) != 1:
            continue
        fact = out.setdefault(contacts[0], {"strongest_rep": None, "last_met": None})
        best = fact["strongest_rep"]
        if best is None or p.strength > best["strength"]:
            fact["strongest_rep"] = {"id": reps[0], "name": rep_names.get(reps[0]), "strength": round(p.strength, 3)}
        if fact["last_met"] is None or p.last_at > fact["last_met"]:
            fact["last_met"] = p.last_at
    for fact in out.values():
        fact["met_last_90_days"] = fact["last_met"] is not None and now - fact["last_met"] <= RECENT
    return out


def _tree(root: OrgNode, ranked: dict[str, float], facts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Nested JSON, built without recursion (charts can be deep)."""

    def node(n: OrgNode) -> dict[str, Any]:
        fact = facts.get(n.key, {})
        line = None
        if n.edge is not None:
            line = {
                "source": n.edge.source,
                "confidence": round(n.edge.confidence, 3),
                "evidence": list(n.edge.evidence),
            }
        return {
            "id": n.key,
            "name": n.name,
            "title": n.title,
            "department": n.department,
            "seniority": n.level,
            "influence": round(ranked.get(n.key, 0.0), 4),
            "manager_line": line,
            "strongest_rep": fact.get("strongest_rep"),
            "last_met": fact.get("last_met"),
            "met_last_90_days": bool(fact.get("met_last_90_days", False)),
            "reports": [],
        }

    top = node(root)
    stack = [(root, top)]
    while stack:
        n, out = stack.pop()
        for child in n.children:
            c = node(child)
            out["reports"].append(c)
            stack.append((child, c))
    return top


def account_influence(*, store: GraphStore, tenant: str, account_id: str, limit: int) -> dict[str, Any]:
    """Influence of the account's people, explained (uses the same data as the org chart)."""
    now = datetime.now(UTC)
    chart_data = org_chart(store=store, tenant=tenant, account_id=account_id, now=now)
    rows = store.read(tenant, P.ACCOUNT_CONTACTS, {"account": schema.uid(tenant, account_id)})
    staff = {r["id"]: r for r in rows if r["until"] is None or r["until"] >= now.date()}
    people = {P.key("Contact", i): Person(P.key("Contact", i), r["name"], r["title"]) for i, r in staff.items()}
    acc = StrengthAccumulator()
    for event in P.events_of_people(store, tenant, list(people)):
        acc.add(event)
    inside = set(people)
    edges = [(p.a, p.b, p.strength) for p in acc.pairs(now) if p.a in inside and p.b in inside]
    lines = list(_lines(chart_data["roots"]))
    if not people:
        return {"account": chart_data["account"], "people": []}
    result = compute(list(people.values()), edges, lines)
    return {"account": chart_data["account"], "people": explain(result, people, lines, limit)}


def _lines(roots: list[dict[str, Any]]) -> Any:
    stack = list(roots)
    while stack:
        n = stack.pop()
        for child in n["reports"]:
            yield P.key("Contact", child["id"]), P.key("Contact", n["id"]), child["manager_line"]["confidence"]
            stack.append(child)
