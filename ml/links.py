"""Who knows whom: the person graph, its temporal hold-out, pair features, baselines and evaluation.

People are contacts and reps. Two people *know each other* from the first interaction they both
took part in (any role); the pair's date is that first interaction's ``occurred_at``. A future
edge is a pair whose first shared interaction is at or after the hold-out time.

Protocol (``evaluate_links``):

- ``T_test`` = 80th percentile of pair dates. Pairs before it are the *observed* graph; pairs on or
  after it between people who both exist are the test positives.
- Negatives. Each positive is oriented (anchor, target), the target being the side with an account
  (the contact of a rep-contact pair). *Hard*: people at the target's account who are not
  connected to the anchor (now or later). *Random*: any person not connected to the anchor. AUC
  is reported against both; Hits@10 ranks each positive among its own hard negatives (up to
  ``N_HARD``), with the average number of candidates reported, since small accounts make the
  ranking easy.
- Training for the GNN uses only the observed graph: ``T_train`` = 80th percentile of the observed
  pair dates splits it again into message edges (before) and supervision pairs (after), so the
  encoder never sees the edges it is asked to predict.
- Baselines on the observed graph: Adamic-Adar, common neighbours, same account.

Pair features (``pair_features``, ``[n_pairs, 4]``): common neighbours, Adamic-Adar, same account,
reporting line between the two (either direction).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
from scipy import sparse

from ml.metrics import auc, hits_at_k
from ml.seniority import levels
from ml.snapshot import Snapshot

HOLDOUT_QUANTILE: Final = 0.8
N_HARD: Final = 100
PAIR_FEATURES: Final = ("common_neighbours", "adamic_adar", "same_account", "reporting_line")


@dataclass
class PersonGraph:
    """People of a snapshot (contacts first, then reps) and the pairs that know each other.

    Shapes: ``uids``, ``names``, ``is_rep``, ``level``, ``account`` are ``[n_people]``
    (``account`` = the contact's current account index, -1 for reps and contacts without one);
    ``pairs`` has one row per known pair ``u < v`` with ``first`` (days) and ``n`` interactions;
    ``reports`` is ``[n_lines, 2]`` (person, manager)."""

    uids: np.ndarray
    names: np.ndarray
    is_rep: np.ndarray
    level: np.ndarray
    account: np.ndarray
    n_accounts: int
    pairs: pd.DataFrame
    reports: np.ndarray

    @property
    def n(self) -> int:
        return len(self.uids)


def person_graph(snap: Snapshot) -> PersonGraph:
    contacts, reps = snap.nodes["Contact"], snap.nodes["Rep"]
    nc = len(contacts)
    uids = np.r_[contacts["uid"].to_numpy(dtype=object), reps["uid"].to_numpy(dtype=object)]
    names = np.r_[contacts["name"].to_numpy(dtype=object), reps["name"].to_numpy(dtype=object)]
    is_rep = np.r_[np.zeros(nc, dtype=bool), np.ones(len(reps), dtype=bool)]
    level = np.r_[levels(contacts["title"].to_numpy(dtype=object)), levels(reps["title"].to_numpy(dtype=object))]
    wa = snap.rels["works_at"]
    current = wa[wa["until"].isna()].sort_values(["src", "dst"]).drop_duplicates("src")
    account = np.full(len(uids), -1, dtype=np.int64)
    account[current["src"].to_numpy(dtype=np.int64)] = current["dst"].to_numpy(dtype=np.int64)
    parts = pd.concat(
        [
            pd.DataFrame({"inter": snap.rels["contact_in"]["dst"], "p": snap.rels["contact_in"]["src"]}),
            pd.DataFrame({"inter": snap.rels["rep_in"]["dst"], "p": snap.rels["rep_in"]["src"] + nc}),
        ],
        ignore_index=True,
    ).drop_duplicates()
    at = snap.nodes["Interaction"]["occurred_at"].to_numpy(dtype=np.float64)
    both = parts.merge(parts, on="inter")
    both = both[both["p_x"] < both["p_y"]]
    both = both.assign(at=at[both["inter"].to_numpy(dtype=np.int64)])
    pairs = (
        both.groupby(["p_x", "p_y"])
        .agg(first=("at", "min"), n=("inter", "nunique"))
        .reset_index()
        .rename(columns={"p_x": "u", "p_y": "v"})
    )
    rt = snap.rels["reports_to"]
    reports = np.stack([rt["src"].to_numpy(dtype=np.int64), rt["dst"].to_numpy(dtype=np.int64)], axis=1)
    return PersonGraph(uids, names, is_rep, level, account, len(snap.nodes["Account"]), pairs, reports)


def adjacency(n: int, u: np.ndarray, v: np.ndarray) -> sparse.csr_matrix:
    """Symmetric 0/1 adjacency ``[n, n]`` of the pairs."""
    data = np.ones(2 * len(u))
    a = sparse.csr_matrix((data, (np.r_[u, v], np.r_[v, u])), shape=(n, n))
    a.data[:] = 1.0
    return a


def pair_features(g: PersonGraph, adj: sparse.csr_matrix, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``[n_pairs, 4]``: common neighbours, Adamic-Adar, same account, reporting line."""
    if len(u) == 0:
        return np.zeros((0, len(PAIR_FEATURES)), dtype=np.float32)
    deg = np.asarray(adj.sum(axis=1)).ravel()
    weight = np.where(deg > 1, 1.0 / np.log(np.maximum(deg, 2)), 0.0)
    au, av = adj[u], adj[v]
    common = au.multiply(av)
    cn = np.asarray(common.sum(axis=1)).ravel()
    aa = np.asarray(common.multiply(weight[None, :]).sum(axis=1)).ravel()
    same = ((g.account[u] >= 0) & (g.account[u] == g.account[v])).astype(np.float64)
    lines = set(map(tuple, g.reports.tolist())) if len(g.reports) else set()
    rl = np.asarray([(a, b) in lines or (b, a) in lines for a, b in zip(u.tolist(), v.tolist(), strict=True)], float)
    return np.stack([cn, aa, same, rl], axis=1).astype(np.float32)


@dataclass
class LinkSplit:
    """Observed pairs (message passing) and the held-out future pairs, by date."""

    observed: pd.DataFrame
    future: pd.DataFrame
    cut: float


def temporal_holdout(pairs: pd.DataFrame, quantile: float = HOLDOUT_QUANTILE) -> LinkSplit:
    cut = float(np.quantile(pairs["first"].to_numpy(), quantile)) if len(pairs) else 0.0
    observed = pairs[pairs["first"] < cut].reset_index(drop=True)
    future = pairs[pairs["first"] >= cut].reset_index(drop=True)
    return LinkSplit(observed, future, cut)


def staff_by_account(g: PersonGraph) -> dict[int, np.ndarray]:
    order = np.argsort(g.account, kind="stable")
    acc = g.account[order]
    out: dict[int, np.ndarray] = {}
    starts = np.flatnonzero(np.r_[True, acc[1:] != acc[:-1]])
    ends = np.r_[starts[1:], len(acc)]
    for s, e in zip(starts, ends, strict=True):
        if acc[s] >= 0:
            out[int(acc[s])] = order[s:e]
    return out


def orient(g: PersonGraph, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(anchor, target) per pair: the target is the side with an account (a contact), so corrupting it
    with a colleague keeps the pair's kind (rep-contact stays rep-contact)."""
    swap = (g.account[v] < 0) & (g.account[u] >= 0)
    return np.where(swap, v, u), np.where(swap, u, v)


def negatives(
    g: PersonGraph,
    anchor: np.ndarray,
    target: np.ndarray,
    known: set[tuple[int, int]],
    rng: np.random.Generator,
    *,
    n_hard: int = N_HARD,
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Per (anchor, target) positive: hard negatives (people at the target's account not known to the
    anchor, up to ``n_hard``); plus one random negative ``(anchor, r)`` per positive (``[n_pos]`` each)."""
    staff = staff_by_account(g)
    hard: list[np.ndarray] = []
    for a, t in zip(anchor.tolist(), target.tolist(), strict=True):
        pool = staff.get(int(g.account[t]), np.zeros(0, dtype=np.int64))
        cand = [int(w) for w in pool if w != a and w != t and (min(a, int(w)), max(a, int(w))) not in known]
        if len(cand) > n_hard:
            cand = rng.choice(cand, n_hard, replace=False).tolist()
        hard.append(np.asarray(cand, dtype=np.int64))
    rand = rng.integers(0, g.n, len(anchor))
    for i, (a, r) in enumerate(zip(anchor.tolist(), rand.tolist(), strict=True)):
        tries = 0
        while (r == a or (min(a, r), max(a, r)) in known) and tries < 100:
            r, tries = int(rng.integers(0, g.n)), tries + 1
        rand[i] = r
    return hard, anchor.copy(), rand


def known_pairs(pairs: pd.DataFrame) -> set[tuple[int, int]]:
    return set(
        zip(pairs["u"].to_numpy(dtype=np.int64).tolist(), pairs["v"].to_numpy(dtype=np.int64).tolist(), strict=True)
    )


def ranking_report(pos: np.ndarray, hard: list[np.ndarray], rand: np.ndarray) -> dict[str, float]:
    """AUC vs hard and vs random negatives, Hits@10 among hard negatives, from scores."""
    flat_hard = np.concatenate(hard) if hard else np.zeros(0)
    y_h = np.r_[np.ones(len(pos)), np.zeros(len(flat_hard))]
    y_r = np.r_[np.ones(len(pos)), np.zeros(len(rand))]
    return {
        "auc_hard": auc(y_h, np.r_[pos, flat_hard]),
        "auc_random": auc(y_r, np.r_[pos, rand]),
        "hits10_hard": hits_at_k(pos, hard, 10),
    }


def evaluation_pairs(g: PersonGraph, split: LinkSplit, seed: int = 7) -> dict[str, Any]:
    """Test positives (new pairs after the hold-out) and their negatives, as index arrays."""
    rng = np.random.default_rng(seed)
    fut = split.future
    u, v = orient(g, fut["u"].to_numpy(dtype=np.int64), fut["v"].to_numpy(dtype=np.int64))
    known = known_pairs(pd.concat([split.observed, split.future]))
    hard, ru, rv = negatives(g, u, v, known, rng)
    keep = np.asarray([len(h) > 0 for h in hard], dtype=bool)
    return {
        "u": u[keep],
        "v": v[keep],
        "hard": [h for h, k in zip(hard, keep, strict=True) if k],
        "rand_u": ru[keep],
        "rand_v": rv[keep],
        "dropped_no_hard_negative": int((~keep).sum()),
    }


def score_pairs_baseline(feats: np.ndarray, name: str) -> np.ndarray:
    return feats[:, PAIR_FEATURES.index(name)].astype(np.float64)


def baseline_reports(g: PersonGraph, split: LinkSplit, ev: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Adamic-Adar, common neighbours and same-account scored on the observed graph."""
    adj = adjacency(g.n, split.observed["u"].to_numpy(dtype=np.int64), split.observed["v"].to_numpy(dtype=np.int64))
    hard_u = (
        np.concatenate([np.full(len(h), u) for u, h in zip(ev["u"], ev["hard"], strict=True)])
        if ev["hard"]
        else np.zeros(0, dtype=np.int64)
    )
    hard_v = np.concatenate(ev["hard"]) if ev["hard"] else np.zeros(0, dtype=np.int64)
    fp = pair_features(g, adj, ev["u"], ev["v"])
    fh = pair_features(g, adj, hard_u.astype(np.int64), hard_v.astype(np.int64))
    fr = pair_features(g, adj, ev["rand_u"], ev["rand_v"])
    sizes = [len(h) for h in ev["hard"]]
    out = {}
    for name in ("adamic_adar", "common_neighbours", "same_account"):
        p = score_pairs_baseline(fp, name)
        h = score_pairs_baseline(fh, name)
        hard_lists = np.split(h, np.cumsum(sizes)[:-1]) if sizes else []
        out[name] = ranking_report(p, hard_lists, score_pairs_baseline(fr, name))
    return out
