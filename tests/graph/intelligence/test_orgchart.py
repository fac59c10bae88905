"""The org chart service on the real engine: its output is pinned to a straightforward reference
(rows as dicts, ``OrgPerson`` per person, rep facts grouped in pandas, the tree walked node by node:
the implementation before the columnar fast path) on an account with the awkward cases: a person
employed twice, people who left, explicit lines that are dropped, KNOWS with and without email
counts, null and tied strengths, reps on either end of KNOWS, a rep without a name."""

from __future__ import annotations

import gc
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from graph import schema
from graph.analytics.csr import IdIndex
from graph.analytics.orgchart import OrgNode, OrgPerson, build_org_chart
from graph.analytics.strength import DirectedEmailCounts
from graph.backends.embedded import LadybugStore
from graph.intelligence import orgchart
from graph.intelligence import people as P
from graph.intelligence.influence import compute_arrays, levels_of
from graph.repositories import base

T = "t"
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
TITLES = ["CEO", "VP Sales", "Sales Director", "Sales Manager", "Account Executive", "CTO", "Engineer", "", None]


def _uid(record_id: str) -> str:
    return schema.uid(T, record_id)


def _node(record_id: str, **props: Any) -> dict[str, Any]:
    return {"uid": _uid(record_id), "tenant": T, "id": record_id, **props}


def _rel(src: str, dst: str, **props: Any) -> dict[str, Any]:
    return {"src": _uid(src), "dst": _uid(dst), **props}


def _evidence(rng: random.Random) -> str:
    kinds = {"email": rng.randint(1, 30)}
    choice = rng.random()
    if choice < 0.2:
        return json.dumps({"by_kind": kinds})  # stored before the directed counts were kept
    if choice < 0.4:
        return json.dumps({"by_kind": kinds, "email_cc": [0, 0], "email_to": [0, 0]}, sort_keys=True)
    cc = [rng.randint(0, 9), rng.randint(0, 9)]
    to = [rng.randint(0, 12), rng.randint(0, 12)]
    return json.dumps({"by_kind": kinds, "email_cc": cc, "email_to": to}, sort_keys=True)


def _build(store: LadybugStore, seed: int = 3) -> None:
    rng = random.Random(seed)
    people = [f"c{i:02d}" for i in range(40)]
    store.bulk_insert_nodes(T, "Account", [_node("acme", name="Acme"), _node("other", name="Other")])
    contacts = [
        _node(c, name=rng.choice(["Ann", "Bo", None]), title=rng.choice(TITLES), department=rng.choice([None, "x"]))
        for c in [*people, "out1", "out2"]
    ]
    store.bulk_insert_nodes(T, "Contact", contacts)
    store.bulk_insert_nodes(T, "Rep", [_node("r1", name="Rae"), _node("r2", name="Sam"), _node("r3")])
    jobs = []
    for c in people:
        title = rng.choice([*TITLES, "Chief Executive Officer"]) if rng.random() < 0.7 else None
        dept = rng.choice([None, "Sales", "Engineering"])
        jobs.append(_rel(c, "acme", title=title, department=dept))
    jobs[5]["until"] = (NOW - timedelta(days=10)).date()  # left
    jobs[6]["until"] = (NOW + timedelta(days=10)).date()  # leaving, still here
    jobs.append(_rel("out1", "other", title="CEO"))
    store.bulk_insert_rels(T, "WORKS_AT", "Contact", "Account", jobs)
    store.write(  # employed twice: the first row's place, the later row's values
        T,
        "MATCH (c:Contact {uid: $c}) MATCH (a:Account {uid: $a}) CREATE (c)-[:WORKS_AT {title: 'VP Sales'}]->(a)",
        {"c": _uid("c07"), "a": _uid("acme")},
    )
    lines = [_rel(rng.choice(people), rng.choice(people), source="explicit", confidence=1.0) for _ in range(15)]
    lines += [_rel("c01", "out1", source="explicit"), _rel("c02", "c03", source="inferred", confidence=0.4)]
    store.bulk_insert_rels(T, "REPORTS_TO", "Contact", "Contact", lines)
    knows = []
    for _ in range(120):
        a, b = sorted(rng.sample([*people, "out2"], 2))
        strength = rng.choice([None, 0.0, round(rng.random(), 4)])
        knows.append(_rel(a, b, strength=strength, evidence=_evidence(rng), last_at=NOW))
    store.bulk_insert_rels(T, "KNOWS", "Contact", "Contact", knows)
    to_reps = []
    for c in people:
        for rep in rng.sample(["r1", "r2", "r3"], rng.randint(0, 3)):
            last = rng.choice([None, NOW - timedelta(days=rng.randint(1, 200))])
            to_reps.append(_rel(c, rep, strength=rng.choice([None, 0.25, 0.5, round(rng.random(), 5)]), last_at=last))
    store.bulk_insert_rels(T, "KNOWS", "Contact", "Rep", to_reps)
    store.bulk_insert_rels(T, "KNOWS", "Rep", "Contact", [_rel("r2", "c08", strength=0.9, last_at=NOW)])
    mails = [_node(f"m{i}", kind="email", occurred_at=NOW) for i in range(30)]
    store.bulk_insert_nodes(T, "Interaction", mails)
    sent = [_rel(rng.choice(people), f"m{i}", role=rng.choice(["from", "to"])) for i in range(30)]
    store.bulk_insert_rels(T, "PARTICIPATED_IN", "Contact", "Interaction", sent)


