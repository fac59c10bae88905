"""Deal-win model: LightGBM on the point-in-time tabular + graph features of ``ml.features``.

Input: a feature frame ``[n_deals, n_features]`` (columns ``feature_names``; the categorical ones
hold strings and are coded through a vocabulary fitted on the training rows, unknown -> missing):
a DataFrame, or a dict of equal-length arrays (one deal through the API, without pandas).
Output: ``predict(frame) -> [n_deals]`` calibrated win probabilities; ``contributions(frame) ->
[n_deals, n_features + 1]`` per-feature log-odds contributions (LightGBM ``pred_contrib``, TreeSHAP;
the last column is the bias), from which ``ml.reasons`` writes the reasons in words.

Training uses early stopping on a validation slice (AUC); the calibrator (isotonic or Platt, see
``ml.metrics.fit_calibrator``) is fitted on the same slice, after training.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import lightgbm as lgb
import numpy as np
import pandas as pd

from ml.metrics import Calibrator, auc, calibrator_from_json, fit_calibrator

PARAMS: Final[dict[str, Any]] = {
    "objective": "binary",
    "metric": "auc",
    "learning_rate": 0.03,
    "num_leaves": 15,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "cat_smooth": 20.0,
    "min_data_per_group": 50,
    "num_threads": 1,
    "verbose": -1,
    "seed": 7,
    "deterministic": True,
    "force_row_wise": True,
}
MAX_ROUNDS: Final = 2000

Frame = pd.DataFrame | Mapping[str, Any]  # columns by name: a DataFrame or a dict of arrays ``[n]``


def n_rows(frame: Frame) -> int:
    """Rows of a DataFrame or of a dict of equal-length columns."""
    if isinstance(frame, pd.DataFrame):
        return len(frame)
    return len(next(iter(frame.values()))) if len(frame) else 0


EARLY_STOP: Final = 100


@dataclass
class Vocab:
    """String -> integer code per categorical column (codes start at 0; unknown -> NaN)."""

    codes: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def fit(cls, frame: pd.DataFrame, columns: Sequence[str], *, max_size: int = 200, min_count: int = 5) -> Vocab:
        codes: dict[str, dict[str, int]] = {}
        for c in columns:
            counts = frame[c].dropna().astype(str).value_counts()
            kept = counts[counts >= min_count].index[:max_size]
            codes[c] = {str(v): i for i, v in enumerate(sorted(kept))}
        return cls(codes)

    def encode(self, frame: Frame, columns: Sequence[str]) -> np.ndarray:
        """``[n, len(columns)]`` float64: numeric columns as they are, categoricals as codes (NaN unknown)."""
        out = np.empty((n_rows(frame), len(columns)), dtype=np.float64)
        for j, c in enumerate(columns):
            mapping = self.codes.get(c)
            if mapping is None:
                out[:, j] = np.asarray(frame[c], dtype=np.float64)
            else:
                values = np.asarray(frame[c], dtype=object)
                out[:, j] = [mapping.get(str(v), np.nan) if v is not None else np.nan for v in values]
        return out


@dataclass
class GbdtModel:
    """A trained LightGBM deal-win model with its vocabulary and calibrator."""

    booster: lgb.Booster
    feature_names: list[str]
    categorical: list[str]
    vocab: Vocab
    calibrator: Calibrator | None = None
    best_iteration: int = 0

    def matrix(self, frame: Frame) -> np.ndarray:
        """Features in training order, categoricals coded: ``[n, n_features]`` float64."""
        return self.vocab.encode(frame, self.feature_names)

    def raw(self, frame: Frame) -> np.ndarray:
        """Uncalibrated probabilities ``[n]``."""
        if n_rows(frame) == 0:
            return np.zeros(0)
        out = self.booster.predict(self.matrix(frame), num_iteration=self.best_iteration or None, num_threads=1)
        return np.asarray(out)

    def predict(self, frame: Frame) -> np.ndarray:
        """Calibrated win probabilities ``[n]``."""
        p = self.raw(frame)
        return np.clip(self.calibrator(p), 0.001, 0.999) if self.calibrator is not None else p

    def contributions(self, frame: Frame) -> np.ndarray:
        """Log-odds contributions ``[n, n_features + 1]`` (last column: the bias)."""
        if n_rows(frame) == 0:
            return np.zeros((0, len(self.feature_names) + 1))
        out = self.booster.predict(
            self.matrix(frame), num_iteration=self.best_iteration or None, pred_contrib=True, num_threads=1
        )
        return np.asarray(out)

    def predict_explain(self, frame: Frame) -> tuple[np.ndarray, np.ndarray]:
        """``(calibrated probabilities [n], contributions [n, n_features + 1])`` from one encoding."""
        if n_rows(frame) == 0:
            return np.zeros(0), np.zeros((0, len(self.feature_names) + 1))
        x = self.matrix(frame)
        it = self.best_iteration or None
        p = np.asarray(self.booster.predict(x, num_iteration=it, num_threads=1))
        contrib = np.asarray(self.booster.predict(x, num_iteration=it, pred_contrib=True, num_threads=1))
        if self.calibrator is not None:
            p = np.clip(self.calibrator(p), 0.001, 0.999)
        return p, contrib

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(folder / "gbdt.txt"), num_iteration=self.best_iteration or None)
        meta = {
            "feature_names": self.feature_names,
            "categorical": self.categorical,
            "vocab": self.vocab.codes,
            "calibrator": self.calibrator.to_json() if self.calibrator is not None else None,
        }
        (folder / "gbdt.json").write_text(json.dumps(meta, indent=1))

    @classmethod
    def load(cls, folder: Path) -> GbdtModel:
        meta = json.loads((folder / "gbdt.json").read_text())
        booster = lgb.Booster(model_file=str(folder / "gbdt.txt"))
        cal = calibrator_from_json(meta["calibrator"]) if meta.get("calibrator") else None
        return cls(booster, list(meta["feature_names"]), list(meta["categorical"]), Vocab(meta["vocab"]), cal)


def train_gbdt(
    train: pd.DataFrame,
    y_train: np.ndarray,
    valid: pd.DataFrame,
    y_valid: np.ndarray,
    *,
    feature_names: Sequence[str],
    categorical: Sequence[str],
    params: dict[str, Any] | None = None,
    max_rounds: int = MAX_ROUNDS,
    calibrate: bool = True,
) -> GbdtModel:
    """Fit on ``train``, stop early on ``valid`` AUC, calibrate on ``valid``."""
    cats = [c for c in categorical if c in feature_names]
    vocab = Vocab.fit(train, cats)
    names = list(feature_names)
    xt = pd.DataFrame(vocab.encode(train, names), columns=names)
    xv = pd.DataFrame(vocab.encode(valid, names), columns=names)
    p = {**PARAMS, **(params or {})}
    dtrain = lgb.Dataset(xt, label=y_train, categorical_feature=cats or "auto", free_raw_data=False)
    dvalid = lgb.Dataset(xv, label=y_valid, reference=dtrain, categorical_feature=cats or "auto")
    can_stop = len(valid) > 0 and 0 < float(np.mean(y_valid)) < 1
    callbacks: list[Any] = [lgb.early_stopping(EARLY_STOP, verbose=False)] if can_stop else []
    booster = lgb.train(p, dtrain, num_boost_round=max_rounds, valid_sets=[dvalid], callbacks=callbacks)
    best = int(booster.best_iteration or booster.current_iteration())
    model = GbdtModel(booster, names, cats, vocab, None, best)
    if calibrate and len(valid):
        model.calibrator = fit_calibrator(model.raw(valid), y_valid)
    return model


def validation_auc(model: GbdtModel, valid: pd.DataFrame, y_valid: np.ndarray) -> float:
    return auc(y_valid, model.raw(valid))
