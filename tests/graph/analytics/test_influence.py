"""Influence: PageRank parity with networkx, the seniority blend, explanations, per-account runs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.analytics.csr import CsrGraph, csr_from_arrays, csr_from_edges
from graph.analytics.influence import (
    InfluenceConfig,
    account_influence,
    build_influence_graph,
    influence_from_edges,
    pagerank,
)


def _random_digraph(seed: int, n: int, m: int) -> nx.DiGraph:
    rng = np.random.default_rng(seed)
    g = nx.gnm_random_graph(n, m, seed=seed, directed=True)
    for u, v in g.edges:
        g[u][v]["weight"] = float(rng.uniform(0.05, 3.0))
    return g  # isolated and sink nodes included: dangling handling is exercised


def _csr(g: nx.DiGraph) -> CsrGraph:
    edges = list(g.edges(data="weight"))
    return csr_from_arrays(g.number_of_nodes(), [e[0] for e in edges], [e[1] for e in edges], [e[2] for e in edges])


@pytest.mark.parametrize("seed", range(8))
def test_pagerank_matches_networkx(seed: int) -> None:
    g = _random_digraph(seed, n=40 + 5 * seed, m=120 + 20 * seed)
    n = g.number_of_nodes()
    ref = nx.pagerank(g, alpha=0.85, weight="weight", tol=1e-13, max_iter=1000)
    got = pagerank(_csr(g), damping=0.85, tol=n * 1e-13, max_iter=1000)
    assert got.converged
    expected = np.array([ref[i] for i in range(n)])
    np.testing.assert_allclose(got.scores, expected, atol=1e-9)
    # same ranking (ties broken the same way)
    assert list(np.lexsort((np.arange(n), -got.scores))) == list(np.lexsort((np.arange(n), -expected)))


def test_pagerank_default_tolerance_is_within_1e6_of_networkx() -> None:
    # networkx's own default (err < N * 1e-6) is looser than ours: compare with a tight reference
    g = _random_digraph(11, 200, 900)
    ref = nx.pagerank(g, weight="weight", tol=1e-12)
    got = pagerank(_csr(g))
    assert np.abs(got.scores - np.array([ref[i] for i in range(200)])).max() < 1e-8


@given(st.integers(0, 10_000), st.integers(2, 25), st.integers(0, 80))
@settings(max_examples=40, deadline=None)
def test_pagerank_parity_property(seed: int, n: int, m: int) -> None:
    g = _random_digraph(seed, n, min(m, n * (n - 1)))
    ref = nx.pagerank(g, weight="weight", tol=1e-13, max_iter=2000)
    got = pagerank(_csr(g), tol=n * 1e-13, max_iter=2000)
    np.testing.assert_allclose(got.scores, [ref[i] for i in range(n)], atol=1e-9)
    assert got.scores.sum() == pytest.approx(1.0)


def test_personalization_and_dangling_match_networkx() -> None:
    g = _random_digraph(3, 50, 150)
    rng = np.random.default_rng(0)
    pers = rng.uniform(0, 1, 50)
    dang = rng.uniform(0, 1, 50)
    ref = nx.pagerank(
        g,
        weight="weight",
        personalization={i: pers[i] for i in range(50)},
        dangling={i: dang[i] for i in range(50)},
        tol=1e-13,
        max_iter=1000,
    )
    got = pagerank(_csr(g), personalization=pers, dangling=dang, tol=50e-13, max_iter=1000)
    np.testing.assert_allclose(got.scores, [ref[i] for i in range(50)], atol=1e-9)


def test_undirected_graph_matches_networkx() -> None:
    g = nx.gnm_random_graph(60, 150, seed=5)
    for u, v in g.edges:
        g[u][v]["weight"] = 1.0 + (u * v) % 7
    ref = nx.pagerank(g, weight="weight", tol=1e-13)
    edges = list(g.edges(data="weight"))
    csr = csr_from_arrays(60, [e[0] for e in edges], [e[1] for e in edges], [e[2] for e in edges], symmetric=True)
    got = pagerank(csr, tol=60e-13)
    np.testing.assert_allclose(got.scores, [ref[i] for i in range(60)], atol=1e-9)


@pytest.mark.parametrize("kernel", ["scipy kernel", "@ fallback"])
@pytest.mark.parametrize("seed", range(4))
def test_block_sweeps_reach_networkx_fixed_point(seed: int, kernel: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Big graphs are swept in row blocks (Gauss-Seidel by blocks): the fixed point is networkx's,
    with and without personalisation and dangling vectors. Tiny blocks force many of them here.
    Both block products give it: scipy's kernel called directly, and ``@`` where scipy lacks it."""
    from graph.analytics import influence as module

    monkeypatch.setattr(module, "BLOCK_ARCS", 7)
    if kernel == "@ fallback":
        monkeypatch.setattr(module, "_csr_matvec", None)
    else:
        assert module._csr_matvec is not None
    g = _random_digraph(100 + seed, 120, 500)
    rng = np.random.default_rng(seed)
    pers, dang = rng.uniform(0, 1, 120), rng.uniform(0, 1, 120)
    assert len(module._blocks(module.transition_matrix(_csr(g)), 0.85)) > 8
    ref = nx.pagerank(g, weight="weight", tol=1e-14, max_iter=2000)
    got = pagerank(_csr(g), tol=1e-13, max_iter=2000)
    assert got.converged
    np.testing.assert_allclose(got.scores, [ref[i] for i in range(120)], atol=1e-11)
    ref_p = nx.pagerank(
        g,
        weight="weight",
        personalization=dict(enumerate(pers)),
        dangling=dict(enumerate(dang)),
        tol=1e-14,
        max_iter=2000,
    )
    got_p = pagerank(_csr(g), personalization=pers, dangling=dang, tol=1e-13, max_iter=2000)
    np.testing.assert_allclose(got_p.scores, [ref_p[i] for i in range(120)], atol=1e-11)


