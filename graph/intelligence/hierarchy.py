"""Account hierarchies: ancestors and the whole subtree of any depth, with roll-ups per node and
in total: open pipeline, won revenue, contacts, coverage (share of senior contacts with a strong
relationship to any of our reps) and last interaction.

Each account's own figures are aggregated by the engine, per account, over a scope of accounts: the
whole tenant (an ``AccountBook``, cached per tenant by ``AccountBooks``) or the subtree under the
requested account. With a current book a roll-up is a walk over in-memory figures (milliseconds for
a 1,000-account tree).

A book is made of parts (``PARTS``: accounts, deals, staff, coverage, last touch), each read by its
own queries, and a write makes only some of them stale (``STALE_AFTER``: a deal write, the deals).
Right after a write the stale parts are read for the requested subtree, the rest comes from the
book (correct at once), and the book re-reads those parts for the whole tenant in the background.
Where the write says which people it changed (a ``WriteScope``: a contact's job or title, a contact
created or deleted, an interaction's contacts, the contacts whose rep relationships a KNOWS refresh
rewrote), only the accounts those people work or worked at are read again, and the book is patched
with them at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final, NamedTuple

import pandas as pd

from graph import schema
from graph.analytics.hierarchy import AccountMetrics, RollupNode, ancestors, children_index, subtree
from graph.analytics.titles import parse_title
from graph.intelligence.cache import Background
from graph.repositories import base, contacts
from graph.store import GraphStore

logger = logging.getLogger(__name__)

FOREST: Final = (
    "MATCH (c:Account)-[:SUBSIDIARY_OF]->(p:Account) WHERE c.tenant = $tenant RETURN c.id AS child, p.id AS parent"
)
# Scopes: every account of the tenant, or the subtree under $root. The engine stops variable-length
# patterns at 30 hops, so deeper subtrees use the tenant scope (``MAX_SCOPE_DEPTH``).
TENANT_SCOPE: Final = "MATCH (a:Account) WHERE a.tenant = $tenant"
SUBTREE_SCOPE: Final = "MATCH (r:Account {uid: $root})<-[:SUBSIDIARY_OF*0..29]-(a:Account) WITH DISTINCT a"
MAX_SCOPE_DEPTH: Final = 29
# A WITH between the two MATCH clauses: a single multi-hop MATCH can drop rows on Ladybug (ENGINES.md).
NAMES: Final = "{scope} RETURN a.id AS id, a.name AS name"
DEALS: Final = (
    "{scope} MATCH (d:Deal)-[:FOR_ACCOUNT]->(a) RETURN a.id AS account, d.status AS status, sum(d.amount) AS amount"
)
# Staff by the job's title, then, only where some job has none, by the contact's own title. Not
# one query with coalesce(w.title, c.title): Ladybug reads a node property of scattered contacts
# slowly (~10 us each, 20k contacts under a 1,000-account tree) and reads it for every row even
# where the job's own title is set, which importers usually set.
STAFF: Final = (
    "{scope} MATCH (c:Contact)-[w:WORKS_AT]->(a) WHERE w.until IS NULL RETURN a.id AS account, w.title AS title, "
    "count(*) AS n"
)
STAFF_UNTITLED: Final = (
    "{scope} MATCH (c:Contact)-[w:WORKS_AT]->(a) WHERE w.until IS NULL AND w.title IS NULL "
    "RETURN a.id AS account, c.title AS title, count(*) AS n"
)
COVERED: Final = (
    "{scope} MATCH (c:Contact)-[w:WORKS_AT]->(a) WHERE w.until IS NULL WITH a, c, coalesce(w.title, c.title) AS title "
    "MATCH (c)-[k:KNOWS]-(:Rep) WHERE k.strength >= $threshold RETURN a.id AS account, title, count(DISTINCT c) AS n"
)
# The same for a subtree, from the other end: the tenant's strong rep relationships are few next to
# the subtree's staff (~1,800 against 20,000 under a 1,000-account tree), 52 -> 38 ms (runs
# alternated, quiet machine). For the whole tenant the first form is faster (143 against 363 ms).
COVERED_IN_SUBTREE: Final = (
    "MATCH (r:Rep)-[k:KNOWS]-(c:Contact) WHERE r.tenant = $tenant AND k.strength >= $threshold WITH DISTINCT c "
    "MATCH (c)-[w:WORKS_AT]->(a:Account) WHERE w.until IS NULL WITH a, c, w "
    "MATCH (:Account {{uid: $root}})<-[:SUBSIDIARY_OF*0..29]-(a) "
    "WITH DISTINCT a, c, coalesce(w.title, c.title) AS title RETURN a.id AS account, title, count(*) AS n"
)
LAST_TOUCH: Final = (
    "{scope} MATCH (c:Contact)-[w:WORKS_AT]->(a) WHERE w.until IS NULL WITH a, c "
    "MATCH (c)-[:PARTICIPATED_IN]->(i:Interaction) RETURN a.id AS account, max(i.occurred_at) AS last"
)
NAMES_OF: Final = "UNWIND $uids AS u MATCH (a:Account {uid: u}) RETURN a.id AS id, a.name AS name"
# A few accounts named by id. Not ``UNWIND $uids ... {uid: u}``: Ladybug plans the joins after an
# UNWIND badly (deals of 2 accounts 78 ms against 2.4 ms, last touch 7.4 against 3.0; 1M nodes).
ACCOUNTS_SCOPE: Final = "MATCH (a:Account) WHERE a.tenant = $tenant AND a.id IN $ids"
SENIOR_LEVEL: Final = 3  # director and above
_READERS: Final = ThreadPoolExecutor(max_workers=2, thread_name_prefix="rollup-read")

# The parts of a book and the ``AccountBook`` fields each fills (the forest is read with "accounts");
# ``read_book`` says which queries read each.
_FIELDS: Final = {
    "accounts": ("names",),
    "deals": ("deals",),
    "staff": ("staff",),
    "coverage": ("covered",),
    "touch": ("touched",),
}
PARTS: Final = frozenset(_FIELDS)
# The parts a ``WriteScope`` can narrow to its accounts (the forest is the tenant's, read whole).
SCOPABLE: Final = PARTS - {"accounts"}
# Past this many people changed since a book was read, its stale parts are read for the whole
# subtree instead (one query per person to find their accounts).
MAX_SCOPED_CONTACTS: Final = 16
# Which parts a write to a record of each label can make stale. Deleting an account is "everything"
# (its id may come back and must not inherit its old figures); a label not listed: everything.
STALE_AFTER: Final[Mapping[str, frozenset[str]]] = {
    "Account": frozenset({"accounts"}),
    "Deal": frozenset({"deals"}),
    "Product": frozenset({"deals"}),
    "Contact": frozenset({"staff", "coverage", "touch"}),
    "Interaction": frozenset({"touch"}),  # and "coverage" once KNOWS is refreshed from it (sync.py)
    "Rep": frozenset({"coverage"}),
}


def stale_after(labels: Iterable[str]) -> frozenset[str]:
    """The parts that writes to records of these labels can make stale."""
    parts: frozenset[str] = frozenset()
    for label in labels:
        parts |= STALE_AFTER.get(label, PARTS)
    return parts


@dataclass(frozen=True)
class WriteScope:
    """What a write changed, where it knows: the contacts whose jobs, title, interactions or rep
    relationships changed, and accounts named outright (a job removed, a contact deleted: their
    lines are gone after the write). Only these accounts' figures can have moved."""

    contacts: frozenset[str] = frozenset()
    accounts: frozenset[str] = frozenset()

    def __or__(self, other: WriteScope) -> WriteScope:
        return WriteScope(self.contacts | other.contacts, self.accounts | other.accounts)


