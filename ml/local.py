"""The raw deal features of ``ml.features`` for a few deals at one time, from targeted queries.

Scoring one deal through the API must not read the whole tenant: this module asks the store for
the deal's own neighbourhood (account, owner, products, the interactions about it and their
participants) and for track records (win/loss counts of the owner, the account, the account's
corporate family, the product, ...) grouped by the engine, all cut at ``at``. It produces the
same ``RAW_COLUMNS`` as ``features.raw_features`` on a snapshot, as plain arrays
(``raw_columns_at``; the engagement columns through the batch path's own ``features.engagement``);
``tests/ml`` checks that both paths agree.

Cost of one deal on the 1M-node bench tenant (2 shared cores): ~12 primary-key-anchored queries,
5-8 ms, and ~1 ms of Python. Differences worth knowing: track records shared by many deals (the
tenant's, each rep's, each product's and each corporate family's, per cut date) are cached for
``ALL_TTL_S`` seconds per store object (``cached=False`` to bypass, ``clear_caches()`` to forget),
so a deal closed in the last minute may not count yet in them.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

import numpy as np
import pandas as pd

from graph.cypher import label_of
from graph.store import GraphStore
from ml import features as F
from ml.seniority import SENIOR, level_of
from ml.timeutil import day_of, to_date, to_days

ALL_TTL_S: Final = 60.0
SMALL: Final = 8  # up to this many keys: one primary-key query each; more: one IN-list query
CLOSED: Final = frozenset(F.CLOSED)
# Track records come back grouped by (status, closed before the cut, created before the cut): a
# handful of rows whatever the number of deals, summed in Python (``_fold``). On Ladybug 0.22 this
# cost 0.3-0.6 ms a query against 0.5-1.9 ms for one ``sum(CASE ...)`` row per key, and returning
# every deal instead grows with the key's deals (338 rows for a Maven rep: 1.1 ms).
_GROUPED: Final = (
    "d.status AS status, d.close_date < $cut_date AS closed_before, "
    "d.created_on < $cut_date AS created_before, count(*) AS n"
)
# One query per key, anchored by ``{uid: $uid}``: a primary-key lookup. On Ladybug 0.22 at 1M nodes
# ``WHERE d.uid IN $uids`` scanned the label (2.4 ms for 60k deals vs 0.04 ms), and ``UNWIND $uids AS u
# MATCH (n {uid: u})`` was slower still. Lists (``IN``) remain only where one query covers many keys
# whose results are cached (corporate families). Many deals at once: ``features.raw_features`` on a snapshot.
HEAD: Final = (
    "MATCH (d:Deal {uid: $uid}) "
    "OPTIONAL MATCH (d)-[:FOR_ACCOUNT]->(a:Account) OPTIONAL MATCH (r:Rep)-[:OWNS]->(d) "
    "RETURN d.uid AS deal_uid, d.created_on AS created_on, d.source AS source, a.uid AS account_uid, "
    "a.industry AS industry, a.country AS country, a.employees AS employees, a.annual_revenue AS annual_revenue, "
    "a.year_established AS year_established, r.uid AS rep_uid, r.region AS region"
)
PRODUCTS: Final = (
    "MATCH (d:Deal {uid: $uid})-[i:INCLUDES]->(p:Product) "
    "RETURN d.uid AS deal_uid, p.uid AS product_uid, p.name AS name, p.series AS series, "
    "p.list_price AS list_price, i.quantity AS quantity"
)
PARENTS: Final = "MATCH (a:Account {uid: $uid})-[:SUBSIDIARY_OF]->(p:Account) RETURN a.uid AS uid, p.uid AS parent"
# children as rows, counted here: ``count(c)`` cost 0.2-0.4 ms, the rows 0.04 ms
CHILD_LINK: Final = "MATCH (c:Account)-[:SUBSIDIARY_OF]->(p:Account {uid: $uid}) RETURN p.uid AS parent, c.uid AS uid"
CHILD_LINKS: Final = (
    "MATCH (p:Account) WHERE p.uid IN $uids MATCH (c:Account)-[:SUBSIDIARY_OF]->(p) "
    "RETURN p.uid AS parent, c.uid AS uid"
)
ALL_HISTORY: Final = f"MATCH (d:Deal) WHERE d.tenant = $tenant RETURN {_GROUPED}"
REP_HISTORY: Final = f"MATCH (r:Rep {{uid: $uid}})-[:OWNS]->(d:Deal) RETURN r.uid AS key, {_GROUPED}"
ACCOUNT_HISTORY: Final = f"MATCH (d:Deal)-[:FOR_ACCOUNT]->(a:Account {{uid: $uid}}) RETURN a.uid AS key, {_GROUPED}"
ACCOUNTS_HISTORY: Final = (
    f"MATCH (a:Account) WHERE a.uid IN $keys MATCH (d:Deal)-[:FOR_ACCOUNT]->(a) RETURN a.uid AS key, {_GROUPED}"
)
# A corporate family in one query: a variable-length pattern may follow 30 levels on Ladybug 0.22
# (9 ms for a 1,000-account tree, 0.7 ms for small ones, against 150-270 ms and 2-3 ms level by
# level with IN lists); a family deeper than that is walked level by level (``_family_by_levels``).
FAMILY_DEPTH: Final = "MATCH (r:Account {uid: $uid})<-[:SUBSIDIARY_OF*30..30]-(a) RETURN count(*) AS n"
FAMILY_HISTORY: Final = (
    "MATCH (r:Account {uid: $uid})<-[:SUBSIDIARY_OF*0..30]-(a)<-[:FOR_ACCOUNT]-(d:Deal) "
    f"RETURN r.uid AS key, {_GROUPED}"
)
PRODUCT_HISTORY: Final = f"MATCH (d:Deal)-[:INCLUDES]->(p:Product {{uid: $uid}}) RETURN p.uid AS key, {_GROUPED}"
# anchored at the account (few deals): from the rep, Ladybug planned 0.6-0.7 ms against 0.4 ms
REP_ACCOUNT_HISTORY: Final = (
    "MATCH (x:Account {uid: $b})<-[:FOR_ACCOUNT]-(d:Deal)<-[:OWNS]-(r:Rep {uid: $a}) "
    f"RETURN r.uid AS a, x.uid AS b, {_GROUPED}"
)
REP_PRODUCT_HISTORY: Final = (
    "MATCH (r:Rep {uid: $a})-[:OWNS]->(d:Deal)-[:INCLUDES]->(x:Product {uid: $b}) "
    f"RETURN r.uid AS a, x.uid AS b, {_GROUPED}"
)
PEOPLE: Final = (
    "MATCH (c:Contact)-[w:WORKS_AT]->(a:Account {uid: $uid}) "
    "WITH a, c, w WHERE (w.since IS NULL OR w.since < $cut_date) AND (w.until IS NULL OR w.until >= $cut_date) "
    "RETURN a.uid AS uid, c.title AS title, count(*) AS n"
)
# Filters go after WITH: inside the MATCH's WHERE, Ladybug planned scans of every interaction (10-150 ms).
TOUCHES: Final = (
    "MATCH (r:Rep {uid: $a})-[:PARTICIPATED_IN]->(i:Interaction)<-[:PARTICIPATED_IN]-(c:Contact)"
    "-[:WORKS_AT]->(x:Account {uid: $b}) "
    "WITH r, i, x WHERE i.occurred_at < $at RETURN r.uid AS a, x.uid AS b, count(DISTINCT i) AS n"
)
PARTICIPANTS: Final = (
    "MATCH (d:Deal {{uid: $uid}})<-[:ABOUT]-(i:Interaction)<-[r:PARTICIPATED_IN]-(p) "
    "WITH d, i, r, p WHERE i.occurred_at < $at "
    "RETURN d.uid AS deal_uid, i.uid AS inter, i.kind AS kind, i.occurred_at AS at, p.uid AS person, "
    "{label} AS label, p.title AS title, r.role AS prole"
)
ROLES: Final = (
    "MATCH (c:Contact)-[o:ON_DEAL]->(d:Deal {uid: $uid}) RETURN d.uid AS deal_uid, c.uid AS contact, o.role AS role"
)

ACCOUNT_FIELDS: Final = ("account_uid", "industry", "country", "employees", "annual_revenue", "year_established")
REP_FIELDS: Final = ("rep_uid", "region")

Sums = tuple[float, float, float, float]  # closed, won, created, created-and-closed before the cut
ZERO: Final[Sums] = (0.0, 0.0, 0.0, 0.0)
Columns = dict[str, np.ndarray]


class _TTLCache:
    """Aggregates that change slowly (track records), for a while, per store object."""

    def __init__(self, ttl_s: float, max_items: int = 50_000) -> None:
        self.ttl_s = ttl_s
        self.max_items = max_items
        self._items: dict[tuple[Any, ...], tuple[float, Any]] = {}
        self._tokens: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
        self._next = itertools.count()
        self._lock = threading.Lock()

    def token(self, store: GraphStore) -> int:
        """A number for this store object that no other store gets (``id`` is reused after a close)."""
        try:
            hit = self._tokens.get(store)
            if hit is None:
                with self._lock:
                    hit = self._tokens.setdefault(store, next(self._next))
            return hit
        except TypeError:  # not weak-referenceable: fall back to the object's id
            return id(store)

    def get(self, key: tuple[Any, ...]) -> Any | None:
        hit = self._items.get(key)
        return hit[1] if hit is not None and hit[0] > time.monotonic() else None

    def put(self, key: tuple[Any, ...], value: Any) -> None:
        with self._lock:
            if len(self._items) >= self.max_items:
                self._items.clear()
            self._items[key] = (time.monotonic() + self.ttl_s, value)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_CACHE: Final = _TTLCache(ALL_TTL_S)


def clear_caches() -> None:
    """Forget every cached track record (tests, benchmarks)."""
    _CACHE.clear()


def cut_date(at: float) -> date:
    """The first calendar date not before ``at``: ``x < cut_date`` for a date x means ``day(x) < at``."""
    d = to_date(float(math.ceil(at)))
    assert d is not None
    return d


def _num(v: Any) -> float:
    return float(v) if v is not None else float("nan")


def _fold(rows: Sequence[dict[str, Any]], key: Callable[[dict[str, Any]], Any]) -> dict[Any, Sums]:
    """Grouped track-record rows (``_GROUPED``) -> (closed, won, created, created-and-closed) per key.

    A deal counts as closed when its status is won or lost and it closed before the cut (a null
    comparison counts as false, as ``CASE WHEN`` did)."""
    out: dict[Any, Sums] = {}
    for r in rows:
        n = float(r["n"] or 0)
        closed = r["status"] in CLOSED and r["closed_before"] is True
        won = closed and r["status"] == "won"
        created = r["created_before"] is True
        c, w, cr, cc = out.get(key(r), ZERO)
        out[key(r)] = (c + n * closed, w + n * won, cr + n * created, cc + n * (created and closed))
    return out


def _by_key(r: dict[str, Any]) -> str:
    return str(r["key"])


def _by_pair(r: dict[str, Any]) -> tuple[str, str]:
    return (str(r["a"]), str(r["b"]))


def _each(store: GraphStore, tenant: str, query: str, keys: Sequence[Any], **params: Any) -> list[dict[str, Any]]:
    """Run ``query`` once per key (``$uid``, or ``$a``/``$b`` for a pair) and concatenate the rows."""
    rows: list[dict[str, Any]] = []
    for k in keys:
        bound = {"a": k[0], "b": k[1]} if isinstance(k, tuple) else {"uid": k}
        rows += store.read(tenant, query, {**params, **bound})
    return rows


def _history(
    store: GraphStore,
    tenant: str,
    group: str,
    query: str,
    keys: Sequence[Any],
    cut: date,
    *,
    cached: bool,
) -> dict[Any, Sums]:
    """Track record of each key (a uid, or an ``(a, b)`` pair), one query per key not cached."""
    token = _CACHE.token(store)
    out: dict[Any, Sums] = {}
    missing = []
    for k in keys:
        hit = _CACHE.get((group, token, tenant, k, cut)) if cached else None
        if hit is not None:
            out[k] = hit
        else:
            missing.append(k)
    if not missing:
        return out
    pair = isinstance(missing[0], tuple)
    found = _fold(_each(store, tenant, query, missing, cut_date=cut), _by_pair if pair else _by_key)
    for k in missing:
        value = found.get(k, ZERO)
        if cached:
            _CACHE.put((group, token, tenant, k, cut), value)
        out[k] = value
    return out


def _all_history(store: GraphStore, tenant: str, cut: date, cached: bool) -> Sums:
    key = ("all", _CACHE.token(store), tenant, cut)
    hit = _CACHE.get(key) if cached else None
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    rows = store.read(tenant, ALL_HISTORY, {"tenant": tenant, "cut_date": cut})
    value = _fold(rows, lambda r: "all").get("all", ZERO)
    _CACHE.put(key, value)
    return value


def _family_history(
    store: GraphStore, tenant: str, roots: list[str], cut: date, cached: bool, known: dict[Any, Sums]
) -> dict[Any, Sums]:
    """Track record of each corporate family (the root and every account under it); ``known``:
    track records of accounts known to stand alone (no parent, no subsidiary: their own)."""
    token = _CACHE.token(store)
    out: dict[Any, Sums] = {}
    for r in roots:
        if r in known:
            out[r] = known[r]
            continue
        hit = _CACHE.get(("family", token, tenant, r, cut)) if cached else None
        if hit is None:
            deep = store.read(tenant, FAMILY_DEPTH, {"uid": r})
            if deep and deep[0]["n"]:  # deeper than one pattern can follow: level by level
                hit = _family_by_levels(store, tenant, r, cut)
            else:
                hit = _fold(store.read(tenant, FAMILY_HISTORY, {"uid": r, "cut_date": cut}), _by_key).get(r, ZERO)
            _CACHE.put(("family", token, tenant, r, cut), hit)
        out[r] = hit
    return out


def _family_by_levels(store: GraphStore, tenant: str, root: str, cut: date) -> Sums:
    """A family's track record walking its tree one level per query (at most 64 levels)."""
    accounts = sorted({root} | {a for _, a in _descendants(store, tenant, [root])})
    if len(accounts) <= SMALL:
        per_account = _history(store, tenant, "account", ACCOUNT_HISTORY, accounts, cut, cached=False)
    else:
        per_account = _fold(store.read(tenant, ACCOUNTS_HISTORY, {"cut_date": cut, "keys": accounts}), _by_key)
    total = ZERO
    for got in per_account.values():
        total = (total[0] + got[0], total[1] + got[1], total[2] + got[2], total[3] + got[3])
    return total


