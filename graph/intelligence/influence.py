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
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from graph import schema
from graph.analytics.csr import IdIndex
from graph.analytics.influence import (
    InfluenceConfig,
    InfluenceResult,
    Transition,
    influence_of,
    percentile,
    transition_from_pieces,
)
from graph.analytics.titles import parse_title
from graph.intelligence import people as P
from graph.store import Dialect, GraphStore

# Whole-tenant reads by internal node id ({iid}: ``offset(id(p))`` on Ladybug, ``id(p)`` on Neo4j).
PEOPLE_BY_IID: Final = (
    "MATCH (p:{label}) WHERE p.tenant = $tenant RETURN {iid} AS iid, p.id AS id, p.name AS name, p.title AS title"
)
KNOWS_BY_IID: Final = (
    "MATCH (a:{a})-[k:KNOWS]->(b:{b}) WHERE a.tenant = $tenant RETURN {ia} AS a, {ib} AS b, k.strength AS strength"
)
REPORTS_BY_IID: Final = (
    "MATCH (a:{label})-[r:REPORTS_TO]->(b:{label}) WHERE a.tenant = $tenant RETURN {ia} AS report, {ib} AS manager"
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
    index = {p.key: i for i, p in enumerate(people)}
    kept = [(index[a], index[b], w) for a, b, w in edges if a in index and b in index and w > 0]
    lines = [(index[r], index[m], w) for r, m, w in reports if r in index and m in index]
    return compute_arrays(
        IdIndex(tuple(index), index),
        _column(kept, 0, np.int64),
        _column(kept, 1, np.int64),
        _column(kept, 2, np.float64),
        (_column(lines, 0, np.int64), _column(lines, 1, np.int64), _column(lines, 2, np.float64)),
        levels_of([p.title for p in people]),
        config,
    )


def compute_arrays(
    ids: IdIndex[Any],
    src: npt.NDArray[np.int64],
    dst: npt.NDArray[np.int64],
    strength: npt.NDArray[np.float64],
    lines: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]],
    levels: npt.NDArray[np.float64],
    config: InfluenceConfig | None = None,
    nstart: npt.NDArray[np.float64] | None = None,
) -> InfluenceResult:
    """The same over node indices: KNOWS ``src``/``dst``/``strength`` (undirected, positive),
    reporting ``lines`` (report, manager, confidence) and title ``levels`` (0 = unknown)."""
    cfg = config or InfluenceConfig()
    transition = influence_transition(len(ids), src, dst, strength, lines, cfg.reporting_weight)
    known = levels > 0
    if known.any():
        # Someone with no known title is not junior, just unknown: give them the average prior of the
        # people whose titles we know, so a few parsed titles do not push everyone else down.
        cfg = dataclasses.replace(cfg, unknown_level_prior=float(np.clip(levels[known], 0, 5).mean() / 5.0))
    return influence_of(transition, ids, seniority=levels, config=cfg, nstart=nstart)


def _column(rows: list[tuple[int, int, float]], i: int, dtype: type) -> Any:
    return np.array([r[i] for r in rows], dtype=dtype)


def levels_of(titles: Sequence[str | None]) -> npt.NDArray[np.float64]:
    """Seniority level per title (0 for none), each distinct title parsed once: a tenant has far
    fewer titles than people. A set, then a map over its dict, hashes each string once (the hash
    is kept on the string): half the time of ``pd.factorize`` on 400k titles."""
    level = {t: float(parse_title(str(t)).level) if t else 0.0 for t in set(titles)}
    return np.fromiter(map(level.__getitem__, titles), dtype=np.float64, count=len(titles))


def influence_transition(
    n: int,
    src: npt.NDArray[np.int64],
    dst: npt.NDArray[np.int64],
    strength: npt.NDArray[np.float64],
    lines: tuple[Any, Any, Any],
    weight: float,
) -> Transition:
    """KNOWS both ways plus report -> manager arcs weighted by ``weight`` x the line's confidence
    (1 for explicit), straight into PageRank's transition (no intermediate CSR graph)."""
    loops = src == dst
    if loops.any():  # a self loop counts once, as in a symmetric CSR
        back = ~loops
        src_back, dst_back, strength_back = dst[back], src[back], strength[back]
    else:
        src_back, dst_back, strength_back = dst, src, strength
    reporting = (
        np.asarray(lines[0], dtype=np.int64),
        np.asarray(lines[1], dtype=np.int64),
        weight * np.asarray(lines[2], dtype=np.float64),
    )
    pieces = [(src, dst, strength), (src_back, dst_back, strength_back), reporting]
    return transition_from_pieces(n, [(np.asarray(a, np.int64), np.asarray(b, np.int64), w) for a, b, w in pieces])