def test_block_sweeps_need_fewer_iterations_than_power_iteration(monkeypatch: pytest.MonkeyPatch) -> None:
    from graph.analytics import influence as module

    g = _csr(_random_digraph(7, 400, 2400))
    one = pagerank(g, tol=1e-12, max_iter=1000)
    monkeypatch.setattr(module, "BLOCK_ARCS", 64)
    blocks = pagerank(g, tol=1e-12, max_iter=1000)
    assert blocks.iterations < one.iterations
    np.testing.assert_allclose(blocks.scores, one.scores, atol=1e-11)


def test_people_with_the_same_in_arcs_tie_exactly_whatever_their_block(monkeypatch: pytest.MonkeyPatch) -> None:
    """The last sweep is over all rows at once, so the percentile sees true ties as ties."""
    from graph.analytics import influence as module

    monkeypatch.setattr(module, "BLOCK_ARCS", 4)
    # a hub with 40 identical leaves, and 30 people nobody points to (they only teleport)
    src = [0] * 40 + list(range(1, 41)) + [41 + i for i in range(30)]
    dst = list(range(1, 41)) + [0] * 40 + [0] * 30
    g = csr_from_arrays(71, src, dst, [1.0] * 110)
    got = pagerank(g, tol=1e-9)
    assert len(set(got.scores[1:41].tolist())) == 1
    assert len(set(got.scores[41:].tolist())) == 1


@given(st.lists(st.sampled_from([0.0, 1e-7, 0.5, 0.25, 1.0, 3.0]) | st.floats(0, 1), min_size=0, max_size=60))
@settings(max_examples=80, deadline=None)
def test_percentile_is_scipys_average_rank(values: list[float]) -> None:
    from scipy.stats import rankdata

    from graph.analytics.influence import percentile

    arr = np.asarray(values, dtype=np.float64)
    expected = (rankdata(arr, method="average") - 1.0) / max(len(arr) - 1, 1) if len(arr) > 1 else np.ones(len(arr))
    np.testing.assert_allclose(percentile(arr), expected, rtol=0, atol=1e-12)


