"""Who matters: influence inside an account and across the tenant, explained by its contributors.

Score = blend of PageRank over the time-decayed interaction graph (KNOWS strengths) plus reporting
lines (report -> manager, explicit and, inside an account, inferred with their confidence) and a
seniority prior parsed from titles (see ``graph.analytics.influence``). Each person comes with the
people who contribute most to their score and why (reports to them, interacts with them).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from scipy.stats import rankdata

from graph.analytics.csr import IdIndex, csr_from_arrays
from graph.analytics.influence import InfluenceConfig, InfluenceResult, influence
from graph.analytics.titles import parse_title
from graph.intelligence import people as P
from graph.store import GraphStore

PEOPLE_TITLES: Final = "MATCH (p:{label}) WHERE p.tenant = $tenant RETURN p.id AS id, p.name AS name, p.title AS title"
ALL_REPORTS: Final = (
    "MATCH (a:{label})-[r:REPORTS_TO]->(b:{label}) WHERE a.tenant = $tenant RETURN a.id AS report, b.id AS manager"
)


@dataclass(frozen=True)
class Person:
    key: str
    name: str | None
    title: str | None


def compute(
    people: Sequence[Person],
    edges: Sequence[tuple[str, str, float]],
    reports: Sequence[tuple[str, str, float]],
    config: InfluenceConfig | None = None,
) -> InfluenceResult:
    """Influence over ``people``; ``edges`` (a, b, strength) undirected, ``reports`` (report, manager, weight)."""
    cfg = config or InfluenceConfig()
    index = {p.key: i for i, p in enumerate(people)}
    ids: IdIndex[Any] = IdIndex(tuple(index), index)
    kept = [(index[a], index[b], w) for a, b, w in edges if a in index and b in index and w > 0]
    src = np.array([a for a, _, _ in kept], dtype=np.int64)
    dst = np.array([b for _, b, _ in kept], dtype=np.int64)
    wts = np.array([w for _, _, w in kept], dtype=np.float64)
    base = csr_from_arrays(len(people), src, dst, wts, symmetric=True, ids=ids)
    lines = [(index[r], index[m], w) for r, m, w in reports if r in index and m in index]
    graph = _with_lines(base, lines, cfg.reporting_weight)
    levels = np.array([parse_title(p.title).level if p.title else 0 for p in people], dtype=np.float64)
    known = levels > 0
    if known.any():
        # Someone with no known title is not junior, just unknown: give them the average prior of the
        # people whose titles we know, so a few parsed titles do not push everyone else down.
        cfg = dataclasses.replace(cfg, unknown_level_prior=float(np.clip(levels[known], 0, 5).mean() / 5.0))
    return influence(graph, seniority=levels, config=cfg)


def _with_lines(base: Any, lines: list[tuple[int, int, float]], weight: float) -> Any:
    """Add report -> manager edges weighted by ``weight`` x the line's confidence (1 for explicit)."""
    rows = np.repeat(np.arange(base.n, dtype=np.int64), np.diff(base.indptr))
    src = np.concatenate([rows, np.array([r for r, _, _ in lines], np.int64)])
    dst = np.concatenate([base.indices, np.array([m for _, m, _ in lines], np.int64)])
    wts = np.concatenate([base.weights, np.array([weight * c for _, _, c in lines], np.float64)])
    return csr_from_arrays(base.n, src, dst, wts, ids=base.ids)


