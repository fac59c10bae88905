"""``_Created``: which of a batch's ids a spooling writer may have created itself. Never "certainly
not" for an id it created, whether the id sits in the recent set or in the merged sorted array."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.repositories.bulk import _Created


def test_created_ids_are_found_in_the_recent_set_and_the_merged_array(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_Created, "MERGE_AT", 50)  # merge often: both places hold ids
    created = _Created()
    made = [f"hubspot:contact:{i}" for i in range(150)]
    for start in range(0, 150, 30):
        created.add(made[start : start + 30])
    assert len(created.merged) and created.recent  # some merged, some recent
    others = [f"hubspot:contact:{i}" for i in range(1000, 3000)]
    asked = made[::-1] + others
    random.Random(3).shuffle(asked)
    maybe = created.maybe(asked)
    assert set(made) <= set(maybe)
    assert len(set(maybe) - set(made)) <= 2  # a 64-bit hash collision: a needless lookup at worst
    assert maybe == [i for i in asked if i in set(maybe)]  # in the order asked


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 400), max_size=120), st.lists(st.integers(0, 400), max_size=60), st.integers(1, 40))
def test_maybe_never_misses_a_created_id(made: list[int], asked: list[int], merge_at: int) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_Created, "MERGE_AT", merge_at)
        created = _Created()
        for start in range(0, len(made), 7):
            created.add([f"id:{i}" for i in made[start : start + 7]])
    ids = [f"id:{i}" for i in asked]
    maybe = set(created.maybe(ids))
    assert {i for i in ids if int(i[3:]) in set(made)} <= maybe
