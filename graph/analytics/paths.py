"""Warm-introduction paths: the k best short chains of relationships from our reps to a person.

Best = the largest product of hop strengths (strengths in (0, 1], e.g. ``KNOWS.strength``), which
is the shortest path under edge cost ``-log(strength)``. Paths are simple, at most ``max_hops``
(default 4) hops, never pass *through* another of our reps (that rep would make the intro) or
another target, and may skip stale edges (``max_age`` before ``now``) and weak ones
(``min_strength``).

Why not Yen's algorithm over Dijkstra: on a graph of a million people with hubs (our reps each know
thousands of contacts) every Dijkstra call of Yen's would walk a large part of the graph, and Yen
needs O(k * path length) of them. Paths of at most 4 hops can instead be enumerated exactly from
both ends and joined in the middle, as numpy array programs:

1. Walk layers grow from both sides: forward from the sources, backward from the target(s). Before
   each step the side whose frontier has the smaller total degree is expanded (bidirectional BFS),
   until the two sides together cover ``max_hops``. A hub therefore gets expanded only when the
   other side is even larger. The last step keeps only walks that end on a node the other side
   reached, so the largest layer is never materialised in full. ``max_intermediate_degree`` can
   also forbid hubs in the middle of a path (a shared mailbox is not an introduction).
2. Every path of L <= max_hops hops splits exactly once into a forward walk of ``max(0, L - b)``
   hops and a backward walk of ``min(L, b)`` hops (``b`` = backward depth); joining forward walks
   with backward walks of depth ``b`` on their end node, plus backward walks that already reached a
   source, enumerates each path once.
3. The k cheapest joins come out of a lazy k-smallest-sums merge (per middle node, sorted forward
   and backward costs), checking simplicity as they come.

Walks that reach the other side on their own are complete paths: once k of them are known, the
k-th cost bounds the answer and every walk costing more is dropped (costs are non-negative). With
these prunings the search stays exact.

If a walk layer would exceed ``budget`` walks (a pathological hub-to-hub query), only the
``budget`` cheapest walks are kept and the result says ``exact=False``.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
import pandas as pd

from graph.analytics.csr import CsrGraph, IdIndex, csr_from_arrays

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Hop:
    source: Hashable
    target: Hashable
    strength: float
    last_at: float | None
    """Epoch seconds of the last interaction on this edge, when known."""


@dataclass(frozen=True, slots=True)
class IntroPath:
    nodes: tuple[Hashable, ...]
    hops: tuple[Hop, ...]
    strength: float
    """Product of the hop strengths."""
    cost: float
    """Sum of ``-log(strength)`` over the hops (lower is better)."""

    @property
    def source(self) -> Hashable:
        return self.nodes[0]

    @property
    def target(self) -> Hashable:
        return self.nodes[-1]


@dataclass(frozen=True, slots=True)
class PathSearch:
    paths: list[IntroPath]
    exact: bool
    """False when the walk budget forced pruning (the paths are good but not provably the best)."""
    walks: int
    """Walks generated: the work the query did."""


class PathGraph:
    """An undirected strength graph prepared for path search (built once, queried many times).

    ``graph`` must store each edge both ways (``symmetric=True``) with strengths in (0, 1] as
    weights and, optionally, ``attrs["last_at"]`` in epoch seconds.
    """

    __slots__ = ("cost", "degree", "graph", "last_at")

    def __init__(self, graph: CsrGraph) -> None:
        if graph.nnz and (float(graph.weights.min()) <= 0 or float(graph.weights.max()) > 1):
            raise ValueError("strengths must be in (0, 1]")
        self.graph = graph
        self.cost: FloatArray = -np.log(graph.weights)
        self.degree: IntArray = graph.degree()
        last_at = graph.attrs.get("last_at")
        self.last_at: FloatArray | None = None if last_at is None else np.asarray(last_at, dtype=np.float64)

    @classmethod
    def from_edges(cls, edges: Iterable[tuple[Hashable, Hashable, float, datetime | float | None]]) -> PathGraph:
        """From ``(a, b, strength, last_at)`` rows; a repeated pair keeps its strongest row. An edge
        with no ``last_at`` counts as stale when a query gives ``max_age``."""
        index: dict[Hashable, int] = {}
        src: list[int] = []
        dst: list[int] = []
        strength: list[float] = []
        last: list[float] = []
        for a, b, weight, when in edges:
            src.append(index.setdefault(a, len(index)))
            dst.append(index.setdefault(b, len(index)))
            strength.append(float(weight))
            last.append(_epoch(when) if when is not None else -math.inf)
        return cls.from_arrays(
            len(index),
            np.asarray(src),
            np.asarray(dst),
            np.asarray(strength),
            np.asarray(last),
            IdIndex(tuple(index), index),
        )

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> PathGraph:
        """From columns ``a``, ``b`` (keys), ``strength`` and ``last_at`` (tz-aware datetimes, NaT for
        unknown): the vectorised ``from_edges`` for whole-tenant graphs."""
        codes, uniques = pd.factorize(pd.concat([frame["a"], frame["b"]], ignore_index=True))
        n_edges = len(frame)
        seconds = (pd.to_datetime(frame["last_at"], utc=True) - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
        epoch = seconds.fillna(-math.inf).to_numpy(np.float64)  # unknown = stale when a query has max_age
        keys = tuple(uniques.tolist())
        return cls.from_arrays(
            len(keys),
            codes[:n_edges],
            codes[n_edges:],
            np.minimum(frame["strength"].to_numpy(np.float64), 1.0),
            epoch,
            IdIndex(keys, {k: i for i, k in enumerate(keys)}),
        )

    @classmethod
    def from_arrays(
        cls,
        n: int,
        src: npt.ArrayLike,
        dst: npt.ArrayLike,
        strength: npt.ArrayLike,
        last_at: npt.ArrayLike | None = None,
        ids: IdIndex[Hashable] | None = None,
    ) -> PathGraph:
        attrs = None if last_at is None else {"last_at": last_at}
        graph = csr_from_arrays(
            n, src, dst, strength, symmetric=True, duplicates="max", drop_self_loops=True, attrs=attrs, ids=ids
        )
        return cls(graph)


@dataclass(slots=True)
class _Side:
    """Walk layers of one side. Layer h: ``nodes`` (m, h+1) from origin to end, ``entries`` (m, h)
    CSR positions of the hops, ``cost`` (m,)."""

    nodes: list[IntArray] = field(default_factory=list)
    entries: list[IntArray] = field(default_factory=list)
    cost: list[FloatArray] = field(default_factory=list)

    @property
    def depth(self) -> int:
        return len(self.nodes) - 1


@dataclass(frozen=True, slots=True)
class _Query:
    sources: BoolArray
    targets: BoolArray
    cutoff: float
    min_strength: float
    max_degree: int | None
    budget: int


def best_paths(
    pg: PathGraph,
    sources: Iterable[Hashable],
    target: Hashable,
    *,
    k: int = 5,
    max_hops: int = 4,
    now: datetime | None = None,
    max_age: timedelta | None = None,
    min_strength: float = 0.0,
    max_intermediate_degree: int | None = None,
    budget: int = 2_000_000,
) -> PathSearch:
    """The ``k`` strongest simple paths of at most ``max_hops`` hops from any of ``sources`` to
    ``target`` (keys of the graph; unknown sources are ignored, an unknown target gives no path)."""
    return search_paths(
        pg,
        sources,
        [target],
        k=k,
        max_hops=max_hops,
        now=now,
        max_age=max_age,
        min_strength=min_strength,
        max_intermediate_degree=max_intermediate_degree,
        budget=budget,
    )


@dataclass(frozen=True, slots=True)
class EntryPoint:
    rep: Hashable
    contact: Hashable
    path: IntroPath


def best_entry_points(
    pg: PathGraph,
    reps: Iterable[Hashable],
    account_people: Iterable[Hashable],
    *,
    k: int = 10,
    max_hops: int = 4,
    now: datetime | None = None,
    max_age: timedelta | None = None,
    min_strength: float = 0.0,
    max_intermediate_degree: int | None = None,
    budget: int = 2_000_000,
) -> list[EntryPoint]:
    """The ``k`` best (rep, contact) ways into an account, one path per pair, best first.

    A path ends at the first account person it meets (the entry point): it never passes through
    another of the account's people.
    """
    found = search_paths(
        pg,
        reps,
        account_people,
        k=k,
        max_hops=max_hops,
        now=now,
        max_age=max_age,
        min_strength=min_strength,
        max_intermediate_degree=max_intermediate_degree,
        budget=budget,
        distinct_pairs=True,
    )
    return [EntryPoint(p.source, p.target, p) for p in found.paths]


def search_paths(
    pg: PathGraph,
    sources: Iterable[Hashable],
    targets: Iterable[Hashable],
    *,
    k: int = 5,
    max_hops: int = 4,
    now: datetime | None = None,
    max_age: timedelta | None = None,
    min_strength: float = 0.0,
    max_intermediate_degree: int | None = None,
    budget: int = 2_000_000,
    distinct_pairs: bool = False,
) -> PathSearch:
    """The general form: best paths from any source to any target; ``distinct_pairs`` keeps only
    the best path of each (source, target) pair."""
    if k <= 0 or max_hops <= 0:
        return PathSearch([], True, 0)
    graph = pg.graph
    src = _indices(graph, sources)
    tgt = _indices(graph, targets)
    src_mask = np.zeros(graph.n, dtype=bool)
    src_mask[src] = True
    tgt_mask = np.zeros(graph.n, dtype=bool)
    tgt_mask[tgt] = True
    overlap = src_mask & tgt_mask  # a rep who is also a target needs no introduction
    tgt_mask &= ~overlap
    if not src_mask.any() or not tgt_mask.any():
        return PathSearch([], True, 0)
    cutoff = -math.inf
    if max_age is not None:
        if now is None:
            raise ValueError("max_age needs now")
        cutoff = _epoch(now) - max_age.total_seconds()
    query = _Query(src_mask, tgt_mask, cutoff, min_strength, max_intermediate_degree, budget)
    fwd, bwd = _Side(), _Side()
    for side, mask in ((fwd, src_mask), (bwd, tgt_mask)):
        origins = np.flatnonzero(mask).astype(np.int64)
        side.nodes.append(origins[:, None])
        side.entries.append(np.zeros((len(origins), 0), dtype=np.int64))
        side.cost.append(np.zeros(len(origins)))
    exact = True
    walks = 0
    found = _Complete(k, distinct_pairs, graph.n)
    while fwd.depth + bwd.depth < max_hops:
        f_cost = _frontier_cost(pg, fwd, tgt_mask, query, found.bound)
        b_cost = _frontier_cost(pg, bwd, src_mask, query, found.bound)
        if f_cost == 0 and b_cost == 0:
            break
        forward = f_cost < b_cost
        side, own, other = (fwd, src_mask, tgt_mask) if forward else (bwd, tgt_mask, src_mask)
        meet = None
        if fwd.depth + bwd.depth + 1 == max_hops:
            # the last step: a new walk is useful only if it ends where the other side can join it
            meet = np.zeros(graph.n, dtype=bool)
            for layer in bwd.nodes[-1:] if forward else fwd.nodes:
                meet[layer[:, -1]] = True
        exact &= _expand(pg, side, own, other, query, meet, found.bound)
        walks += len(side.cost[-1])
        if (bwd if forward else fwd).depth < side.depth:  # else the other side already saw these paths
            found.add(side.nodes[-1], side.cost[-1], other, reverse=not forward)
    paths, complete = _join(pg, fwd, bwd, query, k, distinct_pairs, found.bound)
    return PathSearch(paths, exact and complete, walks)


def _indices(graph: CsrGraph, keys: Iterable[Hashable]) -> IntArray:
    if graph.ids is not None:  # the common case, straight on the dict: thousands of reps per query
        positions = graph.ids.positions
        return np.fromiter((positions[k] for k in keys if k in positions), dtype=np.int64)
    out = []
    for key in keys:
        try:
            out.append(graph.index_of(key))
        except KeyError:
            continue
    return np.asarray(out, dtype=np.int64)


class _Complete:
    """Costs of the complete paths seen while walking (walks that reached the other side). The
    k-th smallest is an upper bound on the k-th best path, so any walk costing more can be dropped:
    costs are non-negative, a path never costs less than any of its parts."""

    def __init__(self, k: int, distinct_pairs: bool, n: int) -> None:
        self.k, self.distinct_pairs, self.n = k, distinct_pairs, n
        self.keys: list[IntArray] = []
        self.costs: list[FloatArray] = []
        self.bound = math.inf

    def add(self, nodes: IntArray, cost: FloatArray, other: BoolArray, *, reverse: bool) -> None:
        hit = np.flatnonzero(other[nodes[:, -1]])
        if len(hit) == 0:
            return
        origin, end = nodes[hit, 0], nodes[hit, -1]
        source, target = (end, origin) if reverse else (origin, end)
        self.keys.append(source * np.int64(self.n) + target)
        self.costs.append(cost[hit])
        costs = np.concatenate(self.costs)
        if self.distinct_pairs:  # the bound counts one path per (source, target) pair: its best
            keys = np.concatenate(self.keys)
            order = np.lexsort((costs, keys))
            first = np.concatenate(([True], keys[order][1:] != keys[order][:-1]))
            costs = costs[order][first]
        if len(costs) >= self.k:
            kth = float(np.partition(costs, self.k - 1)[self.k - 1])
            self.bound = kth + 1e-9 * (1.0 + kth)  # slack: partial sums are rounded differently


def _active(pg: PathGraph, side: _Side, other: BoolArray, query: _Query, bound: float) -> IntArray:
    """Rows of the last layer that may be extended: at depth >= 1 a walk that reached the other
    side's set is complete, one at a hub beyond ``max_degree`` stops, and one costing more than
    ``bound`` cannot be part of a top-k path."""
    ends = side.nodes[-1][:, -1]
    if side.depth == 0:
        return np.arange(len(ends), dtype=np.int64)
    keep = ~other[ends] & (side.cost[-1] <= bound)
    if query.max_degree is not None:
        keep &= pg.degree[ends] <= query.max_degree
    return np.flatnonzero(keep).astype(np.int64)


def _frontier_cost(pg: PathGraph, side: _Side, other: BoolArray, query: _Query, bound: float) -> int:
    rows = _active(pg, side, other, query, bound)
    return int(pg.degree[side.nodes[-1][rows, -1]].sum())


def _expand(
    pg: PathGraph,
    side: _Side,
    own: BoolArray,
    other: BoolArray,
    query: _Query,
    meet: BoolArray | None,
    bound: float,
) -> bool:
    """Add one walk layer to ``side``, keeping only walks that end on ``meet`` when given (the last
    step); returns False if the budget pruned it."""
    graph = pg.graph
    rows = _active(pg, side, other, query, bound)
    nodes, entries, cost = side.nodes[-1], side.entries[-1], side.cost[-1]
    ends = nodes[rows, -1]
    starts = graph.indptr[ends]
    counts = graph.indptr[ends + 1] - starts
    total = int(counts.sum())
    parent = np.repeat(rows, counts)
    offsets = np.repeat(np.cumsum(counts) - counts, counts)
    entry = np.arange(total, dtype=np.int64) - offsets + np.repeat(starts, counts)
    nxt = graph.indices[entry]
    keep = ~own[nxt]  # never step onto (another) node of one's own side
    if meet is not None:
        keep &= meet[nxt]
    if query.min_strength > 0:
        keep &= graph.weights[entry] >= query.min_strength
    if pg.last_at is not None and query.cutoff > -math.inf:
        keep &= pg.last_at[entry] >= query.cutoff
    for col in range(nodes.shape[1]):
        keep &= nxt != nodes[parent, col]
    if query.max_degree is not None:
        keep &= (pg.degree[nxt] <= query.max_degree) | other[nxt]
    parent, entry, nxt = parent[keep], entry[keep], nxt[keep]
    new_cost = cost[parent] + pg.cost[entry]
    if bound < math.inf:
        cheap = new_cost <= bound
        parent, entry, nxt, new_cost = parent[cheap], entry[cheap], nxt[cheap], new_cost[cheap]
    exact = True
    if len(new_cost) > query.budget:
        best = np.argpartition(new_cost, query.budget)[: query.budget]
        parent, entry, nxt, new_cost = parent[best], entry[best], nxt[best], new_cost[best]
        exact = False
    side.nodes.append(np.column_stack([nodes[parent], nxt]))
    side.entries.append(np.column_stack([entries[parent], entry]))
    side.cost.append(new_cost)
    return exact


def _join(
    pg: PathGraph, fwd: _Side, bwd: _Side, query: _Query, k: int, distinct_pairs: bool, bound: float
) -> tuple[list[IntroPath], bool]:
    """The k cheapest valid (forward walk, backward walk) joins; see the module docstring."""
    b = bwd.depth
    # forward walks of every depth, flattened, with their end nodes
    f_layer = np.concatenate([np.full(len(c), h, dtype=np.int64) for h, c in enumerate(fwd.cost)])
    f_row = np.concatenate([np.arange(len(c), dtype=np.int64) for c in fwd.cost])
    f_end = np.concatenate([n[:, -1] for n in fwd.nodes])
    f_cost = np.concatenate(fwd.cost)
    # forward walks that ended on a target are only joined with the zero-length backward walk
    if b > 0:
        keep = ~query.targets[f_end]
        f_layer, f_row, f_end, f_cost = f_layer[keep], f_row[keep], f_end[keep], f_cost[keep]
    g_end = bwd.nodes[b][:, -1]
    g_cost = bwd.cost[b]
    # only walks whose end the other side also reached can join: filter before sorting
    n = pg.graph.n
    mark = np.zeros(n, dtype=bool)
    mark[g_end[g_cost <= bound]] = True
    keep = mark[f_end] & (f_cost <= bound)
    f_layer, f_row, f_end, f_cost = f_layer[keep], f_row[keep], f_end[keep], f_cost[keep]
    mark[:] = False
    mark[f_end] = True
    g_rows = np.flatnonzero(mark[g_end] & (g_cost <= bound))
    g_end, g_cost = g_end[g_rows], g_cost[g_rows]

    f_order = np.lexsort((f_cost, f_end))
    g_order = np.lexsort((g_cost, g_end))
    f_ends_sorted, g_ends_sorted = f_end[f_order], g_end[g_order]
    f_keys, f_start, f_count = np.unique(f_ends_sorted, return_index=True, return_counts=True)
    g_keys, g_start, g_count = np.unique(g_ends_sorted, return_index=True, return_counts=True)
    _, fi, gi = np.intersect1d(f_keys, g_keys, assume_unique=True, return_indices=True)
    best_sum = f_cost[f_order[f_start[fi]]] + g_cost[g_order[g_start[gi]]]
    m_order = np.argsort(best_sum, kind="stable")

    # backward walks shorter than b that already reached a source: complete paths on their own
    short: list[tuple[float, int, int]] = []
    for h in range(1, b):
        ends = bwd.nodes[h][:, -1]
        hits = np.flatnonzero(query.sources[ends] & (bwd.cost[h] <= bound))
        short.extend((float(bwd.cost[h][r]), h, int(r)) for r in hits)
    short.sort()

    results: list[IntroPath] = []
    pairs_seen: set[tuple[int, int]] = set()
    heap: list[tuple[float, int, int, int]] = []  # (cost, rank of middle node, i, j)
    next_rank = 0
    short_pos = 0
    pops = 0
    max_pops = 50 * k + 10_000

    def seed(rank: int) -> None:
        heapq.heappush(heap, (float(best_sum[m_order[rank]]), rank, 0, 0))

    if len(m_order):
        seed(0)
        next_rank = 1
    while len(results) < k and (heap or short_pos < len(short)):
        pops += 1
        if pops > max_pops:
            return results, False
        if short_pos < len(short) and (not heap or short[short_pos][0] <= heap[0][0]):
            _, h, row = short[short_pos]
            short_pos += 1
            f_nodes, f_entries = bwd.nodes[h][row, -1:], np.zeros(0, dtype=np.int64)
            candidate = _assemble(pg, f_nodes, f_entries, bwd.nodes[h][row], bwd.entries[h][row])
        else:
            _, rank, i, j = heapq.heappop(heap)
            if i == 0 and j == 0 and next_rank < len(m_order):
                seed(next_rank)
                next_rank += 1
            m = m_order[rank]
            nf, ng = int(f_count[fi[m]]), int(g_count[gi[m]])
            fs, gs = int(f_start[fi[m]]), int(g_start[gi[m]])
            if i + 1 < nf:
                f_next = f_order[fs + i + 1]
                heapq.heappush(heap, (float(f_cost[f_next] + g_cost[g_order[gs + j]]), rank, i + 1, j))
            if i == 0 and j + 1 < ng:
                g_next = g_order[gs + j + 1]
                heapq.heappush(heap, (float(f_cost[f_order[fs]] + g_cost[g_next]), rank, 0, j + 1))
            f_idx, g_idx = f_order[fs + i], g_order[gs + j]
            layer, row = int(f_layer[f_idx]), int(f_row[f_idx])
            g_row = g_rows[g_idx]
            candidate = _assemble(
                pg, fwd.nodes[layer][row], fwd.entries[layer][row], bwd.nodes[b][g_row], bwd.entries[b][g_row]
            )
        if candidate is None:
            continue
        nodes, _ = candidate
        pair = (nodes[0], nodes[-1])
        if distinct_pairs:
            if pair in pairs_seen:
                continue
            pairs_seen.add(pair)
        results.append(_to_path(pg, *candidate))
    return results, True


def _assemble(
    pg: PathGraph, f_nodes: IntArray, f_entries: IntArray, g_nodes: IntArray, g_entries: IntArray
) -> tuple[list[int], list[int]] | None:
    """Forward walk + reversed backward walk (sharing the middle node) if the result is simple."""
    nodes = [int(x) for x in f_nodes] + [int(x) for x in g_nodes[::-1][1:]]
    if len(set(nodes)) != len(nodes):
        return None
    return nodes, [int(x) for x in f_entries] + [int(x) for x in g_entries[::-1]]


def _to_path(pg: PathGraph, nodes: list[int], entries: list[int]) -> IntroPath:
    graph = pg.graph
    hops = []
    strength = 1.0
    cost = 0.0
    for pos, entry in enumerate(entries):
        weight = float(graph.weights[entry])
        when = None if pg.last_at is None else float(pg.last_at[entry])
        hops.append(Hop(graph.key_of(nodes[pos]), graph.key_of(nodes[pos + 1]), weight, when))
        strength *= weight
        cost += float(pg.cost[entry])
    return IntroPath(tuple(graph.key_of(n) for n in nodes), tuple(hops), strength, cost)


def _epoch(moment: datetime | float) -> float:
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("datetimes must be timezone-aware")
        return moment.timestamp()
    return float(moment)
