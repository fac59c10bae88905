"""The raw deal features of ``ml.features`` for a few deals at one time, from targeted queries.

Scoring one deal through the API must not read the whole tenant: this module asks the store for
the deal's own neighbourhood (account, owner, products, the interactions about it and their
participants) and for aggregates (win/loss counts of the owner, the account, the account's
corporate family, the product, ...) computed by the engine, all cut at ``at``. It produces the
same ``RAW_COLUMNS`` as ``features.raw_features`` on a snapshot; ``tests/ml`` checks that both agree.

Differences worth knowing: the family (corporate tree) is followed 64 levels deep at most; the
tenant-wide and corporate-family track records (per tenant, family and cut date) are cached for
``ALL_TTL_S`` seconds (``cached=False`` to bypass).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
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
_SUMS: Final = (
    "sum(CASE WHEN d.status IN ['won', 'lost'] AND d.close_date < $cut_date THEN 1 ELSE 0 END) AS closed, "
    "sum(CASE WHEN d.status = 'won' AND d.close_date < $cut_date THEN 1 ELSE 0 END) AS won, "
    "sum(CASE WHEN d.created_on < $cut_date THEN 1 ELSE 0 END) AS created, "
    "sum(CASE WHEN d.created_on < $cut_date AND d.status IN ['won', 'lost'] AND d.close_date < $cut_date "
    "THEN 1 ELSE 0 END) AS created_closed"
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
CHILDREN: Final = "MATCH (c:Account)-[:SUBSIDIARY_OF]->(a:Account {uid: $uid}) RETURN a.uid AS uid, count(c) AS n"
CHILD_LINK: Final = "MATCH (c:Account)-[:SUBSIDIARY_OF]->(p:Account {uid: $uid}) RETURN p.uid AS parent, c.uid AS uid"
CHILD_LINKS: Final = (
    "MATCH (p:Account) WHERE p.uid IN $uids MATCH (c:Account)-[:SUBSIDIARY_OF]->(p) "
    "RETURN p.uid AS parent, c.uid AS uid"
)
ALL_HISTORY: Final = f"MATCH (d:Deal) WHERE d.tenant = $tenant RETURN {_SUMS}"
REP_HISTORY: Final = f"MATCH (r:Rep {{uid: $uid}})-[:OWNS]->(d:Deal) RETURN r.uid AS key, {_SUMS}"
ACCOUNT_HISTORY: Final = f"MATCH (d:Deal)-[:FOR_ACCOUNT]->(a:Account {{uid: $uid}}) RETURN a.uid AS key, {_SUMS}"
ACCOUNTS_HISTORY: Final = (
    f"MATCH (a:Account) WHERE a.uid IN $keys MATCH (d:Deal)-[:FOR_ACCOUNT]->(a) RETURN a.uid AS key, {_SUMS}"
)
PRODUCT_HISTORY: Final = f"MATCH (d:Deal)-[:INCLUDES]->(p:Product {{uid: $uid}}) RETURN p.uid AS key, {_SUMS}"
REP_ACCOUNT_HISTORY: Final = (
    "MATCH (r:Rep {uid: $a})-[:OWNS]->(d:Deal)-[:FOR_ACCOUNT]->(x:Account {uid: $b}) "
    f"RETURN r.uid AS a, x.uid AS b, {_SUMS}"
)
REP_PRODUCT_HISTORY: Final = (
    "MATCH (r:Rep {uid: $a})-[:OWNS]->(d:Deal)-[:INCLUDES]->(x:Product {uid: $b}) "
    f"RETURN r.uid AS a, x.uid AS b, {_SUMS}"
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


class _TTLCache:
    """Aggregates that change slowly (tenant-wide and corporate-family track records), for a while."""

    def __init__(self, ttl_s: float, max_items: int = 50_000) -> None:
        self.ttl_s = ttl_s
        self.max_items = max_items
        self._items: dict[tuple[Any, ...], tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> Any | None:
        hit = self._items.get(key)
        return hit[1] if hit is not None and hit[0] > time.monotonic() else None

    def put(self, key: tuple[Any, ...], value: Any) -> None:
        with self._lock:
            if len(self._items) >= self.max_items:
                self._items.clear()
            self._items[key] = (time.monotonic() + self.ttl_s, value)


_CACHE: Final = _TTLCache(ALL_TTL_S)


def cut_date(at: float) -> date:
    """The first calendar date not before ``at``: ``x < cut_date`` for a date x means ``day(x) < at``."""
    d = to_date(float(math.ceil(at)))
    assert d is not None
    return d


def _num(v: Any) -> float:
    return float(v) if v is not None else float("nan")


def _sums(row: dict[str, Any]) -> tuple[float, float, float, float]:
    return tuple(float(row.get(k) or 0) for k in ("closed", "won", "created", "created_closed"))  # type: ignore[return-value]


def _each(store: GraphStore, tenant: str, query: str, keys: Sequence[Any], **params: Any) -> list[dict[str, Any]]:
    """Run ``query`` once per key (``$uid``, or ``$a``/``$b`` for a pair) and concatenate the rows."""
    rows: list[dict[str, Any]] = []
    for k in keys:
        bound = {"a": k[0], "b": k[1]} if isinstance(k, tuple) else {"uid": k}
        rows += store.read(tenant, query, {**params, **bound})
    return rows


def _history(
    store: GraphStore, tenant: str, query: str, params: dict[str, Any], key: str | tuple[str, str]
) -> dict[Any, tuple[float, float, float, float]]:
    """``params["keys"]``: uids or (a, b) pairs, one query each; IN-list queries take them whole."""
    keys = params.pop("keys")
    rows = (
        store.read(tenant, query, {**params, "keys": keys})
        if "$keys" in query
        else _each(store, tenant, query, keys, **params)
    )
    out: dict[Any, tuple[float, float, float, float]] = {}
    for r in rows:
        k = (str(r["a"]), str(r["b"])) if isinstance(key, tuple) else str(r[key])
        out[k] = _sums(r)
    return out


def _all_history(store: GraphStore, tenant: str, cut: date, cached: bool) -> Sums:
    key = ("all", id(store), tenant, cut)
    hit = _CACHE.get(key) if cached else None
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    rows = store.read(tenant, ALL_HISTORY, {"tenant": tenant, "cut_date": cut})
    value = _sums(rows[0]) if rows else (0.0, 0.0, 0.0, 0.0)
    _CACHE.put(key, value)
    return value


def _family_history(
    store: GraphStore, tenant: str, roots: list[str], cut: date, cached: bool, known: dict[Any, Sums]
) -> dict[Any, Sums]:
    """Track record of each corporate family (the root and every account under it); ``known``:
    accounts' track records already read."""
    out: dict[Any, Sums] = {}
    missing = []
    for r in roots:
        hit = _CACHE.get(("family", id(store), tenant, r, cut)) if cached else None
        if hit is not None:
            out[r] = hit
        else:
            missing.append(r)
    if not missing:
        return out
    members = [(r, r) for r in missing] + _descendants(store, tenant, missing)
    accounts = sorted({a for _, a in members} - set(known))
    if len(accounts) <= SMALL:  # a standalone account or a small family: primary-key lookups
        per_account = _history(store, tenant, ACCOUNT_HISTORY, {"cut_date": cut, "keys": accounts}, "key")
    else:
        per_account = _history(store, tenant, ACCOUNTS_HISTORY, {"cut_date": cut, "keys": accounts}, "key")
    per_account.update({a: v for a, v in known.items() if a not in per_account})
    found: dict[str, Sums] = {}
    for root, a in members:
        got = per_account.get(a)
        if got is not None:
            prev = found.get(root, (0.0, 0.0, 0.0, 0.0))
            found[root] = (prev[0] + got[0], prev[1] + got[1], prev[2] + got[2], prev[3] + got[3])
    for r in missing:
        value = found.get(r, (0.0, 0.0, 0.0, 0.0))
        _CACHE.put(("family", id(store), tenant, r, cut), value)
        out[r] = value
    return out


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


