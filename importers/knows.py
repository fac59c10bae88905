"""Refresh the derived ``KNOWS`` edges of the people an import touched.

``KNOWS`` is recomputable from interactions (``graph.analytics.strength``); an import of mail or
meetings changes it for the people who took part. For each touched person every interaction
they took part in is fed to a ``StrengthAccumulator``: those of the import straight from its rows as
they stream past (``StreamEvents``), older ones read back from the store, in pieces of bounded size
(a person in 300k emails is read page by page). Pairs with at least one touched person are then
complete and are written with ``links.upsert_links`` (created, updated or left alone); pairs of two
untouched people are not read completely and are not written.

Determinism, so that running an import twice, or again after a crash, changes nothing:

- strengths are computed as of the tenant's newest interaction, capped at now (not the wall clock:
  the same data gives the same values; for mail from 2001 "as of now" would also decay everything
  to zero), and the reference time is kept in the edge's evidence;
- events are fed in a fixed order (people and interactions sorted), values rounded to 1e-6.

The edge runs from the smaller person key to the larger (``Contact|id`` < ``Rep|id``); ``KNOWS`` is
symmetric and readers should treat it so.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from graph import schema
from graph.analytics.strength import KINDS, ROLES, InteractionEvent, PairStrength, StrengthAccumulator, StrengthConfig
from graph.cypher import label_of
from graph.intelligence.people import reference_time
from graph.repositories import links
from graph.store import GraphStore
from importers.rows import NodeRow, RelRow, Row

PERSON_LABELS: Final = ("Contact", "Rep")
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

PEOPLE_CHUNK: Final = 500
GROUP_LIMIT: Final = 20_000  # interactions read per query: the engine's memory for one read stays small
EVENT_CHUNK: Final = 500
WRITE_CHUNK: Final = 5000
DIGITS: Final = 6

Person = tuple[str, str]
"""(label, id) of a Contact or Rep."""


@dataclass
class KnowsCounts:
    """What a refresh wrote."""

    pairs: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    as_of: datetime | None = None


def person_key(label: str, record_id: str) -> str:
    return f"{label}|{record_id}"


def _split(key: str) -> Person:
    label, record_id = key.split("|", 1)
    return label, record_id


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
        rows = store.read(tenant, DEGREES.format(label=label), {"uids": uids})
        degree = {str(r["uid"]): int(r["n"]) for r in rows}
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
        rows = store.read(tenant, INTERACTIONS_OF.format(label=label), {"uids": group})
        yield from sorted({str(r["uid"]) for r in rows})
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
    """Every interaction of ``people``, once each, in a fixed order, reading in bounded pieces."""
    seen: set[str] = set()
    participants = PARTICIPANTS_OF.format(label=label_of(store.dialect, "p"))
    for label in PERSON_LABELS:
        ids = sorted(pid for lb, pid in people if lb == label)
        for group, size in _groups(store, tenant, label, ids):
            fresh: list[str] = []
            for uid in _interactions(store, tenant, label, group, size):
                if uid not in seen:
                    seen.add(uid)
                    fresh.append(uid)
                if len(fresh) >= EVENT_CHUNK:
                    yield from _batch_events(store.read(tenant, participants, {"uids": fresh}))
                    fresh = []
            if fresh:
                yield from _batch_events(store.read(tenant, participants, {"uids": fresh}))


def _batch_events(rows: Iterable[dict[str, Any]]) -> Iterator[InteractionEvent]:
    grouped: dict[str, tuple[str, Any, list[tuple[str, str]]]] = {}
    for r in rows:
        iid = str(r["iid"])
        entry = grouped.setdefault(iid, (str(r["kind"]), r["at"], []))
        if r["role"] in ROLES and r["label"] in PERSON_LABELS:
            entry[2].append((person_key(str(r["label"]), str(r["pid"])), str(r["role"])))
    for iid in sorted(grouped):
        kind, at, parts = grouped[iid]
        if kind in KINDS and isinstance(at, datetime) and parts:
            yield InteractionEvent(iid, kind, at, sorted(parts))


def _edge_row(tenant: str, pair: PairStrength, reference: datetime) -> dict[str, Any]:
    (_, a_id), (_, b_id) = _split(pair.a), _split(pair.b)
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


class StreamEvents:
    """Interaction events built from an import's rows as they stream past, so that a large import
    does not have to read back what it has just written.

    Parsers yield an ``Interaction`` node followed by its ``PARTICIPATED_IN`` rows (email, ICS); when a
    participant row arrives for another interaction than the one just seen, the stream is marked
    incomplete and ``refresh_knows`` reads everything from the store instead. ``degree`` counts each
    person's participations in the stream: a person with more stored than streamed has older
    interactions, which are read from the store.
    """

    def __init__(self, config: StrengthConfig | None = None) -> None:
        self.accumulator = StrengthAccumulator(config)
        self.degree: dict[Person, int] = {}
        self.complete = True
        self._pending: tuple[str, str, datetime, list[tuple[str, str]]] | None = None

    def see(self, row: Row) -> None:
        if isinstance(row, NodeRow) and row.label == "Interaction":
            self._flush()
            kind, at = row.props.get("kind"), row.props.get("occurred_at")
            if isinstance(kind, str) and isinstance(at, datetime):
                self._pending = (row.id, kind, at, [])
        elif isinstance(row, RelRow) and row.type == "PARTICIPATED_IN":
            person = (row.src_label, row.src_id)
            self.degree[person] = self.degree.get(person, 0) + 1
            if self._pending is None or self._pending[0] != row.dst_id:
                self.complete = False
                return
            role = row.props.get("role")
            if role in ROLES and row.src_label in PERSON_LABELS:
                self._pending[3].append((person_key(row.src_label, row.src_id), str(role)))

    def finish(self) -> None:
        self._flush()

    def _flush(self) -> None:
        if self._pending is not None and self._pending[1] in KINDS and self._pending[3]:
            iid, kind, at, parts = self._pending
            self.accumulator.add(InteractionEvent(iid, kind, at, sorted(parts)))
        self._pending = None


def _with_more_stored(store: GraphStore, tenant: str, degree: dict[Person, int]) -> list[Person]:
    """The people who took part in more stored interactions than the stream showed."""
    out: list[Person] = []
    for label in PERSON_LABELS:
        ids = sorted(pid for lb, pid in degree if lb == label)
        for chunk in _chunks(ids, PEOPLE_CHUNK):
            uids = [schema.uid(tenant, pid) for pid in chunk]
            for r in store.read(tenant, DEGREES.format(label=label), {"uids": uids}):
                pid = str(r["uid"]).split("/", 1)[1]
                if int(r["n"]) > degree.get((label, pid), 0):
                    out.append((label, pid))
    return out


def refresh_knows(
    *,
    store: GraphStore,
    tenant: str,
    people: Iterable[Person] = (),
    stream: StreamEvents | None = None,
    config: StrengthConfig | None = None,
    now: datetime | None = None,
) -> KnowsCounts:
    """Recompute and write ``KNOWS`` for every pair with at least one of ``people`` (and of the people
    in ``stream``) in it. With a complete ``stream`` only interactions it did not carry are read."""
    if stream is not None:
        stream.finish()
    touched = sorted(set(people) | set(stream.degree if stream is not None else ()))
    if not touched:
        return KnowsCounts()
    reference = reference_time(store, tenant, now)
    if stream is not None and stream.complete and not set(people) - set(stream.degree):
        acc = stream.accumulator
        to_read = _with_more_stored(store, tenant, stream.degree)
    else:
        acc = StrengthAccumulator(config)
        to_read = touched
    for event in _events(store, tenant, to_read):
        acc.add(event)
    keys = {person_key(label, pid) for label, pid in touched}
    pairs = [p for p in acc.pairs(reference) if p.a in keys or p.b in keys]
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for pair in sorted(pairs, key=lambda p: p.key):
        groups.setdefault((_split(pair.a)[0], _split(pair.b)[0]), []).append(_edge_row(tenant, pair, reference))
    counts = KnowsCounts(pairs=len(pairs), as_of=reference)
    for (src, dst), rows in sorted(groups.items()):
        for i in range(0, len(rows), WRITE_CHUNK):
            created, updated, unchanged = links.upsert_links(
                store, tenant, rel="KNOWS", src=src, dst=dst, rows=rows[i : i + WRITE_CHUNK]
            )
            counts.created += created
            counts.updated += updated
            counts.unchanged += unchanged
    return counts
