"""The org chart of an account: explicit reporting lines plus inferred ones, each node annotated
with influence, the strongest relationship to one of our reps and whether we met them lately.

Inference (``graph.analytics.orgchart``) uses titles (seniority and department) and interaction
patterns (who writes to whom, who is cc'd); an inferred line carries its confidence and evidence
and never overrides an explicit one.

Everything is read in a handful of account-scoped queries as columns (``read_frame``): the staff,
their explicit lines, their stored KNOWS edges, whose evidence carries the directed To/Cc counts
(``graph.intelligence.knows`` keeps them current after every write and import), the emails each
sent (only where someone was cc'd: they only divide a cc share) and their KNOWS to our reps.
Replaying the account's interactions instead cost seconds for a 5,000-person account.

The rest stays in columns too: no dict or dataclass per person on the way in, one dict per person
(the answer) on the way out, and the cyclic collector paused while a chart is built (see
``_CollectorPause``). On the bench's 5,000-person account about half the cold time is the reads.
"""

from __future__ import annotations

import gc
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from graph import schema
from graph.analytics.csr import IdIndex
from graph.analytics.influence import InfluenceResult
from graph.analytics.orgchart import OrgChart, build_org_chart_columns
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
    """The account's current staff as columns (``at``: contact id -> position), their explicit
    lines, email counts, KNOWS inside the account (positions, positive strength; ``pairs`` counts
    every in-account edge) and their KNOWS to reps (a frame, not yet restricted to the staff)."""

    account: dict[str, Any]
    ids: list[str]
    names: list[str | None]
    titles: list[str | None]
    departments: list[str | None]
    at: dict[str, int]
    explicit: list[tuple[str, str]]
    counts: DirectedEmailCounts
    src: npt.NDArray[np.int64]
    dst: npt.NDArray[np.int64]
    strength: npt.NDArray[np.float64]
    pairs: int
    reps: pd.DataFrame


def _read(store: GraphStore, tenant: str, account_id: str, now: datetime) -> _AccountData:
    account = base.get_node(store=store, tenant=tenant, label="Account", record_id=account_id)
    params = {"account": schema.uid(tenant, account_id)}
    ids, names, titles, departments, at = _current_staff(store.read_frame(tenant, P.ACCOUNT_CONTACTS, params), now)
    lines = store.read_frame(tenant, STAFF_LINES, params)
    explicit = [(r, m) for r, m in zip(lines["report"].tolist(), lines["manager"].tolist(), strict=True) if r in at]
    counts = DirectedEmailCounts()
    knows = store.read_frame(tenant, STAFF_KNOWS, params)
    a, b = knows["a"].tolist(), knows["b"].tolist()
    i = np.array([at.get(x, -1) for x in a], dtype=np.int64)
    j = np.array([at.get(x, -1) for x in b], dtype=np.int64)
    inside = (i >= 0) & (j >= 0)
    strength = knows["strength"].to_numpy(dtype=np.float64, na_value=0.0)
    positive = inside & (strength > 0)
    evidence = knows["evidence"].tolist()
    for row in np.flatnonzero(inside).tolist():
        ev = evidence[row]
        if ev and '"email_' in ev and _NO_EMAIL not in ev:
            _add_counts(counts, a[row], b[row], ev)
    if counts.cc:  # emails sent only count against cc's (the cc share): no cc, no need to read them
        sent = store.read_frame(tenant, STAFF_SENT, params)
        for cid, n in zip(sent["id"].tolist(), sent["sent"].tolist(), strict=True):
            if cid in at:
                counts.sent[cid] = int(n)
    reps = store.read_frame(tenant, STAFF_REPS, params)
    return _AccountData(
        account,
        ids,
        names,
        titles,
        departments,
        at,
        explicit,
        counts,
        i[positive],
        j[positive],
        strength[positive],
        int(inside.sum()),
        reps,
    )


def _current_staff(
    frame: pd.DataFrame, now: datetime
) -> tuple[list[str], list[str | None], list[str | None], list[str | None], dict[str, int]]:
    """Columns (id, name, title, department) of the people still employed (no end date, or one not
    yet passed), one row per contact: the first row's place, the last row's values; and each id's
    position."""
    today = pd.Timestamp(now.date(), tz=UTC)
    employed = frame["until"].isna() | (frame["until"] >= today)
    current = frame if employed.all() else frame[employed]
    ids = [str(cid) for cid in P.texts(current["id"])]
    columns = [P.texts(current[c]) for c in ("name", "title", "department")]
    at = {cid: i for i, cid in enumerate(ids)}
    if len(at) < len(ids):  # a contact with two current WORKS_AT rows here
        rows = list(at.values())
        ids = list(at)
        columns = [[column[i] for i in rows] for column in columns]
        at = {cid: i for i, cid in enumerate(ids)}
    return ids, columns[0], columns[1], columns[2], at


_NO_EMAIL: Final = '"email_cc": [0, 0], "email_to": [0, 0]'  # as json.dumps(sort_keys=True) writes it


