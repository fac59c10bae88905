"""The GraphStore contract: every backend must pass these (see test_graph_ladybug.py / _neo4j.py).

Each test takes a ``store`` and a fresh ``tenant``; a backend test module provides both fixtures
and star-imports this module.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from graph.errors import CycleError, DuplicateId, NotFound, QuerySyntaxError, ReadOnlyViolation
from graph.model import (
    AccountCreate,
    ContactCreate,
    ContactUpdate,
    DealContact,
    DealCreate,
    Employment,
    InteractionRecord,
    Participant,
    RepCreate,
)
from graph.repositories import accounts, contacts, deals, interactions, reps
from graph.store import GraphStore


def test_create_get_roundtrip_keeps_types(store: GraphStore, tenant: str) -> None:
    made = contacts.contacts.create(
        store=store,
        tenant=tenant,
        data=ContactCreate(name="Zoë Núñez", email="ZOE@Example.com", other_emails=["z@x.io"], custom={"tier": 1}),
    )
    got = contacts.contacts.get(store=store, tenant=tenant, record_id=made.id)
    assert got.name == "Zoë Núñez"
    assert got.email == "zoe@example.com"
    assert got.other_emails == ["z@x.io"]
    assert got.custom == {"tier": 1}
    assert got.created_at.tzinfo is not None


def test_duplicate_id_is_refused_and_first_record_kept(store: GraphStore, tenant: str) -> None:
    contacts.contacts.create(store=store, tenant=tenant, data=ContactCreate(id="c-1", name="First"))
    with pytest.raises(DuplicateId):
        contacts.contacts.create(store=store, tenant=tenant, data=ContactCreate(id="c-1", name="Second"))
    assert contacts.contacts.get(store=store, tenant=tenant, record_id="c-1").name == "First"


def test_partial_update_touches_only_sent_fields(store: GraphStore, tenant: str) -> None:
    c = contacts.contacts.create(
        store=store, tenant=tenant, data=ContactCreate(name="Ada", title="CTO", custom={"a": 1, "b": 2})
    )
    upd = ContactUpdate.model_validate({"phone": "+44 1", "custom": {"b": None, "c": 3}})
    out = contacts.contacts.update(store=store, tenant=tenant, record_id=c.id, data=upd)
    assert (out.name, out.title, out.phone) == ("Ada", "CTO", "+44 1")
    assert out.custom == {"a": 1, "c": 3}
    assert out.updated_at >= c.updated_at


def test_unknown_and_foreign_ids_are_not_found(store: GraphStore, tenant: str) -> None:
    c = contacts.contacts.create(store=store, tenant=tenant, data=ContactCreate(name="Mine"))
    with pytest.raises(NotFound):
        contacts.contacts.get(store=store, tenant=tenant, record_id="nope")
    with pytest.raises(NotFound):
        contacts.contacts.get(store=store, tenant=tenant + "-other", record_id=c.id)


def test_delete_removes_node_and_relationships(store: GraphStore, tenant: str) -> None:
    a = accounts.accounts.create(store=store, tenant=tenant, data=AccountCreate(name="Acme"))
    c = contacts.contacts.create(store=store, tenant=tenant, data=ContactCreate(name="Ada"))
    contacts.put_at_account(store=store, tenant=tenant, contact_id=c.id, job=Employment(account_id=a.id))
    contacts.contacts.delete(store=store, tenant=tenant, record_id=c.id)
    with pytest.raises(NotFound):
        contacts.contacts.get(store=store, tenant=tenant, record_id=c.id)
    assert contacts.list_at_account(store=store, tenant=tenant, account_id=a.id, cursor=None, limit=10)[0] == []


def test_list_pages_with_cursor_and_filters(store: GraphStore, tenant: str) -> None:
    rows = [{"id": f"c{i:03d}", "name": f"N{i}", "title": "VP" if i % 2 else "IC"} for i in range(25)]
    contacts.contacts.upsert(store=store, tenant=tenant, rows=rows)
    seen, cursor = [], None
    while True:
        page, cursor = contacts.contacts.list(store=store, tenant=tenant, cursor=cursor, limit=10)
        seen += [c.id for c in page]
        if cursor is None:
            break
    assert seen == [r["id"] for r in rows]
    vps, _ = contacts.contacts.list(store=store, tenant=tenant, filters={"title": "VP"}, limit=100)
    assert len(vps) == 12


def test_upsert_is_idempotent(store: GraphStore, tenant: str) -> None:
    rows = [{"id": f"x{i}", "name": f"Name {i}", "email": f"n{i}@x.com"} for i in range(300)]
    first = contacts.contacts.upsert(store=store, tenant=tenant, rows=rows)
    second = contacts.contacts.upsert(store=store, tenant=tenant, rows=rows)
    rows[0] = {**rows[0], "name": "Changed"}
    third = contacts.contacts.upsert(store=store, tenant=tenant, rows=rows)
    assert (first.created, first.updated, first.unchanged) == (300, 0, 0)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 300)
    assert (third.created, third.updated, third.unchanged) == (0, 1, 299)
    assert contacts.contacts.get(store=store, tenant=tenant, record_id="x0").name == "Changed"
    assert contacts.contacts.get(store=store, tenant=tenant, record_id="x1").email == "n1@x.com"


def test_reporting_cycle_refused_and_nothing_written(store: GraphStore, tenant: str) -> None:
    ids = [contacts.contacts.create(store=store, tenant=tenant, data=ContactCreate(name=n)).id for n in "abc"]
    contacts.set_manager(store=store, tenant=tenant, contact_id=ids[0], manager_id=ids[1])
    contacts.set_manager(store=store, tenant=tenant, contact_id=ids[1], manager_id=ids[2])
    with pytest.raises(CycleError):
        contacts.set_manager(store=store, tenant=tenant, contact_id=ids[2], manager_id=ids[0])
    with pytest.raises(CycleError):
        contacts.set_manager(store=store, tenant=tenant, contact_id=ids[0], manager_id=ids[0])
    assert contacts.get_manager(store=store, tenant=tenant, contact_id=ids[2]) is None
    assert contacts.get_manager(store=store, tenant=tenant, contact_id=ids[0])["id"] == ids[1]  # type: ignore[index]


def test_account_forest_deeper_than_engine_path_cap(store: GraphStore, tenant: str) -> None:
    # Ladybug caps variable-length patterns at 30 hops: cycle checks must not rely on them.
    rows = [{"id": f"a{i}", "name": f"A{i}"} for i in range(40)]
    accounts.accounts.upsert(store=store, tenant=tenant, rows=rows)
    for i in range(1, 40):
        accounts.set_parent(store=store, tenant=tenant, account_id=f"a{i}", parent_id=f"a{i - 1}")
    with pytest.raises(CycleError):
        accounts.set_parent(store=store, tenant=tenant, account_id="a0", parent_id="a39")
    assert accounts.get_parent(store=store, tenant=tenant, account_id="a0") is None


def test_new_parent_replaces_old(store: GraphStore, tenant: str) -> None:
    for i in range(3):
        accounts.accounts.create(store=store, tenant=tenant, data=AccountCreate(id=f"p{i}", name=f"P{i}"))
    accounts.set_parent(store=store, tenant=tenant, account_id="p0", parent_id="p1")
    accounts.set_parent(store=store, tenant=tenant, account_id="p0", parent_id="p2")
    assert accounts.get_parent(store=store, tenant=tenant, account_id="p0") == {"id": "p2", "name": "P2"}


def test_employment_is_upserted_with_dates(store: GraphStore, tenant: str) -> None:
    a = accounts.accounts.create(store=store, tenant=tenant, data=AccountCreate(name="Acme"))
    c = contacts.contacts.create(store=store, tenant=tenant, data=ContactCreate(name="Ada"))
    job = Employment(account_id=a.id, title="CTO", since=date(2020, 1, 1))
    assert contacts.put_at_account(store=store, tenant=tenant, contact_id=c.id, job=job) is True
    job2 = Employment(account_id=a.id, title="CEO", since=date(2022, 5, 1))
    assert contacts.put_at_account(store=store, tenant=tenant, contact_id=c.id, job=job2) is False
    (emp,) = contacts.employments(store=store, tenant=tenant, contact_id=c.id)
    assert (emp.title, emp.since, emp.account_name) == ("CEO", date(2022, 5, 1), "Acme")


def test_deal_links_and_filters(store: GraphStore, tenant: str) -> None:
    a = accounts.accounts.create(store=store, tenant=tenant, data=AccountCreate(name="Acme"))
    r = reps.reps.create(store=store, tenant=tenant, data=RepCreate(name="Rae"))
    c = contacts.contacts.create(store=store, tenant=tenant, data=ContactCreate(name="Ada"))
    d1 = deals.deals.create(
        store=store, tenant=tenant, data=DealCreate(name="D1", amount=10, stage="Won", status="won")
    )
    deals.deals.create(store=store, tenant=tenant, data=DealCreate(name="D2"))
    deals.set_account(store=store, tenant=tenant, deal_id=d1.id, account_id=a.id)
    deals.set_owner(store=store, tenant=tenant, deal_id=d1.id, rep_id=r.id)
    deals.add_contact(store=store, tenant=tenant, deal_id=d1.id, link=DealContact(contact_id=c.id, role="champion"))
    got = deals.details(store=store, tenant=tenant, deal_id=d1.id)
    assert (got["account_id"], got["owner_id"]) == (a.id, r.id)
    assert got["contacts"][0]["role"] == "champion"
    by_account, _ = deals.list_deals(store=store, tenant=tenant, account_id=a.id)
    assert [d.id for d in by_account] == [d1.id]
    won, _ = deals.list_deals(store=store, tenant=tenant, status="won")
    assert [d.id for d in won] == [d1.id]


def test_interaction_is_all_or_nothing(store: GraphStore, tenant: str) -> None:
    r = reps.reps.create(store=store, tenant=tenant, data=RepCreate(name="Rae"))
    c = contacts.contacts.create(store=store, tenant=tenant, data=ContactCreate(name="Ada"))
    when = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    ok = InteractionRecord(
        kind="meeting",
        occurred_at=when,
        participants=[
            Participant(person_id=r.id, kind="rep", role="organizer"),
            Participant(person_id=c.id, role="attendee"),
        ],
    )
    made = interactions.record(store=store, tenant=tenant, data=ok)
    assert made.occurred_at == when
    people = interactions.participants(store=store, tenant=tenant, interaction_id=made.id)
    assert sorted((p["kind"], p["role"]) for p in people) == [("contact", "attendee"), ("rep", "organizer")]
    bad = ok.model_copy(update={"participants": [*ok.participants, Participant(person_id="ghost", role="cc")]})
    with pytest.raises(NotFound):
        interactions.record(store=store, tenant=tenant, data=bad)
    everything, _ = interactions.interactions.list(store=store, tenant=tenant, limit=100)
    assert [i.id for i in everything] == [made.id]


def test_analyst_query_is_read_only_and_capped(store: GraphStore, tenant: str) -> None:
    contacts.contacts.upsert(store=store, tenant=tenant, rows=[{"id": f"q{i}", "name": f"Q{i}"} for i in range(20)])
    res = store.analyst_query(tenant, "MATCH (c:Contact) RETURN c.name AS n", None, timeout_s=5, max_rows=7)
    assert res.columns == ["n"] and len(res.rows) == 7 and res.truncated
    with pytest.raises(ReadOnlyViolation):
        store.analyst_query(tenant, "MATCH (c:Contact) SET c.name = 'x' RETURN c", None, timeout_s=5, max_rows=7)
    with pytest.raises(QuerySyntaxError):
        store.analyst_query(tenant, "MATCH (c:Contact RETURN c", None, timeout_s=5, max_rows=7)
    names = {c.name for c in contacts.contacts.list(store=store, tenant=tenant, limit=100)[0]}
    assert "x" not in names and len(names) == 20


def test_delete_leaves_a_tombstone_and_links_touch_both_ends(store: GraphStore, tenant: str) -> None:
    a = accounts.accounts.create(store=store, tenant=tenant, data=AccountCreate(name="Acme"))
    c = contacts.contacts.create(store=store, tenant=tenant, data=ContactCreate(name="Ada"))
    contacts.put_at_account(store=store, tenant=tenant, contact_id=c.id, job=Employment(account_id=a.id))
    # derived views (search) notice relationship changes through updated_at
    assert contacts.contacts.get(store=store, tenant=tenant, record_id=c.id).updated_at > c.updated_at
    contacts.contacts.delete(store=store, tenant=tenant, record_id=c.id)
    rows = store.read(
        tenant,
        "MATCH (t:Tombstone) WHERE t.tenant = $tenant RETURN t.label AS label, t.record_id AS rid",
        {"tenant": tenant},
    )
    assert {"label": "Contact", "rid": c.id} in rows


def test_read_frame_matches_read_with_utc_timestamps(store: GraphStore, tenant: str) -> None:
    for name in ("Ann", "Bob", "Cy"):
        contacts.contacts.create(store=store, tenant=tenant, data=ContactCreate(id=name.lower(), name=name))
    query = "MATCH (c:Contact) WHERE c.tenant = $tenant RETURN c.id AS id, c.name AS name, c.created_at AS at"
    rows = sorted(store.read(tenant, query, {"tenant": tenant}), key=lambda r: r["id"])
    frame = store.read_frame(tenant, query, {"tenant": tenant}).sort_values("id")
    assert list(frame.columns) == ["id", "name", "at"]
    assert frame["id"].tolist() == [r["id"] for r in rows] == ["ann", "bob", "cy"]
    assert [ts.to_pydatetime() for ts in frame["at"]] == [r["at"] for r in rows]
    assert str(frame["at"].dt.tz) == "UTC"
    try:
        assert store.read_frame(tenant + "x", query, {"tenant": tenant}).empty  # another tenant sees none of it
    finally:
        store.drop_tenant(tenant + "x")
