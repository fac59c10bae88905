"""The demo tenant: real Maven records, generated people and activity, idempotent rebuild."""

from __future__ import annotations

from datetime import date

import pytest

from graph.backends.embedded import LadybugStore
from relgraph.demo.builder import build_demo
from tests.conftest import SHARED_DATA

MAVEN = SHARED_DATA / "maven-crm"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not MAVEN.is_dir(), reason="../shared/data/maven-crm not present"),
]


def _counts(store: LadybugStore, query: str) -> dict[str, int]:
    return {r["l"]: r["c"] for r in store.read("demo", query)}


def test_demo_is_realistic_and_idempotent(store: LadybugStore) -> None:
    maven, generated = build_demo(store, "demo", MAVEN, today=date(2026, 11, 21))
    nodes = _counts(store, "MATCH (n) RETURN label(n) AS l, count(*) AS c")
    assert (nodes["Account"], nodes["Product"], nodes["Deal"]) == (85, 7, 8800)
    assert nodes["Rep"] >= 35 and nodes["Contact"] > 1000 and nodes["Interaction"] > 20000
    rels = _counts(store, "MATCH ()-[r]->() RETURN label(r) AS l, count(*) AS c")
    assert rels["SUBSIDIARY_OF"] == 15 and rels["FOR_ACCOUNT"] == 8800 - 1425
    # every account has an org chart and every contact works somewhere
    lonely = store.read("demo", "MATCH (c:Contact) WHERE NOT EXISTS { MATCH (c)-[:WORKS_AT]->() } RETURN count(c) AS n")
    assert lonely[0]["n"] == 0
    # dates moved to the present: the newest deal activity is days old, not 2017
    newest = store.read("demo", "MATCH (d:Deal) RETURN max(d.close_date) AS d")[0]["d"]
    assert date(2026, 11, 1) <= newest <= date(2026, 11, 21)
    # the Maven quirks are reported, not silent
    assert maven.notes  # sector spelling, product-name normalisation, deals without account
    again = build_demo(store, "demo", MAVEN, today=date(2026, 11, 21))
    for report in again:
        for counts in report.nodes.values():
            assert counts.created == 0 and counts.updated == 0, report.summary()
    assert _counts(store, "MATCH (n) RETURN label(n) AS l, count(*) AS c") == nodes
    assert generated.rejected_total == 0
