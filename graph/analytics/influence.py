"""Influence of people: weighted PageRank over who-talks-to-whom and reporting lines, blended with
seniority, explained by the people who contribute most to each score.

The graph: an edge u -> v with weight w says u gives attention to v. Interaction strengths
(``strength.PairStrength.strength``, already time-decayed) are undirected, so they go in both
directions; a reporting line adds report -> manager with ``reporting_weight`` (a manager is
influential through their reports even where we see none of their email).

PageRank: power iteration on a ``scipy.sparse`` CSR matrix, the same recurrence as networkx's
``pagerank`` (``_pagerank_scipy``): rows normalised by their weighted out-degree, dangling nodes
(no out-weight) spread their score by the ``dangling`` vector (the personalisation vector, uniform
by default), and teleport by the personalisation vector. The one intended difference is the
stopping rule: networkx stops when the L1 change is below ``N * tol``, which for a million nodes
and its default ``tol=1e-6`` is satisfied after the first iteration; here ``tol`` is an absolute
L1 bound (pass ``tol=N * tol_nx`` to reproduce networkx step for step). On non-convergence the
result says so (``converged=False``) instead of raising: the scores are still the best estimate.

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

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.stats import rankdata

from graph.analytics.csr import CsrGraph, IdIndex, csr_from_arrays, subgraph

FloatArray = npt.NDArray[np.float64]
K = TypeVar("K", bound=Hashable)
Normalisation = Literal["percentile", "max"]


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
    tol: float = 1e-10

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


def transition_matrix(graph: CsrGraph) -> tuple[sp.csr_array, FloatArray]:
    """``P^T`` as CSR (row v holds ``w(u,v) / outdeg_w(u)`` for each in-neighbour u) and the mask
    of dangling nodes (no out-weight) as 0/1 floats."""
    if graph.nnz and float(graph.weights.min()) < 0:
        raise ValueError("PageRank needs non-negative weights")
    out = graph.out_weight()
    inv = np.zeros_like(out)
    np.divide(1.0, out, out=inv, where=out != 0)
    rows = np.repeat(np.arange(graph.n), np.diff(graph.indptr))
    data = graph.weights * inv[rows]
    # The transpose of a CSR matrix is its CSC form: rebuild it row-major for v.
    pt = sp.csr_array((data, (graph.indices, rows)), shape=(graph.n, graph.n))
    return pt, (out == 0).astype(np.float64)


def pagerank(
    graph: CsrGraph,
    *,
    damping: float = 0.85,
    personalization: npt.ArrayLike | None = None,
    dangling: npt.ArrayLike | None = None,
    nstart: npt.ArrayLike | None = None,
    max_iter: int = 100,
    tol: float = 1e-10,
    transition: tuple[sp.csr_array, FloatArray] | None = None,
) -> PageRankResult:
    """Weighted PageRank by power iteration; networkx's recurrence, absolute L1 stopping rule.

    ``personalization``/``dangling``/``nstart`` are arrays over the nodes (normalised here).
    Duplicate edges are summed (build the graph with ``duplicates="sum"``).
    """
    n = graph.n
    if n == 0:
        return PageRankResult(np.zeros(0), 0, True, 0.0)
    pt, is_dangling = transition if transition is not None else transition_matrix(graph)
    p = _distribution(personalization, n)
    dangling_weights = p if dangling is None else _distribution(dangling, n)
    x = _distribution(nstart, n)
    dangling_idx = np.flatnonzero(is_dangling)
    teleport = (1.0 - damping) * p
    # Uniform teleport and dangling vectors (the default) add a scalar; in-place updates keep one
    # new vector per iteration (the product) instead of six: a third of an iteration at 400k nodes.
    uniform = personalization is None and dangling is None
    diff = np.empty(n)
    error = float("inf")
    for iteration in range(1, max_iter + 1):
        y = pt @ x
        lost = float(x[dangling_idx].sum())
        if uniform:
            y *= damping
            y += (damping * lost + 1.0 - damping) / n
        else:
            y += lost * dangling_weights
            y *= damping
            y += teleport
        np.subtract(y, x, out=diff)
        np.abs(diff, out=diff)
        error = float(diff.sum())
        x = y
        if error < tol:
            return PageRankResult(x, iteration, True, error)
    return PageRankResult(x, max_iter, False, error)


def _distribution(values: npt.ArrayLike | None, n: int) -> FloatArray:
    if values is None:
        return np.full(n, 1.0 / n)
    arr = np.asarray(values, dtype=np.float64).ravel()
    if arr.shape != (n,) or float(arr.min()) < 0 or float(arr.sum()) <= 0:
        raise ValueError("expected a non-negative vector over the nodes with a positive sum")
    return arr / arr.sum()


@dataclass(frozen=True)
class InfluenceResult:
    """Scores per node index; ``ids`` maps indices back to person keys when the graph has them."""

    graph: CsrGraph
    pagerank: FloatArray
    normalised: FloatArray
    prior: FloatArray
    score: FloatArray
    iterations: int
    converged: bool
    damping: float
    _transition: sp.csr_array = field(repr=False)

    @property
    def ids(self) -> IdIndex[Hashable] | None:
        return self.graph.ids

    def score_of(self, key: Hashable) -> float:
        return float(self.score[self.graph.index_of(key)])

    def ranking(self, top: int | None = None) -> list[tuple[Hashable, float]]:
        """People by descending blended score (ties by PageRank, then index)."""
        order = np.lexsort((np.arange(len(self.score)), -self.pagerank, -self.score))
        if top is not None:
            order = order[:top]
        return [(self.graph.key_of(int(i)), float(self.score[i])) for i in order]

    def contributors(self, key: Hashable, k: int = 5) -> list[Contribution]:
        """The in-neighbours contributing most to ``key``'s PageRank, largest first."""
        v = self.graph.index_of(key)
        start, stop = self._transition.indptr[v], self._transition.indptr[v + 1]
        sources = self._transition.indices[start:stop]
        contrib = self.pagerank[sources] * self._transition.data[start:stop]
        order = np.argsort(-contrib, kind="stable")[:k]
        pr_v = float(self.pagerank[v])
        return [
            Contribution(
                self.graph.key_of(int(sources[i])),
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
    cfg = config or InfluenceConfig()
    transition = transition_matrix(graph)
    pr = pagerank(graph, damping=cfg.damping, max_iter=cfg.max_iter, tol=cfg.tol, transition=transition, nstart=nstart)
    n = graph.n
    if n == 0:
        normalised = np.zeros(0)
    elif cfg.normalisation == "max":
        top = float(pr.scores.max())
        normalised = pr.scores / top if top > 0 else np.zeros(n)
    else:
        normalised = (rankdata(pr.scores, method="average") - 1.0) / max(n - 1, 1) if n > 1 else np.ones(1)
    if seniority is None:
        prior = np.full(n, cfg.unknown_level_prior)
    else:
        levels = np.asarray(seniority, dtype=np.float64).ravel()
        if levels.shape != (n,):
            raise ValueError("seniority must have one level per node")
        prior = np.where(levels > 0, np.clip(levels, 0, 5) / 5.0, cfg.unknown_level_prior)
    score = cfg.blend * normalised + (1.0 - cfg.blend) * prior
    return InfluenceResult(
        graph, pr.scores, normalised, prior, score, pr.iterations, pr.converged, cfg.damping, transition[0]
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
