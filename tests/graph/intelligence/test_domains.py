"""Accounts from email domains: the people of one company end up at one account."""

from __future__ import annotations

from graph.backends.embedded import LadybugStore
from graph.intelligence.domains import account_name, is_personal, link_domains, normalise_domain
from graph.model import AccountCreate, ContactCreate, Employment
from graph.repositories import contacts
from graph.repositories.accounts import accounts

T = "t"
EMPLOYERS = "MATCH (c:Contact)-[:WORKS_AT]->(a:Account) RETURN c.id AS cid, a.id AS a, a.name AS name"


def test_names_and_domains() -> None:
    assert normalise_domain("https://WWW.Acme-Corp.com/about") == "acme-corp.com"
    assert normalise_domain("not a domain") is None
    assert account_name("acme-corp.co.uk") == "Acme Corp" and account_name("enron.com") == "Enron"
    assert is_personal("gmail.com") and is_personal("houston.rr.com") and not is_personal("enron.com")


def test_contacts_join_the_account_of_their_domain_once(store: LadybugStore) -> None:
    accounts.create(store=store, tenant=T, data=AccountCreate(id="globex", name="Globex Corp", domain="www.Globex.com"))
    people = {
        "ann": "ann@acme.com",
        "bob": "bob@ACME.com",
        "cy": "cy@globex.com",
        "dee": "dee@gmail.com",
        "eve": "eve@ourco.com",
        "fay": "fay@acme.com",
    }
    for pid, email in people.items():
        contacts.contacts.create(store=store, tenant=T, data=ContactCreate(id=pid, name=pid.title(), email=email))
    contacts.put_at_account(store=store, tenant=T, contact_id="fay", job=Employment(account_id="globex"))
    report = link_domains(store, T, own_domains=["ourco.com"])
    assert (report.linked, report.accounts_created, report.accounts_matched) == (3, 1, 1)
    assert (report.skipped_free_mail, report.skipped_own) == (1, 1)
    got = {(r["cid"], r["a"], r["name"]) for r in store.read(T, EMPLOYERS)}
    assert got == {
        ("ann", "domain:acme.com", "Acme"),
        ("bob", "domain:acme.com", "Acme"),
        ("cy", "globex", "Globex Corp"),
        ("fay", "globex", "Globex Corp"),  # already employed: left where she is
    }
    again = link_domains(store, T, own_domains=["ourco.com"])
    assert again.linked == 0 and again.accounts_created == 0
