"""Merging duplicates on the real embedded store: no relationship lost, undo restores exactly."""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import UTC, date, datetime

import pytest

from graph.backends.embedded import LadybugStore
from graph.backup import export_tenant
from graph.errors import Conflict, CycleError, InvalidInput, NotFound
from graph.model import InteractionRecord, Participant
from graph.repositories import accounts, base, contacts, deals, interactions, links
from graph.repositories.merge import Edge, find_merge, merge_records, relationships_of, undo_merge

T = "acme"


def snapshot(store: LadybugStore) -> list[str]:
    """The whole tenant, every property of every node and relationship, in a stable order."""
    out = io.StringIO()
    export_tenant(store, T, out)
    return sorted(out.getvalue().splitlines())


def edges(store: LadybugStore, label: str, record_id: str) -> list[Edge]:
    return relationships_of(store=store, tenant=T, label=label, record_id=record_id)


def rel_count(store: LadybugStore) -> Counter[str]:
    return Counter(json.loads(line)["rel"] for line in snapshot(store) if line.startswith('{"rel"'))


def _link(store: LadybugStore, rel: str, src: tuple[str, str], dst: tuple[str, str], **props: object) -> None:
    links.upsert_link(
        store, T, rel=rel, src=src[0], dst=dst[0], src_uid=f"{T}/{src[1]}", dst_uid=f"{T}/{dst[1]}", props=props
    )


@pytest.fixture
def crm(store: LadybugStore) -> LadybugStore:
    up = base.upsert_nodes
    up(store=store, tenant=T, label="Account", rows=[{"id": "a1", "name": "Acme"}, {"id": "a2", "name": "Globex"}])
    up(
        store=store,
        tenant=T,
        label="Contact",
        rows=[
            {"id": "k", "name": "Ada Lovelace", "email": "ada@acme.com", "title": "CTO", "custom": {"src": "crm"}},
            {"id": "m", "name": "Ada Lovelace", "email": "ada.l@acme.com", "phone": "+1 555 0100", "title": "VP",
             "custom": {"src": "mail", "tier": "gold"}},
            {"id": "m2", "name": "A. Lovelace", "other_emails": ["ada@home.example"], "city": "London"},
            {"id": "boss", "name": "Boss"},
            {"id": "x", "name": "Xavier"},
        ],
    )  # fmt: skip
    up(store=store, tenant=T, label="Rep", rows=[{"id": "r", "name": "Rae"}])
    up(store=store, tenant=T, label="Deal", rows=[{"id": "d", "name": "Deal"}])
    _link(store, "WORKS_AT", ("Contact", "k"), ("Account", "a1"), title="CTO")
    _link(store, "WORKS_AT", ("Contact", "m"), ("Account", "a1"), title="CTO")  # same stint: collapses
    _link(store, "WORKS_AT", ("Contact", "m"), ("Account", "a2"), title="Advisor", since=date(2020, 1, 1))
    _link(store, "WORKS_AT", ("Contact", "m2"), ("Account", "a1"), title="Intern", until=date(2010, 1, 1))
    _link(store, "REPORTS_TO", ("Contact", "m"), ("Contact", "boss"), source="explicit")
    _link(store, "REPORTS_TO", ("Contact", "x"), ("Contact", "m"), source="explicit")
    _link(store, "ON_DEAL", ("Contact", "m"), ("Deal", "d"), role="champion")
    _link(store, "KNOWS", ("Contact", "k"), ("Contact", "m"), strength=0.5)  # becomes a self-loop: dropped
    _link(store, "KNOWS", ("Contact", "m2"), ("Rep", "r"), strength=0.2)
    record = InteractionRecord(
        kind="email",
        occurred_at=datetime(2024, 5, 1, tzinfo=UTC),
        participants=[
            Participant(person_id="k", kind="contact", role="to"),
            Participant(person_id="m", kind="contact", role="cc"),
            Participant(person_id="r", kind="rep", role="from"),
        ],
    )
    interactions.record(store=store, tenant=T, data=record)
    return store


def test_dry_run_previews_and_changes_nothing(crm: LadybugStore) -> None:
    before = snapshot(crm)
    plan = merge_records(store=crm, tenant=T, kind="contact", keep_id="k", merge_ids=["m", "m2"])
    assert snapshot(crm) == before
    assert plan["dry_run"] is True and plan["merge_id"] is None
    taken = {f["field"]: (f["value"], f["from"]) for f in plan["fields"]}
    assert taken == {"phone": ("+1 555 0100", "m"), "city": ("London", "m2")}
    assert plan["emails_added"] == ["ada.l@acme.com", "ada@home.example"]
    assert plan["custom_added"] == ["tier"]
    rels = plan["relationships"]
    assert (rels["moved"], rels["collapsed"], rels["dropped"]) == (6, 2, 1)
    assert any(c["field"] == "title" and c["other"] == "VP" for c in plan["conflicts"])
    assert any(c["field"] == "custom.src" for c in plan["conflicts"])
    assert not plan["blocked"]


