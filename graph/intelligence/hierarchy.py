"""Account hierarchies: ancestors and the whole subtree of any depth, with roll-ups per node and
in total: open pipeline, won revenue, contacts, coverage (share of senior contacts with a strong
relationship to any of our reps) and last interaction.

Each account's own figures are aggregated by the engine, per account, in five queries over a scope
of accounts: the whole tenant (an ``AccountBook``, cached per tenant by ``AccountBooks``) or the
subtree under the requested account. With a current book a roll-up is a walk over in-memory
figures (milliseconds for a 1,000-account tree); after a write the requested subtree is read
directly (correct at once) while the book is rebuilt in the background.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final

import pandas as pd

from graph import schema
from graph.analytics.hierarchy import AccountMetrics, RollupNode, ancestors, children_index, subtree
from graph.analytics.titles import parse_title
from graph.intelligence.cache import Background
from graph.repositories import base
from graph.store import GraphStore

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
# Staff by title in two queries, not one with coalesce(w.title, c.title): Ladybug reads a node
# property of scattered contacts slowly (~10 us each, 20k contacts under a 1,000-account tree) and
# reads it for every row even where the job's own title is set, which importers usually set.
STAFF_TITLED: Final = (
    "{scope} MATCH (c:Contact)-[w:WORKS_AT]->(a) WHERE w.until IS NULL AND w.title IS NOT NULL "
    "RETURN a.id AS account, w.title AS title, count(*) AS n"
)
STAFF_UNTITLED: Final = (
    "{scope} MATCH (c:Contact)-[w:WORKS_AT]->(a) WHERE w.until IS NULL AND w.title IS NULL "
    "RETURN a.id AS account, c.title AS title, count(*) AS n"
)
COVERED: Final = (
    "{scope} MATCH (c:Contact)-[w:WORKS_AT]->(a) WHERE w.until IS NULL WITH a, c, coalesce(w.title, c.title) AS title "
    "MATCH (c)-[k:KNOWS]-(:Rep) WHERE k.strength >= $threshold RETURN a.id AS account, title, count(DISTINCT c) AS n"
)
LAST_TOUCH: Final = (
    "{scope} MATCH (c:Contact)-[w:WORKS_AT]->(a) WHERE w.until IS NULL WITH a, c "
    "MATCH (c)-[:PARTICIPATED_IN]->(i:Interaction) RETURN a.id AS account, max(i.occurred_at) AS last"
)
NAMES_OF: Final = "UNWIND $uids AS u MATCH (a:Account {uid: u}) RETURN a.id AS id, a.name AS name"
SENIOR_LEVEL: Final = 3  # director and above
_READERS: Final = ThreadPoolExecutor(max_workers=2, thread_name_prefix="rollup-read")


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
    """Own figures and names of a set of accounts."""

    metrics: dict[str, AccountMetrics]
    names: dict[str, str | None]


def read_book(store: GraphStore, tenant: str, root: str | None = None) -> AccountBook:
    """The figures of every account of the tenant (``root`` None) or of the subtree under ``root``."""
    scope = TENANT_SCOPE if root is None else SUBTREE_SCOPE
    params: dict[str, Any] = {"tenant": tenant} if root is None else {"root": schema.uid(tenant, root)}

    # A subtree is read for a request: its queries run two at a time, slowest first (the engine
    # releases the GIL; 10-20% off the 1,000-account tree on a quiet machine). The whole tenant is
    # a background build, read in its own thread so that it never holds up a request's reads.
    pool: Executor = _READERS if root is not None else _INLINE

    def read(query: str, **extra: Any) -> Future[pd.DataFrame]:
        return pool.submit(store.read_frame, tenant, query.format(scope=scope), {**params, **extra})

    covered, touched = read(COVERED, threshold=STRONG), read(LAST_TOUCH)
    titled, untitled, deals, named = read(STAFF_TITLED), read(STAFF_UNTITLED), read(DEALS), read(NAMES)

    names = {str(i): (n if isinstance(n, str) else None) for i, n in named.result().itertuples(index=False)}
    acc: dict[str, dict[str, Any]] = {
        a: {"pipeline": 0.0, "won": 0.0, "contacts": 0, "senior": 0, "covered": 0, "last": None} for a in names
    }
    for account, status, amount in deals.result().itertuples(index=False):
        slot = {"open": "pipeline", "won": "won"}.get(str(status))
        if slot and account in acc and not pd.isna(amount):
            acc[account][slot] += float(amount)
    staff = pd.concat([titled.result(), untitled.result()], ignore_index=True)
    for account, title, n in staff.itertuples(index=False):
        if account in acc:
            acc[account]["contacts"] += int(n)
            acc[account]["senior"] += int(n) if _senior(title) else 0
    for account, title, n in covered.result().itertuples(index=False):
        if account in acc and _senior(title):
            acc[account]["covered"] += int(n)
    for account, last in touched.result().itertuples(index=False):
        if account in acc and not pd.isna(last):
            acc[account]["last"] = last.to_pydatetime()
    metrics = {
        a: AccountMetrics(
            open_pipeline=m["pipeline"],
            won_revenue=m["won"],
            contacts=m["contacts"],
            senior_contacts=m["senior"],
            senior_covered=m["covered"],
            last_interaction=m["last"],
        )
        for a, m in acc.items()
    }
    return AccountBook(metrics, names)


def _senior(title: Any) -> bool:
    return isinstance(title, str) and bool(title) and parse_title(title).level >= SENIOR_LEVEL


class AccountBooks:
    """One ``AccountBook`` (+ the forest) per tenant, current while ``version(tenant)`` has not moved
    (it moves with every write through the API) and for at most ``ttl_s`` (writes from other
    processes, e.g. a CLI import). Rebuilt in one background thread per tenant; a request never
    waits for it."""

    def __init__(self, version: Callable[[str], int] | None = None, ttl_s: float = 60.0) -> None:
        self._version = version or (lambda tenant: 0)
        self.ttl_s = ttl_s
        self._books: dict[str, tuple[int, float, dict[str, str], AccountBook]] = {}
        self._builds = Background("account book build")
        self._lock = threading.Lock()

    def current(self, store: GraphStore, tenant: str) -> tuple[dict[str, str], AccountBook] | None:
        """The tenant's forest and book if current; else None, and a rebuild is started."""
        version = self._version(tenant)
        with self._lock:
            hit = self._books.get(tenant)
            if hit is not None and hit[0] == version and time.monotonic() - hit[1] < self.ttl_s:
                return hit[2], hit[3]
        self._builds.start(tenant, lambda: self.build_now(store, tenant))
        return None

    def join(self, timeout_s: float = 30.0) -> None:
        """Wait for background builds (before the store they read is closed)."""
        self._builds.join(timeout_s)

    def build_now(self, store: GraphStore, tenant: str) -> None:
        """Build in the caller's thread (tests, benchmarks; requests use ``current``)."""
        version = self._version(tenant)  # read first: a write during the build leaves it stale
        started = time.monotonic()
        parent_of = _forest(store, tenant)
        book = read_book(store, tenant)
        with self._lock:
            self._books[tenant] = (version, started, parent_of, book)


