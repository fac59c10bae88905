"""Roll-ups through the service: a tree deeper than the engine's 30-hop path cap, read directly and
through the cached account book, gives the same totals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


def _move(store: LadybugStore, cid: str, to: str, *, leaving: str) -> None:
    """End the contact's job at ``leaving`` and give them one at ``to``."""
    from datetime import date

    from graph.model import Employment
    from graph.repositories import contacts

    job = Employment(account_id=leaving, until=date(2026, 1, 1))
    contacts.put_at_account(store=store, tenant=T, contact_id=cid, job=job)
    contacts.put_at_account(store=store, tenant=T, contact_id=cid, job=Employment(account_id=to, title="CFO"))


class _Log:
    """Part counters and the scope of each move, as ``IntelligenceSync`` keeps them."""

    def __init__(self) -> None:
        from graph.intelligence.hierarchy import PARTS

        self.versions = dict.fromkeys(PARTS, 0)
        self.scopes: dict[tuple[str, int], Any] = {}

    def bump(self, parts: set[str], scope: Any) -> None:
        for part in parts:
            self.versions[part] += 1
            self.scopes[part, self.versions[part]] = scope

    def since(self, tenant: str, part: str, since: int, upto: int) -> Any:
        from graph.intelligence.hierarchy import WriteScope

        found = WriteScope()
        for v in range(since + 1, upto + 1):
            if self.scopes.get((part, v)) is None:
                return None
            found = found | self.scopes[part, v]
        return found

    def books(self) -> AccountBooks:
        return AccountBooks(lambda tenant: dict(self.versions), None, scopes=self.since)


PEOPLE = {"staff", "coverage", "touch"}


def test_a_write_of_known_people_is_read_for_their_accounts_and_kept(store: LadybugStore) -> None:
    """A job change names its contact: the roll-up re-reads the accounts they work or worked at,
    answers as a read from scratch, keeps the patch (nothing stale, no background rebuild) and
    leaves the other accounts' figures as they were."""
    from graph.intelligence.hierarchy import WriteScope

    log = _Log()
    books = log.books()
    _tree_with_a_deal(store)
    _hire(store, "mover")
    accounts.accounts.create(store=store, tenant=T, data=AccountCreate(id="other", name="Other"))
    books.build_now(store, T)
    _move(store, "mover", "top", leaving="sub")
    log.bump(PEOPLE, WriteScope(contacts=frozenset({"mover"})))
    cached = books.current(T)
    assert cached is not None and set(cached.scoped) == PEOPLE and not cached.stale
    seen = hierarchy(store=store, tenant=T, account_id="top", books=books)
    assert seen == hierarchy(store=store, tenant=T, account_id="top")
    assert seen["tree"]["own"]["contacts"] == 2 and seen["tree"]["children"][0]["own"]["contacts"] == 0
    after = books.current(T)
    assert after is not None and not after.scoped and not after.stale
    assert after.book.names == cached.book.names and after.book.deals is cached.book.deals
    books.join()  # before the store closes


def test_a_write_that_names_nobody_reads_the_subtree(store: LadybugStore) -> None:
    """Among scoped moves one that names nobody (a batch upsert, say) makes the part unscoped."""
    from graph.intelligence.hierarchy import WriteScope

    log = _Log()
    books = log.books()
    _tree_with_a_deal(store)
    books.build_now(store, T)
    _hire(store, "named")
    log.bump(PEOPLE, WriteScope(contacts=frozenset({"named"})))
    _hire(store, "batch")
    log.bump({"staff", "coverage"}, None)
    cached = books.current(T)
    assert cached is not None and set(cached.scoped) == {"touch"} and cached.stale == {"staff", "coverage"}
    assert hierarchy(store=store, tenant=T, account_id="top", books=books)["total"]["contacts"] == 3
    books.join()


def test_a_read_for_accounts_counts_as_the_tenant_read(store: LadybugStore) -> None:
    """Every part read for a few accounts gives those accounts' figures of the tenant's book."""
    from datetime import UTC, datetime

    from graph.intelligence.hierarchy import PARTS, read_book
    from graph.model import InteractionRecord, Participant
    from graph.repositories import interactions

    _tree_with_a_deal(store)
    _hire(store, "vp")
    meeting = InteractionRecord(
        kind="meeting",
        occurred_at=datetime(2026, 11, 1, 10, tzinfo=UTC),
        participants=[Participant(person_id="vp", kind="contact", role="attendee")],
    )
    interactions.record(store=store, tenant=T, data=meeting)
    whole = read_book(store, T)
    few = read_book(store, T, parts=PARTS - {"accounts"}, accounts={"sub", "nowhere"})
    assert few.staff == {"sub": whole.staff["sub"]} and few.deals == {"sub": whole.deals["sub"]}
    assert few.touched == {"sub": whole.touched["sub"]} and few.covered == {}


def test_a_book_lasts_until_another_store_writes_the_tenant(store: LadybugStore, tmp_path: Path) -> None:
    """With no time limit, a book outlives this store closing and reopening the tenant, and is
    dropped once another store (another process) has written to it meanwhile."""
    books = AccountBooks(None, None, epoch=store.opened)
    _tree_with_a_deal(store)
    books.build_now(store, T)
    store.close()
    assert books.current(T) is not None  # reopened: nobody else wrote
    store.close()
    other = LadybugStore(tmp_path / "data", buffer_pool_mb=64)
    accounts.accounts.create(store=other, tenant=T, data=AccountCreate(id="new", name="New"))
    other.close()
    assert books.current(T) is None
    books.build_now(store, T)
    cached = books.current(T)
    assert cached is not None and "new" in cached.book.names


def test_books_warmed_at_start_are_served(store: LadybugStore) -> None:
    books = AccountBooks(None, None)
    _tree_with_a_deal(store)
    books.warm(store, lambda: [T])
    books.join()
    cached = books.current(T)
    assert cached is not None and cached.book.deals == {"sub": (10.0, 0.0)}


def test_the_least_recently_used_book_goes_first(store: LadybugStore) -> None:
    books = AccountBooks(None, None, max_books=2)
    for tenant in ("t1", "t2", "t3"):
        accounts.accounts.create(store=store, tenant=tenant, data=AccountCreate(id="a", name="A"))
    books.build_now(store, "t1")
    books.build_now(store, "t2")
    assert books.current("t1") is not None  # t1 used: t2 is now the oldest
    books.build_now(store, "t3")
    assert books.current("t2") is None
    assert books.current("t1") is not None and books.current("t3") is not None


def test_a_closed_set_of_books_warms_nothing(store: LadybugStore) -> None:
    """Shutting down stops the start-up builds between tenants (the store closes next)."""
    books = AccountBooks(None, None)
    _tree_with_a_deal(store)
    books.close()
    books.warm(store, lambda: [T])
    books.join()
    assert books.current(T) is None
