"""Roll-ups through the service: a tree deeper than the engine's 30-hop path cap, read directly and
through the cached account book, gives the same totals."""

from __future__ import annotations

from graph.backends.embedded import LadybugStore
from graph.intelligence.hierarchy import AccountBooks, hierarchy
from graph.model import AccountCreate, DealCreate
from graph.repositories import accounts, deals

T = "t"


def test_a_chain_deeper_than_the_path_cap_rolls_up_whole(store: LadybugStore) -> None:
    depth = 35
    for i in range(depth + 1):
        accounts.accounts.create(store=store, tenant=T, data=AccountCreate(id=f"a{i}", name=f"A{i}"))
        if i:
            accounts.set_parent(store=store, tenant=T, account_id=f"a{i}", parent_id=f"a{i - 1}")
    deals.deals.create(store=store, tenant=T, data=DealCreate(id="deep", name="Deep", amount=10.0))
    deals.set_account(store=store, tenant=T, deal_id="deep", account_id=f"a{depth}")
    direct = hierarchy(store=store, tenant=T, account_id="a0")
    assert direct["total"]["accounts"] == depth + 1
    assert direct["total"]["open_pipeline"] == 10.0
    books = AccountBooks()
    books.build_now(store, T)
    assert hierarchy(store=store, tenant=T, account_id="a0", books=books) == direct
    leaf = hierarchy(store=store, tenant=T, account_id=f"a{depth}", books=books)
    assert [a["id"] for a in leaf["ancestors"]][-1] == "a0" and len(leaf["ancestors"]) == depth


def test_seniority_comes_from_the_job_title_else_the_contact_title(store: LadybugStore) -> None:
    """Staff are counted from two queries (job title set / not set): a contact counts once, and
    as senior by the job's title where it has one, by their own title otherwise."""
    from graph.model import ContactCreate, Employment
    from graph.repositories import contacts

    accounts.accounts.create(store=store, tenant=T, data=AccountCreate(id="top", name="Top"))
    accounts.accounts.create(store=store, tenant=T, data=AccountCreate(id="sub", name="Sub"))
    accounts.set_parent(store=store, tenant=T, account_id="sub", parent_id="top")
    people = [
        ("vp-job", "Intern", "top", "VP Sales"),  # the job's title wins: senior
        ("cto-own", "CTO", "top", None),  # no job title: their own title, senior
        ("ic-job", "Chief Executive Officer", "sub", "Account Executive"),  # job title wins: not senior
        ("nobody", None, "sub", None),
    ]
    for cid, own, account, job in people:
        contacts.contacts.create(store=store, tenant=T, data=ContactCreate(id=cid, name=cid, title=own))
        contacts.put_at_account(store=store, tenant=T, contact_id=cid, job=Employment(account_id=account, title=job))
    direct = hierarchy(store=store, tenant=T, account_id="top")
    assert direct["total"]["contacts"] == 4
    assert direct["total"]["senior_contacts"] == 2
    books = AccountBooks()
    books.build_now(store, T)
    assert hierarchy(store=store, tenant=T, account_id="top", books=books) == direct