def _forest(store: GraphStore, tenant: str) -> dict[str, str]:
    return {
        str(r["child"]): str(r["parent"])
        for r in store.read_frame(tenant, FOREST, {"tenant": tenant}).to_dict("records")
    }


def hierarchy(*, store: GraphStore, tenant: str, account_id: str, books: AccountBooks | None = None) -> dict[str, Any]:
    base.require(store=store, tenant=tenant, label="Account", record_id=account_id)
    cached = books.current(store, tenant) if books is not None else None
    if cached is not None:
        parent_of, book = cached
        children = children_index(parent_of)
    else:
        forest = _READERS.submit(_forest, store, tenant)
        book = read_book(store, tenant, account_id)  # read while the forest is
        parent_of = forest.result()
        children = children_index(parent_of)
        if _depth(children, account_id) > MAX_SCOPE_DEPTH:  # the engine's path cap cut the subtree short
            book = read_book(store, tenant, None)
    chain = ancestors(parent_of, account_id)
    tree = subtree(parent_of, account_id, book.metrics, children=children)
    names = dict(book.names)
    missing = [a for a in chain if a not in names]
    if missing:
        names.update(_names(store, tenant, missing))
    return {
        "ancestors": [{"id": a, "name": names.get(a)} for a in chain],
        "tree": _json(tree, names),
        "total": _totals(tree.total),
    }


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


def _json(root: RollupNode, names: dict[str, str | None]) -> dict[str, Any]:
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
