"""KNOWS: relationship strength between people, derived from interactions and recomputable.

``refresh_knows`` recomputes pairs from interactions (all of them, or only the pairs touched by
given interactions, from those people's full history) and upserts the KNOWS edges. Each pair is
stored once, from the smaller person key to the larger; read it undirected (``-[:KNOWS]-``).
Strength decays with time, so the stored value is as of the last refresh (``relgraph
refresh-knows`` or any import); the evidence keeps counts per channel and the latest interactions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from graph import schema
from graph.analytics.strength import PairStrength, StrengthAccumulator, StrengthConfig
from graph.intelligence import people as P
from graph.repositories import links
from graph.store import GraphStore


@dataclass
class KnowsReport:
    interactions: int = 0
    pairs: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_people: set[str] = field(default_factory=set)


def refresh_knows(
    store: GraphStore,
    tenant: str,
    *,
    interaction_ids: Sequence[str] | None = None,
    now: datetime | None = None,
    config: StrengthConfig | None = None,
) -> KnowsReport:
    """Recompute KNOWS for every pair (``interaction_ids`` None) or for the pairs in those interactions,
    as of ``now`` (default: the tenant's latest interaction, see ``people.reference_time``)."""
    now = now or P.reference_time(store, tenant)
    acc = StrengthAccumulator(config or StrengthConfig())
    report = KnowsReport()
    if interaction_ids is None:
        for event in P.all_events(store, tenant):
            acc.add(event)
            report.interactions += 1
        pairs = acc.pairs(now)
    else:
        uids = [schema.uid(tenant, i) for i in interaction_ids]
        new_events = list(P.events_by_uid(store, tenant, uids))
        touched = {person for e in new_events for person, _ in e.participants}
        wanted: set[tuple[str, str]] = set()
        for event in new_events:
            wanted |= StrengthAccumulator(acc.config).add(event)
        for event in P.events_of_people(store, tenant, touched):
            acc.add(event)
            report.interactions += 1
        pairs = acc.pairs(now, keys=wanted)
    report.pairs = len(pairs)
    _write(store, tenant, pairs, report)
    return report


def _write(store: GraphStore, tenant: str, pairs: Iterable[PairStrength], report: KnowsReport) -> None:
    groups: dict[tuple[str, str], list[dict[str, object]]] = {}
    for p in pairs:
        (la, ida), (lb, idb) = P.split_key(p.a), P.split_key(p.b)
        if la not in P.PEOPLE_LABELS or lb not in P.PEOPLE_LABELS:
            report.skipped_people.update({p.a, p.b})
            continue
        groups.setdefault((la, lb), []).append(
            {
                "src": schema.uid(tenant, ida),
                "dst": schema.uid(tenant, idb),
                "strength": round(p.strength, 6),
                "interactions": p.count,
                "last_at": p.last_at,
                "reciprocity": round(p.reciprocity, 6),
                "evidence": json.dumps(p.evidence(), sort_keys=True, default=str),
            }
        )
    for (la, lb), rows in groups.items():
        for i in range(0, len(rows), 5000):
            created, updated, unchanged = links.upsert_links(
                store, tenant, rel="KNOWS", src=la, dst=lb, rows=rows[i : i + 5000]
            )
            report.created += created
            report.updated += updated
            report.unchanged += unchanged