def raw_features_at(
    store: GraphStore, tenant: str, deal_uids: Sequence[str], at: float, *, cached: bool = True
) -> pd.DataFrame:
    """Raw feature rows (``features.RAW_COLUMNS``) of these deals as of ``at`` (days since the epoch).

    Deals that do not exist are left out; the rows follow ``deal_uids`` order otherwise. ``cached``:
    reuse the tenant-wide and family track records computed in the last ``ALL_TTL_S`` seconds."""
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
    cols: dict[str, Any] = {c: np.full(n, np.nan) for c in F.RAW_COLUMNS}
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
    _accounts(store, tenant, uids, cols, cut)
    _history_all(store, tenant, cols, cut, cached)
    _engagement(store, tenant, uids, pos, cols, at, at_dt)
    _touches(store, tenant, cols, at_dt)
    return pd.DataFrame({c: cols[c] for c in F.RAW_COLUMNS})


def _products(store: GraphStore, tenant: str, uids: list[str], pos: dict[str, int], cols: dict[str, Any]) -> None:
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


def _accounts(store: GraphStore, tenant: str, uids: list[str], cols: dict[str, Any], cut: date) -> None:
    accounts = sorted({str(a) for a in cols["account_uid"] if a is not None})
    if not accounts:
        return
    roots, has_parent = _roots(store, tenant, accounts)
    children = {str(r["uid"]): float(r["n"]) for r in _each(store, tenant, CHILDREN, accounts)}
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


