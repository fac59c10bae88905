"""Point-in-time deal features, computed for many deals at once from a ``Snapshot``.

Prediction time (the "cut"). A deal is predicted while it is open, so every feature of a deal is
computed from what was known at its cut and nothing later:

- a closed deal is an example at each *landmark age* ``k`` in ``LANDMARKS`` (14, 30, 60, 90 days
  after ``created_on``) at which it was still open (``created_on + k < close_date``); its cut is
  ``created_on + k``. The landmark age is itself a feature (``age_days``), so the model is trained
  on the same kind of state that scoring an open deal of any age sees. Closed deals without
  ``created_on`` or ``close_date`` are not examples (they cannot be placed in time).
- an open deal is scored at "now" (``at``), with ``age_days = at - created_on``.

What a cut excludes: interactions at or after the cut; other deals' outcomes unless they closed
before the cut (``close_date < cut``); and always the deal's own ``status``, ``stage``, ``amount``
and ``close_date`` (``amount`` is the close value in Maven-style data: 0 for every lost deal;
``ml.snapshot`` does not even read it). The expected deal size comes from its products' list prices.
Records without dates are taken as known: ``ON_DEAL`` roles carry no date, so a contact's role
counts only once that contact took part in an interaction about the deal before the cut (the first
touch dates it); titles are the contact's current title (no title history is kept); the account's
people count uses ``WORKS_AT.since`` / ``until`` when present.

The output of ``raw_features`` is one row per target with raw counts and timestamps (the columns in
``RAW_COLUMNS``); ``finish`` turns them into the model features (``FEATURES``, in a fixed order).
``ml.local`` computes the same raw columns for a few deals with targeted queries; a test checks that
both paths agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from ml.seniority import SENIOR, levels
from ml.snapshot import Snapshot

LANDMARKS: Final = (14, 30, 60, 90)
RECENT_DAYS: Final = 14.0
SMOOTH: Final = 5.0  # pseudo-deals at the tenant's base rate when turning counts into win rates
CLOSED: Final = ("won", "lost")
HISTORY_GROUPS: Final = ("all", "rep", "account", "product", "rep_account", "rep_product", "family")

CATEGORICAL: Final = ("product", "series", "source", "industry", "country", "region")
PLAIN_NUMERIC: Final = (
    "age_days",
    "deal_size",
    "n_products",
    "has_account",
    "has_rep",
    "has_product",
    "log_employees",
    "log_revenue",
    "account_age_years",
    "tenant_win_rate",
)
ENGAGEMENT: Final = (
    "n_interactions",
    "n_emails",
    "n_meetings",
    "n_calls",
    "n_recent",
    "meeting_share",
    "reply_share",
    "days_since_last",
    "days_since_first",
    "n_contacts_touched",
    "max_level_touched",
    "n_senior_touched",
    "senior_share_touched",
    "dm_engaged",
    "champion_engaged",
    "buyer_engaged",
    "n_reps_involved",
)
STRUCTURE: Final = (
    "account_has_parent",
    "account_n_subsidiaries",
    "account_people",
    "account_senior_people",
    "rep_account_touches",
)
HISTORY: Final = (
    "rep_win_rate",
    "rep_closed",
    "account_win_rate",
    "account_closed",
    "product_win_rate",
    "product_closed",
    "rep_account_win_rate",
    "rep_account_closed",
    "rep_product_win_rate",
    "rep_product_closed",
    "family_win_rate",
    "family_closed",
    "rep_open",
    "account_open",
)
# "Plain" features are what a flat CRM export row has; "graph" ones aggregate over the graph.
PLAIN_FEATURES: Final = (*PLAIN_NUMERIC, *CATEGORICAL)
GRAPH_FEATURES: Final = (*ENGAGEMENT, *STRUCTURE, *HISTORY)
FEATURES: Final = (*PLAIN_FEATURES, *GRAPH_FEATURES)
# Features safe to pass between deals in a GNN: none of them carries another deal's outcome.
LOCAL_NUMERIC: Final = (*PLAIN_NUMERIC[:-1], *ENGAGEMENT, *STRUCTURE)

RAW_COLUMNS: Final = (
    "deal_uid",
    "cut",
    "age_days",
    "account_uid",
    "rep_uid",
    "product_uid",
    "family_uid",
    "product",
    "series",
    "source",
    "industry",
    "country",
    "region",
    "deal_size",
    "n_products",
    "employees",
    "annual_revenue",
    "year_established",
    "account_has_parent",
    "account_n_subsidiaries",
    "n_interactions",
    "n_emails",
    "n_meetings",
    "n_calls",
    "n_recent",
    "n_replies",
    "first_at",
    "last_at",
    "n_contacts_touched",
    "max_level_touched",
    "n_senior_touched",
    "dm_engaged",
    "champion_engaged",
    "buyer_engaged",
    "n_reps_involved",
    *(f"{g}_{c}" for g in HISTORY_GROUPS for c in ("closed", "won")),
    "rep_open",
    "account_open",
    "account_people",
    "account_senior_people",
    "rep_account_touches",
)


@dataclass
class Targets:
    """Deals to compute features for, each at its cut. All arrays have shape ``[n]``.

    ``deal`` indexes the snapshot's Deal table; ``cut`` and ``close`` are days since the epoch;
    ``label`` is 1 won, 0 lost, NaN open; ``age`` is days since ``created_on`` (NaN if unknown).
    """

    deal: np.ndarray
    cut: np.ndarray
    age: np.ndarray
    label: np.ndarray
    close: np.ndarray

    def __len__(self) -> int:
        return len(self.deal)

    def subset(self, mask: np.ndarray) -> Targets:
        return Targets(self.deal[mask], self.cut[mask], self.age[mask], self.label[mask], self.close[mask])


def examples(snap: Snapshot, landmarks: Iterable[int] = LANDMARKS) -> Targets:
    """Closed deals at every landmark age at which they were still open (see the module docstring)."""
    deals = snap.nodes["Deal"]
    status = deals["status"].to_numpy(dtype=object)
    created = deals["created_on"].to_numpy(dtype=np.float64)
    close = deals["close_date"].to_numpy(dtype=np.float64)
    closed = np.isin(status, CLOSED) & ~np.isnan(created) & ~np.isnan(close)
    parts = []
    for k in landmarks:
        idx = np.flatnonzero(closed & (created + k < close))
        parts.append((idx, np.full(len(idx), float(k))))
    idx = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, dtype=np.int64)
    age = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0)
    order = np.lexsort((age, idx))
    idx, age = idx[order].astype(np.int64), age[order]
    label = (status[idx] == "won").astype(np.float64)
    return Targets(idx, created[idx] + age, age, label, close[idx])


def open_deals(snap: Snapshot, at: float) -> Targets:
    """Every open deal, at time ``at`` (days since the epoch)."""
    deals = snap.nodes["Deal"]
    status = deals["status"].to_numpy(dtype=object)
    idx = np.flatnonzero(~np.isin(status, CLOSED)).astype(np.int64)
    created = deals["created_on"].to_numpy(dtype=np.float64)[idx]
    n = len(idx)
    return Targets(idx, np.full(n, at), at - created, np.full(n, np.nan), np.full(n, np.nan))


# --- shared pieces (also used by ml.local) --------------------------------------------------------
def counts_before(
    event_key: np.ndarray, event_day: np.ndarray, target_key: np.ndarray, target_day: np.ndarray
) -> np.ndarray:
    """For each target, how many events have the same key and a day strictly before the target's.

    Keys are int64 (negative = none: counts 0); days are float (NaN events are ignored, a NaN
    target day counts nothing). Exact: events and targets are sorted together, a target before an
    event of the same day. Returns ``[n_targets]`` float64.
    """
    ok = (event_key >= 0) & ~np.isnan(event_day)
    ek, ed = event_key[ok].astype(np.int64), event_day[ok]
    n_e, n_t = len(ek), len(target_key)
    out = np.zeros(n_t, dtype=np.float64)
    if n_e == 0 or n_t == 0:
        return out
    keys = np.concatenate([ek, target_key.astype(np.int64)])
    days = np.concatenate([ed, np.nan_to_num(target_day.astype(np.float64), nan=-np.inf)])
    kind = np.concatenate([np.ones(n_e, dtype=np.int8), np.zeros(n_t, dtype=np.int8)])
    order = np.lexsort((kind, days, keys))
    is_event = kind[order] == 1
    before = np.cumsum(is_event) - is_event  # events strictly before each sorted position
    sorted_keys = keys[order]
    block_start = np.searchsorted(sorted_keys, sorted_keys, side="left")
    counts = (before - before[block_start]).astype(np.float64)
    pos = np.flatnonzero(~is_event)
    out[order[pos] - n_e] = counts[pos]
    out[target_key < 0] = 0.0
    return out


Table = pd.DataFrame | Mapping[str, Any]  # a DataFrame or a dict of equal-length arrays


def first_pairs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Positions of the first occurrence of each distinct ``(a, b)`` pair, in input order (what
    ``drop_duplicates`` keeps). ``a`` and ``b``: non-negative integer arrays ``[n]``."""
    if len(a) == 0:
        return np.zeros(0, dtype=np.int64)
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    key = a * (int(b.max()) + 1) + b
    _, first = np.unique(key, return_index=True)
    return np.sort(first)


