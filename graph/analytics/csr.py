"""Compressed sparse row (CSR) graphs built from edge arrays, with id <-> index maps.

Why CSR: the analytics (PageRank in ``influence``, hop-bounded path search in ``paths``) are array
programs. A graph of 1M people and 5M edges is three flat numpy arrays here (about 100 MB), where a
networkx graph of the same size is several GB of dicts and an order of magnitude slower to walk.

Shapes: ``indptr`` has ``n + 1`` entries; the out-neighbours of node ``i`` are
``indices[indptr[i]:indptr[i + 1]]`` with weights ``weights[...]`` over the same slice. ``attrs``
holds further per-entry arrays aligned with ``indices`` (``last_at`` seconds for the paths module).

Node keys (``"contact:c-42"``, ``"rep:r-1"``: any hashable the caller uses) map to dense indices
``0..n-1`` through :class:`IdIndex`; the algorithms only ever see indices.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Generic, Literal, TypeVar

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

K = TypeVar("K", bound=Hashable)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Duplicates = Literal["sum", "max", "keep"]


def _no_attrs() -> Mapping[str, npt.NDArray[np.float64]]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class IdIndex(Generic[K]):
    """A bijection between node keys and dense indices ``0..n-1`` (first occurrence wins).
    ``keys`` is not copied: whoever passes a list leaves it alone."""

    keys: Sequence[K]
    positions: Mapping[K, int]

    @classmethod
    def from_keys(cls, keys: Iterable[K]) -> IdIndex[K]:
        positions: dict[K, int] = {}
        for key in keys:
            if key not in positions:
                positions[key] = len(positions)
        return cls(tuple(positions), positions)

    def __len__(self) -> int:
        return len(self.keys)

    def __contains__(self, key: object) -> bool:
        return key in self.positions

    def index_of(self, key: K) -> int:
        """The index of ``key``; ``KeyError`` when it is not a node of the graph."""
        return self.positions[key]

    def key_of(self, index: int) -> K:
        return self.keys[index]

    def encode(self, keys: Sequence[K]) -> IntArray:
        """Indices of ``keys`` as an int64 array; ``KeyError`` on an unknown key."""
        positions = self.positions
        return np.fromiter((positions[k] for k in keys), dtype=np.int64, count=len(keys))

    def decode(self, indices: Iterable[int]) -> list[K]:
        keys = self.keys
        return [keys[int(i)] for i in indices]


@dataclass(frozen=True, slots=True)
class CsrGraph:
    """A directed graph in CSR form; an undirected graph stores each edge in both directions.

    ``ids`` is None when the caller works with indices only.
    """

    indptr: npt.NDArray[np.int64]
    indices: npt.NDArray[np.int64]
    weights: FloatArray
    directed: bool = True
    ids: IdIndex[Hashable] | None = None
    attrs: Mapping[str, npt.NDArray[np.float64]] = field(default_factory=_no_attrs)

    @property
    def n(self) -> int:
        return len(self.indptr) - 1

    @property
    def nnz(self) -> int:
        """Stored entries (an undirected edge counts twice)."""
        return len(self.indices)

    def degree(self) -> IntArray:
        """Out-degree of every node (entries per row)."""
        return np.diff(self.indptr).astype(np.int64, copy=False)

    def out_weight(self) -> FloatArray:
        """Sum of out-edge weights per node (PageRank's row normaliser)."""
        rows = np.repeat(np.arange(self.n), np.diff(self.indptr))
        return np.bincount(rows, weights=self.weights, minlength=self.n).astype(np.float64, copy=False)

    def neighbors(self, node: int) -> tuple[npt.NDArray[np.int64], FloatArray]:
        start, stop = self.indptr[node], self.indptr[node + 1]
        return self.indices[start:stop], self.weights[start:stop]

    def to_scipy(self) -> sp.csr_array:
        return sp.csr_array((self.weights, self.indices, self.indptr), shape=(self.n, self.n))

    def key_of(self, index: int) -> Hashable:
        return key_in(self.ids, index)

    def index_of(self, key: Hashable) -> int:
        return index_in(self.ids, self.n, key)


def key_in(ids: IdIndex[Hashable] | None, index: int) -> Hashable:
    """The key of node ``index``; the index itself when there are no keys."""
    return index if ids is None else ids.key_of(index)


def index_in(ids: IdIndex[Hashable] | None, n: int, key: Hashable) -> int:
    """The index of ``key`` among ``n`` nodes (an in-range integer when there are no keys);
    ``KeyError`` when it is not a node."""
    if ids is not None:
        return ids.index_of(key)
    if isinstance(key, (int, np.integer)) and 0 <= int(key) < n:
        return int(key)
    raise KeyError(key)


def csr_from_arrays(
    n: int,
    src: npt.ArrayLike,
    dst: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
    *,
    symmetric: bool = False,
    duplicates: Duplicates = "sum",
    drop_self_loops: bool = False,
    attrs: Mapping[str, npt.ArrayLike] | None = None,
    ids: IdIndex[Hashable] | None = None,
) -> CsrGraph:
    """Build a CSR graph over nodes ``0..n-1`` from parallel edge arrays.

    ``symmetric=True`` stores every edge in both directions (an undirected graph).
    ``duplicates`` decides what repeated (src, dst) entries become: ``"sum"`` adds the weights
    (PageRank over interaction counts) and keeps the maximum of each attribute (``last_at``);
    ``"max"`` keeps the entry with the largest weight and its attributes (one KNOWS edge per pair);
    ``"keep"`` leaves them as they are. Rows come out with their columns sorted.
    """
    s = np.asarray(src, dtype=np.int64).ravel()
    d = np.asarray(dst, dtype=np.int64).ravel()
    if s.shape != d.shape:
        raise ValueError("src and dst must have the same length")
    w = np.ones(len(s)) if weights is None else np.asarray(weights, dtype=np.float64).ravel()
    if w.shape != s.shape:
        raise ValueError("weights must have one entry per edge")
    extra = {k: np.asarray(v, dtype=np.float64).ravel() for k, v in (attrs or {}).items()}
    for name, arr in extra.items():
        if arr.shape != s.shape:
            raise ValueError(f"attribute {name!r} must have one entry per edge")
    if len(s) and (s.min() < 0 or d.min() < 0 or s.max() >= n or d.max() >= n):
        raise ValueError("edge endpoint out of range 0..n-1")
    if ids is not None and len(ids) != n:
        raise ValueError("ids must have n keys")
    if drop_self_loops:
        keep = s != d
        s, d, w = s[keep], d[keep], w[keep]
        extra = {k: v[keep] for k, v in extra.items()}
    if symmetric:
        if duplicates == "max":
            # choose per unordered pair, so both directions of an edge carry the same entry
            s, d = np.minimum(s, d), np.maximum(s, d)
            s, d, w, extra = _combine(n, s, d, w, extra, "max")
            duplicates = "keep"
        loops = s == d  # a self loop is stored once, not twice
        s, d = np.concatenate([s, d[~loops]]), np.concatenate([d, s[~loops]])
        w = np.concatenate([w, w[~loops]])
        extra = {k: np.concatenate([v, v[~loops]]) for k, v in extra.items()}

    if duplicates == "sum" and not extra:
        # scipy's COO -> CSR conversion is a C++ counting sort that also sums duplicates.
        mat = sp.csr_array((w, (s, d)), shape=(n, n))
        mat.sum_duplicates()
        mat.sort_indices()
        return CsrGraph(
            mat.indptr.astype(np.int64, copy=False),
            mat.indices.astype(np.int64, copy=False),
            mat.data.astype(np.float64, copy=False),
            directed=not symmetric,
            ids=ids,
        )

    s, d, w, extra = _combine(n, s, d, w, extra, duplicates)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(s, minlength=n), out=indptr[1:])
    return CsrGraph(indptr, d, w, directed=not symmetric, ids=ids, attrs=MappingProxyType(extra))


