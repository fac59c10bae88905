"""Influence ranks alike on the embedded path and on Neo4j GDS (runs when a Neo4j server with GDS is
configured; the embedded half is also checked against networkx, the reference, every time)."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import networkx as nx
import pytest

from graph.backends.embedded import LadybugStore
from graph.intelligence.gds import blend
from graph.intelligence.influence import Person, compute

PEOPLE = [
    Person(f"Contact:p{i}", f"P{i}", t) for i, t in enumerate(["CEO", "VP Sales", "Sales Manager", "Analyst", None])
]
EDGES = [
    ("Contact:p0", "Contact:p1", 0.9),
    ("Contact:p1", "Contact:p2", 0.7),
    ("Contact:p2", "Contact:p3", 0.4),
    ("Contact:p3", "Contact:p4", 0.2),
    ("Contact:p1", "Contact:p3", 0.3),
]
REPORTS = [("Contact:p1", "Contact:p0", 1.0), ("Contact:p2", "Contact:p1", 1.0), ("Contact:p3", "Contact:p2", 1.0)]


def test_embedded_pagerank_matches_networkx_and_blend_matches() -> None:
    result = compute(PEOPLE, EDGES, REPORTS)
    g = nx.DiGraph()
    g.add_nodes_from(p.key for p in PEOPLE)
    for a, b, w in EDGES:
        g.add_edge(a, b, weight=w)
        g.add_edge(b, a, weight=w)
    for r, m, c in REPORTS:
        g.add_edge(r, m, weight=g.get_edge_data(r, m, {"weight": 0.0})["weight"] + 0.5 * c)
    reference = nx.pagerank(g, alpha=0.85, weight="weight", tol=1e-12)
    ours = {str(result.graph.key_of(i)): float(result.pagerank[i]) for i in range(len(PEOPLE))}
    assert ours == pytest.approx(reference, abs=1e-6)
    # GDS returns PageRank only; the shared blend must reproduce the embedded ranking from it
    assert [k for k, _ in blend(PEOPLE, ours)] == [str(k) for k, _ in result.ranking()]


@pytest.mark.skipif(not os.environ.get("RELGRAPH_NEO4J_URI"), reason="RELGRAPH_NEO4J_URI not set: GDS needs a server")
def test_gds_ranks_like_the_embedded_path(tmp_path: object) -> None:
    gds_mod = pytest.importorskip("graphdatascience", reason="graphdatascience not installed (pip install .[gds])")
    from graph.backends.neo4j import connect_neo4j
    from graph.intelligence.gds import gds_pagerank
    from graph.intelligence.influence import recompute_tenant
    from graph.model import ContactCreate
    from graph.repositories import contacts
    from graph.repositories.links import upsert_links

    uri = os.environ["RELGRAPH_NEO4J_URI"]
    auth = (os.environ.get("RELGRAPH_NEO4J_USER", "neo4j"), os.environ.get("RELGRAPH_NEO4J_PASSWORD", ""))
    tenant = "gds-" + datetime.now(UTC).strftime("%H%M%S%f")
    stores = [connect_neo4j(uri, *auth), LadybugStore(tmp_path)]  # type: ignore[arg-type]
    try:
        for store in stores:
            for p in PEOPLE:
                contacts.contacts.create(
                    store=store, tenant=tenant, data=ContactCreate(id=p.key[8:], name=p.name or "", title=p.title)
                )
            for r, m, _ in REPORTS:
                contacts.set_manager(store=store, tenant=tenant, contact_id=r[8:], manager_id=m[8:])
            rows = [
                {
                    "src": f"{tenant}/{a[8:]}",
                    "dst": f"{tenant}/{b[8:]}",
                    "strength": w,
                    "interactions": 1,
                    "last_at": datetime.now(UTC),
                    "reciprocity": 1.0,
                    "evidence": "{}",
                }
                for a, b, w in EDGES
            ]
            upsert_links(store, tenant, rel="KNOWS", src="Contact", dst="Contact", rows=rows)
        embedded, _, _ = recompute_tenant(stores[1], tenant)
        gds = gds_mod.GraphDataScience(uri, auth=auth)
        ranked = blend(PEOPLE, gds_pagerank(gds, tenant))
        assert [k for k, _ in ranked] == [str(k) for k, _ in embedded.ranking()]
    finally:
        stores[0].drop_tenant(tenant)
        for store in stores:
            store.close()
