"""Tenant influence on Neo4j through Graph Data Science (the production path).

The graph GDS projects is the one the embedded path builds (``influence.compute``): KNOWS edges in
both directions weighted by strength, plus report -> manager edges weighted by
``reporting_weight``; PageRank runs in GDS, and the blend with title seniority is the same Python
code, so both backends rank alike (``tests/contracts/test_influence_gds.py``).
The ``GraphDataScience`` object is injected; check connectivity with a short timeout before
building it (the client retries for 30-60 s when no server answers).
"""

from __future__ import annotations

import uuid
from typing import Any, Final

from graph.analytics.influence import InfluenceConfig
from graph.intelligence import people as P
from graph.intelligence.influence import Person

PROJECT: Final = """
CALL {
  MATCH (a)-[k:KNOWS]-(b) WHERE a.tenant = $tenant AND k.strength > 0
  RETURN a AS source, b AS target, k.strength AS weight
  UNION ALL
  MATCH (a)-[:REPORTS_TO]->(b) WHERE a.tenant = $tenant
  RETURN a AS source, b AS target, $reporting_weight AS weight
}
RETURN gds.graph.project($graph_name, source, target, {relationshipProperties: {weight: weight}})
"""
KEYS: Final = "UNWIND $ids AS i MATCH (n) WHERE id(n) = i RETURN i AS node_id, labels(n)[0] AS label, n.id AS id"


def gds_pagerank(gds: Any, tenant: str, config: InfluenceConfig | None = None) -> dict[str, float]:
    """PageRank per person key, computed by GDS on a throw-away projection of the tenant's graph."""
    cfg = config or InfluenceConfig()
    name = f"relgraph-influence-{uuid.uuid4().hex[:8]}"
    graph, _ = gds.graph.cypher.project(PROJECT, graph_name=name, tenant=tenant, reporting_weight=cfg.reporting_weight)
    try:
        frame = gds.pageRank.stream(
            graph,
            relationshipWeightProperty="weight",
            dampingFactor=cfg.damping,
            maxIterations=cfg.max_iter,
            tolerance=cfg.tol,
        )
    finally:
        graph.drop()
    ids = [int(i) for i in frame["nodeId"]]
    keys = {r["node_id"]: P.key(r["label"], r["id"]) for r in gds.run_cypher(KEYS, {"ids": ids}).to_dict("records")}
    return {keys[i]: float(s) for i, s in zip(ids, frame["score"], strict=True) if i in keys}


def blend(people: list[Person], pagerank: dict[str, float]) -> list[tuple[str, float]]:
    """Rank ``people`` from an outside PageRank with the embedded blend (used to compare backends)."""
    from graph.intelligence.influence import compute, with_pagerank

    ranked = with_pagerank(compute(people, [], []), pagerank).ranking()
    return [(str(k), s) for k, s in ranked]