class _Inline(Executor):
    """Runs each call in the caller's thread."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        done: Future[Any] = Future()
        try:
            done.set_result(fn(*args, **kwargs))
        except Exception as exc:  # raised from result(), as a pool would
            done.set_exception(exc)
        return done


_INLINE: Final = _Inline()
STRONG: Final = 0.3


@dataclass(frozen=True)
class AccountBook:
    """Own figures and names of a set of accounts, by part (a part not read is empty)."""

    names: dict[str, str | None] = field(default_factory=dict)
    deals: dict[str, tuple[float, float]] = field(default_factory=dict)  # (open pipeline, won revenue)
    staff: dict[str, tuple[int, int]] = field(default_factory=dict)  # (contacts, senior contacts)
    covered: dict[str, int] = field(default_factory=dict)  # senior contacts with a strong relationship
    touched: dict[str, datetime] = field(default_factory=dict)  # last interaction

    @property
    def metrics(self) -> Mapping[str, AccountMetrics]:
        return _Metrics(self)

    def patched(self, fresh: AccountBook, parts: Iterable[str]) -> AccountBook:
        """This book with ``parts`` taken from ``fresh`` (read over the same accounts or fewer)."""
        fields = {f for part in parts for f in _FIELDS[part]}
        return replace(self, **{f: getattr(fresh, f) for f in fields})

    def patched_accounts(self, fresh: AccountBook, parts: Iterable[str], accounts: Collection[str]) -> AccountBook:
        """This book with the figures of ``accounts`` in ``parts`` taken from ``fresh`` (read over
        those accounts): an account ``fresh`` has no figure for has none any more."""
        changes: dict[str, dict[str, Any]] = {}
        for f in {f for part in parts for f in _FIELDS[part]}:
            figures = dict(getattr(self, f))  # a copy: other requests may hold this book
            for account in accounts:
                figures.pop(account, None)
            figures.update(getattr(fresh, f))
            changes[f] = figures
        return replace(self, **changes)


class _Metrics(Mapping[str, AccountMetrics]):
    """Each account's figures, assembled from the parts on lookup: a roll-up reads the ~1,000
    accounts of its subtree, not the tenant's 20,000."""

    def __init__(self, book: AccountBook) -> None:
        self._book = book

    def __getitem__(self, account: str) -> AccountMetrics:
        b = self._book
        if account not in b.names:
            raise KeyError(account)
        pipeline, won = b.deals.get(account, (0.0, 0.0))
        contacts, senior = b.staff.get(account, (0, 0))
        return AccountMetrics(pipeline, won, contacts, senior, b.covered.get(account, 0), b.touched.get(account))

    def __iter__(self) -> Iterator[str]:
        return iter(self._book.names)

    def __len__(self) -> int:
        return len(self._book.names)


