"""Per-deal reasons in plain words, from the gradient-boosting model's feature contributions.

LightGBM's ``pred_contrib`` gives each feature's additive share of the deal's log-odds (TreeSHAP).
Features that describe the same thing (the owner's track record, engagement recency, ...) are
summed into one *topic*; the topics that move the prediction most become sentences written from
the deal's raw values ("no decision maker engaged", "last interaction 45 days ago", "rep wins 62%
of deals like this"). Missing facts (no account, no owner, no interactions) always come first, with
``direction = "missing"``.

A reason is ``{"text", "direction": "raises" | "lowers" | "missing", "effect"}`` where ``effect``
is the topic's contribution in log-odds (None for missing facts).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

Row = dict[str, Any]

MIN_EFFECT: Final = 0.02
MAX_REASONS: Final = 5

NO_INTERACTIONS: Final = "no interactions recorded yet"
NO_CONTACTS: Final = "no contacts engaged on the deal yet"
LEVEL_NAMES: Final = {0: "unknown", 1: "individual contributor", 2: "manager", 3: "director", 4: "VP", 5: "executive"}


def _num(row: Row, key: str) -> float:
    v = row.get(key)
    try:
        return float(v) if v is not None else float("nan")
    except (TypeError, ValueError):
        return float("nan")


def _pct(x: float) -> str:
    return f"{round(100 * x)}%"


def _int(x: float) -> int:
    return 0 if math.isnan(x) else round(x)


def _recency(r: Row, up: bool) -> str:
    n = _num(r, "n_interactions")
    if not n:
        return NO_INTERACTIONS
    days = _num(r, "days_since_last")
    recent = _int(_num(r, "n_recent"))
    tail = f" ({recent} in the last 14 days)" if recent else " (none in the last 14 days)"
    return f"last interaction {_int(days)} days ago{tail}"


def _volume(r: Row, up: bool) -> str:
    n = _int(_num(r, "n_interactions"))
    if n == 0:
        return NO_INTERACTIONS
    parts = [f"{_int(_num(r, k))} {name}" for k, name in (("n_meetings", "meetings"), ("n_calls", "calls"))]
    text = f"{n} interaction{'s' if n != 1 else ''} so far ({_int(_num(r, 'n_emails'))} emails, {', '.join(parts)})"
    share = _num(r, "reply_share")
    if not math.isnan(share):
        text += f"; {_pct(share)} are replies from the customer"
    return text


def _decision_maker(r: Row, up: bool) -> str:
    if _num(r, "dm_engaged") > 0:
        return "decision maker engaged"
    if _num(r, "buyer_engaged") > 0:
        return "economic buyer engaged, but no decision maker"
    return "no decision maker engaged"


def _champion(r: Row, up: bool) -> str:
    return "strong champion engaged" if _num(r, "champion_engaged") > 0 else "no champion engaged"


def _seniority(r: Row, up: bool) -> str:
    n = _int(_num(r, "n_contacts_touched"))
    if n == 0:
        return NO_CONTACTS
    senior = _int(_num(r, "n_senior_touched"))
    if senior == 0:
        top = LEVEL_NAMES.get(_int(_num(r, "max_level_touched")), "unknown")
        return f"no senior contact (VP or above) touched; the most senior is at {top} level"
    return f"{senior} of {n} contacts engaged are VP or above"


def _rate(kind: str) -> Callable[[Row, bool], str]:
    def text(r: Row, up: bool) -> str:
        closed = _int(_num(r, f"{kind}_closed"))
        won = _int(_num(r, f"{kind}_won"))
        if closed == 0:
            return {
                "rep": "the owner has no closed deals yet",
                "rep_product": "the owner has not closed a deal for this product yet",
                "account": "no past deals with this account",
                "family": "no past deals with this account's corporate family",
                "rep_account": "the owner has not closed a deal with this account before",
                "product": "no closed deals for this product yet",
            }[kind]
        p = _pct(won / closed)
        return {
            "rep": f"rep wins {p} of their deals ({won} of {closed})",
            "rep_product": f"rep wins {p} of deals like this ({won} of {closed} for this product)",
            "account": f"this account bought in {won} of {closed} past deals",
            "family": f"its corporate family bought in {won} of {closed} past deals",
            "rep_account": f"the owner won {won} of {closed} past deals with this account",
            "product": f"{r.get('product') or 'this product'} deals win {p} of the time ({closed} closed)",
        }[kind]

    return text


def _relationship(r: Row, up: bool) -> str:
    t = _num(r, "rep_account_touches")
    if math.isnan(t):
        return "no owner/account relationship to go on"
    if t == 0:
        return "the owner has never interacted with anyone at this account"
    return f"the owner has {_int(t)} past interactions with people at this account"


def _pipeline(r: Row, up: bool) -> str:
    return f"the owner has {_int(_num(r, 'rep_open'))} open deals at the moment"


def _account(r: Row, up: bool) -> str:
    bits = [str(r["industry"])] if r.get("industry") else []
    emp = _num(r, "employees")
    if not math.isnan(emp):
        bits.append(f"{_int(emp):,} employees")
    people = _num(r, "account_people")
    if not math.isnan(people):
        bits.append(f"{_int(people)} known people")
    return f"account profile ({', '.join(bits)})" if bits else "account profile"


def _deal(r: Row, up: bool) -> str:
    size = _num(r, "deal_size")
    product = r.get("product")
    if math.isnan(size):
        return f"deal for {product}" if product else "deal size unknown"
    return f"deal size {size:,.0f} at list price" + (f" ({product})" if product else "")


def _age(r: Row, up: bool) -> str:
    age = _num(r, "age_days")
    return "creation date unknown" if math.isnan(age) else f"open for {_int(age)} days"


def _base(r: Row, up: bool) -> str:
    closed, won = _num(r, "all_closed"), _num(r, "all_won")
    return f"recent overall win rate {_pct(won / closed)}" if closed else "no closed deals in the tenant yet"


def _region(r: Row, up: bool) -> str:
    return f"rep region {r.get('region')}" if r.get("region") else "rep region unknown"


# topic -> (features summed into it, sentence)
TOPICS: Final[dict[str, tuple[tuple[str, ...], Callable[[Row, bool], str]]]] = {
    "recency": (("days_since_last", "n_recent", "days_since_first"), _recency),
    "volume": (
        ("n_interactions", "n_emails", "n_meetings", "n_calls", "meeting_share", "reply_share", "n_reps_involved"),
        _volume,
    ),
    "decision_maker": (("dm_engaged", "buyer_engaged"), _decision_maker),
    "champion": (("champion_engaged",), _champion),
    "seniority": (("n_contacts_touched", "max_level_touched", "n_senior_touched", "senior_share_touched"), _seniority),
    "rep": (("rep_win_rate", "rep_closed"), _rate("rep")),
    "rep_product": (("rep_product_win_rate", "rep_product_closed"), _rate("rep_product")),
    "account_history": (("account_win_rate", "account_closed"), _rate("account")),
    "family": (("family_win_rate", "family_closed"), _rate("family")),
    "rep_account": (("rep_account_win_rate", "rep_account_closed"), _rate("rep_account")),
    "relationship": (("rep_account_touches",), _relationship),
    "product_history": (("product_win_rate", "product_closed"), _rate("product")),
    "pipeline": (("rep_open", "account_open"), _pipeline),
    "account": (
        (
            "log_employees",
            "log_revenue",
            "account_age_years",
            "industry",
            "country",
            "account_people",
            "account_senior_people",
            "account_has_parent",
            "account_n_subsidiaries",
            "has_account",
        ),
        _account,
    ),
    "deal": (("deal_size", "n_products", "product", "series", "source", "has_product"), _deal),
    "age": (("age_days",), _age),
    "base_rate": (("tenant_win_rate",), _base),
    "region": (("region", "has_rep"), _region),
}


def missing_facts(raw: Row) -> list[dict[str, Any]]:
    """What the deal lacks, in words (always reported, whatever the model made of it)."""
    out = []
    if raw.get("account_uid") is None:
        out.append("no account linked to the deal")
    if raw.get("rep_uid") is None:
        out.append("no owner (rep) on the deal")
    if raw.get("product_uid") is None:
        out.append("no product on the deal")
    if not _num(raw, "n_contacts_touched"):
        out.append(NO_CONTACTS)
    if not _num(raw, "n_interactions"):
        out.append(NO_INTERACTIONS)
    return [{"text": t, "direction": "missing", "effect": None} for t in out]


def explain(raw: Row, feats: Row, contrib: Sequence[float], names: Sequence[str]) -> list[dict[str, Any]]:
    """Reasons for one deal: missing facts, then the strongest topics by |contribution|."""
    row = {**raw, **feats}
    by_feature = dict(zip(names, contrib, strict=False))
    scored = []
    for topic, (members, sentence) in TOPICS.items():
        effect = float(sum(by_feature.get(f, 0.0) for f in members))
        if abs(effect) >= MIN_EFFECT:
            scored.append((abs(effect), topic, effect, sentence))
    scored.sort(key=lambda s: -s[0])
    out = missing_facts(row)
    n_missing = len(out)
    index = {r["text"]: r for r in out}
    for _, _, effect, sentence in scored:
        text = sentence(row, effect > 0)
        if text in index:  # a missing fact the model weighed: give it the effect
            if index[text]["effect"] is None:
                index[text]["effect"] = round(effect, 3)
            continue
        reason = {"text": text, "direction": "raises" if effect > 0 else "lowers", "effect": round(effect, 3)}
        index[text] = reason
        out.append(reason)
        if len(out) >= MAX_REASONS + n_missing:
            break
    return out


def explain_all(
    raw: pd.DataFrame | Mapping[str, Any],
    feats: pd.DataFrame | Mapping[str, Any],
    contrib: np.ndarray,
    names: Sequence[str],
) -> list[list[Any]]:
    """Reasons for every row (``contrib`` is ``[n, len(names) + 1]``); ``raw`` and ``feats``:
    DataFrames or dicts of equal-length arrays."""
    raw_rows = _records(raw)
    feat_rows = _records(feats)
    return [explain(r, f, c[: len(names)], names) for r, f, c in zip(raw_rows, feat_rows, contrib, strict=True)]


def _records(frame: pd.DataFrame | Mapping[str, Any]) -> list[Row]:
    """Rows as dicts, a missing value (None or NaN) as None (pandas 3 stores a missing string as
    NaN, and ``missing_facts`` asks ``is None``); ``_num`` reads None as NaN again.
    (``DataFrame.to_dict('records')`` costs ~10 ms for one wide row.)"""
    if isinstance(frame, pd.DataFrame):
        cols = list(frame.columns)
        values = frame.to_numpy(dtype=object)
    else:
        cols = list(frame)
        values = np.empty((len(next(iter(frame.values()))) if cols else 0, len(cols)), dtype=object)
        for j, c in enumerate(cols):
            values[:, j] = np.asarray(frame[c], dtype=object)
    values[pd.isna(values)] = None
    return [dict(zip(cols, r, strict=True)) for r in values]