# --- the reference: the service as it was written before the columnar fast path -------------------
def _reference(store: LadybugStore, include_inferred: bool, account_id: str = "acme") -> dict[str, Any]:
    account = base.get_node(store=store, tenant=T, label="Account", record_id=account_id)
    params = {"account": _uid(account_id)}
    frame = store.read_frame(T, P.ACCOUNT_CONTACTS, params)
    current = frame[frame["until"].isna() | (frame["until"] >= pd.Timestamp(NOW.date(), tz=UTC))]
    staff = {
        str(cid): {"name": name, "title": title, "department": department}
        for cid, name, title, department in zip(
            *[P.texts(current[c]) for c in ("id", "name", "title", "department")], strict=True
        )
    }
    lines_frame = store.read_frame(T, orgchart.STAFF_LINES, params)
    explicit = [(r, m) for r, m in lines_frame.itertuples(index=False) if r in staff]
    counts = DirectedEmailCounts()
    for cid, sent in store.read_frame(T, orgchart.STAFF_SENT, params).itertuples(index=False):
        if cid in staff:
            counts.sent[cid] = int(sent)
    pairs = []
    for a, b, strength, evidence in store.read_frame(T, orgchart.STAFF_KNOWS, params).itertuples(index=False):
        if a in staff and b in staff:
            pairs.append((a, b, float(strength or 0.0)))
            if evidence and '"email_' in evidence and orgchart._NO_EMAIL not in evidence:
                ev = json.loads(evidence)
                for table, field in ((counts.to, "email_to"), (counts.cc, "email_cc")):
                    ab, ba = (ev.get(field) or (0, 0))[:2]
                    if ab:
                        table[(a, b)] = int(ab)
                    if ba:
                        table[(b, a)] = int(ba)
    reps = store.read_frame(T, orgchart.STAFF_REPS, params)
    reps = reps[reps["contact"].isin(list(staff))]
    people = [OrgPerson(key=i, title=r["title"], name=r["name"], department=r["department"]) for i, r in staff.items()]
    chart = build_org_chart(people, explicit=explicit, email_counts=counts, include_inferred=include_inferred)

    ids = list(staff)
    at = {cid: i for i, cid in enumerate(ids)}
    keys = [P.key("Contact", cid) for cid in ids]
    kept = [(at[a], at[b], w) for a, b, w in pairs if w > 0]
    lines = [(at[e.report], at[e.manager], e.confidence) for e in chart.edges]
    result = compute_arrays(
        IdIndex(tuple(keys), dict(zip(keys, range(len(keys)), strict=True))),
        np.array([a for a, _, _ in kept], dtype=np.int64),
        np.array([b for _, b, _ in kept], dtype=np.int64),
        np.array([w for _, _, w in kept], dtype=np.float64),
        tuple(np.array([x[i] for x in lines], dtype=d) for i, d in enumerate((np.int64, np.int64, np.float64))),  # type: ignore[arg-type]
        levels_of([r["title"] for r in staff.values()]),
    )
    ranked = dict(zip(ids, result.score.tolist(), strict=True))

    facts: dict[str, dict[str, Any]] = {}
    if not reps.empty:
        reps = reps.assign(strength=reps["strength"].fillna(0.0).astype(float))
        ordered = reps.sort_values(["contact", "strength", "rep"], ascending=[True, False, True])
        best = ordered.drop_duplicates("contact")
        last = best["contact"].map(reps.groupby("contact")["last_at"].max())
        recent = ((pd.Timestamp(NOW) - last) <= orgchart.RECENT).tolist()
        when = [None if pd.isna(t) else t for t in last.dt.to_pydatetime()]
        names = [n if isinstance(n, str) else None for n in best["rep_name"].tolist()]
        for contact, rep, name, strength, met, fresh in zip(
            best["contact"].tolist(),
            best["rep"].tolist(),
            names,
            best["strength"].round(3).tolist(),
            when,
            recent,
            strict=True,
        ):
            facts[contact] = {
                "strongest_rep": {"id": rep, "name": name, "strength": strength},
                "last_met": met,
                "met_last_90_days": bool(fresh),
            }

    def node(n: OrgNode) -> dict[str, Any]:
        fact = facts.get(n.key, {})
        line = None
        if n.edge is not None:
            edge = n.edge
            line = {"source": edge.source, "confidence": round(edge.confidence, 3), "evidence": list(edge.evidence)}
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
            "reports": [node(c) for c in n.children],
        }

    return {
        "account": {"id": account["id"], "name": account.get("name")},
        "people": len(staff),
        "explicit_lines": sum(1 for e in chart.edges if e.source == "explicit"),
        "inferred_lines": sum(1 for e in chart.edges if e.source == "inferred"),
        "dropped_lines": [{"report": d.report, "manager": d.manager, "reason": d.reason} for d in chart.dropped],
        "roots": [node(root) for root in chart.roots],
    }