def read_book(
    store: GraphStore,
    tenant: str,
    root: str | None = None,
    parts: Iterable[str] = PARTS,
    accounts: Collection[str] | None = None,
) -> AccountBook:
    """``parts`` of the book of every account of the tenant (``root`` and ``accounts`` None), of
    the subtree under ``root``, or of ``accounts``."""
    if accounts is not None:
        scope, params = ACCOUNTS_SCOPE, {"tenant": tenant, "ids": sorted(accounts)}
    elif root is not None:
        scope, params = SUBTREE_SCOPE, {"root": schema.uid(tenant, root)}
    else:
        scope, params = TENANT_SCOPE, {"tenant": tenant}
    wanted = frozenset(parts)
    tenant_wide = root is None and accounts is None

    # A subtree is read for a request: its queries run two at a time, slowest first (the engine
    # releases the GIL; 10-20% off the 1,000-account tree on a quiet machine). The whole tenant is
    # a background build, read in its own thread so that it never holds up a request's reads.
    pool: Executor = _INLINE if tenant_wide else _READERS

    def read(part: str, query: str, **extra: Any) -> Future[pd.DataFrame] | None:
        if part not in wanted:
            return None
        return pool.submit(store.read_frame, tenant, query.format(scope=scope), {**params, **extra})

    # From the reps' end only for a subtree: for the whole tenant, or a few accounts, staff first.
    by_reps = root is not None and accounts is None
    covered = read("coverage", COVERED_IN_SUBTREE if by_reps else COVERED, threshold=STRONG, tenant=tenant)
    touched = read("touch", LAST_TOUCH)
    staff = read("staff", STAFF)
    deals, named = read("deals", DEALS), read("accounts", NAMES)
    return AccountBook(
        names=_named(named),
        deals=_deals(deals),
        staff=_staff(staff, lambda: store.read_frame(tenant, STAFF_UNTITLED.format(scope=scope), params)),
        covered=_covered(covered),
        touched=_touched(touched),
    )


def _named(named: Future[pd.DataFrame] | None) -> dict[str, str | None]:
    if named is None:
        return {}
    return {str(i): (n if isinstance(n, str) else None) for i, n in named.result().itertuples(index=False)}


def _deals(deals: Future[pd.DataFrame] | None) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    if deals is None:
        return out
    for account, status, amount in deals.result().itertuples(index=False):
        if pd.isna(amount) or str(status) not in ("open", "won"):
            continue
        pipeline, won = out.get(account, (0.0, 0.0))
        out[account] = (pipeline + float(amount), won) if status == "open" else (pipeline, won + float(amount))
    return out


