"""Export a tenant to JSON lines and restore it under another name: same records, same links."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest

from graph.backends.embedded import LadybugStore
from graph.backup import export_tenant, restore_tenant
from graph.errors import Conflict, InvalidInput
from graph.model import AccountCreate, ContactCreate, Employment, InteractionRecord, Participant, RepCreate
from graph.repositories import accounts, contacts, interactions, reps


def _fill(store: LadybugStore, tenant: str) -> None:
    accounts.accounts.create(store=store, tenant=tenant, data=AccountCreate(id="acme", name="Acme", employees=10))
    accounts.accounts.create(store=store, tenant=tenant, data=AccountCreate(id="sub", name="Sub"))
    accounts.set_parent(store=store, tenant=tenant, account_id="sub", parent_id="acme")
    contacts.contacts.create(
        store=store,
        tenant=tenant,
        data=ContactCreate(id="ada", name="Ada Núñez", other_emails=["a@x.io"], custom={"k": [1]}),
    )
    contacts.contacts.create(store=store, tenant=tenant, data=ContactCreate(id="bob", name="Bob"))
    contacts.put_at_account(
        store=store,
        tenant=tenant,
        contact_id="ada",
        job=Employment(account_id="acme", title="CTO", since=date(2020, 2, 1)),
    )
    contacts.set_manager(store=store, tenant=tenant, contact_id="bob", manager_id="ada")
    reps.reps.create(store=store, tenant=tenant, data=RepCreate(id="rae", name="Rae"))
    interactions.record(
        store=store,
        tenant=tenant,
        data=InteractionRecord(
            id="m1",
            kind="meeting",
            occurred_at=datetime(2026, 5, 4, 10, tzinfo=UTC),
            participants=[
                Participant(person_id="rae", kind="rep", role="organizer"),
                Participant(person_id="ada", role="attendee"),
            ],
        ),
    )


def test_export_restore_roundtrip(store: LadybugStore) -> None:
    _fill(store, "src")
    buf = io.StringIO()
    exported = export_tenant(store, "src", buf)
    assert exported.nodes == {"Account": 2, "Contact": 2, "Rep": 1, "Interaction": 1}
    buf.seek(0)
    restored = restore_tenant(store, "copy", buf)
    assert restored.rels == exported.rels
    ada = contacts.contacts.get(store=store, tenant="copy", record_id="ada")
    assert (ada.name, ada.other_emails, ada.custom) == ("Ada Núñez", ["a@x.io"], {"k": [1]})
    assert ada.created_at == contacts.contacts.get(store=store, tenant="src", record_id="ada").created_at
    assert contacts.get_manager(store=store, tenant="copy", contact_id="bob")["id"] == "ada"  # type: ignore[index]
    assert accounts.get_parent(store=store, tenant="copy", account_id="sub") == {"id": "acme", "name": "Acme"}
    (job,) = contacts.employments(store=store, tenant="copy", contact_id="ada")
    assert (job.title, job.since) == ("CTO", date(2020, 2, 1))
    people = interactions.participants(store=store, tenant="copy", interaction_id="m1")
    assert {p["person_id"] for p in people} == {"rae", "ada"}


def test_restore_refuses_a_tenant_with_data(store: LadybugStore) -> None:
    _fill(store, "src")
    buf = io.StringIO()
    export_tenant(store, "src", buf)
    buf.seek(0)
    with pytest.raises(Conflict):
        restore_tenant(store, "src", buf)


def test_restore_rejects_garbage_with_line_number(store: LadybugStore) -> None:
    with pytest.raises(InvalidInput, match="line 2"):
        restore_tenant(store, "fresh", io.StringIO('{"node": "Account", "props": {"id": "a", "name": "A"}}\n{oops\n'))
    with pytest.raises(InvalidInput, match="unknown label"):
        restore_tenant(store, "fresh2", io.StringIO('{"node": "Robot", "props": {"id": "a"}}\n'))
