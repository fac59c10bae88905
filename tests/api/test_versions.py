"""Which people a write through each route changed (``api.versions.write_scope``)."""

from __future__ import annotations

from api.versions import PEOPLE, RECORDS, WORKED_AT, stale_parts, write_scope
from graph.intelligence.hierarchy import WriteScope

C = frozenset({"c1"})


def test_routes_that_name_their_people() -> None:
    assert write_scope("PATCH", "/contacts/c1", {}) == WriteScope(contacts=C)
    assert write_scope("PUT", "/contacts/c1/employments", {}) == WriteScope(contacts=C)
    assert write_scope("DELETE", "/contacts/c1/employments/a9", {}) == WriteScope(C, frozenset({"a9"}))
    assert write_scope("DELETE", "/contacts/c1", {WORKED_AT: ["a1", "a2"]}) == WriteScope(
        accounts=frozenset({"a1", "a2"})
    )


def test_routes_that_list_what_they_wrote() -> None:
    assert write_scope("POST", "/contacts", {RECORDS: ["c1"]}) == WriteScope(contacts=C)
    assert write_scope("POST", "/contacts/batch-upsert", {RECORDS: ["c1"]}) == WriteScope(contacts=C)
    assert write_scope("POST", "/interactions", {PEOPLE: ["c1"]}) == WriteScope(contacts=C)
    assert write_scope("DELETE", "/interactions/i1", {PEOPLE: []}) == WriteScope()


def test_routes_that_do_not() -> None:
    assert write_scope("DELETE", "/contacts/c1", {}) is None  # the route did not say where they worked
    assert write_scope("POST", "/contacts", {}) is None
    assert write_scope("POST", "/interactions", {}) is None
    assert write_scope("PATCH", "/deals/d1", {RECORDS: ["d1"]}) is None  # a deal's id names no person
    assert write_scope("POST", "/deals", {RECORDS: ["d1"]}) is None
    assert stale_parts("PUT", "/contacts/c1/manager") == frozenset()  # no part: its scope is moot