def _staff(jobs: Future[pd.DataFrame] | None, untitled: Callable[[], pd.DataFrame]) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    if jobs is None:
        return out
    frame = jobs.result()
    titled = frame["title"].notna()
    frames = [frame[titled]] if titled.all() else [frame[titled], untitled()]
    for part in frames:
        for account, title, n in part.itertuples(index=False):
            contacts, senior = out.get(account, (0, 0))
            out[account] = (contacts + int(n), senior + (int(n) if _senior(title) else 0))
    return out


def _covered(covered: Future[pd.DataFrame] | None) -> dict[str, int]:
    out: dict[str, int] = {}
    if covered is None:
        return out
    for account, title, n in covered.result().itertuples(index=False):
        if _senior(title):
            out[account] = out.get(account, 0) + int(n)
    return out


def _touched(touched: Future[pd.DataFrame] | None) -> dict[str, datetime]:
    if touched is None:
        return {}
    return {a: last.to_pydatetime() for a, last in touched.result().itertuples(index=False) if not pd.isna(last)}


def _senior(title: Any) -> bool:
    return isinstance(title, str) and bool(title) and parse_title(title).level >= SENIOR_LEVEL


class Forest(NamedTuple):
    parent_of: dict[str, str]
    children: dict[str, list[str]]  # built once per read: ~4 ms for 12k links, per request otherwise


class Cached(NamedTuple):
    forest: Forest
    book: AccountBook
    stale: frozenset[str]  # parts that writes have made stale since they were read, by unknown records
    aging: bool = False  # past half its time to live: rebuilt ahead, so that a busy tenant never
    # meets an expired book (and the slow read of every part) once a minute
    scoped: Mapping[str, WriteScope] = {}  # parts stale by writes whose records are known, and those
    versions: Mapping[str, int] = {}  # the part counters this was judged against


Versions = Callable[[str], Mapping[str, int]]
# (tenant, part, since, upto): what the writes that moved ``part`` from ``since`` to ``upto``
# changed, or None where some of them did not say (``IntelligenceSync.scope_since``).
Scopes = Callable[[str, str, int, int], WriteScope | None]


class _Entry(NamedTuple):
    read_at: dict[str, int]  # each part's counter when it was read
    born: float
    epoch: object  # the store's ``opened`` count when read (None: no such count)
    forest: Forest
    book: AccountBook