def _descendants(store: GraphStore, tenant: str, roots: list[str]) -> list[tuple[str, str]]:
    """(root, account) for every account under each root, level by level (a variable-length
    pattern cost ~10 ms on a 250-account tree; a few one-hop queries ~2 ms). At most 64 levels."""
    out: list[tuple[str, str]] = []
    frontier = {r: r for r in roots}  # account -> its root
    seen = set(roots)
    for _ in range(64):
        if not frontier:
            break
        if len(frontier) <= SMALL:
            rows = _each(store, tenant, CHILD_LINK, sorted(frontier))
        else:
            rows = store.read(tenant, CHILD_LINKS, {"uids": sorted(frontier)})
        nxt: dict[str, str] = {}
        for r in rows:
            child, root = str(r["uid"]), frontier[str(r["parent"])]
            if child not in seen:
                seen.add(child)
                nxt[child] = root
                out.append((root, child))
        frontier = nxt
    return out


def _roots(store: GraphStore, tenant: str, accounts: Sequence[str]) -> tuple[dict[str, str], dict[str, bool]]:
    """Root of each account's SUBSIDIARY_OF tree, and whether the account has a parent."""
    parent: dict[str, str] = {}
    frontier = sorted(set(accounts))
    seen: set[str] = set()
    for _ in range(64):
        frontier = [u for u in frontier if u not in seen]
        if not frontier:
            break
        seen.update(frontier)
        rows = _each(store, tenant, PARENTS, frontier)
        for r in rows:
            parent.setdefault(str(r["uid"]), str(r["parent"]))
        frontier = sorted({str(r["parent"]) for r in rows})
    roots: dict[str, str] = {}
    for a in accounts:
        cur, hops = a, 0
        while cur in parent and hops < 64:
            cur, hops = parent[cur], hops + 1
        roots[a] = cur
    return roots, {a: a in parent for a in accounts}


