"""Titles from email signatures; strength measured at the tenant's own time (archives keep structure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from graph.backends.embedded import LadybugStore
from graph.intelligence.knows import refresh_knows
from graph.intelligence.relationships import relationships
from graph.intelligence.signatures import _candidates, infer_titles
from graph.model import ContactCreate, InteractionRecord, Participant
from graph.repositories import contacts, interactions

SIGNED = "Thanks,\n\nMichelle Lokay\nAccount Director\nTransportation Services\n"


def test_candidates_need_the_senders_name_and_skip_quoted_parts() -> None:
    assert _candidates("Michelle Lokay", SIGNED) == ["Account Director"]
    assert _candidates("Someone Else", SIGNED) == []
    quoted = "ok\n-----Original Message-----\nMichelle Lokay\nVice President\n"
    assert _candidates("Michelle Lokay", quoted) == []
    assert _candidates("Michelle Lokay", "Michelle Lokay\nDirector\t\t3 - people") == []


def _email(store: LadybugStore, sender: str, to: str, body: str, when: datetime) -> None:
    interactions.record(
        store=store,
        tenant="t",
        data=InteractionRecord(
            kind="email",
            occurred_at=when,
            body=body,
            participants=[Participant(person_id=sender, role="from"), Participant(person_id=to, role="to")],
        ),
    )


def test_infer_titles_from_repeated_signatures_never_overwrites(store: LadybugStore) -> None:
    contacts.contacts.create(store=store, tenant="t", data=ContactCreate(id="ml", name="Michelle Lokay"))
    contacts.contacts.create(store=store, tenant="t", data=ContactCreate(id="x", name="Xavier", title="CFO"))
    when = datetime(2001, 5, 1, tzinfo=UTC)
    for i in range(3):
        _email(store, "ml", "x", SIGNED, when + timedelta(days=i))
        _email(store, "x", "ml", "Xavier\nVice President\n", when + timedelta(days=i))
    report = infer_titles(store, "t")
    assert report.titles_found == {"ml": "Account Director"}
    got = contacts.contacts.get(store=store, tenant="t", record_id="ml")
    assert got.title == "Account Director" and "email signature" in got.custom["title_source"]
    assert contacts.contacts.get(store=store, tenant="t", record_id="x").title == "CFO"


def test_archived_mail_keeps_its_relationships(store: LadybugStore) -> None:
    """A 2001 mailbox measured at today's date would decay to nothing; it is measured at its own end."""
    contacts.contacts.create(store=store, tenant="t", data=ContactCreate(id="a", name="A"))
    contacts.contacts.create(store=store, tenant="t", data=ContactCreate(id="b", name="B"))
    contacts.contacts.create(store=store, tenant="t", data=ContactCreate(id="c", name="C"))
    when = datetime(2001, 5, 1, tzinfo=UTC)
    for i in range(6):
        _email(store, "a", "b", "hi", when + timedelta(days=i))
        _email(store, "b", "a", "hi", when + timedelta(days=i, hours=1))
    _email(store, "a", "c", "hi", when - timedelta(days=200))
    refresh_knows(store, "t")
    rels = relationships(store=store, tenant="t", label="Contact", person_id="a", limit=5)
    assert [r["id"] for r in rels] == ["b", "c"]
    assert rels[0]["strength"] > 0.3 > rels[1]["strength"] > 0