def explain(
    result: InfluenceResult,
    people: Mapping[str, Person],
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
                "pagerank": float(result.pagerank[result.index_of(person_key)]),
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
        self._cache: dict[str, tuple[float, InfluenceResult, Mapping[str, Person], list[tuple[str, str, float]]]] = {}
        self._last: dict[str, InfluenceResult] = {}  # kept through invalidation: the next warm start
        self._lock = threading.Lock()

    def get(
        self, store: GraphStore, tenant: str, *, refresh: bool = False
    ) -> tuple[InfluenceResult, Mapping[str, Person], list[tuple[str, str, float]]]:
        with self._lock:
            hit = self._cache.get(tenant)
            if hit is not None and not refresh and time.monotonic() - hit[0] < self.ttl_s:
                return hit[1], hit[2], hit[3]
            previous = self._last.get(tenant)
        result, people, reports = recompute_tenant(store, tenant, gds=self.gds, previous=previous)
        with self._lock:
            self._cache[tenant] = (time.monotonic(), result, people, reports)
            self._last[tenant] = result
        return result, people, reports

    def invalidate(self, tenant: str) -> None:
        with self._lock:
            self._cache.pop(tenant, None)


class PeopleTable(Mapping[str, Person]):
    """Person key -> ``Person``, stored as columns: a tenant has hundreds of thousands of people and
    ``explain`` looks at a few dozen of them."""

    def __init__(self, keys: pd.Index, names: npt.NDArray[Any], titles: npt.NDArray[Any]) -> None:
        self.keys_index = keys
        self._names = names
        self._titles = titles

    def __getitem__(self, key: str) -> Person:
        i = self.keys_index.get_loc(key)
        if not isinstance(i, int):
            raise KeyError(key)
        return Person(key, _text(self._names[i]), _text(self._titles[i]))

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys_index)

    def __len__(self) -> int:
        return len(self.keys_index)

    def __contains__(self, key: object) -> bool:
        return key in self.keys_index


def _text(value: Any) -> str | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def recompute_tenant(
    store: GraphStore, tenant: str, gds: Any | None = None, previous: InfluenceResult | None = None
) -> tuple[InfluenceResult, Mapping[str, Person], list[tuple[str, str, float]]]:
    """Read people, reporting lines and KNOWS as columns; rank (warm-started from ``previous``).
    With ``gds``, PageRank is GDS's (see ``gds.py``)."""
    graph = read_tenant_graph(store, tenant)
    result = rank_tenant(graph, previous=previous if gds is None else None)
    if gds is not None:
        from graph.intelligence.gds import gds_pagerank

        result = with_pagerank(result, gds_pagerank(gds, tenant))
    return result, graph.table(), graph.reports()


@dataclass
class TenantGraph:
    """The whole tenant's people and relationships as position arrays (see ``read_tenant_graph``)."""

    people: _TenantPeople
    src: npt.NDArray[np.int64]
    dst: npt.NDArray[np.int64]
    strength: npt.NDArray[np.float64]
    line_src: npt.NDArray[np.int64]
    line_dst: npt.NDArray[np.int64]

    def table(self) -> PeopleTable:
        p = self.people
        return PeopleTable(pd.Index(p.keys, dtype=object), np.asarray(p.names, object), np.asarray(p.titles, object))

    def reports(self) -> list[tuple[str, str, float]]:
        keys = np.asarray(self.people.keys, dtype=object)
        pairs = zip(keys[self.line_src].tolist(), keys[self.line_dst].tolist(), strict=True)
        return [(r, m, 1.0) for r, m in pairs]


def read_tenant_graph(store: GraphStore, tenant: str) -> TenantGraph:
    """People, KNOWS and REPORTS_TO of the tenant, read as columns.

    Relationships are read by the engine's internal node ids (integers) and mapped to positions
    with a sorted search, never through per-row Python objects or string ids: at 400k people and
    1.3M relationships that is the difference between seconds and a fraction of one."""
    iid = "offset(id({}))" if store.dialect is Dialect.LADYBUG else "id({})"
    people = _TenantPeople()
    for label in P.PEOPLE_LABELS:
        query = PEOPLE_BY_IID.format(label=label, iid=iid.format("p"))
        people.add(label, store.read_frame(tenant, query, {"tenant": tenant}))
    src, dst, strength = [], [], []
    for a, b in schema.PEOPLE:
        query = KNOWS_BY_IID.format(a=a, b=b, ia=iid.format("a"), ib=iid.format("b"))
        frame = store.read_frame(tenant, query, {"tenant": tenant})
        s, d = people.positions(a, frame["a"]), people.positions(b, frame["b"])
        w = frame["strength"].to_numpy(np.float64, na_value=0.0)
        ok = (s >= 0) & (d >= 0) & (w > 0)
        src.append(s[ok])
        dst.append(d[ok])
        strength.append(w[ok])
    rsrc, rdst = [], []
    for label in P.PEOPLE_LABELS:
        query = REPORTS_BY_IID.format(label=label, ia=iid.format("a"), ib=iid.format("b"))
        frame = store.read_frame(tenant, query, {"tenant": tenant})
        r, m = people.positions(label, frame["report"]), people.positions(label, frame["manager"])
        ok = (r >= 0) & (m >= 0)
        rsrc.append(r[ok])
        rdst.append(m[ok])
    return TenantGraph(
        people,
        np.concatenate(src),
        np.concatenate(dst),
        np.concatenate(strength),
        np.concatenate(rsrc),
        np.concatenate(rdst),
    )