def raw_columns_at(
    store: GraphStore, tenant: str, deal_uids: Sequence[str], at: float, *, cached: bool = True
) -> Columns:
    """Raw feature columns (``features.RAW_COLUMNS``, arrays ``[n]``) of these deals as of ``at``
    (days since the epoch), without a DataFrame (the API path; ``raw_features_at`` wraps it).

    Deals that do not exist are left out; the rows follow ``deal_uids`` order otherwise. ``cached``:
    reuse the track records computed in the last ``ALL_TTL_S`` seconds (tenant, rep, product and
    corporate family: aggregates over many deals that change when a deal closes)."""
    uids = list(dict.fromkeys(deal_uids))
    cut = cut_date(at)
    at_dt = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=at)
    heads: dict[str, dict[str, Any]] = {}
    for r in _each(store, tenant, HEAD, uids):
        h = heads.setdefault(str(r["deal_uid"]), dict(r))
        for key, fields in (("account_uid", ACCOUNT_FIELDS), ("rep_uid", REP_FIELDS)):
            # several links: keep the smallest uid, as the batch path does
            if r[key] is not None and (h[key] is None or str(r[key]) < str(h[key])):
                h.update({f: r[f] for f in fields})
    uids = [u for u in uids if u in heads]
    n = len(uids)
    pos = {u: i for i, u in enumerate(uids)}
    cols: Columns = {c: np.full(n, np.nan) for c in F.RAW_COLUMNS}
    for c in ("deal_uid", "account_uid", "rep_uid", "product_uid", "family_uid", *F.CATEGORICAL):
        cols[c] = np.full(n, None, dtype=object)
    cols["deal_uid"] = np.asarray(uids, dtype=object)
    cols["cut"] = np.full(n, at)
    created = to_days([heads[u]["created_on"] for u in uids])
    cols["age_days"] = at - created
    for i, u in enumerate(uids):
        h = heads[u]
        cols["account_uid"][i] = h["account_uid"]
        cols["rep_uid"][i] = h["rep_uid"]
        cols["source"][i] = h["source"]
        cols["industry"][i] = h["industry"]
        cols["country"][i] = h["country"]
        cols["region"][i] = h["region"]
        cols["employees"][i] = _num(h["employees"])
        cols["annual_revenue"][i] = _num(h["annual_revenue"])
        cols["year_established"][i] = _num(h["year_established"])
    _products(store, tenant, uids, pos, cols)
    _accounts(store, tenant, cols, cut)
    _track_records(store, tenant, cols, cut, cached)
    _engagement(store, tenant, uids, pos, cols, at, at_dt)
    _touches(store, tenant, cols, at_dt)
    return cols


