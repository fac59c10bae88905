"""The org chart of an account: explicit reporting lines plus inferred ones, each node annotated
with influence, the strongest relationship to one of our reps and whether we met them lately.

Inference (``graph.analytics.orgchart``) uses titles (seniority and department) and interaction
patterns (who writes to whom, who is cc'd); an inferred line carries its confidence and evidence
and never overrides an explicit one.

Everything is read in a handful of account-scoped queries as columns (``read_frame``): the staff,
their explicit lines, the emails each sent, and their stored KNOWS edges, whose evidence carries
the directed To/Cc counts (``graph.intelligence.knows`` keeps them current after every write and
import). Replaying the account's interactions instead cost seconds for a 5,000-person account.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import numpy as np
import pandas as pd

from graph import schema
from graph.analytics.csr import IdIndex
from graph.analytics.influence import InfluenceResult
from graph.analytics.orgchart import OrgChart, OrgNode, OrgPerson, build_org_chart
from graph.analytics.strength import DirectedEmailCounts
from graph.intelligence import people as P
from graph.intelligence.influence import Person, compute_arrays, explain, levels_of
from graph.repositories import base
from graph.store import GraphStore

RECENT: Final = timedelta(days=90)

STAFF_LINES: Final = (
    "MATCH (c:Contact)-[:WORKS_AT]->(a:Account {uid: $account}) MATCH (c)-[r:REPORTS_TO]->(m:Contact) "
    "WHERE r.source = 'explicit' RETURN c.id AS report, m.id AS manager"
)
STAFF_SENT: Final = (
    "MATCH (c:Contact)-[:WORKS_AT]->(a:Account {uid: $account}) MATCH (c)-[r:PARTICIPATED_IN]->(i:Interaction) "
    "WHERE r.role = 'from' AND i.kind = 'email' RETURN c.id AS id, count(*) AS sent"
)
# Each KNOWS edge runs from the smaller person key to the larger: a.id/b.id keep that direction so
# the evidence's [a->b, b->a] counts read the right way round.
STAFF_KNOWS: Final = (
    "MATCH (c:Contact)-[:WORKS_AT]->(a:Account {uid: $account}) MATCH (c)-[k:KNOWS]->(o:Contact) "
    "RETURN c.id AS a, o.id AS b, k.strength AS strength, k.evidence AS evidence"
)
STAFF_REPS: Final = (
    "MATCH (c:Contact)-[:WORKS_AT]->(a:Account {uid: $account}) MATCH (c)-[k:KNOWS]-(r:Rep) "
    "RETURN c.id AS contact, r.id AS rep, r.name AS rep_name, k.strength AS strength, k.last_at AS last_at"
)


@dataclass
class _AccountData:
    account: dict[str, Any]
    staff: dict[str, dict[str, Any]]
    explicit: list[tuple[str, str]]
    counts: DirectedEmailCounts
    pairs: list[tuple[str, str, float]]  # contact ids inside the account, strength
    reps: pd.DataFrame


def _read(store: GraphStore, tenant: str, account_id: str, now: datetime) -> _AccountData:
    account = base.get_node(store=store, tenant=tenant, label="Account", record_id=account_id)
    params = {"account": schema.uid(tenant, account_id)}
    staff = _current_staff(store.read_frame(tenant, P.ACCOUNT_CONTACTS, params), now)
    explicit = [(r, m) for r, m in store.read_frame(tenant, STAFF_LINES, params).itertuples(index=False) if r in staff]
    counts = DirectedEmailCounts()
    for cid, sent in store.read_frame(tenant, STAFF_SENT, params).itertuples(index=False):
        if cid in staff:
            counts.sent[cid] = int(sent)
    pairs: list[tuple[str, str, float]] = []
    knows = store.read_frame(tenant, STAFF_KNOWS, params)
    for a, b, strength, evidence in knows.itertuples(index=False):
        if a not in staff or b not in staff:
            continue
        pairs.append((a, b, float(strength or 0.0)))
        _add_counts(counts, a, b, evidence)
    reps = store.read_frame(tenant, STAFF_REPS, params)
    return _AccountData(account, staff, explicit, counts, pairs, reps[reps["contact"].isin(list(staff))])


def _current_staff(frame: pd.DataFrame, now: datetime) -> dict[str, dict[str, Any]]:
    """Contact id -> its row, for people still employed (no end date, or one not yet passed)."""
    today = pd.Timestamp(now.date(), tz=UTC)
    current = frame[frame["until"].isna() | (frame["until"] >= today)]
    columns = [P.texts(current[c]) for c in ("id", "name", "title", "department")]
    return {
        str(cid): {"id": cid, "name": name, "title": title, "department": department}
        for cid, name, title, department in zip(*columns, strict=True)
    }


_NO_EMAIL: Final = '"email_cc": [0, 0], "email_to": [0, 0]'  # as json.dumps(sort_keys=True) writes it


def _add_counts(counts: DirectedEmailCounts, a: str, b: str, evidence: str | None) -> None:
    if not evidence or '"email_' not in evidence or _NO_EMAIL in evidence:
        return  # no email between them (or stored before the counts were kept: run refresh-knows)
    ev = json.loads(evidence)
    for table, field in ((counts.to, "email_to"), (counts.cc, "email_cc")):
        ab, ba = (ev.get(field) or (0, 0))[:2]
        if ab:
            table[(a, b)] = int(ab)
        if ba:
            table[(b, a)] = int(ba)


def org_chart(
    *, store: GraphStore, tenant: str, account_id: str, include_inferred: bool = True, now: datetime | None = None
) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    data = _read(store, tenant, account_id, now)
    chart = _chart(data, include_inferred)
    ranked = _influence(data, chart)
    facts = _rep_facts(data.reps, now)
    return {
        "account": {"id": data.account["id"], "name": data.account.get("name")},
        "people": len(data.staff),
        "explicit_lines": sum(1 for e in chart.edges if e.source == "explicit"),
        "inferred_lines": sum(1 for e in chart.edges if e.source == "inferred"),
        "dropped_lines": [{"report": d.report, "manager": d.manager, "reason": d.reason} for d in chart.dropped],
        "roots": [_tree(root, ranked, facts) for root in chart.roots],
    }


def _chart(data: _AccountData, include_inferred: bool) -> OrgChart:
    people = [
        OrgPerson(key=i, title=r["title"], name=r["name"], department=r["department"]) for i, r in data.staff.items()
    ]
    return build_org_chart(people, explicit=data.explicit, email_counts=data.counts, include_inferred=include_inferred)


def _people(data: _AccountData) -> dict[str, Person]:
    return {P.key("Contact", i): Person(P.key("Contact", i), r["name"], r["title"]) for i, r in data.staff.items()}


def _lines(chart: OrgChart) -> list[tuple[str, str, float]]:
    return [(P.key("Contact", e.report), P.key("Contact", e.manager), e.confidence) for e in chart.edges]


def _rank(data: _AccountData, chart: OrgChart) -> InfluenceResult:
    """Influence inside the account over person keys (``compute``'s, on arrays: this runs on every
    chart of up to thousands of people). ``data.staff`` must not be empty."""
    ids = list(data.staff)
    at = {cid: i for i, cid in enumerate(ids)}
    pairs = [(at[a], at[b], w) for a, b, w in data.pairs if w > 0]
    lines = [(at[e.report], at[e.manager], e.confidence) for e in chart.edges]
    keys = [P.key("Contact", cid) for cid in ids]
    return compute_arrays(
        IdIndex(tuple(keys), dict(zip(keys, range(len(keys)), strict=True))),
        np.array([a for a, _, _ in pairs], dtype=np.int64),
        np.array([b for _, b, _ in pairs], dtype=np.int64),
        np.array([w for _, _, w in pairs], dtype=np.float64),
        (
            np.array([r for r, _, _ in lines], dtype=np.int64),
            np.array([m for _, m, _ in lines], dtype=np.int64),
            np.array([c for _, _, c in lines], dtype=np.float64),
        ),
        levels_of([r["title"] for r in data.staff.values()]),
    )


def _influence(data: _AccountData, chart: OrgChart) -> dict[str, float]:
    """Contact id -> blended influence inside the account."""
    if not data.staff:
        return {}
    return dict(zip(data.staff, _rank(data, chart).score.tolist(), strict=True))


def _rep_facts(reps: pd.DataFrame, now: datetime) -> dict[str, dict[str, Any]]:
    """Per contact id: the strongest rep relationship and the last time any rep met them
    (grouped in pandas: a large account has tens of thousands of rep pairs)."""
    if reps.empty:
        return {}
    reps = reps.assign(strength=reps["strength"].fillna(0.0).astype(float))
    best = reps.sort_values(["contact", "strength", "rep"], ascending=[True, False, True]).drop_duplicates("contact")
    last = best["contact"].map(reps.groupby("contact")["last_at"].max())
    recent = ((pd.Timestamp(now) - last) <= RECENT).tolist()  # NaT compares False
    when = [None if pd.isna(t) else t for t in last.dt.to_pydatetime()]
    names = [n if isinstance(n, str) else None for n in best["rep_name"].tolist()]
    strengths = best["strength"].round(3).tolist()
    out: dict[str, dict[str, Any]] = {}
    for contact, rep, name, strength, met, fresh in zip(
        best["contact"].tolist(), best["rep"].tolist(), names, strengths, when, recent, strict=True
    ):
        out[contact] = {
            "strongest_rep": {"id": rep, "name": name, "strength": strength},
            "last_met": met,
            "met_last_90_days": bool(fresh),
        }
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
    """Influence of the account's people, explained (the same inputs and lines as the org chart)."""
    data = _read(store, tenant, account_id, datetime.now(UTC))
    account = {"id": data.account["id"], "name": data.account.get("name")}
    if not data.staff:
        return {"account": account, "people": []}
    chart = _chart(data, include_inferred=True)
    result = _rank(data, chart)
    return {"account": account, "people": explain(result, _people(data), _lines(chart), limit)}