def _combine(
    n: int, s: IntArray, d: IntArray, w: FloatArray, extra: dict[str, FloatArray], duplicates: Duplicates
) -> tuple[IntArray, IntArray, FloatArray, dict[str, FloatArray]]:
    """Entries sorted by (src, dst), repeated pairs combined per ``duplicates``."""
    order, starts = _sorted_groups(n, s, d, dedupe=duplicates != "keep")
    s, d, w = s[order], d[order], w[order]
    extra = {k: v[order] for k, v in extra.items()}
    if starts is None or len(starts) == len(s):
        return s, d, w, extra
    if duplicates == "sum":
        w = np.add.reduceat(w, starts)
        extra = {k: np.maximum.reduceat(v, starts) for k, v in extra.items()}
        return s[starts], d[starts], w, extra
    # "max": the first entry of each group whose weight equals the group maximum
    gmax = np.maximum.reduceat(w, starts)
    sizes = np.diff(np.append(starts, len(w)))
    group = np.repeat(np.arange(len(starts)), sizes)
    hit = np.flatnonzero(w == gmax[group])
    _, first = np.unique(group[hit], return_index=True)
    pick = hit[first]
    return s[pick], d[pick], w[pick], {k: v[pick] for k, v in extra.items()}


def _sorted_groups(n: int, s: IntArray, d: IntArray, *, dedupe: bool) -> tuple[IntArray, IntArray | None]:
    """The order that sorts entries by (src, dst) and, if ``dedupe``, where each (src, dst) run starts.

    Uses scipy's counting sort when it can: the entry numbers ride along as CSR data, and when no
    (src, dst) pair repeats they come back as the permutation. With repeats, falls back to an
    argsort of the combined key.
    """
    m = len(s)
    if m == 0:
        return np.zeros(0, dtype=np.int64), None
    probe = sp.csr_array((np.arange(1, m + 1, dtype=np.float64), (s, d)), shape=(n, n))
    probe.sum_duplicates()
    if probe.nnz == m:
        probe.sort_indices()
        return probe.data.astype(np.int64) - 1, None
    key = s * np.int64(n) + d
    order = np.argsort(key, kind="stable").astype(np.int64, copy=False)
    if not dedupe:
        return order, None
    ks = key[order]
    starts = np.flatnonzero(np.concatenate(([True], ks[1:] != ks[:-1])))
    return order, starts.astype(np.int64)