def raw_features_at(
    store: GraphStore, tenant: str, deal_uids: Sequence[str], at: float, *, cached: bool = True
) -> pd.DataFrame:
    """Raw feature rows (``features.RAW_COLUMNS``) of these deals as of ``at`` (see ``raw_columns_at``)."""
    cols = raw_columns_at(store, tenant, deal_uids, at, cached=cached)
    return pd.DataFrame({c: cols[c] for c in F.RAW_COLUMNS})


def _products(store: GraphStore, tenant: str, uids: list[str], pos: dict[str, int], cols: Columns) -> None:
    n = len(uids)
    size, count = np.zeros(n), np.zeros(n)
    best: dict[int, tuple[float, str, dict[str, Any]]] = {}
    for r in _each(store, tenant, PRODUCTS, uids):
        i = pos[str(r["deal_uid"])]
        qty = _num(r["quantity"])
        price = _num(r["list_price"])
        value = (0.0 if math.isnan(price) else price) * (1.0 if math.isnan(qty) else qty)
        size[i] += value
        count[i] += 1
        cur = best.get(i)
        # the main product: the highest line value, ties to the smallest uid (as the batch path)
        if cur is None or (-value, str(r["product_uid"])) < (-cur[0], cur[1]):
            best[i] = (value, str(r["product_uid"]), r)
    for i, (_, puid, r) in best.items():
        cols["product_uid"][i] = puid
        cols["product"][i] = r["name"]
        cols["series"][i] = r["series"]
    cols["n_products"] = count
    cols["deal_size"] = np.where(count > 0, size, np.nan)


