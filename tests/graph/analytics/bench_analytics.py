"""Quick one-off timings of the analytics fast paths (not a test; pytest does not collect it).

    python -m tests.graph.analytics.bench_analytics [--nodes 1000000] [--edges 5000000] [--queries 200]

Prints figures with a same-run networkx baseline on a smaller graph. Synthetic graphs: a power-law
("Chung-Lu") degree sequence plus ``reps`` hub nodes (our reps, each knowing thousands of people).
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable
from typing import TypeVar

import networkx as nx
import numpy as np
import numpy.typing as npt

from graph.analytics.csr import csr_from_arrays
from graph.analytics.influence import influence, pagerank
from graph.analytics.paths import PathGraph, best_entry_points, best_paths

T = TypeVar("T")


def timed(label: str, fn: Callable[[], T]) -> T:
    gc.collect()
    start = time.perf_counter()
    out = fn()
    print(f"  {label:<48} {time.perf_counter() - start:8.3f} s")
    return out


def power_law_edges(
    n: int, m: int, seed: int, reps: int = 0, rep_degree: int = 0
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    rng = np.random.default_rng(seed)
    weight = rng.pareto(2.1, n) + 1.0  # heavy tail: a few people with thousands of links
    p = weight / weight.sum()
    src = rng.choice(n, size=m, p=p)
    dst = rng.choice(n, size=m, p=p)
    if reps:
        rep_ids = np.arange(reps)
        rs = np.repeat(rep_ids, rep_degree)
        rd = rng.integers(reps, n, size=len(rs))
        src, dst = np.concatenate([src, rs]), np.concatenate([dst, rd])
    keep = src != dst
    return src[keep].astype(np.int64), dst[keep].astype(np.int64)


def bench_pagerank(n: int, m: int, small_n: int, small_m: int) -> None:
    print(f"PageRank, {n:,} nodes / {m:,} directed edges (scipy.sparse power iteration)")
    src, dst = power_law_edges(n, m, seed=1)
    w = np.random.default_rng(2).uniform(0.01, 1.0, len(src))
    t0 = time.perf_counter()
    graph = timed("build CSR (sum duplicates)", lambda: csr_from_arrays(n, src, dst, w))
    result = timed("pagerank (tol 1e-10 absolute L1)", lambda: pagerank(graph, tol=1e-10, max_iter=200))
    print(f"  iterations {result.iterations}, converged {result.converged}")
    levels = np.random.default_rng(3).integers(0, 6, n)
    timed("influence (transition + pagerank + blend)", lambda: influence(graph, seniority=levels))
    print(f"  total incl. build: {time.perf_counter() - t0:.2f} s")

    print(f"networkx baseline on {small_n:,} nodes / {small_m:,} edges")
    s_src, s_dst = power_law_edges(small_n, small_m, seed=4)
    # networkx keeps the last weight of a repeated edge where CSR sums them: compare on unique edges
    _, first = np.unique(s_src * small_n + s_dst, return_index=True)
    s_src, s_dst = s_src[first], s_dst[first]
    s_w = np.random.default_rng(5).uniform(0.01, 1.0, len(s_src))

    def build_nx() -> nx.DiGraph:
        g = nx.DiGraph()
        g.add_nodes_from(range(small_n))
        g.add_weighted_edges_from(zip(s_src.tolist(), s_dst.tolist(), s_w.tolist(), strict=True))
        return g

    g = timed("networkx build DiGraph", build_nx)
    t_nx = time.perf_counter()
    ref = nx.pagerank(g, weight="weight", tol=1e-10 / small_n, max_iter=200)
    t_nx = time.perf_counter() - t_nx
    print(f"  {'networkx pagerank (same tolerance)':<48} {t_nx:8.3f} s")
    small = csr_from_arrays(small_n, s_src, s_dst, s_w)
    t_ours = time.perf_counter()
    ours = pagerank(small, tol=1e-10, max_iter=200)
    t_ours = time.perf_counter() - t_ours
    print(f"  {'ours on the same graph (from CSR)':<48} {t_ours:8.3f} s  -> ratio {t_nx / t_ours:.1f}x")
    # the graph in networkx's hands is a dict of dicts; its pagerank converts it to scipy first
    diff = max(abs(ours.scores[i] - ref[i]) for i in range(small_n))
    print(f"  max |ours - networkx| = {diff:.2e}")


def bench_paths(n: int, m: int, reps: int, rep_degree: int, queries: int, low: float) -> None:
    print(f"Paths, {n:,} nodes / {m:,} undirected edges + {reps} reps x {rep_degree} contacts, strength U({low}, 1)")
    src, dst = power_law_edges(n, m, seed=7, reps=reps, rep_degree=rep_degree)
    rng = np.random.default_rng(8)
    strength = rng.uniform(low, 1.0, len(src))
    last = rng.uniform(1.6e9, 1.77e9, len(src))
    pg = timed(
        "build PathGraph (symmetric CSR, dedupe max)", lambda: PathGraph.from_arrays(n, src, dst, strength, last)
    )
    deg = pg.degree
    print(f"  max degree {int(deg.max()):,}, mean {deg.mean():.1f}, nnz {pg.graph.nnz:,}")
    rep_ids = list(range(reps))
    targets = rng.integers(reps, n, size=queries)
    for label, sources_of in (
        ("all reps -> target", lambda t: rep_ids),
        ("one rep -> target", lambda t: [int(t) % reps]),
    ):
        times = []
        inexact = 0
        found = 0
        for t in targets:
            start = time.perf_counter()
            res = best_paths(pg, sources_of(t), int(t), k=5)
            times.append(time.perf_counter() - start)
            inexact += not res.exact
            found += bool(res.paths)
        ms = np.array(times) * 1000
        print(
            f"  {label:<28} p50 {np.percentile(ms, 50):6.1f} ms  p99 {np.percentile(ms, 99):6.1f} ms  "
            f"max {ms.max():6.1f} ms  with paths {found}/{queries}  inexact {inexact}"
        )
    times = []
    for _ in range(min(queries, 50)):
        account = rng.integers(reps, n, size=200).tolist()
        start = time.perf_counter()
        best_entry_points(pg, rep_ids, account, k=10)
        times.append(time.perf_counter() - start)
    ms = np.array(times) * 1000
    p50, p99 = np.percentile(ms, 50), np.percentile(ms, 99)
    print(f"  {'entry points, 200-person acct':<28} p50 {p50:6.1f} ms  p99 {p99:6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--edges", type=int, default=5_000_000)
    parser.add_argument("--small-nodes", type=int, default=50_000)
    parser.add_argument("--small-edges", type=int, default=250_000)
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--rep-degree", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--strength-low", type=float, default=0.05, help="strengths ~ U(low, 1); near 1 = hardest")
    parser.add_argument("--only", choices=["pagerank", "paths"], default=None)
    args = parser.parse_args()
    if args.only in (None, "pagerank"):
        bench_pagerank(args.nodes, args.edges, args.small_nodes, args.small_edges)
    if args.only in (None, "paths"):
        bench_paths(args.nodes, args.edges, args.reps, args.rep_degree, args.queries, args.strength_low)


if __name__ == "__main__":
    main()
