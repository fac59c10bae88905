"""Roll-ups through the service: a tree deeper than the engine's 30-hop path cap, read directly and
through the cached account book, gives the same totals."""

from __future__ import annotations

from graph.backends.embedded import LadybugStore
from graph.intelligence.hierarchy import AccountBooks, hierarchy
from graph.model import AccountCreate, DealCreate, DealUpdate
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


def _tree_with_a_deal(store: LadybugStore) -> None:
    from graph.model import ContactCreate, Employment
    from graph.repositories import contacts

    accounts.accounts.create(store=store, tenant=T, data=AccountCreate(id="top", name="Top"))
    accounts.accounts.create(store=store, tenant=T, data=AccountCreate(id="sub", name="Sub"))
    accounts.set_parent(store=store, tenant=T, account_id="sub", parent_id="top")
    deals.deals.create(store=store, tenant=T, data=DealCreate(id="d", name="D", amount=10.0))
    deals.set_account(store=store, tenant=T, deal_id="d", account_id="sub")
    contacts.contacts.create(store=store, tenant=T, data=ContactCreate(id="c1", name="C1", title="CEO"))
    contacts.put_at_account(store=store, tenant=T, contact_id="c1", job=Employment(account_id="top"))


def _hire(store: LadybugStore, cid: str) -> None:
    from graph.model import ContactCreate, Employment
    from graph.repositories import contacts

    contacts.contacts.create(store=store, tenant=T, data=ContactCreate(id=cid, name=cid, title="VP Sales"))
    contacts.put_at_account(store=store, tenant=T, contact_id=cid, job=Employment(account_id="sub"))


def test_only_the_stale_parts_are_read_again(store: LadybugStore) -> None:
    """A deal write marks the deals stale: the roll-up re-reads them for the subtree and serves the
    staff from the book (a hire nobody reported stays unseen until its part moves)."""
    from graph.intelligence.hierarchy import PARTS

    versions = dict.fromkeys(PARTS, 0)
    books = AccountBooks(versions=lambda tenant: dict(versions))
    _tree_with_a_deal(store)
    books.build_now(store, T)
    deals.deals.update(store=store, tenant=T, record_id="d", data=DealUpdate(amount=25.0))
    _hire(store, "unreported")
    versions["deals"] += 1
    seen = hierarchy(store=store, tenant=T, account_id="top", books=books)
    assert seen["total"]["open_pipeline"] == 25.0 and seen["total"]["contacts"] == 1
    books.join()
    assert hierarchy(store=store, tenant=T, account_id="top", books=books) == seen
    versions["staff"] += 1
    assert hierarchy(store=store, tenant=T, account_id="top", books=books) == hierarchy(
        store=store, tenant=T, account_id="top"
    )
    books.join()  # before the store closes


def test_a_partial_rebuild_leaves_the_parts_it_did_not_read_stale(store: LadybugStore) -> None:
    """A write that lands while the book re-reads other parts is not lost."""
    from graph.intelligence.hierarchy import PARTS

    versions = dict.fromkeys(PARTS, 0)
    books = AccountBooks(versions=lambda tenant: dict(versions))
    _tree_with_a_deal(store)
    books.build_now(store, T)
    versions["deals"] += 1
    _hire(store, "late")
    versions["staff"] += 1  # during the rebuild of the deals
    books.build_now(store, T, frozenset({"deals"}))
    cached = books.current(T)
    books.join()
    assert cached is not None and cached.stale == {"staff"}
    assert hierarchy(store=store, tenant=T, account_id="top", books=books)["total"]["contacts"] == 2
    books.join()  # before the store closes


def test_an_old_book_is_not_served(store: LadybugStore) -> None:
    """Writes from other processes move no counter: after ``ttl_s`` the subtree is read directly."""
    books = AccountBooks(ttl_s=0.0)
    _tree_with_a_deal(store)
    books.build_now(store, T)
    _hire(store, "elsewhere")
    assert books.current(T) is None
    books.join()
    assert hierarchy(store=store, tenant=T, account_id="top", books=books)["total"]["contacts"] == 2
    books.join()  # before the store closes


def test_subtree_coverage_counts_as_the_tenant_query(store: LadybugStore) -> None:
    """The subtree reads coverage from the reps' end, the tenant book from the staff's: the same
    counts, with a contact known to two reps, one who left, one in two accounts, one outside."""
    from datetime import date

    from graph.intelligence.hierarchy import read_book
    from graph.model import ContactCreate, Employment, RepCreate
    from graph.repositories import contacts, reps

    _tree_with_a_deal(store)
    accounts.accounts.create(store=store, tenant=T, data=AccountCreate(id="out", name="Outside"))
    jobs = {
        "c1": [Employment(account_id="top")],  # CEO, known to two reps
        "vp": [Employment(account_id="sub", title="VP Sales"), Employment(account_id="top", title="Director")],
        "gone": [Employment(account_id="sub", title="CTO", until=date(2020, 1, 1))],
        "own": [Employment(account_id="sub")],  # no job title: their own (CFO)
        "far": [Employment(account_id="out", title="CEO")],
        "weak": [Employment(account_id="sub", title="COO")],
    }
    for cid, employments in jobs.items():
        if cid != "c1":
            title = "CFO" if cid == "own" else None
            contacts.contacts.create(store=store, tenant=T, data=ContactCreate(id=cid, name=cid, title=title))
        for job in employments:
            contacts.put_at_account(store=store, tenant=T, contact_id=cid, job=job)
    for rid in ("r1", "r2"):
        reps.reps.create(store=store, tenant=T, data=RepCreate(id=rid, name=rid))
    knows = [("c1", "r1", 0.9), ("c1", "r2", 0.8), ("vp", "r1", 0.5), ("gone", "r1", 0.9), ("own", "r2", 0.4)]
    knows += [("far", "r1", 0.9), ("weak", "r2", 0.1)]
    for cid, rid, strength in knows:
        store.write(
            T,
            "MATCH (c:Contact {uid: $c}), (r:Rep {uid: $r}) CREATE (r)-[:KNOWS {strength: $s}]->(c)",
            {"c": f"{T}/{cid}", "r": f"{T}/{rid}", "s": strength},
        )
    subtree_counts = read_book(store, T, "top", {"coverage"}).covered
    tenant_counts = read_book(store, T, None, {"coverage"}).covered
    assert subtree_counts == {"top": 2, "sub": 2}  # top: CEO + VP's director job; sub: VP + CFO
    assert tenant_counts == {**subtree_counts, "out": 1}


def test_a_book_past_half_its_life_is_rebuilt_ahead(store: LadybugStore) -> None:
    """A busy tenant keeps a book: past half its time to live it is served and rebuilt behind."""
    import time

    books = AccountBooks(ttl_s=2.0)
    _tree_with_a_deal(store)
    books.build_now(store, T)
    _hire(store, "unreported")  # a write from another process: no counter moves
    assert hierarchy(store=store, tenant=T, account_id="top", books=books)["total"]["contacts"] == 1
    books.join()
    time.sleep(1.0)
    assert hierarchy(store=store, tenant=T, account_id="top", books=books)["total"]["contacts"] == 1  # aging
    books.join()
    cached = books.current(T)
    assert cached is not None and not cached.aging
    assert hierarchy(store=store, tenant=T, account_id="top", books=books)["total"]["contacts"] == 2