def test_transition_from_repeated_arcs_equals_the_summed_graph() -> None:
    """Repeated arcs (a KNOWS pair that is also a reporting line) stay separate entries in the
    transition; products and contributions equal those of the graph with the arcs summed."""
    from graph.analytics.influence import transition_from_arcs, transition_matrix

    rng = np.random.default_rng(4)
    n, m = 300, 2000
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    w = rng.uniform(0.1, 2.0, m)
    src, dst, w = np.concatenate([src, src[:500]]), np.concatenate([dst, dst[:500]]), np.concatenate([w, w[:500]])
    repeated = transition_from_arcs(n, src, dst, w)
    summed = transition_matrix(csr_from_arrays(n, src, dst, w))
    x = rng.uniform(0, 1, n)
    np.testing.assert_allclose(
        repeated.matrix @ x[repeated.order], (summed.matrix @ x[summed.order])[summed.position[repeated.order]]
    )
    for node in range(0, n, 37):
        a_src, a_w = repeated.in_arcs(node)
        b_src, b_w = summed.in_arcs(node)
        assert a_src.tolist() == b_src.tolist()
        np.testing.assert_allclose(a_w, b_w)


def test_non_convergence_is_reported_not_raised() -> None:
    got = pagerank(_csr(_random_digraph(1, 30, 90)), max_iter=2, tol=1e-15)
    assert not got.converged and got.iterations == 2


def test_negative_weights_rejected() -> None:
    with pytest.raises(ValueError):
        pagerank(csr_from_arrays(2, [0], [1], [-1.0]))


def test_empty_graph() -> None:
    assert pagerank(csr_from_arrays(0, [], [])).scores.shape == (0,)


def _team() -> tuple[list[tuple[str, str, float]], list[tuple[str, str]], dict[str, int]]:
    # a small company: the CEO talks to the VPs, VPs to their people, everyone cc's up
    edges = [
        ("ceo", "vp_s", 0.9),
        ("ceo", "vp_e", 0.8),
        ("vp_s", "rep1", 0.6),
        ("vp_s", "rep2", 0.5),
        ("vp_e", "eng1", 0.7),
        ("vp_e", "eng2", 0.4),
        ("rep1", "rep2", 0.3),
        ("eng1", "eng2", 0.6),
    ]
    reports = [("vp_s", "ceo"), ("vp_e", "ceo"), ("rep1", "vp_s"), ("rep2", "vp_s"), ("eng1", "vp_e"), ("eng2", "vp_e")]
    levels = {"ceo": 5, "vp_s": 4, "vp_e": 4, "rep1": 1, "rep2": 1, "eng1": 1, "eng2": 1}
    return edges, reports, levels


def test_blend_extremes_and_ranking() -> None:
    edges, reports, levels = _team()
    only_pr = influence_from_edges(edges, reports_to=reports, seniority=levels, config=InfluenceConfig(blend=1.0))
    np.testing.assert_allclose(only_pr.score, only_pr.normalised)
    only_title = influence_from_edges(edges, reports_to=reports, seniority=levels, config=InfluenceConfig(blend=0.0))
    assert only_title.score_of("ceo") == pytest.approx(1.0) and only_title.score_of("rep1") == pytest.approx(0.2)
    assert only_title.ranking(1)[0][0] == "ceo"
    blended = influence_from_edges(edges, reports_to=reports, seniority=levels)
    ranking = [k for k, _ in blended.ranking()]
    assert set(ranking[:3]) == {"ceo", "vp_s", "vp_e"}  # the hubs of the graph and the senior titles
    assert blended.converged
    assert blended.score.min() >= 0.0 and blended.score.max() <= 1.0


def test_reporting_lines_raise_the_manager() -> None:
    edges = [("a", "b", 0.5), ("b", "c", 0.5), ("c", "d", 0.5)]
    without = influence_from_edges(edges, config=InfluenceConfig(blend=1.0, normalisation="max"))
    cfg = InfluenceConfig(blend=1.0, normalisation="max", reporting_weight=2.0)
    with_lines = influence_from_edges(edges, reports_to=[("a", "d"), ("b", "d"), ("c", "d")], config=cfg)
    d_without = without.pagerank[without.graph.index_of("d")]
    d_with = with_lines.pagerank[with_lines.graph.index_of("d")]
    assert d_with > d_without
    assert with_lines.ranking(1)[0][0] == "d"


