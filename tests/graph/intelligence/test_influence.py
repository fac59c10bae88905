"""Tenant influence: title levels, and a tenant read from the real engine ranks as the reference
computation over the same people and relationships does."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.analytics.titles import parse_title
from graph.backends.embedded import LadybugStore
from graph.intelligence.influence import Person, compute, levels_of, rank_tenant, read_tenant_graph
from graph.model import ContactCreate
from graph.repositories import contacts

T = "t"
TITLES = ["CEO", "VP Sales", "Sales Director", "Engineering Manager", "Engineer", "", None, "chief of staff"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(TITLES), max_size=40))
def test_levels_are_each_titles_parsed_level_in_order(titles: list[str | None]) -> None:
    want = [float(parse_title(t).level) if t else 0.0 for t in titles]
    got = levels_of(titles)
    assert got.dtype == np.float64 and got.tolist() == want


def test_a_tenant_read_from_the_store_ranks_as_the_reference(store: LadybugStore) -> None:
    people = [("ceo", "CEO"), ("vp", "VP Sales"), ("ic", "Engineer"), ("new", None), ("other", "Director")]
    for cid, title in people:
        contacts.contacts.create(store=store, tenant=T, data=ContactCreate(id=cid, name=cid.upper(), title=title))
    contacts.contacts.create(store=store, tenant="elsewhere", data=ContactCreate(id="x", name="X", title="CEO"))
    store.write(
        T,
        "MATCH (a:Contact {uid: $a}), (b:Contact {uid: $b}) CREATE (a)-[:KNOWS {strength: $s}]->(b)",
        {"a": f"{T}/ic", "b": f"{T}/vp", "s": 0.8},
    )
    store.write(
        T,
        "MATCH (a:Contact {uid: $a}), (b:Contact {uid: $b}) CREATE (a)-[:REPORTS_TO]->(b)",
        {"a": f"{T}/vp", "b": f"{T}/ceo"},
    )
    graph = read_tenant_graph(store, T)
    ranked = rank_tenant(graph)
    reference = compute(
        [Person(f"Contact:{cid}", cid.upper(), title) for cid, title in people],
        [("Contact:ic", "Contact:vp", 0.8)],
        [("Contact:vp", "Contact:ceo", 1.0)],
    )
    assert sorted(graph.people.keys) == sorted(f"Contact:{cid}" for cid, _ in people)  # the tenant's only
    for cid, _ in people:
        key = f"Contact:{cid}"
        assert ranked.score[ranked.index_of(key)] == reference.score[reference.index_of(key)]