def engagement(
    n: int,
    cut: np.ndarray,
    inter: Table,
    contact_parts: Table,
    rep_parts: Table,
) -> dict[str, np.ndarray]:
    """Engagement columns ``[n]`` for ``n`` targets from long tables already cut at each target's time.

    ``inter``: one row per (target ``row``, interaction ``inter``) with ``at`` (days) and ``kind``.
    ``contact_parts``: (``row``, ``inter``, ``contact`` integer id, ``prole`` participant role,
    ``level``, ``deal_role`` the contact's ON_DEAL role on this deal or None). ``rep_parts``:
    (``row``, ``rep`` integer id). Plain numpy, so one deal (the API) costs microseconds.
    """
    rows = np.asarray(inter["row"], dtype=np.int64)
    kind = np.asarray(inter["kind"], dtype=object)
    at = np.asarray(inter["at"], dtype=np.float64)
    out: dict[str, np.ndarray] = {
        "n_interactions": np.bincount(rows, minlength=n).astype(np.float64),
        "n_emails": np.bincount(rows, weights=(kind == "email").astype(float), minlength=n),
        "n_meetings": np.bincount(rows, weights=(kind == "meeting").astype(float), minlength=n),
        "n_calls": np.bincount(rows, weights=(kind == "call").astype(float), minlength=n),
        "n_recent": np.bincount(rows, weights=(at >= cut[rows] - RECENT_DAYS).astype(float), minlength=n),
    }
    first = np.full(n, np.nan)
    last = np.full(n, np.nan)
    np.fmin.at(first, rows, at)  # fmin / fmax skip NaN, as a groupby min / max does
    np.fmax.at(last, rows, at)
    out["first_at"], out["last_at"] = first, last
    crow = np.asarray(contact_parts["row"], dtype=np.int64)
    cinter = np.asarray(contact_parts["inter"], dtype=np.int64)
    contact = np.asarray(contact_parts["contact"], dtype=np.int64)
    sent = np.asarray(contact_parts["prole"], dtype=object) == "from"
    replies = first_pairs(crow[sent], cinter[sent])
    out["n_replies"] = np.bincount(crow[sent][replies], minlength=n).astype(np.float64)
    touched = first_pairs(crow, contact)
    trow = crow[touched]
    tlevel = np.asarray(contact_parts["level"], dtype=np.int64)[touched]
    trole = np.asarray(contact_parts["deal_role"], dtype=object)[touched]
    out["n_contacts_touched"] = np.bincount(trow, minlength=n).astype(np.float64)
    out["n_senior_touched"] = np.bincount(trow, weights=(tlevel >= SENIOR).astype(float), minlength=n)
    max_level = np.zeros(n)
    np.maximum.at(max_level, trow, tlevel.astype(np.float64))
    out["max_level_touched"] = max_level
    for name, role in (
        ("dm_engaged", "decision_maker"),
        ("champion_engaged", "champion"),
        ("buyer_engaged", "economic_buyer"),
    ):
        out[name] = (np.bincount(trow, weights=(trole == role).astype(float), minlength=n) > 0).astype(np.float64)
    rrow = np.asarray(rep_parts["row"], dtype=np.int64)
    reps = first_pairs(rrow, np.asarray(rep_parts["rep"], dtype=np.int64))
    out["n_reps_involved"] = np.bincount(rrow[reps], minlength=n).astype(np.float64)
    return out