def test_contributors_explain_the_score() -> None:
    edges, reports, levels = _team()
    res = influence_from_edges(edges, reports_to=reports, seniority=levels)
    n = res.graph.n
    for key in res.graph.ids.keys:  # type: ignore[union-attr]
        v = res.graph.index_of(key)
        parts = res.contributors(key, k=n)
        # pr[v] = (1-d)/n + d * (sum of contributions + dangling mass / n); no dangling nodes here
        total = (1 - res.damping) / n + res.damping * sum(p.contribution for p in parts)
        assert total == pytest.approx(res.pagerank[v], rel=1e-6)
        assert [p.contribution for p in parts] == sorted((p.contribution for p in parts), reverse=True)
    top = res.contributors("ceo", k=1)[0]
    assert top.source in {"vp_s", "vp_e"} and 0 < top.share < 1


def test_account_influence_is_influence_on_the_subgraph() -> None:
    edges, reports, levels = _team()
    base = csr_from_edges(edges, symmetric=True)
    assert base.ids is not None
    r = np.array([base.index_of(a) for a, _ in reports])
    m = np.array([base.index_of(b) for _, b in reports])
    graph = build_influence_graph(base, reports_to=(r, m))
    seniority = np.array([levels[str(k)] for k in base.ids.keys])
    sales = ["ceo", "vp_s", "rep1", "rep2", "not-a-person"]
    acc = account_influence(graph, sales, seniority=seniority)
    assert acc.ids is not None and set(acc.ids.keys) == {"ceo", "vp_s", "rep1", "rep2"}
    sub_edges = [e for e in edges if e[0] in sales and e[1] in sales]
    sub_reports = [x for x in reports if x[0] in sales and x[1] in sales]
    direct = influence_from_edges(sub_edges, reports_to=sub_reports, seniority=levels)
    for key in ("ceo", "vp_s", "rep1", "rep2"):
        assert acc.score_of(key) == pytest.approx(direct.score_of(key))


def test_build_influence_graph_adds_report_edges() -> None:
    base = csr_from_arrays(3, [0], [1], [0.5], symmetric=True)
    g = build_influence_graph(base, reports_to=([2], [0]), reporting_weight=0.7)
    dense = g.to_scipy().toarray()
    assert dense[0, 1] == 0.5 and dense[1, 0] == 0.5 and dense[2, 0] == 0.7 and dense[0, 2] == 0


def test_config_validation() -> None:
    with pytest.raises(ValueError):
        InfluenceConfig(damping=1.0)
    with pytest.raises(ValueError):
        InfluenceConfig(blend=2.0)


def test_warm_start_converges_to_the_same_scores_in_fewer_iterations() -> None:
    """A previous result as PageRank's start (what the service does on every recompute after the
    first) reaches the cold result within the tolerance, faster, after a small change of the graph."""
    from graph.analytics.csr import csr_from_arrays
    from graph.analytics.influence import influence

    rng = np.random.default_rng(5)
    n, m = 2000, 12000
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    w = rng.uniform(0.05, 1.0, m)
    before = influence(csr_from_arrays(n, src, dst, w, symmetric=True))
    w2 = w.copy()
    changed = rng.choice(m, 120, replace=False)  # 1% of the relationships change strength
    w2[changed] *= rng.uniform(0.5, 1.5, len(changed))
    graph = csr_from_arrays(n, src, dst, w2, symmetric=True)
    cold = influence(graph)
    warm = influence(graph, nstart=before.pagerank)
    assert warm.converged and cold.converged
    assert warm.iterations < cold.iterations
    assert np.abs(warm.pagerank - cold.pagerank).sum() < InfluenceConfig().tol