def explain(
    result: InfluenceResult,
    people: dict[str, Person],
    reports: Sequence[tuple[str, str, float]],
    top: int,
    only: set[str] | None = None,
) -> list[dict[str, Any]]:
    """The ranking with, per person, the top contributors in words."""
    line_of = {(r, m) for r, m, _ in reports}
    out: list[dict[str, Any]] = []
    for ranked_key, score in result.ranking():
        person_key = str(ranked_key)
        if only is not None and person_key not in only:
            continue
        if len(out) >= top:
            break
        person = people[person_key]
        label, rid = P.split_key(person_key)
        reasons = []
        for c in result.contributors(person_key, k=3):
            other = people.get(str(c.source))
            if other is None or c.share < 0.02:
                continue
            how = "reports to them" if (c.source, person_key) in line_of else "works closely with them"
            reasons.append(
                {"id": P.split_key(other.key)[1], "name": other.name, "why": how, "share": round(c.share, 3)}
            )
        level = parse_title(person.title) if person.title else None
        out.append(
            {
                "id": rid,
                "kind": label.lower(),
                "name": person.name,
                "title": person.title,
                "score": round(score, 4),
                "pagerank": float(result.pagerank[result.graph.index_of(person_key)]),
                "seniority": level.label if level else None,
                "contributors": reasons,
            }
        )
    return out


class TenantInfluence:
    """Tenant-wide influence, cached per tenant for ``ttl_s`` (a full recompute is seconds at 1M people).

    With a ``GraphDataScience`` object (Neo4j backend) PageRank runs in GDS; the ranking itself is
    still the shared blend, so both paths agree (``tests/contracts/test_influence_gds.py``)."""

    def __init__(self, ttl_s: float = 600.0, gds: Any | None = None) -> None:
        self.ttl_s = ttl_s
        self.gds = gds
        self._cache: dict[str, tuple[float, InfluenceResult, dict[str, Person], list[tuple[str, str, float]]]] = {}
        self._lock = threading.Lock()

    def get(
        self, store: GraphStore, tenant: str, *, refresh: bool = False
    ) -> tuple[InfluenceResult, dict[str, Person], list[tuple[str, str, float]]]:
        with self._lock:
            hit = self._cache.get(tenant)
            if hit is not None and not refresh and time.monotonic() - hit[0] < self.ttl_s:
                return hit[1], hit[2], hit[3]
        result, people, reports = recompute_tenant(store, tenant, gds=self.gds)
        with self._lock:
            self._cache[tenant] = (time.monotonic(), result, people, reports)
        return result, people, reports

    def invalidate(self, tenant: str) -> None:
        with self._lock:
            self._cache.pop(tenant, None)


def recompute_tenant(
    store: GraphStore, tenant: str, gds: Any | None = None
) -> tuple[InfluenceResult, dict[str, Person], list[tuple[str, str, float]]]:
    """Read people, reporting lines and KNOWS; rank. With ``gds``, PageRank is GDS's (see ``gds.py``)."""
    people: dict[str, Person] = {}
    reports: list[tuple[str, str, float]] = []
    for label in P.PEOPLE_LABELS:
        for r in store.read(tenant, PEOPLE_TITLES.format(label=label), {"tenant": tenant}):
            k = P.key(label, r["id"])
            people[k] = Person(k, r["name"], r["title"])
        for r in store.read(tenant, ALL_REPORTS.format(label=label), {"tenant": tenant}):
            reports.append((P.key(label, r["report"]), P.key(label, r["manager"]), 1.0))
    edges = [(e.a, e.b, e.strength) for e in P.knows_edges(store, tenant)]
    result = compute(list(people.values()), edges, reports)
    if gds is not None:
        from graph.intelligence.gds import gds_pagerank

        result = with_pagerank(result, gds_pagerank(gds, tenant))
    return result, people, reports


def with_pagerank(result: InfluenceResult, pagerank: dict[str, float]) -> InfluenceResult:
    """The same result with PageRank computed elsewhere (GDS), blended again with seniority."""
    cfg = InfluenceConfig()
    pr = np.array([pagerank.get(str(result.graph.key_of(i)), 0.0) for i in range(result.graph.n)])
    n = len(pr)
    normalised = (rankdata(pr, method="average") - 1.0) / max(n - 1, 1) if n > 1 else np.ones(n)
    score = cfg.blend * normalised + (1 - cfg.blend) * result.prior
    return dataclasses.replace(result, pagerank=pr, normalised=normalised, score=score)
