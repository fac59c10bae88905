"""KNOWS: relationship strength between people, derived from interactions and recomputable.

One implementation for every caller: the API's refresh endpoint and the background refresh after
interactions are written (``graph.intelligence.sync``), ``relgraph refresh-knows``, the demo, and
imports (``importers.knows`` streams an import's own events in through ``accumulator``).

- ``refresh_knows(store, tenant)`` recomputes every pair from every interaction.
- ``refresh_knows(store, tenant, people=..., interaction_ids=...)`` recomputes the pairs with at least
  one of those people (and of the participants of those interactions) from their *full* history,
  read in pieces of bounded size (a person in 300k emails is read page by page). Pairs of two
  untouched people are not read completely and are not written. Pairs of a touched person that no
  longer have any interaction (the interaction was deleted) are removed.

Determinism, so that running a refresh or an import twice, or again after a crash, changes nothing:
strengths are computed as of the tenant's newest interaction capped at now (``people.reference_time``:
the same data gives the same values, and a 2001 mailbox is not decayed to nothing), the reference
time is kept in the evidence, events are fed in a fixed order, values are rounded to 1e-6.

Each pair is stored once, from the smaller person key to the larger (``Contact:…`` < ``Rep:…``);
read it undirected (``-[:KNOWS]-``). The evidence (JSON) holds counts per channel, the latest
interaction ids, the directed flow, and the directed email counts ``email_to``/``email_cc`` as
``[a->b, b->a]`` in the edge's direction, which the org chart's inference reads.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import pandas as pd

from graph import schema
from graph.analytics.strength import (
    KINDS,
    ROLES,
    InteractionEvent,
    PairKey,
    PairStrength,
    StrengthAccumulator,
    StrengthConfig,
    pair_key,
)
from graph.cypher import label_of
from graph.intelligence import people as P
from graph.repositories import links
from graph.store import GraphStore

DEGREES: Final = (
    "UNWIND $uids AS u MATCH (p:{label} {{uid: u}})-[:PARTICIPATED_IN]->(i:Interaction) "
    "RETURN p.uid AS uid, count(*) AS n"
)
INTERACTIONS_OF: Final = (
    "UNWIND $uids AS u MATCH (p:{label} {{uid: u}})-[:PARTICIPATED_IN]->(i:Interaction) RETURN DISTINCT i.uid AS uid"
)
INTERACTIONS_PAGE: Final = (
    "MATCH (p:{label} {{uid: $uid}})-[:PARTICIPATED_IN]->(i:Interaction) WHERE i.uid > $after "
    "RETURN i.uid AS uid ORDER BY i.uid LIMIT $limit"
)
PARTICIPANTS_OF: Final = (
    "UNWIND $uids AS u MATCH (i:Interaction {{uid: u}}) MATCH (p)-[r:PARTICIPATED_IN]->(i) "
    "RETURN i.id AS iid, i.kind AS kind, i.occurred_at AS at, {label} AS label, p.id AS pid, r.role AS role"
)
INTERACTIONS_OF_ONE: Final = "MATCH (p:{label} {{uid: $uid}})-[:PARTICIPATED_IN]->(i:Interaction) RETURN i.uid AS uid"
PARTICIPANTS_OF_ONE: Final = (
    "MATCH (i:Interaction {{uid: $uid}})<-[r:PARTICIPATED_IN]-(p) "
    "RETURN i.id AS iid, i.kind AS kind, i.occurred_at AS at, {label} AS label, p.id AS pid, r.role AS role"
)
PEOPLE_OF_ONE: Final = (
    "MATCH (i:Interaction {{uid: $uid}})<-[:PARTICIPATED_IN]-(p) RETURN i.id AS iid, {label} AS label, p.id AS pid"
)
PEOPLE_OF: Final = (
    "UNWIND $uids AS u MATCH (i:Interaction {{uid: u}}) MATCH (p)-[:PARTICIPATED_IN]->(i) "
    "RETURN i.id AS iid, {label} AS label, p.id AS pid"
)
KNOWS_OF: Final = "UNWIND $uids AS u MATCH (p:{a} {{uid: u}})-[k:KNOWS]->(o:{b}) RETURN p.uid AS src, o.uid AS dst"
KNOWS_TO: Final = "UNWIND $uids AS u MATCH (o:{a})-[k:KNOWS]->(p:{b} {{uid: u}}) RETURN o.uid AS src, p.uid AS dst"
DELETE_KNOWS: Final = "UNWIND $pairs AS pr MATCH (a:{a} {{uid: pr.src}})-[k:KNOWS]->(b:{b} {{uid: pr.dst}}) DELETE k"

# Each read below costs the engine about one pass over PARTICIPATED_IN at a million nodes whatever
# the chunk size (it joins rather than looks up), so chunks are large; they still bound memory.
PEOPLE_CHUNK: Final = 5000
GROUP_LIMIT: Final = 50_000  # interactions read per query
SMALL: Final = 1000  # people or interactions read one query each (see ``_events``)
SMALL_EVENTS: Final = 3000
EVENT_CHUNK: Final = 5000
WRITE_CHUNK: Final = 5000
DIGITS: Final = 6

Person = tuple[str, str]
"""(label, id) of a Contact or Rep."""


@dataclass
class KnowsReport:
    """What a refresh read and wrote."""

    interactions: int = 0
    pairs: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    as_of: datetime | None = None
    skipped_people: set[str] = field(default_factory=set)
    # Contacts (ids) of the contact-rep pairs written or deleted: whose coverage can have moved.
    rep_contacts: set[str] = field(default_factory=set)


def refresh_knows(
    store: GraphStore,
    tenant: str,
    *,
    people: Iterable[Person] = (),
    interaction_ids: Sequence[str] | None = None,
    accumulator: StrengthAccumulator | None = None,
    streamed: dict[Person, int] | None = None,
    now: datetime | None = None,
    config: StrengthConfig | None = None,
) -> KnowsReport:
    """Recompute KNOWS: for the whole tenant when given no people, interactions or stream; else for
    every pair with at least one of ``people``, of the participants of ``interaction_ids`` and of the
    people in ``streamed``.

    ``accumulator`` + ``streamed`` (person -> participations seen): an import's events already
    absorbed; only people with more stored participations than streamed are read back."""
    reference = P.reference_time(store, tenant, now)
    if not people and interaction_ids is None and streamed is None:
        return _refresh_all(store, tenant, reference, config)
    participants = _participants(store, tenant, interaction_ids or ())
    whole_people = set(people) | set(streamed or ())  # every pair of these people is recomputed
    touched = whole_people | set(participants)
    report = KnowsReport(as_of=reference)
    if not touched:
        return report
    if accumulator is not None and streamed is not None and not touched - set(streamed):
        acc, to_read = accumulator, _with_more_stored(store, tenant, streamed)
    else:
        acc, to_read = StrengthAccumulator(config or StrengthConfig()), sorted(touched)
    for event in _events(store, tenant, to_read):
        acc.add(event)
        report.interactions += 1
    keys = {P.key(label, pid) for label, pid in whole_people}
    # Of the participants of the given interactions only the pairs those interactions contain
    # changed: the others would only be re-aged, which a large tenant cannot afford per write.
    wanted = set().union(*participants.values()) if participants else set()
    pairs = [p for p in acc.pairs(reference) if p.a in keys or p.b in keys or p.key in wanted]
    _write(store, tenant, pairs, reference, report)
    report.deleted = _delete_gone(store, tenant, whole_people, {(p.a, p.b) for p in pairs}, report)
    return report


def _refresh_all(store: GraphStore, tenant: str, reference: datetime, config: StrengthConfig | None) -> KnowsReport:
    acc = StrengthAccumulator(config or StrengthConfig())
    report = KnowsReport(as_of=reference)
    for event in P.all_events(store, tenant):
        acc.add(event)
        report.interactions += 1
    pairs = acc.pairs(reference)
    _write(store, tenant, pairs, reference, report)
    everyone = _people_in(pairs) | _everyone(store, tenant)
    report.deleted = _delete_gone(store, tenant, everyone, {p.key for p in pairs}, report)
    return report


def _people_in(pairs: Iterable[PairStrength]) -> set[Person]:
    out: set[Person] = set()
    for p in pairs:
        out.add(P.split_key(p.a))
        out.add(P.split_key(p.b))
    return out


def _everyone(store: GraphStore, tenant: str) -> set[Person]:
    """People with a stored KNOWS edge (a full refresh removes the edges no interaction supports)."""
    out: set[Person] = set()
    for a, b in schema.PEOPLE:
        query = f"MATCH (x:{a})-[:KNOWS]->(y:{b}) WHERE x.tenant = $tenant RETURN DISTINCT x.id AS x"
        out.update((a, str(r["x"])) for r in store.read(tenant, query, {"tenant": tenant}))
    return out


def _participants(store: GraphStore, tenant: str, interaction_ids: Sequence[str]) -> dict[Person, set[PairKey]]:
    """Person -> the pairs (``people.key`` order) they form with the other participants of the same
    interactions."""
    uids = [schema.uid(tenant, i) for i in interaction_ids]
    by_interaction: dict[str, set[str]] = {}
    if len(uids) <= SMALL:
        one = PEOPLE_OF_ONE.format(label=label_of(store.dialect, "p"))
        for uid in uids:
            for r in store.read(tenant, one, {"uid": uid}):
                if r["label"] in P.PEOPLE_LABELS:
                    by_interaction.setdefault(str(r["iid"]), set()).add(P.key(str(r["label"]), str(r["pid"])))
        uids = []
    for i in range(0, len(uids), EVENT_CHUNK):
        frame = store.read_frame(
            tenant, PEOPLE_OF.format(label=label_of(store.dialect, "p")), {"uids": uids[i : i + EVENT_CHUNK]}
        )
        for iid, label, pid in frame.itertuples(index=False):
            if label in P.PEOPLE_LABELS:
                by_interaction.setdefault(str(iid), set()).add(P.key(str(label), str(pid)))
    out: dict[Person, set[PairKey]] = {}
    for keys in by_interaction.values():
        for a in keys:
            pairs = out.setdefault(P.split_key(a), set())
            pairs.update(pair_key(a, b) for b in keys if b != a)
    return out


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _groups(store: GraphStore, tenant: str, label: str, ids: Sequence[str]) -> Iterator[tuple[list[str], int]]:
    """People (uids) in groups of at most ``GROUP_LIMIT`` interactions together; one person with more
    comes alone, with their count (then read page by page)."""
    group: list[str] = []
    size = 0
    for chunk in _chunks(ids, PEOPLE_CHUNK):
        uids = [schema.uid(tenant, pid) for pid in chunk]
        frame = store.read_frame(tenant, DEGREES.format(label=label), {"uids": uids})
        degree = {str(u): int(n) for u, n in frame.itertuples(index=False)}
        for uid in uids:
            n = degree.get(uid, 0)
            if not n:
                continue
            if n > GROUP_LIMIT:
                yield [uid], n
                continue
            if size + n > GROUP_LIMIT and group:
                yield group, size
                group, size = [], 0
            group.append(uid)
            size += n
    if group:
        yield group, size


def _interactions(store: GraphStore, tenant: str, label: str, group: list[str], size: int) -> Iterator[str]:
    if size <= GROUP_LIMIT:
        frame = store.read_frame(tenant, INTERACTIONS_OF.format(label=label), {"uids": group})
        yield from sorted(set(frame["uid"].astype(str)))
        return
    after = ""
    while True:
        params = {"uid": group[0], "after": after, "limit": GROUP_LIMIT}
        page = [str(r["uid"]) for r in store.read(tenant, INTERACTIONS_PAGE.format(label=label), params)]
        yield from page
        if len(page) < GROUP_LIMIT:
            return
        after = page[-1]


def _events(store: GraphStore, tenant: str, people: Sequence[Person]) -> Iterator[InteractionEvent]:
    """Every interaction of ``people``, once each, in a fixed order, reading in bounded pieces.

    Few people or interactions (a refresh after an API write) are read one indexed query per key:
    on Ladybug at a million nodes one batched ``UNWIND $keys ... MATCH`` costs a join over the
    whole relationship table (~0.5-2 s whatever the batch size) where a query per key costs ~0.5 ms."""
    if len(people) <= SMALL:
        uids = sorted({u for label, pid in people for u in _interactions_of_one(store, tenant, label, pid)})
        if len(uids) <= SMALL_EVENTS:
            yield from _events_one_by_one(store, tenant, uids)
            return
        yield from _events_batched(store, tenant, uids)
        return
    seen: set[str] = set()
    for label in P.PEOPLE_LABELS:
        ids = sorted(pid for lb, pid in people if lb == label)
        for group, size in _groups(store, tenant, label, ids):
            fresh: list[str] = []
            for uid in _interactions(store, tenant, label, group, size):
                if uid not in seen:
                    seen.add(uid)
                    fresh.append(uid)
                if len(fresh) >= EVENT_CHUNK:
                    yield from _events_batched(store, tenant, fresh)
                    fresh = []
            if fresh:
                yield from _events_batched(store, tenant, fresh)


def _interactions_of_one(store: GraphStore, tenant: str, label: str, pid: str) -> list[str]:
    rows = store.read(tenant, INTERACTIONS_OF_ONE.format(label=label), {"uid": schema.uid(tenant, pid)})
    return [str(r["uid"]) for r in rows]


def _events_one_by_one(store: GraphStore, tenant: str, uids: Sequence[str]) -> Iterator[InteractionEvent]:
    query = PARTICIPANTS_OF_ONE.format(label=label_of(store.dialect, "p"))
    for uid in uids:
        rows = store.read(tenant, query, {"uid": uid})
        yield from _batch_events(pd.DataFrame(rows, columns=["iid", "kind", "at", "label", "pid", "role"]))


def _events_batched(store: GraphStore, tenant: str, uids: Sequence[str]) -> Iterator[InteractionEvent]:
    query = PARTICIPANTS_OF.format(label=label_of(store.dialect, "p"))
    for i in range(0, len(uids), EVENT_CHUNK):
        yield from _batch_events(store.read_frame(tenant, query, {"uids": list(uids[i : i + EVENT_CHUNK])}))


def _batch_events(frame: pd.DataFrame) -> Iterator[InteractionEvent]:
    grouped: dict[str, tuple[str, Any, list[tuple[str, str]]]] = {}
    for iid, kind, at, label, pid, role in frame[["iid", "kind", "at", "label", "pid", "role"]].itertuples(index=False):
        entry = grouped.setdefault(str(iid), (str(kind), at, []))
        if role in ROLES and label in P.PEOPLE_LABELS:
            entry[2].append((P.key(str(label), str(pid)), str(role)))
    for iid in sorted(grouped):
        kind, at, parts = grouped[iid]
        if kind in KINDS and isinstance(at, datetime) and not pd.isna(at) and parts:
            when = at.to_pydatetime() if isinstance(at, pd.Timestamp) else at
            yield InteractionEvent(iid, kind, when, sorted(parts))


def _with_more_stored(store: GraphStore, tenant: str, degree: dict[Person, int]) -> list[Person]:
    """The people who took part in more stored interactions than the stream showed."""
    out: list[Person] = []
    for label in P.PEOPLE_LABELS:
        ids = sorted(pid for lb, pid in degree if lb == label)
        for chunk in _chunks(ids, PEOPLE_CHUNK):
            uids = [schema.uid(tenant, pid) for pid in chunk]
            for r in store.read(tenant, DEGREES.format(label=label), {"uids": uids}):
                pid = str(r["uid"]).split("/", 1)[1]
                if int(r["n"]) > degree.get((label, pid), 0):
                    out.append((label, pid))
    return out


def edge_row(tenant: str, pair: PairStrength, reference: datetime) -> dict[str, Any]:
    """The KNOWS row (``links.upsert_links`` shape) of one pair."""
    (_, a_id), (_, b_id) = P.split_key(pair.a), P.split_key(pair.b)
    evidence = {
        "as_of": reference.isoformat(),
        "by_kind": {k: v for k, v in pair.by_kind.items() if v},
        "flow": {a_id: round(pair.flow_ab, DIGITS), b_id: round(pair.flow_ba, DIGITS)},
        "recent_ids": list(pair.recent_ids),
        "email_to": list(pair.emails_to),
        "email_cc": list(pair.emails_cc),
    }
    return {
        "src": schema.uid(tenant, a_id),
        "dst": schema.uid(tenant, b_id),
        "strength": round(pair.strength, DIGITS),
        "interactions": pair.count,
        "last_at": pair.last_at,
        "reciprocity": round(pair.reciprocity, DIGITS),
        "evidence": json.dumps(evidence, sort_keys=True),
    }


def _write(
    store: GraphStore, tenant: str, pairs: Iterable[PairStrength], reference: datetime, report: KnowsReport
) -> None:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for pair in sorted(pairs, key=lambda p: p.key):
        (la, _), (lb, _) = P.split_key(pair.a), P.split_key(pair.b)
        if la not in P.PEOPLE_LABELS or lb not in P.PEOPLE_LABELS:
            report.skipped_people.update({pair.a, pair.b})
            continue
        groups.setdefault((la, lb), []).append(edge_row(tenant, pair, reference))
        report.pairs += 1
        _note_rep_contact(report, pair.a, pair.b)
    for (src, dst), rows in sorted(groups.items()):
        for i in range(0, len(rows), WRITE_CHUNK):
            created, updated, unchanged = links.upsert_links(
                store, tenant, rel="KNOWS", src=src, dst=dst, rows=rows[i : i + WRITE_CHUNK]
            )
            report.created += created
            report.updated += updated
            report.unchanged += unchanged


def _note_rep_contact(report: KnowsReport, a: str, b: str) -> None:
    (la, ia), (lb, ib) = P.split_key(a), P.split_key(b)
    if {la, lb} == {"Contact", "Rep"}:
        report.rep_contacts.add(ia if la == "Contact" else ib)


def _delete_gone(
    store: GraphStore, tenant: str, people: set[Person], kept: set[tuple[str, str]], report: KnowsReport
) -> int:
    """Remove the KNOWS edges of ``people`` whose pair is not in ``kept`` (person keys): their
    interactions are gone."""
    gone: dict[tuple[str, str], list[dict[str, str]]] = {}
    for a, b in schema.PEOPLE:
        for label, query in ((a, KNOWS_OF), (b, KNOWS_TO)):
            uids = sorted(schema.uid(tenant, pid) for lb, pid in people if lb == label)
            for chunk in _chunks(uids, WRITE_CHUNK):
                for r in store.read(tenant, query.format(a=a, b=b), {"uids": list(chunk)}):
                    src, dst = str(r["src"]), str(r["dst"])
                    key = P.key(a, src.split("/", 1)[1]), P.key(b, dst.split("/", 1)[1])
                    if key not in kept and (key[1], key[0]) not in kept:
                        gone.setdefault((a, b), []).append({"src": src, "dst": dst})
                        _note_rep_contact(report, *key)
    deleted = 0
    for (a, b), rows in gone.items():
        unique = [dict(t) for t in {tuple(sorted(r.items())) for r in rows}]
        for i in range(0, len(unique), WRITE_CHUNK):
            store.write(tenant, DELETE_KNOWS.format(a=a, b=b), {"pairs": unique[i : i + WRITE_CHUNK]})
        deleted += len(unique)
    return deleted