def _accounts(store: GraphStore, tenant: str, cols: Columns, cut: date) -> None:
    accounts = sorted({str(a) for a in cols["account_uid"] if a is not None})
    if not accounts:
        return
    roots, has_parent = _roots(store, tenant, accounts)
    children: dict[str, float] = {}
    for r in _each(store, tenant, CHILD_LINK, accounts):
        children[str(r["parent"])] = children.get(str(r["parent"]), 0.0) + 1.0
    people: dict[str, float] = {}
    seniors: dict[str, float] = {}
    for r in _each(store, tenant, PEOPLE, accounts, cut_date=cut):
        a = str(r["uid"])
        people[a] = people.get(a, 0.0) + float(r["n"])
        if level_of(r["title"]) >= SENIOR:
            seniors[a] = seniors.get(a, 0.0) + float(r["n"])
    for i, a in enumerate(cols["account_uid"]):
        if a is None:
            continue
        cols["family_uid"][i] = roots[a]
        cols["account_has_parent"][i] = float(has_parent[a])
        cols["account_n_subsidiaries"][i] = children.get(a, 0.0)
        cols["account_people"][i] = people.get(a, 0.0)
        cols["account_senior_people"][i] = seniors.get(a, 0.0)


def _track_records(store: GraphStore, tenant: str, cols: Columns, cut: date, cached: bool) -> None:
    n = len(cols["deal_uid"])
    closed_all, won_all, _, _ = _all_history(store, tenant, cut, cached)
    cols["all_closed"] = np.full(n, closed_all)
    cols["all_won"] = np.full(n, won_all)

    def keys(col: str) -> list[str]:
        return sorted({str(v) for v in cols[col] if v is not None})

    def pairs(a: str, b: str) -> list[tuple[str, str]]:
        got = {(str(x), str(y)) for x, y in zip(cols[a], cols[b], strict=True) if x is not None and y is not None}
        return sorted(got)

    found: dict[str, dict[Any, Sums]] = {
        # the owner's and the product's records are shared by many deals: cached like the tenant's
        "rep": _history(store, tenant, "rep", REP_HISTORY, keys("rep_uid"), cut, cached=cached),
        "account": _history(store, tenant, "account", ACCOUNT_HISTORY, keys("account_uid"), cut, cached=False),
        "product": _history(store, tenant, "product", PRODUCT_HISTORY, keys("product_uid"), cut, cached=cached),
    }
    roots = keys("family_uid")
    standalone = {  # no parent, no subsidiary: the family is the account itself
        str(a)
        for a, parent, children in zip(
            cols["account_uid"], cols["account_has_parent"], cols["account_n_subsidiaries"], strict=True
        )
        if a is not None and parent == 0 and children == 0
    }
    alone = {a: v for a, v in found["account"].items() if a in standalone}
    found["family"] = _family_history(store, tenant, roots, cut, cached, alone) if roots else {}
    for g, (a, b, query) in {
        "rep_account": ("rep_uid", "account_uid", REP_ACCOUNT_HISTORY),
        "rep_product": ("rep_uid", "product_uid", REP_PRODUCT_HISTORY),
    }.items():
        found[g] = _history(store, tenant, g, query, pairs(a, b), cut, cached=False)
    key_of: dict[str, Callable[[int], Any]] = {
        "rep": lambda i: cols["rep_uid"][i],
        "account": lambda i: cols["account_uid"][i],
        "product": lambda i: cols["product_uid"][i],
        "family": lambda i: cols["family_uid"][i],
        "rep_account": lambda i: (cols["rep_uid"][i], cols["account_uid"][i]),
        "rep_product": lambda i: (cols["rep_uid"][i], cols["product_uid"][i]),
    }
    for g, fn in key_of.items():
        closed, won = np.zeros(n), np.zeros(n)
        open_n = np.zeros(n)
        for i in range(n):
            k = fn(i)
            k = (str(k[0]), str(k[1])) if isinstance(k, tuple) else (str(k) if k is not None else None)
            c, w, cr, cc = found[g].get(k, ZERO)
            closed[i], won[i], open_n[i] = c, w, cr - cc
        cols[f"{g}_closed"], cols[f"{g}_won"] = closed, won
        if g in ("rep", "account"):
            cols[f"{g}_open"] = open_n