class AccountBooks:
    """One ``AccountBook`` (+ the forest) per tenant. Each part is current while its counter in
    ``versions(tenant)`` has not moved (writes through the API move the counters of the parts they
    can change, see ``STALE_AFTER``). Writes from other processes: on a ``SoleWriter`` store (the
    embedded one) there are none while the store's ``opened`` count stands, and a book lasts until
    it moves (``ttl_s`` None); elsewhere (Neo4j) a book lasts at most ``ttl_s``.

    Parts stale by writes of known people (``scopes``) are patched by the request for their accounts
    (``patch``); other stale parts are re-read in one background thread per tenant (``catch_up``);
    a request never waits for that."""

    def __init__(
        self,
        versions: Versions | None = None,
        ttl_s: float | None = 60.0,
        *,
        scopes: Scopes | None = None,
        epoch: Callable[[str], object] | None = None,
        max_books: int = 64,
    ) -> None:
        self._versions = versions or (lambda tenant: {})
        self._scopes = scopes or (lambda tenant, part, since, upto: None)
        self._epoch = epoch or (lambda tenant: None)
        self.ttl_s = ttl_s
        self.max_books = max_books  # tenants, least recently used first out (14.5 MB for 20k accounts)
        self._books: OrderedDict[str, _Entry] = OrderedDict()
        self._builds = Background("account book build")
        self._closing = False
        self._lock = threading.Lock()

    def _expired(self, entry: _Entry, tenant: str) -> bool:
        if self.ttl_s is not None and time.monotonic() - entry.born >= self.ttl_s:
            return True
        return entry.epoch != self._epoch(tenant)

    def current(self, tenant: str) -> Cached | None:
        """The tenant's forest and book with its stale parts, or None when there is no book (or it
        is too old). Call ``catch_up`` once the request has read what it needs."""
        now = self._versions(tenant)
        with self._lock:
            hit = self._books.get(tenant)
            if hit is not None:
                self._books.move_to_end(tenant)
        if hit is None or self._expired(hit, tenant):
            return None
        stale = {p for p in PARTS if now.get(p, 0) != hit.read_at.get(p, 0)}
        scoped = {}
        for part in stale & SCOPABLE:
            scope = self._scopes(tenant, part, hit.read_at.get(part, 0), now.get(part, 0))
            if scope is not None and len(scope.contacts) <= MAX_SCOPED_CONTACTS:
                scoped[part] = scope
        aging = self.ttl_s is not None and time.monotonic() - hit.born >= self.ttl_s / 2
        return Cached(hit.forest, hit.book, frozenset(stale - set(scoped)), aging, scoped, dict(now))

    def patch(self, tenant: str, cached: Cached, accounts: Collection[str], fresh: AccountBook) -> None:
        """Keep the figures a request read for the accounts of ``cached.scoped``, unless the book
        changed meanwhile (then the next request judges again)."""
        parts = frozenset(cached.scoped)
        with self._lock:
            hit = self._books.get(tenant)
            if hit is None or hit.book is not cached.book:
                return
            read_at = {**hit.read_at, **{p: cached.versions.get(p, 0) for p in parts}}
            book = hit.book.patched_accounts(fresh, parts, accounts)
            self._books[tenant] = hit._replace(read_at=read_at, book=book)

    def catch_up(self, store: GraphStore, tenant: str, cached: Cached | None) -> None:
        """Start re-reading the stale parts in the background (every part without a book). After
        the request's own reads: both at once would share the two cores and slow the request down
        by the whole tenant's reads."""
        if cached is None or cached.aging:
            self._builds.start(tenant, lambda: self.build_now(store, tenant))
        elif cached.stale:
            self._builds.start(tenant, lambda: self.build_now(store, tenant, cached.stale))

    def warm(self, store: GraphStore, tenants: Callable[[], Iterable[str]]) -> None:
        """Build the books of ``tenants()`` in the background, one after the other (at start-up:
        the first roll-up of a tenant then finds its book). Listed in the background too: a server
        that is not up yet must not stop the start."""

        def build_all() -> None:
            for tenant in list(tenants())[: self.max_books]:
                if self._closing:
                    return
                try:
                    self.build_now(store, tenant)
                except Exception:  # one tenant's failure must not keep the others cold
                    logger.exception("account book of %s not built at start", tenant)

        self._builds.start("\0warm", build_all)

    def join(self, timeout_s: float = 30.0) -> None:
        """Wait for background builds."""
        self._builds.join(timeout_s)

    def close(self, timeout_s: float = 30.0) -> None:
        """Start no more start-up builds and wait for those under way (before the store they read
        is closed)."""
        self._closing = True
        self._builds.join(timeout_s)

    def build_now(self, store: GraphStore, tenant: str, parts: frozenset[str] = PARTS) -> None:
        """(Re)read ``parts`` of the tenant's book in the caller's thread (tests and benchmarks; a
        request uses ``current``). Without a book yet, or when it is too old, every part."""
        now = dict(self._versions(tenant))  # read first: a write during the build leaves it stale
        epoch = self._epoch(tenant)  # likewise: a reopen during the build leaves it expired
        started = time.monotonic()
        with self._lock:
            hit = self._books.get(tenant)
        if hit is None or self._expired(hit, tenant):
            parts = PARTS
        forest = _forest(store, tenant) if "accounts" in parts else None
        fresh = read_book(store, tenant, None, parts)
        with self._lock:
            hit = self._books.get(tenant)
            if parts == PARTS or hit is None:
                assert forest is not None
                self._books[tenant] = _Entry(now, started, epoch, forest, fresh)
                while len(self._books) > self.max_books:
                    self._books.popitem(last=False)
                return
            read_at = {**hit.read_at, **{p: now.get(p, 0) for p in parts}}
            book = hit.book.patched(fresh, parts)
            self._books[tenant] = hit._replace(read_at=read_at, forest=forest or hit.forest, book=book)


def _forest(store: GraphStore, tenant: str) -> Forest:
    frame = store.read_frame(tenant, FOREST, {"tenant": tenant})
    parent_of = {str(c): str(p) for c, p in frame.itertuples(index=False)}
    return Forest(parent_of, children_index(parent_of))


