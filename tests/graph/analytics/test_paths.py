"""Warm-introduction paths against networkx on small random graphs."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.analytics.paths import PathGraph, best_entry_points, best_paths, search_paths

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _graph(seed: int, n: int, m: int) -> nx.Graph:
    rng = np.random.default_rng(seed)
    g = nx.gnm_random_graph(n, m, seed=seed)
    for u, v in g.edges:
        s = float(rng.uniform(0.05, 1.0))
        g[u][v]["s"] = s
        g[u][v]["cost"] = -math.log(s)
    return g


def _pg(g: nx.Graph) -> PathGraph:
    return PathGraph.from_edges((u, v, d["s"], None) for u, v, d in g.edges(data=True))


def _cost(g: nx.Graph, path: Sequence[int]) -> float:
    return sum(g[a][b]["cost"] for a, b in itertools.pairwise(path))


def _brute(g: nx.Graph, sources: set[int], targets: set[int], max_hops: int) -> list[tuple[float, tuple[int, ...]]]:
    out = []
    for s in sources:
        for t in targets:
            if t in sources or s not in g or t not in g:  # a rep needs no introduction
                continue
            for path in nx.all_simple_paths(g, s, t, cutoff=max_hops):
                inner = path[1:-1]
                if any(x in sources or x in targets for x in inner):
                    continue
                out.append((_cost(g, path), tuple(path)))
    out.sort()
    return out


@pytest.mark.parametrize("seed", range(10))
def test_matches_networkx_shortest_simple_paths(seed: int) -> None:
    g = _graph(seed, 30, 70)
    pg = _pg(g)
    source = 0
    reachable = sorted(nx.node_connected_component(g, source) - {source})
    target = reachable[(17 + seed) % len(reachable)]
    # networkx yields all simple paths cheapest first; the <= 4-hop ones among its first few hundred
    # are an exact prefix of the hop-bounded ranking (enumerating all of them is exponential)
    reference = []
    for count, path in enumerate(nx.shortest_simple_paths(g, source, target, weight="cost")):
        if len(path) - 1 <= 4:
            reference.append((_cost(g, path), tuple(path)))
        if len(reference) == 6 or count >= 300:
            break
    got = best_paths(pg, [source], target, k=6)
    assert got.exact and reference
    assert [p.nodes for p in got.paths[: len(reference)]] == [p for _, p in reference]
    assert [p.cost for p in got.paths] == pytest.approx([c for c, _ in _brute(g, {source}, {target}, 4)[:6]])
    for p, (cost, _) in zip(got.paths, reference, strict=False):
        assert p.cost == pytest.approx(cost)
        assert p.strength == pytest.approx(math.exp(-cost))
        assert len(p.hops) == len(p.nodes) - 1
        assert [h.source for h in p.hops] == list(p.nodes[:-1])


@given(
    st.integers(0, 100_000),
    st.integers(5, 18),
    st.integers(4, 45),
    st.sets(st.integers(0, 17), min_size=1, max_size=4),
    st.integers(0, 17),
    st.integers(1, 4),
    st.integers(1, 8),
)
@settings(max_examples=150, deadline=None)
def test_multi_source_matches_brute_force(
    seed: int, n: int, m: int, sources: set[int], target: int, max_hops: int, k: int
) -> None:
    g = _graph(seed, n, min(m, n * (n - 1) // 2))
    pg = _pg(g)
    got = best_paths(pg, sources, target, k=k, max_hops=max_hops)
    expected = _brute(g, {s for s in sources if s < n}, {target} if target < n else set(), max_hops)[:k]
    assert got.exact
    assert [p.cost for p in got.paths] == pytest.approx([c for c, _ in expected])
    for p in got.paths:
        assert len(set(p.nodes)) == len(p.nodes) and len(p.hops) <= max_hops
        assert p.source in sources and p.target == target
        assert not any(x in sources for x in p.nodes[1:-1])


@given(
    st.integers(0, 100_000),
    st.sets(st.integers(0, 14), min_size=1, max_size=3),
    st.sets(st.integers(0, 14), min_size=1, max_size=5),
)
@settings(max_examples=80, deadline=None)
def test_entry_points_match_brute_force(seed: int, reps: set[int], account: set[int]) -> None:
    g = _graph(seed, 15, 30)
    pg = _pg(g)
    got = best_entry_points(pg, reps, account, k=5)
    account_only = account - reps
    best_per_pair: dict[tuple[int, int], float] = {}
    for cost, path in _brute(g, reps, account_only, 4):
        best_per_pair.setdefault((path[0], path[-1]), cost)
    expected = sorted(best_per_pair.values())[:5]
    assert [e.path.cost for e in got] == pytest.approx(expected)
    assert len({(e.rep, e.contact) for e in got}) == len(got)
    for e in got:
        assert e.rep in reps and e.contact in account_only
        assert not any(x in account for x in e.path.nodes[1:-1])


def test_stale_and_weak_edges_excluded() -> None:
    pg = PathGraph.from_edges(
        [
            ("rep", "a", 0.9, NOW - timedelta(days=10)),
            ("a", "t", 0.9, NOW - timedelta(days=800)),  # stale
            ("rep", "b", 0.5, NOW - timedelta(days=5)),
            ("b", "t", 0.5, NOW - timedelta(days=5)),
            ("rep", "c", 0.05, NOW),  # weak
            ("c", "t", 1.0, NOW),
        ]
    )
    everything = best_paths(pg, ["rep"], "t", k=5)
    assert [p.nodes for p in everything.paths] == [("rep", "a", "t"), ("rep", "b", "t"), ("rep", "c", "t")]
    fresh = best_paths(pg, ["rep"], "t", k=5, now=NOW, max_age=timedelta(days=365), min_strength=0.1)
    assert [p.nodes for p in fresh.paths] == [("rep", "b", "t")]
    hop = fresh.paths[0].hops[0]
    assert hop.strength == 0.5 and hop.last_at == pytest.approx((NOW - timedelta(days=5)).timestamp())
    with pytest.raises(ValueError):
        best_paths(pg, ["rep"], "t", max_age=timedelta(days=1))


def test_hubs_can_be_excluded_as_intermediates() -> None:
    edges = [("rep", "hub", 0.9, None), ("hub", "t", 0.9, None), ("rep", "x", 0.3, None), ("x", "t", 0.3, None)]
    edges += [("hub", f"n{i}", 0.5, None) for i in range(20)]
    pg = PathGraph.from_edges(edges)
    assert best_paths(pg, ["rep"], "t", k=1).paths[0].nodes == ("rep", "hub", "t")
    assert best_paths(pg, ["rep"], "t", k=1, max_intermediate_degree=10).paths[0].nodes == ("rep", "x", "t")


def test_budget_prunes_but_still_returns_valid_paths() -> None:
    g = _graph(3, 60, 400)
    pg = _pg(g)
    full = best_paths(pg, [0, 1, 2], 50, k=3)
    pruned = best_paths(pg, [0, 1, 2], 50, k=3, budget=30)
    assert full.exact and not pruned.exact
    for p in pruned.paths:
        assert len(set(p.nodes)) == len(p.nodes)
        assert p.cost >= full.paths[0].cost - 1e-12


def test_edge_cases() -> None:
    pg = PathGraph.from_edges([("a", "b", 1.0, None), ("b", "c", 0.5, None)])
    assert best_paths(pg, ["a"], "zz").paths == []
    assert best_paths(pg, ["zz"], "c").paths == []
    assert best_paths(pg, ["a"], "a").paths == []  # a rep needs no introduction to themselves
    assert best_paths(pg, ["a"], "c", k=0).paths == []
    assert best_paths(pg, ["a"], "c", max_hops=1).paths == []
    one = best_paths(pg, ["a"], "c")
    assert one.paths[0].nodes == ("a", "b", "c") and one.paths[0].strength == 0.5
    assert search_paths(pg, ["a", "c"], ["b"], k=5).paths[0].cost == 0.0
    with pytest.raises(ValueError):
        PathGraph.from_edges([("a", "b", 1.5, None)])
    with pytest.raises(ValueError):
        PathGraph.from_edges([("a", "b", 0.0, None)])


@pytest.mark.parametrize("seed", [3, 11])
def test_from_frame_is_from_edges(seed: int) -> None:
    """The columnar build (whole tenants) answers exactly like the row-by-row one, stale edges included."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    g = _graph(seed, 60, 180)
    rows = []
    for u, v, d in g.edges(data=True):
        when = None if rng.random() < 0.2 else NOW - timedelta(days=int(rng.integers(0, 800)))
        rows.append((f"C:{u}", f"C:{v}", d["s"], when))
    frame = pd.DataFrame(rows, columns=["a", "b", "strength", "last_at"])
    frame["last_at"] = pd.to_datetime(frame["last_at"], utc=True)
    by_rows, by_frame = PathGraph.from_edges(rows), PathGraph.from_frame(frame)
    found = 0
    for target in range(0, 60, 7):
        kwargs = {"k": 3, "max_hops": 4, "now": NOW, "max_age": timedelta(days=365)}
        a = best_paths(by_rows, ["C:0", "C:1"], f"C:{target}", **kwargs)  # type: ignore[arg-type]
        b = best_paths(by_frame, ["C:0", "C:1"], f"C:{target}", **kwargs)  # type: ignore[arg-type]
        assert [(p.nodes, round(p.strength, 12)) for p in a.paths] == [
            (p.nodes, round(p.strength, 12)) for p in b.paths
        ]
        found += len(a.paths)
    assert found > 0
