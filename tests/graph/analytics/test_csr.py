"""CSR building: duplicates, symmetry, attributes, against a plain-dict model."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.analytics.csr import CsrGraph, IdIndex, csr_from_arrays, csr_from_edges, subgraph, transpose

edge_lists = st.lists(
    st.tuples(st.integers(0, 7), st.integers(0, 7), st.floats(0.01, 5.0), st.floats(0.0, 1e9)), max_size=40
)


def _rows(graph: CsrGraph) -> dict[tuple[int, int], list[tuple[float, ...]]]:  # entries per (src, dst)
    out: dict[tuple[int, int], list[tuple[float, ...]]] = {}
    for u in range(graph.n):
        for pos in range(graph.indptr[u], graph.indptr[u + 1]):
            key = (u, int(graph.indices[pos]))
            out.setdefault(key, []).append((float(graph.weights[pos]), *(float(v[pos]) for v in graph.attrs.values())))
    return out


@given(edge_lists)
@settings(max_examples=60, deadline=None)
def test_sum_duplicates_matches_dict_model(edges: list[tuple[int, int, float, float]]) -> None:
    src = [e[0] for e in edges]
    dst = [e[1] for e in edges]
    w = [e[2] for e in edges]
    last = [e[3] for e in edges]
    g = csr_from_arrays(8, src, dst, w, attrs={"last_at": last})
    model: dict[tuple[int, int], list[float]] = {}
    for s, d, weight, when in edges:
        acc = model.setdefault((s, d), [0.0, -np.inf])
        acc[0] += weight
        acc[1] = max(acc[1], when)
    got = _rows(g)
    assert set(got) == set(model)
    for key, [(weight, when)] in got.items():
        assert weight == pytest.approx(model[key][0])
        assert when == model[key][1]
    # rows sorted by column
    for u in range(g.n):
        cols = g.indices[g.indptr[u] : g.indptr[u + 1]]
        assert list(cols) == sorted(cols)


@given(edge_lists)
@settings(max_examples=60, deadline=None)
def test_max_duplicates_symmetric_keeps_strongest_with_its_attrs(edges: list[tuple[int, int, float, float]]) -> None:
    src = [e[0] for e in edges]
    dst = [e[1] for e in edges]
    w = [e[2] for e in edges]
    last = [e[3] for e in edges]
    g = csr_from_arrays(8, src, dst, w, symmetric=True, duplicates="max", drop_self_loops=True, attrs={"t": last})
    model: dict[tuple[int, int], tuple[float, float]] = {}
    for s, d, weight, when in edges:
        if s == d:
            continue
        for key in ((s, d), (d, s)):
            if key not in model or weight > model[key][0]:
                model[key] = (weight, when)
    got = _rows(g)
    assert set(got) == set(model)
    for key, [(weight, when)] in got.items():
        assert weight == model[key][0]
        assert when == model[key][1]
    assert not g.directed


def test_keep_duplicates_and_scipy_roundtrip() -> None:
    g = csr_from_arrays(3, [0, 0, 2], [1, 1, 0], [1.0, 2.0, 3.0], duplicates="keep")
    assert g.nnz == 3
    dense = g.to_scipy().toarray()
    assert dense[0, 1] == 3.0 and dense[2, 0] == 3.0


def test_out_weight_and_degree_with_empty_rows() -> None:
    g = csr_from_arrays(4, [0, 0, 2], [1, 2, 3], [1.0, 2.0, 5.0])
    assert list(g.degree()) == [2, 0, 1, 0]
    assert list(g.out_weight()) == [3.0, 0.0, 5.0, 0.0]


def test_out_of_range_and_shape_errors() -> None:
    with pytest.raises(ValueError):
        csr_from_arrays(2, [0], [2])
    with pytest.raises(ValueError):
        csr_from_arrays(2, [0, 1], [1])
    with pytest.raises(ValueError):
        csr_from_arrays(2, [0], [1], [1.0, 2.0])


def test_from_edges_keys_transpose_and_subgraph() -> None:
    g = csr_from_edges([("a", "b", 1.0), ("b", "c", 2.0), ("c", "a", 3.0)], nodes=["z"])
    assert g.ids is not None
    assert g.ids.keys == ("z", "a", "b", "c")
    assert g.index_of("z") == 0 and g.key_of(3) == "c"
    t = transpose(g)
    b = g.index_of("b")
    nbrs, w = t.neighbors(b)
    assert [g.key_of(int(i)) for i in nbrs] == ["a"] and list(w) == [1.0]
    sub = subgraph(g, [g.index_of("c"), g.index_of("a")])
    assert sub.ids is not None and sub.ids.keys == ("c", "a")
    assert sub.nnz == 1 and sub.key_of(int(sub.indices[0])) == "a"


def test_id_index_encode_decode() -> None:
    ids = IdIndex.from_keys(["x", "y", "x", "z"])
    assert len(ids) == 3 and "y" in ids
    assert list(ids.encode(["z", "x"])) == [2, 0]
    assert ids.decode([1, 2]) == ["y", "z"]
    with pytest.raises(KeyError):
        ids.encode(["nope"])