def csr_from_edges(
    edges: Iterable[tuple[K, K, float]],
    *,
    nodes: Iterable[K] = (),
    symmetric: bool = False,
    duplicates: Duplicates = "sum",
    drop_self_loops: bool = False,
) -> CsrGraph:
    """Build a CSR graph from ``(source_key, target_key, weight)`` triples.

    ``nodes`` come first in the index (isolated people stay in the graph); endpoints not listed
    there are added in order of appearance.
    """
    index: dict[Hashable, int] = {}
    for key in nodes:
        index.setdefault(key, len(index))
    src: list[int] = []
    dst: list[int] = []
    wts: list[float] = []
    for a, b, weight in edges:
        src.append(index.setdefault(a, len(index)))
        dst.append(index.setdefault(b, len(index)))
        wts.append(float(weight))
    ids: IdIndex[Hashable] = IdIndex(tuple(index), index)
    return csr_from_arrays(
        len(index),
        np.asarray(src, dtype=np.int64),
        np.asarray(dst, dtype=np.int64),
        np.asarray(wts, dtype=np.float64),
        symmetric=symmetric,
        duplicates=duplicates,
        drop_self_loops=drop_self_loops,
        ids=ids,
    )


def transpose(graph: CsrGraph) -> CsrGraph:
    """The reverse graph (in-edges become out-edges), attributes carried along."""
    if graph.nnz == 0:
        return CsrGraph(graph.indptr.copy(), graph.indices.copy(), graph.weights.copy(), graph.directed, graph.ids)
    rows = np.repeat(np.arange(graph.n, dtype=np.int64), np.diff(graph.indptr))
    reverse = csr_from_arrays(
        graph.n,
        graph.indices,
        rows,
        graph.weights,
        duplicates="keep",
        attrs=graph.attrs,
        ids=graph.ids,
    )
    return replace(reverse, directed=graph.directed)


def subgraph(graph: CsrGraph, nodes: npt.ArrayLike) -> CsrGraph:
    """The induced subgraph on ``nodes`` (indices), renumbered ``0..len(nodes)-1`` in that order."""
    keep = np.asarray(nodes, dtype=np.int64).ravel()
    remap = np.full(graph.n, -1, dtype=np.int64)
    remap[keep] = np.arange(len(keep), dtype=np.int64)
    rows = np.repeat(np.arange(graph.n, dtype=np.int64), np.diff(graph.indptr))
    s, d = remap[rows], remap[graph.indices]
    mask = (s >= 0) & (d >= 0)
    ids: IdIndex[Hashable] | None = None
    if graph.ids is not None:
        ids = IdIndex.from_keys(graph.ids.key_of(int(i)) for i in keep)
    induced = csr_from_arrays(
        len(keep),
        s[mask],
        d[mask],
        graph.weights[mask],
        duplicates="keep",
        attrs={k: v[mask] for k, v in graph.attrs.items()},
        ids=ids,
    )
    return replace(induced, directed=graph.directed)