def test_merge_keeps_every_relationship_and_undo_restores_exactly(crm: LadybugStore) -> None:
    before = snapshot(crm)
    counts_before = rel_count(crm)
    merged_edges = {i: edges(crm, "Contact", i) for i in ("m", "m2")}
    result = merge_records(store=crm, tenant=T, kind="contact", keep_id="k", merge_ids=["m", "m2"], dry_run=False)
    rels = result["relationships"]
    counts_after = rel_count(crm)
    assert sum(counts_before.values()) - sum(counts_after.values()) == rels["collapsed"] + rels["dropped"]
    # every relationship of a merged record now has a counterpart on the kept record (or was the self-loop)
    kept = {(e.type, e.direction, e.other_label, e.other_id) for e in edges(crm, "Contact", "k")}
    for owned in merged_edges.values():
        for e in owned:
            if e.other_label == "Contact" and e.other_id in ("k", "m", "m2"):
                continue
            assert (e.type, e.direction, e.other_label, e.other_id) in kept, e
    k = contacts.contacts.get(store=crm, tenant=T, record_id="k")
    assert (k.email, k.phone, k.city, k.title) == ("ada@acme.com", "+1 555 0100", "London", "CTO")
    assert k.other_emails == ["ada.l@acme.com", "ada@home.example"]
    assert k.custom["tier"] == "gold" and k.custom["src"] == "crm"
    assert [e["merge_id"] for e in k.custom["merged"]] == [result["merge_id"]]
    for gone in ("m", "m2"):
        with pytest.raises(NotFound):
            contacts.contacts.get(store=crm, tenant=T, record_id=gone)
    # the WORKS_AT stints that disagree stay separate; the same stint collapsed
    stints = sorted((e.other_id, e.props["title"]) for e in edges(crm, "Contact", "k") if e.type == "WORKS_AT")
    assert stints == [("a1", "CTO"), ("a1", "Intern"), ("a2", "Advisor")]

    undone = undo_merge(store=crm, tenant=T, merge_id=result["merge_id"])
    assert sorted(undone["restored"]) == ["m", "m2"] and undone["relationships_lost"] == []
    assert snapshot(crm) == before


def test_merge_refuses_a_cycle_and_writes_nothing(crm: LadybugStore) -> None:
    _link(crm, "REPORTS_TO", ("Contact", "boss"), ("Contact", "k"), source="explicit")  # m -> boss -> k
    before = snapshot(crm)
    plan = merge_records(store=crm, tenant=T, kind="contact", keep_id="k", merge_ids=["m"])
    assert plan["blocked"] and plan["conflicts"][-1]["kind"] == "cycle"
    with pytest.raises(CycleError):
        merge_records(store=crm, tenant=T, kind="contact", keep_id="k", merge_ids=["m"], dry_run=False)
    assert snapshot(crm) == before


def test_undo_after_the_kept_record_was_edited(crm: LadybugStore) -> None:
    result = merge_records(store=crm, tenant=T, kind="contact", keep_id="k", merge_ids=["m"], dry_run=False)
    base.update_node(store=crm, tenant=T, label="Contact", record_id="k", changes={"city": "Paris"})
    undo_merge(store=crm, tenant=T, merge_id=result["merge_id"])
    k = contacts.contacts.get(store=crm, tenant=T, record_id="k")
    assert k.phone is None and k.other_emails == [] and k.city == "Paris"  # merge undone, later edit kept
    assert "merged" not in k.custom and "tier" not in k.custom
    assert contacts.contacts.get(store=crm, tenant=T, record_id="m").phone == "+1 555 0100"


def test_undo_refuses_when_a_merged_id_came_back(crm: LadybugStore) -> None:
    result = merge_records(store=crm, tenant=T, kind="contact", keep_id="k", merge_ids=["m"], dry_run=False)
    base.upsert_nodes(store=crm, tenant=T, label="Contact", rows=[{"id": "m", "name": "Re-imported"}])
    with pytest.raises(Conflict):
        undo_merge(store=crm, tenant=T, merge_id=result["merge_id"])
    with pytest.raises(NotFound):
        undo_merge(store=crm, tenant=T, merge_id="0" * 32)


def test_two_merges_undone_in_any_order(crm: LadybugStore) -> None:
    before = snapshot(crm)
    first = merge_records(store=crm, tenant=T, kind="contact", keep_id="k", merge_ids=["m"], dry_run=False)
    second = merge_records(store=crm, tenant=T, kind="contact", keep_id="k", merge_ids=["m2"], dry_run=False)
    assert find_merge(store=crm, tenant=T, merge_id=first["merge_id"]) == ("Contact", "k")
    undo_merge(store=crm, tenant=T, merge_id=second["merge_id"])
    undo_merge(store=crm, tenant=T, merge_id=first["merge_id"])
    assert snapshot(crm) == before


def test_accounts_merge_moves_deals_and_people(crm: LadybugStore) -> None:
    _link(crm, "FOR_ACCOUNT", ("Deal", "d"), ("Account", "a2"))
    before = snapshot(crm)
    result = merge_records(store=crm, tenant=T, kind="account", keep_id="a1", merge_ids=["a2"], dry_run=False)
    assert result["relationships"]["moved"] == 2
    assert deals.deals.get(store=crm, tenant=T, record_id="d")
    assert {e.other_id for e in edges(crm, "Account", "a1") if e.type == "FOR_ACCOUNT"} == {"d"}
    assert accounts.accounts.get(store=crm, tenant=T, record_id="a1").name == "Acme"
    undo_merge(store=crm, tenant=T, merge_id=result["merge_id"])
    assert snapshot(crm) == before


def test_bad_requests(crm: LadybugStore) -> None:
    with pytest.raises(InvalidInput):
        merge_records(store=crm, tenant=T, kind="contact", keep_id="k", merge_ids=["k"])
    with pytest.raises(InvalidInput):
        merge_records(store=crm, tenant=T, kind="planet", keep_id="k", merge_ids=["m"])
    with pytest.raises(NotFound):
        merge_records(store=crm, tenant=T, kind="contact", keep_id="k", merge_ids=["nobody"], dry_run=False)