def win_rate(won: np.ndarray, closed: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """Smoothed win rate: ``(won + SMOOTH * prior) / (closed + SMOOTH)``."""
    return (won + SMOOTH * prior) / (closed + SMOOTH)


def finish_columns(raw: Table) -> dict[str, np.ndarray]:
    """Raw per-target columns -> the model features ``[n]`` each, in ``FEATURES`` order (categoricals
    as strings or None). ``raw``: a DataFrame or a dict of arrays (the single-deal path)."""

    def num(c: str) -> np.ndarray:
        return np.asarray(raw[c], dtype=np.float64)

    cut = num("cut")
    f: dict[str, np.ndarray] = {}
    f["age_days"] = num("age_days")
    f["deal_size"] = num("deal_size")
    f["n_products"] = num("n_products")
    for name, col in (("has_account", "account_uid"), ("has_rep", "rep_uid"), ("has_product", "product_uid")):
        f[name] = pd.notna(np.asarray(raw[col], dtype=object)).astype(np.float64)
    f["log_employees"] = np.log1p(num("employees"))
    f["log_revenue"] = np.log1p(num("annual_revenue"))
    year = 1970.0 + cut / 365.2425
    f["account_age_years"] = year - num("year_established")
    all_closed = num("all_closed")
    all_won = num("all_won")
    prior = np.where(all_closed > 0, (all_won + 1.0) / (all_closed + 2.0), 0.5)
    f["tenant_win_rate"] = prior
    for c in CATEGORICAL:
        values = np.array(raw[c], dtype=object)  # a copy
        values[pd.isna(values)] = None
        f[c] = values
    n_int = num("n_interactions")
    for c in ("n_interactions", "n_emails", "n_meetings", "n_calls", "n_recent"):
        f[c] = num(c)
    with np.errstate(invalid="ignore", divide="ignore"):
        f["meeting_share"] = np.where(n_int > 0, num("n_meetings") / n_int, np.nan)
        f["reply_share"] = np.where(n_int > 0, num("n_replies") / n_int, np.nan)
        f["days_since_last"] = cut - num("last_at")
        f["days_since_first"] = cut - num("first_at")
        touched = num("n_contacts_touched")
        f["n_contacts_touched"] = touched
        f["max_level_touched"] = num("max_level_touched")
        f["n_senior_touched"] = num("n_senior_touched")
        f["senior_share_touched"] = np.where(touched > 0, num("n_senior_touched") / touched, np.nan)
    for c in ("dm_engaged", "champion_engaged", "buyer_engaged", "n_reps_involved"):
        f[c] = num(c)
    for c in STRUCTURE:
        f[c] = num(c)
    for g in HISTORY_GROUPS[1:]:
        closed = num(f"{g}_closed")
        f[f"{g}_win_rate"] = win_rate(num(f"{g}_won"), closed, prior)
        f[f"{g}_closed"] = closed
    f["rep_open"] = num("rep_open")
    f["account_open"] = num("account_open")
    return {name: f[name] for name in FEATURES}


def finish(raw: pd.DataFrame) -> pd.DataFrame:
    """Raw per-target columns -> the model features, in ``FEATURES`` order (categoricals as strings)."""
    return pd.DataFrame(finish_columns(raw), columns=list(FEATURES), index=raw.index)


# --- batch (whole snapshot) ------------------------------------------------------------------------
@dataclass
class _Keys:
    """Per-deal keys of the snapshot: row indexes (-1 = none), shape ``[n_deals]``."""

    account: np.ndarray
    rep: np.ndarray
    product: np.ndarray  # the deal's main product (highest list price x quantity)
    family: np.ndarray  # the root account of the deal's account hierarchy


def _first_by(src: np.ndarray, dst: np.ndarray, n: int) -> np.ndarray:
    """For each ``dst`` in 0..n-1, the smallest ``src`` linked to it (-1 if none)."""
    out = np.full(n, -1, dtype=np.int64)
    if len(src):
        order = np.lexsort((-src, dst))  # last write wins: smallest src last
        out[dst[order]] = src[order]
    return out


def account_roots(snap: Snapshot) -> np.ndarray:
    """The top ancestor of every account through SUBSIDIARY_OF (itself for roots), ``[n_accounts]``."""
    n = len(snap.nodes["Account"])
    sub = snap.rels["subsidiary_of"]
    parent = np.full(n, -1, dtype=np.int64)
    child, par = sub["src"].to_numpy(dtype=np.int64), sub["dst"].to_numpy(dtype=np.int64)
    parent[child] = par
    root = np.arange(n, dtype=np.int64)
    for _ in range(64):  # a forest; cap the walk in case stored data has a cycle
        p = parent[root]
        step = p >= 0
        if not step.any():
            break
        root = np.where(step, p, root)
    return root


def contact_levels(snap: Snapshot) -> np.ndarray:
    """Seniority level of every contact from its current title, ``[n_contacts]``."""
    return levels(snap.nodes["Contact"]["title"].to_numpy(dtype=object))


def deal_keys(snap: Snapshot) -> _Keys:
    n = len(snap.nodes["Deal"])
    fa = snap.rels["for_account"]
    account = _first_by(fa["dst"].to_numpy(dtype=np.int64), fa["src"].to_numpy(dtype=np.int64), n)
    ow = snap.rels["owns"]
    rep = _first_by(ow["src"].to_numpy(dtype=np.int64), ow["dst"].to_numpy(dtype=np.int64), n)
    inc = snap.rels["includes"]
    product = np.full(n, -1, dtype=np.int64)
    if len(inc):
        price = snap.nodes["Product"]["list_price"].to_numpy(dtype=np.float64)
        qty = np.nan_to_num(inc["quantity"].to_numpy(dtype=np.float64), nan=1.0)
        value = np.nan_to_num(price[inc["dst"].to_numpy(dtype=np.int64)], nan=0.0) * qty
        frame = pd.DataFrame({"deal": inc["src"], "product": inc["dst"], "value": value})
        frame = frame.sort_values(["deal", "value", "product"], ascending=[True, False, True])
        first = frame.drop_duplicates("deal")
        product[first["deal"].to_numpy(dtype=np.int64)] = first["product"].to_numpy(dtype=np.int64)
    roots = account_roots(snap)
    family = np.where(account >= 0, roots[np.maximum(account, 0)], -1)
    return _Keys(account, rep, product, family)


def _static(snap: Snapshot, t: Targets, keys: _Keys) -> dict[str, np.ndarray]:
    deals, accounts = snap.nodes["Deal"], snap.nodes["Account"]
    reps, products = snap.nodes["Rep"], snap.nodes["Product"]
    a, r, p = keys.account[t.deal], keys.rep[t.deal], keys.product[t.deal]
    fam = keys.family[t.deal]

    def pick(frame: pd.DataFrame, col: str, idx: np.ndarray, numeric: bool = False) -> np.ndarray:
        values = frame[col].to_numpy(dtype=np.float64 if numeric else object)
        out = np.full(len(idx), np.nan if numeric else None, dtype=np.float64 if numeric else object)
        ok = idx >= 0
        out[ok] = values[idx[ok]]
        return out

    inc = snap.rels["includes"]
    price = products["list_price"].to_numpy(dtype=np.float64)
    qty = np.nan_to_num(inc["quantity"].to_numpy(dtype=np.float64), nan=1.0)
    line = np.nan_to_num(price[inc["dst"].to_numpy(dtype=np.int64)], nan=0.0) * qty
    n_deals = len(deals)
    size = np.bincount(inc["src"].to_numpy(dtype=np.int64), weights=line, minlength=n_deals)
    nprod = np.bincount(inc["src"].to_numpy(dtype=np.int64), minlength=n_deals).astype(np.float64)
    sub = snap.rels["subsidiary_of"]
    n_acc = len(accounts)
    has_parent = np.bincount(sub["src"].to_numpy(dtype=np.int64), minlength=n_acc) > 0
    n_children = np.bincount(sub["dst"].to_numpy(dtype=np.int64), minlength=n_acc).astype(np.float64)
    ok = a >= 0
    acc_parent = np.full(len(a), np.nan)
    acc_children = np.full(len(a), np.nan)
    acc_parent[ok] = has_parent[a[ok]].astype(np.float64)
    acc_children[ok] = n_children[a[ok]]
    return {
        "deal_uid": deals["uid"].to_numpy(dtype=object)[t.deal],
        "account_uid": pick(accounts, "uid", a),
        "rep_uid": pick(reps, "uid", r),
        "product_uid": pick(products, "uid", p),
        "family_uid": pick(accounts, "uid", fam),
        "product": pick(products, "name", p),
        "series": pick(products, "series", p),
        "source": deals["source"].to_numpy(dtype=object)[t.deal],
        "industry": pick(accounts, "industry", a),
        "country": pick(accounts, "country", a),
        "region": pick(reps, "region", r),
        "deal_size": np.where(nprod[t.deal] > 0, size[t.deal], np.nan),
        "n_products": nprod[t.deal],
        "employees": pick(accounts, "employees", a, numeric=True),
        "annual_revenue": pick(accounts, "annual_revenue", a, numeric=True),
        "year_established": pick(accounts, "year_established", a, numeric=True),
        "account_has_parent": acc_parent,
        "account_n_subsidiaries": acc_children,
    }


def interactions_before_cut(snap: Snapshot, t: Targets) -> pd.DataFrame:
    """(``row``, ``deal``, ``inter``, ``at``, ``kind``): interactions about each target's deal before its cut."""
    tgt = pd.DataFrame({"row": np.arange(len(t)), "deal": t.deal, "cut": t.cut})
    about = snap.rels["about_deal"].rename(columns={"src": "inter", "dst": "deal"})[["inter", "deal"]]
    m = tgt.merge(about, on="deal")
    inter_nodes = snap.nodes["Interaction"]
    m["at"] = inter_nodes["occurred_at"].to_numpy(dtype=np.float64)[m["inter"].to_numpy(dtype=np.int64)]
    m["kind"] = inter_nodes["kind"].to_numpy(dtype=object)[m["inter"].to_numpy(dtype=np.int64)]
    return m[m["at"] < m["cut"]].drop_duplicates(["row", "inter"]).reset_index(drop=True)


def touched_pairs(snap: Snapshot, t: Targets) -> pd.DataFrame:
    """(``row``, ``contact``): contacts in an interaction about each target's deal before its cut."""
    m = interactions_before_cut(snap, t)
    ci = snap.rels["contact_in"].rename(columns={"src": "contact", "dst": "inter"})
    return m[["row", "inter"]].merge(ci[["contact", "inter"]], on="inter")[["row", "contact"]].drop_duplicates()


def _engagement_batch(snap: Snapshot, t: Targets, clevel: np.ndarray) -> dict[str, np.ndarray]:
    n = len(t)
    m = interactions_before_cut(snap, t)
    ci = snap.rels["contact_in"].rename(columns={"src": "contact", "dst": "inter", "role": "prole"})
    cp = m[["row", "deal", "inter"]].merge(ci[["contact", "inter", "prole"]], on="inter")
    od = snap.rels["on_deal"].rename(columns={"src": "contact", "dst": "deal", "role": "deal_role"})
    od = od.drop_duplicates(["contact", "deal"])
    cp = cp.merge(od[["contact", "deal", "deal_role"]], on=["contact", "deal"], how="left")
    cp["level"] = clevel[cp["contact"].to_numpy(dtype=np.int64)]
    cp["deal_role"] = cp["deal_role"].astype(object).where(cp["deal_role"].notna(), None)
    ri = snap.rels["rep_in"].rename(columns={"src": "rep", "dst": "inter"})
    rp = m[["row", "inter"]].merge(ri[["rep", "inter"]], on="inter")
    return engagement(n, t.cut, m, cp, rp)


def _closed_events(snap: Snapshot) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(deal index, close day, won, created day) of every deal, ``[n_deals]`` each."""
    deals = snap.nodes["Deal"]
    status = deals["status"].to_numpy(dtype=object)
    close = deals["close_date"].to_numpy(dtype=np.float64)
    close = np.where(np.isin(status, CLOSED), close, np.nan)
    won = (status == "won").astype(np.float64)
    created = deals["created_on"].to_numpy(dtype=np.float64)
    return np.arange(len(deals)), close, won, created


def _history_batch(snap: Snapshot, t: Targets, keys: _Keys) -> dict[str, np.ndarray]:
    idx, close, won, created = _closed_events(snap)
    n_acc = max(1, len(snap.nodes["Account"]))
    n_prod = max(1, len(snap.nodes["Product"]))
    inc = snap.rels["includes"]
    inc_deal = inc["src"].to_numpy(dtype=np.int64)
    inc_prod = inc["dst"].to_numpy(dtype=np.int64)

    def pair(a: np.ndarray, b: np.ndarray, nb: int) -> np.ndarray:
        return np.where((a >= 0) & (b >= 0), a * nb + b, -1)

    # (event keys, event deals) per group; product groups count a deal once per product it includes
    groups: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {
        "all": (np.zeros(len(idx), dtype=np.int64), idx, np.zeros(len(t), dtype=np.int64)),
        "rep": (keys.rep, idx, keys.rep[t.deal]),
        "account": (keys.account, idx, keys.account[t.deal]),
        "family": (keys.family, idx, keys.family[t.deal]),
        "rep_account": (
            pair(keys.rep, keys.account, n_acc),
            idx,
            pair(keys.rep[t.deal], keys.account[t.deal], n_acc),
        ),
        "product": (inc_prod, inc_deal, keys.product[t.deal]),
        "rep_product": (
            pair(keys.rep[inc_deal], inc_prod, n_prod),
            inc_deal,
            pair(keys.rep[t.deal], keys.product[t.deal], n_prod),
        ),
    }
    out: dict[str, np.ndarray] = {}
    for g, (ekey, edeal, tkey) in groups.items():
        out[f"{g}_closed"] = counts_before(ekey, close[edeal], tkey, t.cut)
        won_key = np.where(won[edeal] > 0, ekey, -1)
        out[f"{g}_won"] = counts_before(won_key, close[edeal], tkey, t.cut)
    for g, key in (("rep", keys.rep), ("account", keys.account)):
        tkey = key[t.deal]
        created_n = counts_before(key, created, tkey, t.cut)
        closed_n = counts_before(np.where(~np.isnan(created), key, -1), close, tkey, t.cut)
        out[f"{g}_open"] = created_n - closed_n
    return out


def _structure_batch(snap: Snapshot, t: Targets, keys: _Keys, clevel: np.ndarray) -> dict[str, np.ndarray]:
    wa = snap.rels["works_at"]
    contact = wa["src"].to_numpy(dtype=np.int64)
    account = wa["dst"].to_numpy(dtype=np.int64)
    since = np.nan_to_num(wa["since"].to_numpy(dtype=np.float64), nan=-1e9)
    until = wa["until"].to_numpy(dtype=np.float64)
    tacc = keys.account[t.deal]
    senior = clevel[contact] >= SENIOR
    people = counts_before(account, since, tacc, t.cut) - counts_before(account, until, tacc, t.cut)
    sacc = np.where(senior, account, -1)
    seniors = counts_before(sacc, since, tacc, t.cut) - counts_before(sacc, until, tacc, t.cut)
    # interactions between the deal's rep and anyone working at the deal's account, before the cut
    ri = snap.rels["rep_in"][["src", "dst"]].rename(columns={"src": "rep", "dst": "inter"})
    ci = snap.rels["contact_in"][["src", "dst"]].rename(columns={"src": "contact", "dst": "inter"})
    wac = pd.DataFrame({"contact": contact, "account": account})
    ev = ri.merge(ci, on="inter").merge(wac, on="contact")[["rep", "account", "inter"]].drop_duplicates()
    n_acc = max(1, len(snap.nodes["Account"]))
    ekey = ev["rep"].to_numpy(dtype=np.int64) * n_acc + ev["account"].to_numpy(dtype=np.int64)
    eday = snap.nodes["Interaction"]["occurred_at"].to_numpy(dtype=np.float64)[ev["inter"].to_numpy(dtype=np.int64)]
    trep = keys.rep[t.deal]
    tkey = np.where((trep >= 0) & (tacc >= 0), trep * n_acc + tacc, -1)
    touches = counts_before(ekey, eday, tkey, t.cut)
    missing = tacc < 0
    return {
        "account_people": np.where(missing, np.nan, people),
        "account_senior_people": np.where(missing, np.nan, seniors),
        "rep_account_touches": np.where(tkey < 0, np.nan, touches),
    }


def raw_features(snap: Snapshot, t: Targets) -> pd.DataFrame:
    """Raw per-target columns (``RAW_COLUMNS``) for targets of one snapshot, ``[len(t), ...]``."""
    keys = deal_keys(snap)
    clevel = contact_levels(snap)
    cols: dict[str, object] = {"cut": t.cut, "age_days": t.age}
    cols |= _static(snap, t, keys)
    eng = _engagement_batch(snap, t, clevel)
    cols |= eng
    cols |= _history_batch(snap, t, keys)
    cols |= _structure_batch(snap, t, keys, clevel)
    return pd.DataFrame({c: cols[c] for c in RAW_COLUMNS})


def deal_features(snap: Snapshot, t: Targets) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(raw, features)`` for the targets: raw columns for reasons, model features for models."""
    raw = raw_features(snap, t)
    return raw, finish(raw)