def _add_counts(counts: DirectedEmailCounts, a: str, b: str, evidence: str) -> None:
    """The directed To/Cc counts of a KNOWS evidence that has any (pairs with no email between them,
    or stored before the counts were kept, are skipped by the caller: run refresh-knows)."""
    ev = json.loads(evidence)
    for table, field in ((counts.to, "email_to"), (counts.cc, "email_cc")):
        ab, ba = (ev.get(field) or (0, 0))[:2]
        if ab:
            table[(a, b)] = int(ab)
        if ba:
            table[(b, a)] = int(ba)


class _CollectorPause:
    """Cyclic garbage collection off while charts are being built (reference counting still frees
    everything at once; nothing here makes cycles). A 5,000-person chart allocates ~50k containers
    and most live on in the answer: with the collector on, that set off ~70 young collections and,
    every other chart, a full collection of the whole process heap (30-40 ms each on the bench,
    about a third of the cold time). Paused, the young objects are looked at once, on the first
    allocation after. Process-wide and re-entrant across threads: the last one out restores the
    collector as the first one in found it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._was_enabled = False

    def __enter__(self) -> None:
        with self._lock:
            if self._holders == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._holders += 1

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        with self._lock:
            self._holders -= 1
            if self._holders == 0 and self._was_enabled:
                gc.enable()


_collector_paused: Final = _CollectorPause()


def org_chart(
    *, store: GraphStore, tenant: str, account_id: str, include_inferred: bool = True, now: datetime | None = None
) -> dict[str, Any]:
    with _collector_paused:
        return _org_chart(store, tenant, account_id, include_inferred, now or datetime.now(UTC))


def _org_chart(
    store: GraphStore, tenant: str, account_id: str, include_inferred: bool, now: datetime
) -> dict[str, Any]:
    data = _read(store, tenant, account_id, now)
    chart = _chart(data, include_inferred)
    ranked = _influence(data, chart)
    facts = _rep_facts(data.reps, data.at, now)
    explicit_lines = sum(1 for e in chart.edges if e.source == "explicit")
    return {
        "account": {"id": data.account["id"], "name": data.account.get("name")},
        "people": len(data.ids),
        "explicit_lines": explicit_lines,
        "inferred_lines": len(chart.edges) - explicit_lines,
        "dropped_lines": [{"report": d.report, "manager": d.manager, "reason": d.reason} for d in chart.dropped],
        "roots": _trees(chart, ranked, facts),
    }


def _chart(data: _AccountData, include_inferred: bool) -> OrgChart:
    return build_org_chart_columns(
        data.ids,
        data.titles,
        data.names,
        data.departments,
        explicit=data.explicit,
        email_counts=data.counts,
        include_inferred=include_inferred,
    )


def _people(data: _AccountData) -> dict[str, Person]:
    return {
        P.key("Contact", i): Person(P.key("Contact", i), name, title)
        for i, name, title in zip(data.ids, data.names, data.titles, strict=True)
    }


def _lines(chart: OrgChart) -> list[tuple[str, str, float]]:
    return [(P.key("Contact", e.report), P.key("Contact", e.manager), e.confidence) for e in chart.edges]


def _rank(data: _AccountData, chart: OrgChart, *, keyed: bool) -> InfluenceResult:
    """Influence inside the account (``compute``'s, on arrays: this runs on every chart of up to
    thousands of people), over person keys when ``keyed`` (to explain it), else over the contact
    ids (the chart only reads the scores). ``data.ids`` must not be empty."""
    at = data.at
    keys = [P.key("Contact", cid) for cid in data.ids] if keyed else data.ids
    edges = chart.edges
    return compute_arrays(
        IdIndex(tuple(keys), dict(zip(keys, range(len(keys)), strict=True)) if keyed else at),
        data.src,
        data.dst,
        data.strength,
        (
            np.array([at[e.report] for e in edges], dtype=np.int64),
            np.array([at[e.manager] for e in edges], dtype=np.int64),
            np.array([e.confidence for e in edges], dtype=np.float64),
        ),
        levels_of(data.titles),
    )


def _influence(data: _AccountData, chart: OrgChart) -> list[float]:
    """Blended influence inside the account, by staff position."""
    if not data.ids:
        return []
    return _rank(data, chart, keyed=False).score.tolist()  # type: ignore[no-any-return]


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_NAT: Final = np.iinfo(np.int64).min  # NaT as int64
_MICROSECOND: Final = timedelta(microseconds=1)
# Per contact: the strongest rep relationship, when any rep last met them, whether in the last 90 days.
_Facts = tuple[dict[str, Any] | None, datetime | None, bool]
_NO_FACTS: Final[_Facts] = (None, None, False)


def _rep_facts(reps: pd.DataFrame, staff: Mapping[str, int], now: datetime) -> dict[str, _Facts]:
    """Per contact id of ``staff``: the strongest rep relationship (ties: the smaller rep id; no
    strength counts as 0) and the last time any rep met them (a large account has thousands of rep
    pairs: one pass over the columns, timestamps as microseconds)."""
    if reps.empty:
        return {}
    strengths = reps["strength"].to_numpy(dtype=np.float64, na_value=0.0).tolist()
    stamps = pd.to_datetime(reps["last_at"], utc=True).to_numpy(dtype="datetime64[us]").view(np.int64).tolist()
    best: dict[str, tuple[float, str, Any]] = {}
    last: dict[str, int] = {}
    for contact, rep, name, strength, stamp in zip(
        reps["contact"].tolist(), reps["rep"].tolist(), reps["rep_name"].tolist(), strengths, stamps, strict=True
    ):
        if contact not in staff:
            continue
        known = best.get(contact)
        if known is None or strength > known[0] or (strength == known[0] and rep < known[1]):
            best[contact] = (strength, rep, name)
        if stamp > last.get(contact, _NAT):
            last[contact] = stamp
    latest = np.array([last.get(contact, _NAT) for contact in best], dtype=np.int64)
    since = (now - _EPOCH) // _MICROSECOND - RECENT // _MICROSECOND  # met within RECENT of now
    fresh = (latest >= since).tolist()  # NaT is the smallest int64: never fresh
    when = pd.to_datetime(latest.view("datetime64[us]"), utc=True).to_pydatetime().tolist()
    rounded = np.round(np.array([b[0] for b in best.values()], dtype=np.float64), 3).tolist()
    out: dict[str, _Facts] = {}
    for (contact, (_, rep, name)), strength, met, recent in zip(best.items(), rounded, when, fresh, strict=True):
        out[contact] = (
            {"id": rep, "name": name if isinstance(name, str) else None, "strength": strength},
            None if met is pd.NaT else met,
            recent,
        )
    return out


def _trees(chart: OrgChart, ranked: Sequence[float], facts: Mapping[str, _Facts]) -> list[dict[str, Any]]:
    """The nested JSON under each root, built without recursion (charts can be deep): one dict per
    person, then each manager's ``reports`` in the chart's order. ``ranked`` is by chart position
    (``chart.nodes`` keeps the staff's order); empty: no influence figures."""
    nodes = chart.nodes.values()
    influence = _rounded(ranked, 4) if ranked else [0.0] * len(nodes)
    confidence: dict[float, float] = {}  # few distinct values: round each once
    out: dict[str, dict[str, Any]] = {}
    for n, score in zip(nodes, influence, strict=True):
        rep, met, fresh = facts.get(n.key, _NO_FACTS)
        edge = n.edge
        line = None
        if edge is not None:
            c = confidence.get(edge.confidence)
            if c is None:
                c = confidence[edge.confidence] = round(edge.confidence, 3)
            line = {"source": edge.source, "confidence": c, "evidence": list(edge.evidence)}
        out[n.key] = {
            "id": n.key,
            "name": n.name,
            "title": n.title,
            "department": n.department,
            "seniority": n.level,
            "influence": score,
            "manager_line": line,
            "strongest_rep": rep,
            "last_met": met,
            "met_last_90_days": fresh,
            "reports": [],
        }
    for n in nodes:
        if n.children:
            out[n.key]["reports"] = [out[c.key] for c in n.children]
    return [out[root.key] for root in chart.roots]


def _rounded(values: Sequence[float], digits: int) -> list[float]:
    """``[round(v, digits) for v in values]`` (Python's correctly rounded ``round``), on arrays:
    ``rint(v * 10**digits) / 10**digits`` is the same float wherever the scaled product is not
    within its rounding error of a half (the division is exact-then-nearest, like ``round``'s
    parse of its decimal digits); the few that are, and non-finite or huge values, go through
    ``round``. ``round`` alone cost ~0.35 us a value: 2 ms of a 5,000-person chart."""
    x = np.asarray(values, dtype=np.float64)
    scale = 10.0**digits
    y = x * scale
    out = np.rint(y) / scale
    with np.errstate(invalid="ignore"):  # inf - inf
        half = np.abs(y - np.floor(y) - 0.5)
    doubt = ~(half > 1e-7 + np.abs(y) * 1e-12) | ~(np.abs(y) < 2.0**51)  # NaN compares False: in doubt
    if doubt.any():
        out[doubt] = [round(v, digits) for v in x[doubt].tolist()]
    return out.tolist()  # type: ignore[no-any-return]


def account_influence(*, store: GraphStore, tenant: str, account_id: str, limit: int) -> dict[str, Any]:
    """Influence of the account's people, explained (the same inputs and lines as the org chart)."""
    with _collector_paused:
        return _account_influence(store, tenant, account_id, limit)


def _account_influence(store: GraphStore, tenant: str, account_id: str, limit: int) -> dict[str, Any]:
    data = _read(store, tenant, account_id, datetime.now(UTC))
    account = {"id": data.account["id"], "name": data.account.get("name")}
    if not data.ids:
        return {"account": account, "people": []}
    chart = _chart(data, include_inferred=True)
    result = _rank(data, chart, keyed=True)
    return {"account": account, "people": explain(result, _people(data), _lines(chart), limit)}
