"""Metrics and calibrators, in numpy (no scikit-learn in this environment).

- ``auc``: ROC AUC by the rank-sum (Mann-Whitney) formula, ties averaged.
- ``average_precision``: PR-AUC as average precision (step-wise, as scikit-learn computes it).
- ``ece``: expected calibration error over ``bins`` equal-width probability bins.
- ``hits_at_k``: share of positives ranked in the top ``k`` against their own negatives.
- ``Isotonic`` (pool-adjacent-violators, linear interpolation between fitted steps) and ``Platt``
  (logistic fit of the logit): calibrators fitted on a validation slice, serialisable to JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import optimize, stats


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC of ``score`` for binary labels ``y`` (NaN when only one class is present)."""
    y = np.asarray(y, dtype=np.float64)
    score = np.asarray(score, dtype=np.float64)
    pos = y > 0.5
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = stats.rankdata(score)
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def average_precision(y: np.ndarray, score: np.ndarray) -> float:
    """Average precision (area under the precision-recall curve, step-wise)."""
    y = np.asarray(y, dtype=np.float64)
    score = np.asarray(score, dtype=np.float64)
    n_pos = float((y > 0.5).sum())
    if n_pos == 0:
        return float("nan")
    order = np.argsort(-score, kind="mergesort")
    ys, ss = y[order] > 0.5, score[order]
    tp = np.cumsum(ys)
    fp = np.cumsum(~ys)
    last = np.r_[np.flatnonzero(np.diff(ss) != 0), len(ss) - 1]  # last index of each distinct score
    tp, fp = tp[last].astype(np.float64), fp[last].astype(np.float64)
    precision = tp / (tp + fp)
    recall = tp / n_pos
    prev = np.r_[0.0, recall[:-1]]
    return float(np.sum((recall - prev) * precision))


def ece(y: np.ndarray, prob: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: sum over bins of |mean(prob) - mean(y)| weighted by bin share."""
    y = np.asarray(y, dtype=np.float64)
    prob = np.clip(np.asarray(prob, dtype=np.float64), 0.0, 1.0)
    if len(y) == 0:
        return float("nan")
    which = np.minimum((prob * bins).astype(np.int64), bins - 1)
    total = 0.0
    for b in range(bins):
        m = which == b
        if m.any():
            total += m.mean() * abs(prob[m].mean() - y[m].mean())
    return float(total)


def hits_at_k(pos_score: np.ndarray, neg_scores: list[np.ndarray], k: int = 10) -> float:
    """Share of positives ranked in the top ``k`` among their own negatives (``neg_scores[i]`` for
    positive ``i``). Ties count half, as a random tie-break would on average."""
    if len(pos_score) == 0:
        return float("nan")
    hits = []
    for p, neg in zip(pos_score, neg_scores, strict=True):
        ahead = float((neg > p).sum()) + 0.5 * float((neg == p).sum())
        hits.append(float(ahead < k))
    return float(np.mean(hits))


def binary_report(y: np.ndarray, prob: np.ndarray) -> dict[str, float]:
    """AUC, PR-AUC, ECE, Brier score, positives and size of one evaluation set."""
    y = np.asarray(y, dtype=np.float64)
    prob = np.asarray(prob, dtype=np.float64)
    return {
        "auc": auc(y, prob),
        "pr_auc": average_precision(y, prob),
        "ece": ece(y, prob),
        "brier": float(np.mean((prob - y) ** 2)) if len(y) else float("nan"),
        "positive_rate": float(y.mean()) if len(y) else float("nan"),
        "n": float(len(y)),
    }


@dataclass
class Isotonic:
    """Monotone map from raw score to probability (PAV), interpolated linearly between steps."""

    x: list[float] = field(default_factory=list)
    y: list[float] = field(default_factory=list)
    kind: str = "isotonic"

    def fit(self, score: np.ndarray, label: np.ndarray) -> Isotonic:
        order = np.argsort(score, kind="mergesort")
        s, t = np.asarray(score, dtype=np.float64)[order], np.asarray(label, dtype=np.float64)[order]
        # pool equal scores first, then adjacent violators
        uniq, start = np.unique(s, return_index=True)
        sums = np.add.reduceat(t, start)
        counts = np.diff(np.r_[start, len(s)]).astype(np.float64)
        vals: list[float] = []
        wts: list[float] = []
        xs: list[list[float]] = []
        for u, sm, c in zip(uniq, sums, counts, strict=True):
            vals.append(sm / c)
            wts.append(c)
            xs.append([u])
            while len(vals) > 1 and vals[-2] >= vals[-1]:
                v2, w2, x2 = vals.pop(), wts.pop(), xs.pop()
                v1, w1 = vals[-1], wts[-1]
                vals[-1] = (v1 * w1 + v2 * w2) / (w1 + w2)
                wts[-1] = w1 + w2
                xs[-1] = xs[-1] + x2
        self.x, self.y = [], []
        for v, block in zip(vals, xs, strict=True):
            self.x += [float(block[0]), float(block[-1])]
            self.y += [float(v), float(v)]
        return self

    def __call__(self, score: np.ndarray) -> np.ndarray:
        if not self.x:
            return np.asarray(score, dtype=np.float64)
        return np.interp(np.asarray(score, dtype=np.float64), self.x, self.y)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "x": self.x, "y": self.y}


@dataclass
class Platt:
    """``sigmoid(a * logit(p) + b)`` fitted by maximum likelihood."""

    a: float = 1.0
    b: float = 0.0
    kind: str = "platt"

    def fit(self, score: np.ndarray, label: np.ndarray) -> Platt:
        z = _logit(score)
        t = np.asarray(label, dtype=np.float64)

        def loss(w: np.ndarray) -> float:
            m = w[0] * z + w[1]
            return float(np.sum(np.logaddexp(0.0, m) - t * m))

        res = optimize.minimize(loss, np.array([1.0, 0.0]), method="L-BFGS-B")
        self.a, self.b = float(res.x[0]), float(res.x[1])
        return self

    def __call__(self, score: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self.a * _logit(score) + self.b)))

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "a": self.a, "b": self.b}


Calibrator = Isotonic | Platt


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def fit_calibrator(score: np.ndarray, label: np.ndarray, *, min_isotonic: int = 400) -> Calibrator:
    """Isotonic on a validation slice of at least ``min_isotonic`` rows, Platt on smaller ones."""
    if len(label) >= min_isotonic and 0 < np.mean(label) < 1:
        return Isotonic().fit(score, label)
    return Platt().fit(score, label)


def calibrator_from_json(data: dict[str, Any]) -> Calibrator:
    if data.get("kind") == "isotonic":
        return Isotonic(x=list(data["x"]), y=list(data["y"]))
    return Platt(a=float(data["a"]), b=float(data["b"]))