def test_org_chart_matches_the_reference(store: LadybugStore) -> None:
    _build(store)
    for inferred in (True, False):
        got = orgchart.org_chart(store=store, tenant=T, account_id="acme", include_inferred=inferred, now=NOW)
        expected = _reference(store, inferred)
        assert json.dumps(got, default=repr, sort_keys=False) == json.dumps(expected, default=repr, sort_keys=False)
    # the cases the account was built for are really there
    assert got["people"] == 39  # 40 hired, one left; the one employed twice counts once
    assert any(d["reason"] == "person not in this account" for d in got["dropped_lines"])
    assert gc.isenabled()  # the collector pause is undone


def test_emails_without_cc(store: LadybugStore) -> None:
    """Emails sent only matter as the denominator of a cc share: with no cc counts in the account
    the service does not read them, and the chart is the same."""
    people = [f"b{i}" for i in range(8)]
    store.bulk_insert_nodes(T, "Account", [_node("beta", name="Beta")])
    store.bulk_insert_nodes(T, "Contact", [_node(c, name=c, title=t) for c, t in zip(people, TITLES, strict=False)])
    store.bulk_insert_rels(T, "WORKS_AT", "Contact", "Account", [_rel(c, "beta") for c in people])
    to_only = json.dumps({"by_kind": {"email": 9}, "email_cc": [0, 0], "email_to": [20, 0]}, sort_keys=True)
    knows = [_rel(people[i], people[i + 1], strength=0.5, evidence=to_only) for i in range(7)]
    store.bulk_insert_rels(T, "KNOWS", "Contact", "Contact", knows)
    store.bulk_insert_nodes(T, "Interaction", [_node(f"n{i}", kind="email", occurred_at=NOW) for i in range(6)])
    sent = [_rel(people[i % 3], f"n{i}", role="from") for i in range(6)]
    store.bulk_insert_rels(T, "PARTICIPATED_IN", "Contact", "Interaction", sent)
    got = orgchart.org_chart(store=store, tenant=T, account_id="beta", now=NOW)
    assert json.dumps(got, default=repr) == json.dumps(_reference(store, True, "beta"), default=repr)
    assert any("wrote" in e for n in got["roots"] for e in _all_evidence(n))


def _all_evidence(node: dict[str, Any]) -> list[str]:
    out: list[str] = []
    stack = [node]
    while stack:
        n = stack.pop()
        out += n["manager_line"]["evidence"] if n["manager_line"] else []
        stack += n["reports"]
    return out


def test_empty_account(store: LadybugStore) -> None:
    store.bulk_insert_nodes(T, "Account", [_node("void", name="Void")])
    chart = orgchart.org_chart(store=store, tenant=T, account_id="void", now=NOW)
    assert chart == {
        "account": {"id": "void", "name": "Void"},
        "people": 0,
        "explicit_lines": 0,
        "inferred_lines": 0,
        "dropped_lines": [],
        "roots": [],
    }


def test_rounding_on_arrays_is_pythons_round() -> None:
    rng = np.random.default_rng(1)
    values = [float(v) for v in [*rng.random(20000), *(rng.random(2000) * 100), *(-rng.random(2000))]]
    for digits in (3, 4):
        for k in range(2000):  # exact and near halves: where scaling then rounding can go the other way
            half = (k + 0.5) / 10**digits
            values += [half, float(np.nextafter(half, 1)), float(np.nextafter(half, 0)), -half]
    values += [0.0, -0.0, float("nan"), float("inf"), -float("inf"), 1e300, 2.0**60, 5e-324]
    for digits in (3, 4):
        assert [repr(v) for v in orgchart._rounded(values, digits)] == [repr(round(v, digits)) for v in values]
