"""Account hierarchy: ancestors, subtree roll-ups with coverage, cycle checks."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.analytics.hierarchy import (
    AccountMetrics,
    ancestors,
    children_index,
    rollup_all,
    root_of,
    roots,
    subtree,
    would_create_cycle,
)
from graph.errors import CycleError

T1 = datetime(2025, 6, 1, tzinfo=UTC)
T2 = datetime(2025, 9, 1, tzinfo=UTC)

#   group
#   ├── emea
#   │   ├── de
#   │   └── fr
#   └── us
PARENT = {"group": None, "emea": "group", "de": "emea", "fr": "emea", "us": "group", "solo": None}
METRICS = {
    "group": AccountMetrics(open_pipeline=100, contacts=5, senior_contacts=2, senior_covered=2),
    "emea": AccountMetrics(open_pipeline=10, won_revenue=5, contacts=2, senior_contacts=1, senior_covered=0),
    "de": AccountMetrics(
        open_pipeline=1, won_revenue=50, contacts=10, senior_contacts=4, senior_covered=1, last_interaction=T2
    ),
    "fr": AccountMetrics(contacts=3, senior_contacts=1, senior_covered=1, last_interaction=T1),
    "us": AccountMetrics(open_pipeline=1000, contacts=7),
}


def test_ancestors_and_root() -> None:
    assert ancestors(PARENT, "de") == ["emea", "group"]
    assert ancestors(PARENT, "group") == []
    assert ancestors(PARENT, "unknown") == []
    assert root_of(PARENT, "fr") == "group" and root_of(PARENT, "solo") == "solo"
    assert roots(PARENT) == ["group", "solo"]


def test_subtree_totals_and_coverage() -> None:
    tree = subtree(PARENT, "group", METRICS)
    assert tree.total.accounts == 5
    assert tree.total.open_pipeline == 1111
    assert tree.total.won_revenue == 55
    assert tree.total.contacts == 27
    assert tree.total.senior_contacts == 8 and tree.total.senior_covered == 4
    assert tree.coverage == pytest.approx(0.5)
    assert tree.total.last_interaction == T2
    emea = next(c for c in tree.children if c.account == "emea")
    assert emea.total.open_pipeline == 11 and emea.coverage == pytest.approx(2 / 6)
    assert emea.own.open_pipeline == 10
    assert [c.account for c in emea.children] == ["de", "fr"]
    us = next(c for c in tree.children if c.account == "us")
    assert us.coverage is None  # no senior contacts known
    assert [n.account for n in tree.walk()] == ["group", "emea", "de", "fr", "us"]
    assert [n.depth for n in tree.walk()] == [0, 1, 2, 2, 1]


def test_max_depth_limits_nodes_not_totals() -> None:
    shallow = subtree(PARENT, "group", METRICS, max_depth=1)
    assert [n.account for n in shallow.walk()] == ["group", "emea", "us"]
    assert shallow.total.open_pipeline == 1111
    assert next(c for c in shallow.children if c.account == "emea").children == []


def test_would_create_cycle() -> None:
    assert would_create_cycle(PARENT, "group", "de")  # group under its own grandchild
    assert would_create_cycle(PARENT, "emea", "emea")
    assert not would_create_cycle(PARENT, "us", "de")
    assert not would_create_cycle(PARENT, "solo", "fr")
    assert not would_create_cycle(PARENT, "de", None)
    broken = {"a": "b", "b": "a", "c": None}
    assert would_create_cycle(broken, "c", "a")  # an existing cycle is refused too


def test_cycles_in_data_raise() -> None:
    broken = {"a": "b", "b": "c", "c": "a", "d": None}
    with pytest.raises(CycleError):
        ancestors(broken, "a")
    with pytest.raises(CycleError):
        rollup_all(broken, {})


def test_deep_chain_no_recursion_limit() -> None:
    chain = {f"n{i}": (f"n{i - 1}" if i else None) for i in range(20_000)}
    metrics = {k: AccountMetrics(open_pipeline=1.0) for k in chain}
    tree = subtree(chain, "n0", metrics)
    assert tree.total.open_pipeline == 20_000
    assert len(ancestors(chain, "n19999")) == 19_999


@given(st.lists(st.integers(-1, 30), min_size=1, max_size=40), st.lists(st.floats(0, 1e6), min_size=40, max_size=40))
@settings(max_examples=100, deadline=None)
def test_rollup_matches_brute_force(parents: list[int], amounts: list[float]) -> None:
    # build a forest: node i may only point to a lower index, so it is acyclic by construction
    parent_of = {f"a{i}": (f"a{p % i}" if p >= 0 and i > 0 else None) for i, p in enumerate(parents)}
    metrics = {
        k: AccountMetrics(open_pipeline=amounts[i], senior_contacts=i % 3, senior_covered=i % 2 * (i % 3 > 0))
        for i, k in enumerate(parent_of)
    }
    totals = rollup_all(parent_of, metrics)
    for account in parent_of:
        members = [a for a in parent_of if a == account or account in ancestors(parent_of, a)]
        assert totals[account].accounts == len(members)
        assert totals[account].open_pipeline == pytest.approx(sum(metrics[a].open_pipeline for a in members))
        cov = totals[account].coverage
        senior = sum(metrics[a].senior_contacts for a in members)
        assert (cov is None) == (senior == 0)
        if cov is not None:
            assert 0 <= cov <= 1


def test_thousand_accounts_is_fast() -> None:
    rng = random.Random(3)
    parent_of: dict[str, str | None] = {"a0": None}
    for i in range(1, 1000):
        parent_of[f"a{i}"] = f"a{rng.randrange(i)}"
    metrics = {k: AccountMetrics(open_pipeline=1.0, senior_contacts=2, senior_covered=1) for k in parent_of}
    kids = children_index(parent_of)
    start = time.perf_counter()
    tree = subtree(parent_of, "a0", metrics, children=kids)
    elapsed = time.perf_counter() - start
    assert tree.total.accounts == 1000 and tree.coverage == pytest.approx(0.5)
    assert elapsed < 0.5  # generous on a shared box; typically a few ms
