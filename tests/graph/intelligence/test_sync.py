"""The part counters and what each move of them changed (``IntelligenceSync.scope_since``)."""

from __future__ import annotations

from graph.backends.embedded import LadybugStore
from graph.intelligence.hierarchy import WriteScope
from graph.intelligence.sync import SCOPE_LOG, IntelligenceSync

A, B = WriteScope(contacts=frozenset({"a"})), WriteScope(accounts=frozenset({"x"}))


def test_scopes_since_a_counter_are_joined_until_one_is_unknown(store: LadybugStore) -> None:
    intel = IntelligenceSync(store)
    intel.bump("t", {"staff", "touch"}, A)
    intel.bump("t", {"staff"}, B)
    assert intel.part_versions("t") == {"staff": 2, "touch": 1}
    assert intel.scope_since("t", "staff", 0, 2) == A | B
    assert intel.scope_since("t", "staff", 1, 2) == B
    assert intel.scope_since("t", "staff", 2, 2) == WriteScope()
    intel.bump("t", {"staff"})  # names nobody
    assert intel.scope_since("t", "staff", 0, 3) is None
    assert intel.scope_since("t", "touch", 0, 1) == A
    assert intel.scope_since("other", "staff", 0, 1) is None


def test_only_the_last_moves_are_kept(store: LadybugStore) -> None:
    intel = IntelligenceSync(store)
    for _ in range(SCOPE_LOG + 1):
        intel.bump("t", {"staff"}, A)
    last = SCOPE_LOG + 1
    assert intel.scope_since("t", "staff", 0, last) is None  # the first move is forgotten
    assert intel.scope_since("t", "staff", 1, last) == A