def rank_tenant(
    graph: TenantGraph, config: InfluenceConfig | None = None, previous: InfluenceResult | None = None
) -> InfluenceResult:
    """Influence over a tenant graph (PageRank + seniority blend), no I/O. ``previous``: an earlier
    result of the same tenant, whose PageRank starts the iteration (fewer iterations, same scores
    within the tolerance); people new since then start at the average."""
    lines = (graph.line_src, graph.line_dst, np.ones(len(graph.line_src)))
    nstart = _warm_start(previous, graph.people.keys) if previous is not None else None
    return compute_arrays(
        graph.people.index(),
        graph.src,
        graph.dst,
        graph.strength,
        lines,
        levels_of(graph.people.titles),
        config,
        nstart,
    )


def _warm_start(previous: InfluenceResult, keys: Sequence[str]) -> npt.NDArray[np.float64] | None:
    ids = previous.ids
    if ids is None or not len(keys):
        return None
    if len(ids.keys) == len(keys) and all(a == b for a, b in zip(ids.keys, keys, strict=True)):
        return previous.pagerank  # the same people in the same order: the common case, and 20x cheaper
    at = pd.Index(list(ids.keys), dtype=object).get_indexer(pd.Index(keys, dtype=object))
    start = np.full(len(keys), 1.0 / len(keys))
    found = at >= 0
    start[found] = previous.pagerank[at[found]]
    return start if float(start.sum()) > 0 else None


class _TenantPeople:
    """People of several labels in one position space: label ``L``'s people take positions
    ``offset[L] .. offset[L] + n_L`` in the order read; keys are ``Label:id`` (``people.key``)."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.names: list[Any] = []
        self.titles: list[Any] = []
        self._by_label: dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], int]] = {}

    def add(self, label: str, frame: pd.DataFrame) -> None:
        iids = frame["iid"].to_numpy(np.int64)
        order = np.argsort(iids, kind="stable")
        self._by_label[label] = (iids[order], order.astype(np.int64), len(self.keys))
        prefix = label + ":"
        self.keys.extend(prefix + str(i) for i in frame["id"].to_numpy(object))
        self.names.extend(P.texts(frame["name"]))
        self.titles.extend(P.texts(frame["title"]))

    def positions(self, label: str, iids: pd.Series) -> npt.NDArray[np.int64]:
        """Positions of the people with these internal ids (-1 for any not read)."""
        sorted_iids, order, offset = self._by_label[label]
        wanted = iids.to_numpy(np.int64)
        if not len(sorted_iids):
            return np.full(len(wanted), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(sorted_iids, wanted), len(sorted_iids) - 1)
        return np.where(sorted_iids[at] == wanted, order[at] + offset, -1).astype(np.int64)

    def index(self) -> IdIndex[Any]:
        return IdIndex(self.keys, _Positions(self.keys))  # no copy of 400k keys (3 ms)


class _Positions(Mapping[str, int]):
    """Key -> position over a pandas index whose hash table is built on the first lookup: a tenant
    ranking looks up a few dozen people, and a dict of 400k keys costs ~70 ms to build."""

    def __init__(self, keys: list[str]) -> None:
        self._keys = keys
        self._index: pd.Index | None = None

    def _lookup(self) -> pd.Index:
        if self._index is None:
            self._index = pd.Index(self._keys, dtype=object)
        return self._index

    def __getitem__(self, key: str) -> int:
        loc = self._lookup().get_loc(key)
        if not isinstance(loc, int):  # a repeated key would come back as a slice or mask
            raise KeyError(key)
        return loc

    def __contains__(self, key: object) -> bool:
        return key in self._lookup()

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def with_pagerank(result: InfluenceResult, pagerank: dict[str, float]) -> InfluenceResult:
    """The same result with PageRank computed elsewhere (GDS), blended again with seniority."""
    cfg = InfluenceConfig()
    pr = np.array([pagerank.get(str(result.key_of(i)), 0.0) for i in range(result.n)])
    normalised = percentile(pr)
    score = cfg.blend * normalised + (1 - cfg.blend) * result.prior
    return dataclasses.replace(result, pagerank=pr, normalised=normalised, score=score)