def _codes(values: Sequence[Any]) -> np.ndarray:
    """Distinct values -> 0, 1, 2, ... in order of appearance, ``[n]`` int64."""
    seen: dict[Any, int] = {}
    return np.asarray([seen.setdefault(v, len(seen)) for v in values], dtype=np.int64)


def _engagement(
    store: GraphStore,
    tenant: str,
    uids: list[str],
    pos: dict[str, int],
    cols: Columns,
    at: float,
    at_dt: datetime,
) -> None:
    """Engagement columns from the interactions about each deal before ``at`` and their participants,
    through ``features.engagement`` (the batch path's code) on plain arrays."""
    n = len(uids)
    query = PARTICIPANTS.format(label=label_of(store.dialect, "p"))
    rows = _each(store, tenant, query, uids, at=at_dt)
    roles = {(str(r["deal_uid"]), str(r["contact"])): r["role"] for r in _each(store, tenant, ROLES, uids)}
    row = np.asarray([pos[str(r["deal_uid"])] for r in rows], dtype=np.int64)
    inter = _codes([r["inter"] for r in rows])
    first = F.first_pairs(row, inter)  # one row per (deal, interaction)
    when = to_days([rows[i]["at"] for i in first])
    interactions = {
        "row": row[first],
        "inter": inter[first],
        "kind": np.asarray([rows[i]["kind"] for i in first], dtype=object),
        "at": when,
    }
    is_contact = np.asarray([r["label"] == "Contact" for r in rows], dtype=bool)
    contacts = [r for r, c in zip(rows, is_contact, strict=True) if c]
    contact_parts = {
        "row": row[is_contact],
        "inter": inter[is_contact],
        "contact": _codes([r["person"] for r in contacts]),
        "prole": np.asarray([r["prole"] for r in contacts], dtype=object),
        "level": np.asarray([level_of(r["title"] if isinstance(r["title"], str) else None) for r in contacts]),
        "deal_role": np.asarray([roles.get((str(r["deal_uid"]), str(r["person"]))) for r in contacts], dtype=object),
    }
    is_rep = np.asarray([r["label"] == "Rep" for r in rows], dtype=bool)
    rep_parts = {"row": row[is_rep], "rep": _codes([r["person"] for r in rows if r["label"] == "Rep"])}
    cols.update(F.engagement(n, np.full(n, at), interactions, contact_parts, rep_parts))


def _touches(store: GraphStore, tenant: str, cols: Columns, at_dt: datetime) -> None:
    got = {
        (str(x), str(y))
        for x, y in zip(cols["rep_uid"], cols["account_uid"], strict=True)
        if x is not None and y is not None
    }
    if not got:
        return
    found = {(str(r["a"]), str(r["b"])): float(r["n"]) for r in _each(store, tenant, TOUCHES, sorted(got), at=at_dt)}
    for i, (x, y) in enumerate(zip(cols["rep_uid"], cols["account_uid"], strict=True)):
        if x is not None and y is not None:
            cols["rep_account_touches"][i] = found.get((str(x), str(y)), 0.0)


def features_at(
    store: GraphStore, tenant: str, deal_uids: Sequence[str], at: float, *, cached: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(raw, features)`` of these deals as of ``at``."""
    raw = raw_features_at(store, tenant, deal_uids, at, cached=cached)
    return raw, F.finish(raw)


def now_days() -> float:
    return day_of(datetime.now(UTC))