def hierarchy(*, store: GraphStore, tenant: str, account_id: str, books: AccountBooks | None = None) -> dict[str, Any]:
    base.require(store=store, tenant=tenant, label="Account", record_id=account_id)
    cached = books.current(tenant) if books is not None else None
    if cached is None:
        forest, book = _read_subtree(store, tenant, account_id, PARTS)
    else:
        forest, book = cached.forest, cached.book
        if cached.scoped:
            assert books is not None
            book = _patch_scoped(store, tenant, books, cached)
        if cached.stale:
            forest, fresh = _read_subtree(store, tenant, account_id, cached.stale, cached.forest)
            book = book.patched(fresh, cached.stale)
    if books is not None:
        books.catch_up(store, tenant, cached)
    chain = ancestors(forest.parent_of, account_id)
    tree = subtree(forest.parent_of, account_id, book.metrics, children=forest.children)
    names: Mapping[str, str | None] = book.names
    missing = [a for a in chain if a not in names]
    if missing:
        names = {**names, **_names(store, tenant, missing)}
    return {
        "ancestors": [{"id": a, "name": names.get(a)} for a in chain],
        "tree": _json(tree, names),
        "total": _totals(tree.total),
    }


def _patch_scoped(store: GraphStore, tenant: str, books: AccountBooks, cached: Cached) -> AccountBook:
    """The book with the scoped parts re-read for the accounts of the people that changed (a few
    milliseconds: a job change touches one or two accounts), kept for the next request too."""
    scope = WriteScope()
    for part_scope in cached.scoped.values():
        scope = scope | part_scope
    accounts = set(scope.accounts)
    for contact in sorted(scope.contacts):
        # Ending a job keeps its line (with ``until``): the old account of a job change is found too.
        accounts.update(contacts.worked_at(store=store, tenant=tenant, contact_id=contact))
    # No account (a contact created, with no job yet): nothing to read.
    fresh = read_book(store, tenant, parts=cached.scoped, accounts=accounts) if accounts else AccountBook()
    books.patch(tenant, cached, accounts, fresh)
    return cached.book.patched_accounts(fresh, cached.scoped, accounts)


def _read_subtree(
    store: GraphStore, tenant: str, root: str, parts: frozenset[str], forest: Forest | None = None
) -> tuple[Forest, AccountBook]:
    """``parts`` of the subtree under ``root`` read now, and the forest (read too, unless given
    and its part is not stale)."""
    reading = _READERS.submit(_forest, store, tenant) if forest is None or "accounts" in parts else None
    book = read_book(store, tenant, root, parts)  # read while the forest is
    if reading is not None:
        forest = reading.result()
    assert forest is not None
    if _depth(forest.children, root) > MAX_SCOPE_DEPTH:  # the engine's path cap cut the subtree short
        book = read_book(store, tenant, None, parts)
    return forest, book


def _depth(children: dict[str, list[str]], root: str) -> int:
    """Levels below ``root`` (0 for a leaf)."""
    depth, level = 0, [root]
    while True:
        level = [c for n in level for c in children.get(n, [])]
        if not level:
            return depth
        depth += 1


def _names(store: GraphStore, tenant: str, ids: list[str]) -> dict[str, str | None]:
    rows = store.read(tenant, NAMES_OF, {"uids": [schema.uid(tenant, i) for i in ids]})
    return {r["id"]: r["name"] for r in rows}


def _totals(t: Any) -> dict[str, Any]:
    return {
        "accounts": t.accounts,
        "open_pipeline": round(t.open_pipeline, 2),
        "won_revenue": round(t.won_revenue, 2),
        "contacts": t.contacts,
        "senior_contacts": t.senior_contacts,
        "senior_covered": t.senior_covered,
        "coverage": None if t.coverage is None else round(t.coverage, 4),
        "last_interaction": t.last_interaction,
    }


def _json(root: RollupNode, names: Mapping[str, str | None]) -> dict[str, Any]:
    def node(n: RollupNode) -> dict[str, Any]:
        return {
            "id": n.account,
            "name": names.get(n.account),
            "depth": n.depth,
            "own": _totals(n.own),
            "total": _totals(n.total),
            "children": [],
        }

    top = node(root)
    stack = [(root, top)]
    while stack:
        n, out = stack.pop()
        for child in n.children:
            c = node(child)
            out["children"].append(c)
            stack.append((child, c))
    return top