def _history_all(store: GraphStore, tenant: str, cols: dict[str, Any], cut: date, cached: bool) -> None:
    n = len(cols["deal_uid"])
    closed_all, won_all, _, _ = _all_history(store, tenant, cut, cached)
    cols["all_closed"] = np.full(n, closed_all)
    cols["all_won"] = np.full(n, won_all)
    params = {"cut_date": cut}

    def keys(col: str) -> list[str]:
        return sorted({str(v) for v in cols[col] if v is not None})

    def pairs(a: str, b: str) -> list[tuple[str, str]]:
        got = {(str(x), str(y)) for x, y in zip(cols[a], cols[b], strict=True) if x is not None and y is not None}
        return sorted(got)

    single = {
        "rep": ("rep_uid", REP_HISTORY),
        "account": ("account_uid", ACCOUNT_HISTORY),
        "product": ("product_uid", PRODUCT_HISTORY),
    }
    found: dict[str, dict[Any, tuple[float, float, float, float]]] = {}
    for g, (col, query) in single.items():
        ks = keys(col)
        found[g] = _history(store, tenant, query, {**params, "keys": ks}, "key") if ks else {}
    roots = keys("family_uid")
    found["family"] = _family_history(store, tenant, roots, cut, cached, found["account"]) if roots else {}
    for g, (a, b, query) in {
        "rep_account": ("rep_uid", "account_uid", REP_ACCOUNT_HISTORY),
        "rep_product": ("rep_uid", "product_uid", REP_PRODUCT_HISTORY),
    }.items():
        ps = pairs(a, b)
        found[g] = _history(store, tenant, query, {**params, "keys": ps}, ("a", "b")) if ps else {}
    key_of = {
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
            c, w, cr, cc = found[g].get(k, (0.0, 0.0, 0.0, 0.0))
            closed[i], won[i], open_n[i] = c, w, cr - cc
        cols[f"{g}_closed"], cols[f"{g}_won"] = closed, won
        if g in ("rep", "account"):
            cols[f"{g}_open"] = open_n


def _engagement(
    store: GraphStore,
    tenant: str,
    uids: list[str],
    pos: dict[str, int],
    cols: dict[str, Any],
    at: float,
    at_dt: datetime,
) -> None:
    n = len(uids)
    query = PARTICIPANTS.format(label=label_of(store.dialect, "p"))
    rows = pd.DataFrame.from_records(
        _each(store, tenant, query, uids, at=at_dt),
        columns=["deal_uid", "inter", "kind", "at", "person", "label", "title", "prole"],
    )
    rows["row"] = rows["deal_uid"].map(pos).astype(np.int64)
    rows["at"] = to_days(rows["at"])
    roles = {(str(r["deal_uid"]), str(r["contact"])): r["role"] for r in _each(store, tenant, ROLES, uids)}
    inter = rows.drop_duplicates(["row", "inter"])[["row", "inter", "kind", "at"]]
    cp = rows[rows["label"] == "Contact"].rename(columns={"person": "contact"})
    cp["level"] = np.asarray([level_of(t if isinstance(t, str) else None) for t in cp["title"]], dtype=np.int64)
    cp["deal_role"] = [roles.get((d, c)) for d, c in zip(cp["deal_uid"], cp["contact"], strict=True)]
    rp = rows[rows["label"] == "Rep"].rename(columns={"person": "rep"})
    eng = F.engagement(n, np.full(n, at), inter, cp, rp)
    for c in eng.columns:
        cols[c] = eng[c].to_numpy()


def _touches(store: GraphStore, tenant: str, cols: dict[str, Any], at_dt: datetime) -> None:
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
