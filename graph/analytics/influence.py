"""Influence of people: weighted PageRank over who-talks-to-whom and reporting lines, blended with
seniority, explained by the people who contribute most to each score.

The graph: an edge u -> v with weight w says u gives attention to v. Interaction strengths
(``strength.PairStrength.strength``, already time-decayed) are undirected, so they go in both
directions; a reporting line adds report -> manager with ``reporting_weight`` (a manager is
influential through their reports even where we see none of their email).

PageRank: networkx's recurrence (``_pagerank_scipy``) on a ``scipy.sparse`` CSR transition: rows
normalised by their weighted out-degree, dangling nodes (no out-weight) spread their score by the
``dangling`` vector (the personalisation vector, uniform by default), teleport by the
personalisation vector. It is solved by block Gauss-Seidel sweeps: the rows, ordered most connected
first, are cut into blocks of ~32k arcs (``BLOCK_ARCS``), and each block is updated from the blocks
already updated in the same sweep. The fixed point is power iteration's; on CRM graphs (reps at the
centre of stars, reporting trees) it takes ~0.7x the sweeps, because power iteration's slowest
modes there are the stars' back-and-forth. A graph under one block's size is plain power
iteration. Sweeps do not keep the total at 1 as power iteration does, so each is rescaled to 1
(without that, graphs that mix fast converged slower than by power iteration), and one last sweep
over all rows at once makes people with identical in-arcs exact ties again.

Stopping rule: the L1 change of a sweep below ``tol`` (absolute, default 1e-8). networkx stops
when the L1 change is below ``N * tol``, which for a million nodes and its default ``tol=1e-6`` is
satisfied after the first iteration; pass ``tol=N * tol_nx`` to compare. 1e-8 rather than
tighter: at 400k people the blended scores at 1e-8 equal those of a 1e-13 run for 99% of people
and the top 1,000 are the same; the rest differ by under 1e-3 where near-ties swap ranks (as they
already do between 1e-10 and 1e-13). On non-convergence the result says so (``converged=False``)
instead of raising: the scores are still the best estimate.

Blend: ``score = blend * normalised_pagerank + (1 - blend) * seniority_prior`` with
``seniority_prior = level / 5`` (``titles.Seniority``; unknown titles get ``unknown_level_prior``).
PageRank is normalised to a percentile by default (the share of people with a lower PageRank,
ties averaged): PageRank is heavy-tailed, so dividing by the maximum would squash almost everyone
next to zero and the blend weight would not mean what it says; on a percentile scale both terms
are spread over [0, 1] and ``blend`` is the actual trade-off. ``normalisation="max"`` is offered.

Explanations: the PageRank of v is ``(1-d) p_v + d * (sum_u pr[u] * w(u,v) / outdeg_w(u) + dangling)``;
each in-neighbour's term ``pr[u] * w(u,v) / outdeg_w(u)`` is its contribution, and ``share`` is the
part of pr[v] it accounts for (``d * contribution / pr[v]``).

Per account: the same computation on the subgraph induced by the account's people
(:func:`account_influence`). Personalised PageRank restricted to the account was the alternative;
it was not chosen because it needs a full-graph iteration per account, and it lets people outside
the account (our own reps above all, who talk to everyone) absorb and redistribute the score, so
the ranking answers "who is close to our reps" rather than "who carries weight inside this
company".
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final, Literal, TypeVar

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from graph.analytics.csr import CsrGraph, IdIndex, csr_from_arrays, index_in, key_in, subgraph

try:  # see _csr_keeping_repeats and _Block
    from scipy.sparse._sparsetools import coo_tocsr as _coo_tocsr
    from scipy.sparse._sparsetools import csr_matvec as _csr_matvec
except ImportError:  # pragma: no cover - a scipy that moved them
    _coo_tocsr = _csr_matvec = None

FloatArray = npt.NDArray[np.float64]
K = TypeVar("K", bound=Hashable)
Normalisation = Literal["percentile", "max"]


DEFAULT_TOL: Final = 1e-8


@dataclass(frozen=True, slots=True)
class PageRankResult:
    scores: FloatArray
    iterations: int
    converged: bool
    error: float


@dataclass(frozen=True, slots=True)
class InfluenceConfig:
    damping: float = 0.85
    blend: float = 0.7
    reporting_weight: float = 0.5
    normalisation: Normalisation = "percentile"
    unknown_level_prior: float = 0.2
    max_iter: int = 200
    tol: float = DEFAULT_TOL

    def __post_init__(self) -> None:
        if not 0 < self.damping < 1:
            raise ValueError("damping must be in (0, 1)")
        if not 0 <= self.blend <= 1:
            raise ValueError("blend must be in [0, 1]")
        if self.reporting_weight < 0:
            raise ValueError("reporting_weight must be >= 0")


@dataclass(frozen=True, slots=True)
class Contribution:
    source: Hashable
    contribution: float
    share: float


# Row blocks of about this many arcs are updated one after the other (block Gauss-Seidel); a graph
# with fewer arcs is one block, which is plain power iteration.
BLOCK_ARCS: Final = 32_768
MAX_BLOCKS: Final = 32


@dataclass(frozen=True, slots=True)
class Transition:
    """``P^T`` over *positions*: node ``order[i]`` sits at position ``i`` (``position`` is the
    inverse). Row ``i`` of ``matrix`` holds ``w(u, v) / outdeg_w(u)`` for each in-neighbour u of
    ``v = order[i]``, columns are positions too; ``dangling`` marks positions with no out-weight.

    Why an order: the most connected people first keeps the vector reads of the sparse product
    close together (about a fifth faster than the tenant's own order at 400k people), and it is the
    order in which the blocks of ``pagerank`` are swept.
    """

    matrix: sp.csr_array
    dangling: npt.NDArray[np.bool_]
    order: npt.NDArray[np.int64]
    position: npt.NDArray[np.int64]
    out_weight: FloatArray  # per node (not position): the row normaliser

    @property
    def n(self) -> int:
        return int(self.matrix.shape[0])

    def in_arcs(self, node: int) -> tuple[npt.NDArray[np.int64], FloatArray]:
        """The in-neighbours of ``node`` (node indices, each once) and their summed
        ``w(u, v) / outdeg_w(u)``."""
        row = int(self.position[node])
        start, stop = self.matrix.indptr[row], self.matrix.indptr[row + 1]
        sources, share = np.unique(self.order[self.matrix.indices[start:stop]], return_inverse=True)
        weights = np.bincount(share, weights=self.matrix.data[start:stop], minlength=len(sources))
        return sources.astype(np.int64, copy=False), weights.astype(np.float64, copy=False)

    def arcs(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], FloatArray]:
        """(src, dst, weight) of every stored arc, back in node indices."""
        m = self.matrix.tocoo()
        src, dst = self.order[m.col], self.order[m.row]
        return src, dst, m.data * self.out_weight[src]


def transition_matrix(graph: CsrGraph) -> Transition:
    """The transition of ``graph`` in a locality order (see :class:`Transition`)."""
    rows = np.repeat(np.arange(graph.n, dtype=np.int64), np.diff(graph.indptr))
    return transition_from_arcs(graph.n, rows, graph.indices, graph.weights)


def transition_from_arcs(
    n: int, src: npt.NDArray[np.int64], dst: npt.NDArray[np.int64], weights: FloatArray
) -> Transition:
    """The transition straight from arc arrays over nodes ``0..n-1``. Repeated arcs need not be
    summed first: they stay separate entries, which the sparse product adds up anyway."""
    return transition_from_pieces(n, [(src, dst, weights)])


Arcs = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], FloatArray]  # src, dst, weight


def transition_from_pieces(n: int, pieces: Sequence[Arcs]) -> Transition:
    """The same from arcs given in pieces (say, relationships one way, then back): each piece is
    read where it lies, never concatenated into one copy (~8 ms at 2M arcs)."""
    if any(len(w) and float(w.min()) < 0 for _, _, w in pieces):
        raise ValueError("PageRank needs non-negative weights")
    out = np.zeros(n)
    degree = np.zeros(n, dtype=np.int64)
    for src, dst, weights in pieces:
        out += np.bincount(src, weights=weights, minlength=n)
        degree += np.bincount(src, minlength=n)
        degree += np.bincount(dst, minlength=n)
    inv = np.zeros_like(out)
    np.divide(1.0, out, out=inv, where=out != 0)
    # Most arcs first; as 16-bit keys numpy's stable sort is a radix sort (a fifth of the time).
    key = (np.iinfo(np.uint16).max - np.minimum(degree, np.iinfo(np.uint16).max)).astype(np.uint16)
    order = np.argsort(key, kind="stable").astype(np.int64, copy=False)
    total = sum(len(w) for _, _, w in pieces)
    # 32-bit positions where they fit: the arc gathers below then come out as the matrix's indices
    small = n < np.iinfo(np.int32).max and total < np.iinfo(np.int32).max
    position = np.empty(n, dtype=np.int32 if small else np.int64)
    position[order] = np.arange(n, dtype=position.dtype)
    # One COO -> CSR pass transposes and permutes at once: rows are targets, columns sources.
    rows, cols, data = np.empty(total, position.dtype), np.empty(total, position.dtype), np.empty(total)
    at = 0
    for src, dst, weights in pieces:
        end = at + len(weights)
        # "clip" writes straight into ``out`` ("raise" buffers); bincount above refused bad ids
        np.take(position, dst, out=rows[at:end], mode="clip")
        np.take(position, src, out=cols[at:end], mode="clip")
        np.take(inv, src, out=data[at:end], mode="clip")
        data[at:end] *= weights
        at = end
    matrix = _csr_keeping_repeats(n, rows, cols, data)
    return Transition(matrix, out[order] == 0, order, position.astype(np.int64, copy=False), out)


def _csr_keeping_repeats(n: int, rows: npt.NDArray[Any], cols: npt.NDArray[Any], data: FloatArray) -> Any:
    """A CSR matrix whose repeated entries stay separate and whose rows stay unsorted.

    scipy's public COO -> CSR conversion also sorts every row and sums repeats, which the product
    does not need: at 1.3M arcs that is two thirds of the conversion's time. Its counting sort is
    called directly when scipy has it where it has had it for over a decade, publicly otherwise."""
    if _coo_tocsr is None or n >= np.iinfo(np.int32).max or len(rows) >= np.iinfo(np.int32).max:
        return sp.csr_array((data, (rows, cols)), shape=(n, n))
    indptr = np.empty(n + 1, dtype=np.int32)
    indices = np.empty(len(rows), dtype=np.int32)
    values = np.empty(len(rows), dtype=np.float64)
    rows, cols = rows.astype(np.int32, copy=False), cols.astype(np.int32, copy=False)
    _coo_tocsr(n, n, len(rows), rows, cols, data, indptr, indices, values)
    return sp.csr_array((values, indices, indptr), shape=(n, n))


def percentile(values: FloatArray) -> FloatArray:
    """The share of the other values that are lower, ties averaged: ``(rankdata(v, "average") - 1)
    / (n - 1)`` in a third of scipy's time (an unstable sort suffices: tied runs are averaged)."""
    n = len(values)
    if n <= 1:
        return np.ones(n)
    order = np.argsort(values)
    ordered = values[order]
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    ranks = np.empty(n)
    if len(starts) == n:  # no ties
        ranks[order] = np.arange(n) / (n - 1)
        return ranks
    ends = np.empty_like(starts)
    ends[:-1], ends[-1] = starts[1:], n
    # per tied run, then spread: the same arithmetic as per value, on far fewer values
    ranks[order] = np.repeat((starts + ends - 1) / 2.0 / (n - 1), ends - starts)
    return ranks


def pagerank(
    graph: CsrGraph,
    *,
    damping: float = 0.85,
    personalization: npt.ArrayLike | None = None,
    dangling: npt.ArrayLike | None = None,
    nstart: npt.ArrayLike | None = None,
    max_iter: int = 100,
    tol: float = DEFAULT_TOL,
) -> PageRankResult:
    """Weighted PageRank, networkx's recurrence, absolute L1 stopping rule (see the module).

    ``personalization``/``dangling``/``nstart`` are arrays over the nodes (normalised here).
    Duplicate edges are summed (build the graph with ``duplicates="sum"``). With a transition
    already built, call :func:`solve`.
    """
    return solve(
        transition_matrix(graph),
        damping=damping,
        personalization=personalization,
        dangling=dangling,
        nstart=nstart,
        max_iter=max_iter,
        tol=tol,
    )


def solve(
    t: Transition,
    *,
    damping: float = 0.85,
    personalization: npt.ArrayLike | None = None,
    dangling: npt.ArrayLike | None = None,
    nstart: npt.ArrayLike | None = None,
    max_iter: int = 100,
    tol: float = DEFAULT_TOL,
) -> PageRankResult:
    """:func:`pagerank` over a prepared transition."""
    n = t.n
    if n == 0:
        return PageRankResult(np.zeros(0), 0, True, 0.0)
    order = t.order
    p = _distribution(personalization, n)[order]
    dangling_weights = p if dangling is None else _distribution(dangling, n)[order]
    x = _distribution(nstart, n)[order]
    uniform = personalization is None and dangling is None
    blocks = _blocks(t, damping)
    teleport = (1.0 - damping) * p
    lost = float(x[t.dangling].sum())
    scratch = np.empty(max(b.stop - b.start for b in blocks))
    error, iteration = float("inf"), 0
    for iteration in range(1, max_iter + 1):
        # The change is measured every other sweep (and on the last): the measure costs a fifth of
        # a sweep, and stopping up to one sweep late only makes the scores more precise.
        measure = iteration % 2 == 0 or iteration == max_iter
        error = total = 0.0
        for b in blocks:
            # Gauss-Seidel by blocks: this block reads the blocks already updated in this sweep.
            # Same fixed point as power iteration, in ~0.7x the sweeps on CRM graphs.
            y = scratch[: b.stop - b.start]
            if uniform:
                y.fill((damping * lost + 1.0 - damping) / n)
            else:
                np.multiply(dangling_weights[b.start : b.stop], damping * lost, out=y)
                y += teleport[b.start : b.stop]
            b.add_product(x, y)  # the rows carry the damping already
            old = x[b.start : b.stop]
            if len(b.sinks):
                lost += float(y[b.sinks].sum() - old[b.sinks].sum())
            if measure:
                np.subtract(old, y, out=old)  # x's block is overwritten next: use it for the change
                error += float(np.abs(old, out=old).sum())
                total += float(y.sum())
            x[b.start : b.stop] = y
        if measure and error < tol:
            break
        if measure and len(blocks) > 1:
            # The true scores sum to 1 and power iteration keeps that sum; block sweeps do not, and
            # left alone the total drifts at the damping's slow rate on graphs that mix fast. Slow
            # enough that every other sweep suffices (the same sweeps, each full pass costs ~1%).
            x /= total
            lost /= total
    # One sweep over all rows at once: people with identical in-arcs (say, everyone who only
    # teleports) come out bit-for-bit equal, as ties, whichever block they were in.
    y = t.matrix @ x
    y += float(x[t.dangling].sum()) * dangling_weights
    y *= damping
    y += teleport
    # The loop ends after a measured sweep (a break, or the last one), so ``error`` is current.
    return PageRankResult(_unordered(y, order), iteration, error < tol, error)


@dataclass(frozen=True, slots=True)
class _Block:
    """Rows ``start:stop`` of the transition (times the damping) as CSR arrays (views into the
    whole matrix's, ``indptr`` from 0), and the offsets of the dangling rows among them."""

    start: int
    stop: int
    indptr: npt.NDArray[Any]
    indices: npt.NDArray[Any]
    data: FloatArray
    columns: int
    sinks: npt.NDArray[np.int64]

    def add_product(self, x: FloatArray, y: FloatArray) -> None:
        """``y += rows @ x``. scipy's kernel is called directly where it has had it for a decade:
        through ``@`` each of the ~2,000 block products of a 400k-person ranking allocates its
        result and passes scipy's checks, a fifth of the solve's time."""
        if _csr_matvec is None or self.indices.dtype != np.int32:
            rows = sp.csr_array((self.data, self.indices, self.indptr), shape=(self.stop - self.start, self.columns))
            y += rows @ x
            return
        _csr_matvec(self.stop - self.start, self.columns, self.indptr, self.indices, self.data, x, y)


def _blocks(t: Transition, damping: float) -> list[_Block]:
    """Contiguous row blocks of about equal arcs, weights times ``damping``."""
    m = t.matrix
    data = m.data * damping
    count = int(np.clip(m.nnz // BLOCK_ARCS, 1, MAX_BLOCKS))
    cuts = np.searchsorted(m.indptr, np.linspace(0, m.nnz, count + 1)[1:-1])
    bounds = np.unique(np.concatenate([[0], cuts, [m.shape[0]]]).astype(np.int64))
    blocks = []
    for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        # views of the arrays (scipy's row slicing would copy them), and no scipy matrix per block:
        # building one checks its arrays, ~5 ms a ranking for nothing
        lo, hi = int(m.indptr[a]), int(m.indptr[b])
        indptr = m.indptr[a : b + 1] - m.indptr.dtype.type(lo)
        sinks = np.flatnonzero(t.dangling[a:b])
        blocks.append(_Block(a, b, indptr, m.indices[lo:hi], data[lo:hi], m.shape[1], sinks))
    return blocks


def _unordered(x: FloatArray, order: npt.NDArray[np.int64]) -> FloatArray:
    out = np.empty_like(x)
    out[order] = x
    return out


def _distribution(values: npt.ArrayLike | None, n: int) -> FloatArray:
    if values is None:
        return np.full(n, 1.0 / n)
    arr = np.asarray(values, dtype=np.float64).ravel()
    if arr.shape != (n,) or float(arr.min()) < 0 or float(arr.sum()) <= 0:
        raise ValueError("expected a non-negative vector over the nodes with a positive sum")
    return arr / arr.sum()


@dataclass(frozen=True)
class InfluenceResult:
    """Scores per node index; ``ids`` maps indices back to person keys when the caller has them."""

    ids: IdIndex[Hashable] | None
    pagerank: FloatArray
    normalised: FloatArray
    prior: FloatArray
    score: FloatArray
    iterations: int
    converged: bool
    damping: float
    _transition: Transition = field(repr=False)

    @property
    def n(self) -> int:
        return len(self.pagerank)

    @property
    def transition(self) -> Transition:
        return self._transition

    @cached_property
    def graph(self) -> CsrGraph:
        """The influence graph as CSR (repeated arcs summed), rebuilt on demand: the computation
        itself only needs the transition."""
        src, dst, w = self._transition.arcs()
        return csr_from_arrays(self.n, src, dst, w, ids=self.ids)

    def index_of(self, key: Hashable) -> int:
        return index_in(self.ids, self.n, key)

    def key_of(self, index: int) -> Hashable:
        return key_in(self.ids, index)

    def score_of(self, key: Hashable) -> float:
        return float(self.score[self.index_of(key)])

    def ranking(self, top: int | None = None) -> list[tuple[Hashable, float]]:
        """People by descending blended score (ties by PageRank, then index)."""
        order = np.lexsort((np.arange(len(self.score)), -self.pagerank, -self.score))
        if top is not None:
            order = order[:top]
        return [(self.key_of(int(i)), float(self.score[i])) for i in order]

    def contributors(self, key: Hashable, k: int = 5) -> list[Contribution]:
        """The in-neighbours contributing most to ``key``'s PageRank, largest first."""
        v = self.index_of(key)
        sources, weights = self._transition.in_arcs(v)
        contrib = self.pagerank[sources] * weights
        order = np.argsort(-contrib, kind="stable")[:k]
        pr_v = float(self.pagerank[v])
        return [
            Contribution(
                self.key_of(int(sources[i])),
                float(contrib[i]),
                float(self.damping * contrib[i] / pr_v) if pr_v > 0 else 0.0,
            )
            for i in order
        ]


def build_influence_graph(
    interactions: CsrGraph,
    *,
    reports_to: tuple[npt.ArrayLike, npt.ArrayLike] | None = None,
    reporting_weight: float = 0.5,
) -> CsrGraph:
    """The directed influence graph: ``interactions`` (stored both ways when undirected) plus
    ``reports_to = (report_indices, manager_indices)`` edges report -> manager."""
    rows = np.repeat(np.arange(interactions.n, dtype=np.int64), np.diff(interactions.indptr))
    src, dst, w = [rows], [interactions.indices], [interactions.weights]
    if reports_to is not None:
        reports = np.asarray(reports_to[0], dtype=np.int64)
        managers = np.asarray(reports_to[1], dtype=np.int64)
        src.append(reports)
        dst.append(managers)
        w.append(np.full(len(reports), float(reporting_weight)))
    return csr_from_arrays(
        interactions.n, np.concatenate(src), np.concatenate(dst), np.concatenate(w), ids=interactions.ids
    )


def influence(
    graph: CsrGraph,
    *,
    seniority: npt.ArrayLike | None = None,
    config: InfluenceConfig | None = None,
    nstart: npt.ArrayLike | None = None,
) -> InfluenceResult:
    """Influence over a graph built by :func:`build_influence_graph`; ``seniority`` holds title
    levels 0..5 per node (0 = unknown). ``nstart``: PageRank's starting vector (a previous result
    converges in fewer iterations to the same scores, within ``tol``)."""
    return influence_of(transition_matrix(graph), graph.ids, seniority=seniority, config=config, nstart=nstart)


def influence_of(
    transition: Transition,
    ids: IdIndex[Hashable] | None,
    *,
    seniority: npt.ArrayLike | None = None,
    config: InfluenceConfig | None = None,
    nstart: npt.ArrayLike | None = None,
) -> InfluenceResult:
    """:func:`influence` over a prepared transition (see :func:`transition_from_arcs`)."""
    cfg = config or InfluenceConfig()
    pr = solve(transition, damping=cfg.damping, max_iter=cfg.max_iter, tol=cfg.tol, nstart=nstart)
    n = transition.n
    if ids is not None and len(ids) != n:
        raise ValueError("ids must have one key per node")
    if n == 0:
        normalised = np.zeros(0)
    elif cfg.normalisation == "max":
        top = float(pr.scores.max())
        normalised = pr.scores / top if top > 0 else np.zeros(n)
    else:
        normalised = percentile(pr.scores)
    if seniority is None:
        prior = np.full(n, cfg.unknown_level_prior)
    else:
        levels = np.asarray(seniority, dtype=np.float64).ravel()
        if levels.shape != (n,):
            raise ValueError("seniority must have one level per node")
        prior = np.where(levels > 0, np.clip(levels, 0, 5) / 5.0, cfg.unknown_level_prior)
    score = cfg.blend * normalised + (1.0 - cfg.blend) * prior
    return InfluenceResult(
        ids, pr.scores, normalised, prior, score, pr.iterations, pr.converged, cfg.damping, transition
    )


def influence_from_edges(
    edges: Iterable[tuple[K, K, float]],
    *,
    people: Iterable[K] = (),
    reports_to: Iterable[tuple[K, K]] = (),
    seniority: Mapping[K, int] | None = None,
    symmetric: bool = True,
    config: InfluenceConfig | None = None,
) -> InfluenceResult:
    """Convenience over keys: ``edges`` are ``(a, b, strength)`` (both directions when
    ``symmetric``), ``reports_to`` are ``(report, manager)``, ``seniority`` maps key -> level."""
    cfg = config or InfluenceConfig()
    index: dict[Hashable, int] = {}
    for key in people:
        index.setdefault(key, len(index))
    src: list[int] = []
    dst: list[int] = []
    wts: list[float] = []
    for a, b, weight in edges:
        src.append(index.setdefault(a, len(index)))
        dst.append(index.setdefault(b, len(index)))
        wts.append(float(weight))
    rep: list[int] = []
    man: list[int] = []
    for report, manager in reports_to:
        rep.append(index.setdefault(report, len(index)))
        man.append(index.setdefault(manager, len(index)))
    ids: IdIndex[Hashable] = IdIndex(tuple(index), index)
    n = len(index)
    base = csr_from_arrays(n, np.asarray(src, np.int64), np.asarray(dst, np.int64), wts, symmetric=symmetric, ids=ids)
    graph = build_influence_graph(
        base, reports_to=(np.asarray(rep, np.int64), np.asarray(man, np.int64)), reporting_weight=cfg.reporting_weight
    )
    levels = None
    if seniority is not None:
        lookup: Mapping[Hashable, int] = seniority  # type: ignore[assignment]  # keys are the same K
        levels = np.array([lookup.get(k, 0) for k in ids.keys], dtype=np.float64)
    return influence(graph, seniority=levels, config=cfg)


def account_influence(
    graph: CsrGraph,
    members: Iterable[Hashable],
    *,
    seniority: npt.ArrayLike | None = None,
    config: InfluenceConfig | None = None,
) -> InfluenceResult:
    """Influence within one account: :func:`influence` on the subgraph induced by ``members``
    (keys of ``graph``; unknown keys are ignored). ``seniority`` is over all nodes of ``graph``."""
    idx = np.array(sorted({graph.index_of(m) for m in members if _has(graph, m)}), dtype=np.int64)
    sub = subgraph(graph, idx)
    levels = None if seniority is None else np.asarray(seniority, dtype=np.float64).ravel()[idx]
    return influence(sub, seniority=levels, config=config)


def _has(graph: CsrGraph, key: Hashable) -> bool:
    try:
        graph.index_of(key)
    except KeyError:
        return False
    return True
