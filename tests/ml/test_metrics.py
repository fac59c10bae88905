"""Metrics and calibrators against hand-computed values."""

from __future__ import annotations

import numpy as np

from ml.metrics import Isotonic, Platt, auc, average_precision, calibrator_from_json, ece, hits_at_k


def test_auc_and_average_precision() -> None:
    y = np.array([0, 0, 1, 1])
    assert auc(y, np.array([0.1, 0.4, 0.35, 0.8])) == 0.75
    assert auc(y, np.array([0.5, 0.5, 0.5, 0.5])) == 0.5
    assert np.isnan(auc(np.ones(3), np.arange(3.0)))
    # ranking: 0.8 (pos), 0.4 (neg), 0.35 (pos), 0.1 (neg): AP = (1/1 + 2/3) / 2
    assert abs(average_precision(y, np.array([0.1, 0.4, 0.35, 0.8])) - (1 + 2 / 3) / 2) < 1e-12


def test_ece() -> None:
    y = np.array([1, 0, 1, 0])
    assert ece(y, np.full(4, 0.5)) == 0.0
    assert abs(ece(np.array([1, 1]), np.array([0.7, 0.7])) - 0.3) < 1e-12


def test_hits_at_k_counts_ties_half() -> None:
    assert hits_at_k(np.array([0.9]), [np.array([0.1] * 20)], 10) == 1.0
    assert hits_at_k(np.array([0.1]), [np.array([0.9] * 20)], 10) == 0.0
    assert hits_at_k(np.array([0.5]), [np.array([0.5] * 20)], 10) == 0.0  # 10 ahead on average
    assert hits_at_k(np.array([0.5]), [np.array([0.5] * 18)], 10) == 1.0


def test_calibrators_fit_and_round_trip() -> None:
    rng = np.random.default_rng(0)
    score = rng.random(2000)
    y = (rng.random(2000) < score**2).astype(float)  # true probability is score^2
    iso = Isotonic().fit(score, y)
    assert np.all(np.diff(iso(np.linspace(0, 1, 50))) >= -1e-12)
    assert abs(iso(np.array([0.8]))[0] - 0.64) < 0.08
    assert ece(y, iso(score)) < ece(y, score)
    platt = Platt().fit(score, y)
    assert ece(y, platt(score)) < ece(y, score)
    for cal in (iso, platt):
        again = calibrator_from_json(cal.to_json())
        assert np.allclose(again(score), cal(score))
