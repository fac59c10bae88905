"""Training: deal-win (GNN vs gradient boosting, on one temporal split) and link prediction.

Deal-win, two phases on the same snapshot and examples (``features.examples``):

1. *Evaluation* (the honest figures): deals closed before ``T`` (the 75th percentile of close
   dates) train, deals closed on or after ``T`` test. The last 20% of the training deals by close
   date are the validation slice (early stopping, calibration, model choice). Every model sees the
   same rows: the GNN, LightGBM with graph features, LightGBM without graph features (plain CRM
   columns only), the hybrid (LightGBM with graph features and GNN embeddings, cross-fitted in
   time inside the training rows: ``models/deal_win_hybrid.py``) and the majority baseline.
2. *Serving*: the same models refitted on every closed deal, the latest 20% by close date held out
   for early stopping, calibration and choosing the model to serve: the higher validation AUC wins
   (``meta["selected"]``), the GNN and the hybrid only by a margin of ``GNN_MARGIN`` (ties and
   noise go to the GBDT, which scores a single deal live; those two need the graph and score in
   batch). The GBDT is always saved too: it computes the reasons, and serves single deals that the
   batch table has not scored yet.

All rows of one deal (its landmarks) fall on the same side of every split.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import numpy as np
import pandas as pd

from graph.errors import NotReady
from graph.store import GraphStore
from ml import features as F
from ml.hetero import GraphPreprocess, all_edge_types, build_graph
from ml.metrics import binary_report
from ml.models.deal_win_gbdt import GbdtModel, train_gbdt
from ml.models.deal_win_gnn import GnnModel, device, train_gnn
from ml.models.deal_win_hybrid import HybridModel, train_hybrid
from ml.registry import ModelVersion, Registry, dump_json
from ml.snapshot import Snapshot, read_snapshot
from ml.timeutil import to_date, today_days

log = logging.getLogger(__name__)

GNN_MARGIN: Final = 0.005  # validation AUC the GNN must gain over the GBDT to be served instead
MIN_DEALS: Final = 20  # closed deals (with both outcomes) needed to train anything
TEST_QUANTILE: Final = 0.75
VALID_SHARE: Final = 0.2


@dataclass
class Split:
    """Boolean masks over example rows ``[n_rows]`` and the dates that cut them."""

    fit: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    split_day: float | None
    valid_day: float

    def info(self) -> dict[str, Any]:
        return {
            "test_from": str(to_date(self.split_day)) if self.split_day is not None else None,
            "valid_from": str(to_date(self.valid_day)),
            "rows": {"fit": int(self.fit.sum()), "valid": int(self.valid.sum()), "test": int(self.test.sum())},
        }


def temporal_split(close: np.ndarray, *, with_test: bool) -> Split:
    """Split example rows by their deal's close day (see the module docstring)."""
    days = np.unique(close)
    split_day = float(np.quantile(days, TEST_QUANTILE)) if with_test else None
    train = close < split_day if split_day is not None else np.ones(len(close), dtype=bool)
    test = ~train
    valid_day = float(np.quantile(np.unique(close[train]), 1.0 - VALID_SHARE)) if train.any() else 0.0
    fit = train & (close < valid_day)
    valid = train & (close >= valid_day)
    return Split(fit, valid, test, split_day, valid_day)


def gbdt_params(n_fit: int) -> dict[str, Any]:
    """Leaf sizes that suit small tenants as well as large ones."""
    leaf = int(np.clip(n_fit // 50, 5, 40))
    return {"min_data_in_leaf": leaf, "min_data_per_group": leaf}


def _check(y: np.ndarray, mask: np.ndarray, what: str) -> None:
    ys = y[mask]
    if len(ys) == 0 or ys.min() == ys.max():
        raise NotReady(
            f"not enough closed deals to train a deal-win model: the {what} slice needs both won and lost deals "
            f"(it has {len(ys)} rows); at least {MIN_DEALS} closed deals with dates are needed"
        )


@dataclass
class Fitted:
    """Models fitted on one split and their probabilities on every example row."""

    gbdt: GbdtModel
    gbdt_plain: GbdtModel | None
    gnn: GnnModel | None
    hybrid: HybridModel | None = None
    prob: dict[str, np.ndarray] = field(default_factory=dict)
    valid_auc: dict[str, float] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    prep: GraphPreprocess | None = None


def fit_models(
    snap: Snapshot,
    t: F.Targets,
    X: pd.DataFrame,
    split: Split,
    *,
    with_gnn: bool,
    with_plain: bool,
    gnn_epochs: int,
    with_hybrid: bool = False,
    extra: F.Targets | None = None,
    X_extra: pd.DataFrame | None = None,
) -> Fitted:
    """Fit the GBDT (+ plain GBDT, + GNN, + hybrid) on ``split.fit``, validating on ``split.valid``.

    ``extra`` targets (open deals) join the GNN's graph as unlabelled nodes, so a serving GNN can
    score them later from the same kind of graph."""
    y = t.label
    _check(y, split.fit, "training")
    _check(y, split.valid, "validation")
    params = gbdt_params(int(split.fit.sum()))
    started = time.perf_counter()
    gbdt = train_gbdt(
        X[split.fit],
        y[split.fit],
        X[split.valid],
        y[split.valid],
        feature_names=list(F.FEATURES),
        categorical=list(F.CATEGORICAL),
        params=params,
    )
    out = Fitted(gbdt, None, None)
    out.seconds["gbdt"] = time.perf_counter() - started
    out.prob["gbdt"] = gbdt.predict(X)
    out.valid_auc["gbdt"] = binary_report(y[split.valid], gbdt.raw(X[split.valid]))["auc"]
    if with_plain:
        started = time.perf_counter()
        plain = train_gbdt(
            X[split.fit],
            y[split.fit],
            X[split.valid],
            y[split.valid],
            feature_names=list(F.PLAIN_FEATURES),
            categorical=list(F.CATEGORICAL),
            params=params,
        )
        out.gbdt_plain = plain
        out.seconds["gbdt_plain"] = time.perf_counter() - started
        out.prob["gbdt_plain"] = plain.predict(X)
        out.valid_auc["gbdt_plain"] = binary_report(y[split.valid], plain.raw(X[split.valid]))["auc"]
    rate = float(np.mean(y[split.fit]))
    out.prob["majority"] = np.full(len(y), rate)
    out.valid_auc["majority"] = 0.5
    if with_gnn:
        started = time.perf_counter()
        all_t, all_x, n = t, X, len(t)
        if extra is not None and X_extra is not None and len(extra):
            all_t = _concat(t, extra)
            all_x = pd.concat([X, X_extra], ignore_index=True)
        fit_mask = np.r_[split.fit, np.zeros(len(all_t) - n, dtype=bool)]
        valid_mask = np.r_[split.valid, np.zeros(len(all_t) - n, dtype=bool)]
        prep = GraphPreprocess.fit(snap, all_x, fit_mask)
        data = build_graph(snap, all_t, all_x, prep)
        gnn = train_gnn(
            data,
            fit_mask,
            valid_mask,
            in_dims=prep.in_dims(),
            own_dim=prep.own.width,
            edge_types=all_edge_types(),
            epochs=gnn_epochs,
        )
        out.gnn, out.prep = gnn, prep
        out.seconds["gnn"] = time.perf_counter() - started
        raw = gnn.raw(data)
        out.prob["gnn"] = gnn.predict(data)[:n]
        out.valid_auc["gnn"] = binary_report(y[split.valid], raw[:n][split.valid])["auc"]
        out.prob["gnn_extra"] = gnn.predict(data)[n:]
    if with_gnn and with_hybrid:
        started = time.perf_counter()
        all_t, all_x, n = t, X, len(t)
        if extra is not None and X_extra is not None and len(extra):
            all_t = _concat(t, extra)
            all_x = pd.concat([X, X_extra], ignore_index=True)
        pad = np.zeros(len(all_t) - n, dtype=bool)
        hybrid, data = train_hybrid(
            snap,
            all_t,
            all_x,
            np.r_[split.fit, pad],
            np.r_[split.valid, pad],
            params_for=gbdt_params,
            gnn_epochs=gnn_epochs,
        )
        frame = hybrid.frame(all_x, data)
        out.hybrid = hybrid
        out.seconds["hybrid"] = time.perf_counter() - started
        prob = hybrid.gbdt.predict(frame)
        out.prob["hybrid"], out.prob["hybrid_extra"] = prob[:n], prob[n:]
        out.valid_auc["hybrid"] = binary_report(y[split.valid], hybrid.gbdt.raw(frame[:n][split.valid]))["auc"]
    return out


def _concat(a: F.Targets, b: F.Targets) -> F.Targets:
    return F.Targets(
        np.r_[a.deal, b.deal],
        np.r_[a.cut, b.cut],
        np.r_[a.age, b.age],
        np.r_[a.label, b.label],
        np.r_[a.close, b.close],
    )


MODEL_NAMES: Final = {
    "gnn": "GNN (hetero GraphSAGE)",
    "hybrid": "GBDT + graph + GNN embeddings",
    "gbdt": "GBDT + graph features",
    "gbdt_plain": "GBDT without graph features",
    "majority": "majority baseline",
}


def evaluate_snapshot(
    snap: Snapshot, *, with_gnn: bool = True, gnn_epochs: int = 300, with_hybrid: bool = True
) -> dict[str, Any]:
    """Phase 1: every model on the temporal split; test metrics per model (see the module docstring)."""
    t = F.examples(snap)
    if len(np.unique(t.deal)) < MIN_DEALS:
        raise NotReady(
            f"not enough closed deals to train a deal-win model: {len(np.unique(t.deal))} closed deals with "
            f"dates (still open {min(F.LANDMARKS)} days after creation), at least {MIN_DEALS} needed"
        )
    _, X = F.deal_features(snap, t)
    split = temporal_split(t.close, with_test=True)
    fitted = fit_models(
        snap, t, X, split, with_gnn=with_gnn, with_plain=True, gnn_epochs=gnn_epochs, with_hybrid=with_hybrid
    )
    y = t.label
    table = {}
    for name in MODEL_NAMES:
        if name in fitted.prob:
            report = binary_report(y[split.test], fitted.prob[name][split.test])
            report["valid_auc"] = fitted.valid_auc[name]
            report["fit_seconds"] = fitted.seconds.get(name, 0.0)
            table[name] = report
    return {
        "split": split.info(),
        "examples": {"rows": len(t), "deals": len(np.unique(t.deal)), "win_rate": float(np.mean(y))},
        "landmarks_days": list(F.LANDMARKS),
        "test": table,
    }


BATCH_KINDS: Final = ("gnn", "hybrid")  # need the graph around each deal: scored by ``relgraph score``


def select_model(valid_auc: dict[str, float]) -> str:
    """The GBDT unless the GNN or the hybrid beats it by ``GNN_MARGIN`` validation AUC (then the
    better of those two): the GBDT scores one deal live and explains itself, so a tie (or noise)
    goes to it."""
    gbdt = float(np.nan_to_num(valid_auc.get("gbdt", float("nan")), nan=-1.0))
    batch = {k: float(np.nan_to_num(valid_auc[k], nan=-1.0)) for k in BATCH_KINDS if k in valid_auc}
    if not batch:
        return "gbdt"
    best = max(batch, key=lambda k: batch[k])
    return best if batch[best] > gbdt + GNN_MARGIN else "gbdt"


def snapshot_info(snap: Snapshot) -> dict[str, Any]:
    return {"read_at": snap.read_at.isoformat(), "counts": snap.counts(), "ids_hash": snap.ids_hash()}


def train_deal_win(
    store: GraphStore,
    tenant: str,
    registry: Registry,
    *,
    with_gnn: bool = True,
    with_hybrid: bool = True,
    evaluate: bool = True,
    gnn_epochs: int = 300,
    snap: Snapshot | None = None,
    at: float | None = None,
) -> ModelVersion:
    """Train, evaluate and publish a deal-win version; returns it (``meta`` says what won)."""
    started = time.perf_counter()
    snap = snap if snap is not None else read_snapshot(store, tenant)
    read_s = time.perf_counter() - started
    at = today_days() if at is None else at
    evaluation = (
        evaluate_snapshot(snap, with_gnn=with_gnn, gnn_epochs=gnn_epochs, with_hybrid=with_hybrid) if evaluate else None
    )
    t = F.examples(snap)
    if len(np.unique(t.deal)) < MIN_DEALS:
        raise NotReady(
            f"not enough closed deals to train a deal-win model: {len(np.unique(t.deal))} usable, "
            f"at least {MIN_DEALS} needed (run `relgraph train deal-win` once deals have closed)"
        )
    _, X = F.deal_features(snap, t)
    split = temporal_split(t.close, with_test=False)
    open_t = F.open_deals(snap, at)
    _, X_open = F.deal_features(snap, open_t)
    fitted = fit_models(
        snap,
        t,
        X,
        split,
        with_gnn=with_gnn,
        with_plain=False,
        gnn_epochs=gnn_epochs,
        with_hybrid=with_hybrid,
        extra=open_t,
        X_extra=X_open,
    )
    candidates = {k: v for k, v in fitted.valid_auc.items() if k in ("gbdt", *BATCH_KINDS)}
    selected = select_model(candidates)
    mv = registry.start(tenant, "deal-win")
    try:
        fitted.gbdt.save(mv.path)
        if fitted.gnn is not None and fitted.prep is not None:
            fitted.gnn.save(mv.path)
            dump_json(mv.file("hetero.json"), fitted.prep.to_json())
        if fitted.hybrid is not None:
            fitted.hybrid.save(mv.path)
        mv.meta.update(
            {
                "model_kinds": sorted(candidates),
                "selected": selected,
                "selection": (
                    f"validation AUC on the latest 20% of closed deals (by close date); the GNN or the hybrid "
                    f"(scored in batch) is served only if it beats the GBDT by {GNN_MARGIN}"
                ),
                "snapshot": {**snapshot_info(snap), "cut_at": datetime.fromtimestamp(at * 86400, UTC).isoformat()},
                "split": split.info(),
                "examples": {"rows": len(t), "deals": len(np.unique(t.deal)), "win_rate": float(t.label.mean())},
                "validation_auc": candidates,
                "evaluation": evaluation,
                "features": list(F.FEATURES),
                "landmarks_days": list(F.LANDMARKS),
                "device": str(device()),
                "seconds": {"read": read_s, **fitted.seconds, "total": time.perf_counter() - started},
            }
        )
        if fitted.gnn is not None:
            scores = fitted.prob["gnn_extra"]
            mv.meta["gnn_open_scores"] = len(scores)
        return registry.publish(mv)
    except BaseException:
        registry.discard(mv)
        raise


# --- link prediction -------------------------------------------------------------------------------
def evaluate_links(snap: Snapshot, *, epochs: int = 150) -> dict[str, Any]:
    """The who-knows-whom protocol of ``ml.links`` on one snapshot: the GNN and the baselines."""
    from ml.links import baseline_reports, evaluation_pairs, person_graph, ranking_report, temporal_holdout
    from ml.models.link_pred import train_link_model

    g = person_graph(snap)
    if len(g.pairs) < 20:
        raise NotReady(
            f"not enough interactions to learn who knows whom: {len(g.pairs)} known pairs, at least 20 needed"
        )
    split = temporal_holdout(g.pairs)
    ev = evaluation_pairs(g, split)
    started = time.perf_counter()
    model, info = train_link_model(g, split.observed, epochs=epochs)
    fit_s = time.perf_counter() - started
    h = model.embed(g, split.observed)
    sizes = [len(x) for x in ev["hard"]]
    hard_u = np.repeat(ev["u"], sizes)
    hard_v = np.concatenate(ev["hard"]) if sizes else np.zeros(0, dtype=np.int64)
    pos = model.scores(g, split.observed, ev["u"], ev["v"], h=h)
    hard = model.scores(g, split.observed, hard_u, hard_v, h=h)
    rand = model.scores(g, split.observed, ev["rand_u"], ev["rand_v"], h=h)
    table = {"graphsage": ranking_report(pos, np.split(hard, np.cumsum(sizes)[:-1]) if sizes else [], rand)}
    table["graphsage"]["fit_seconds"] = fit_s
    table.update(baseline_reports(g, split, ev))
    return {
        "people": g.n,
        "known_pairs": len(g.pairs),
        "holdout_from": str(to_date(split.cut)),
        "observed_pairs": len(split.observed),
        "test_positives": len(ev["u"]),
        "test_positives_without_hard_negative": ev["dropped_no_hard_negative"],
        "mean_hard_negatives": float(np.mean(sizes)) if sizes else 0.0,
        "training": info,
        "test": table,
    }


def train_links(
    store: GraphStore,
    tenant: str,
    registry: Registry,
    *,
    evaluate: bool = True,
    epochs: int = 150,
    snap: Snapshot | None = None,
) -> ModelVersion:
    """Evaluate on the hold-out, retrain on every known pair, publish embeddings + decoder."""
    from ml.links import person_graph
    from ml.models.link_pred import train_link_model

    started = time.perf_counter()
    snap = snap if snap is not None else read_snapshot(store, tenant)
    evaluation = evaluate_links(snap, epochs=epochs) if evaluate else None
    g = person_graph(snap)
    if len(g.pairs) < 20:
        raise NotReady(f"not enough interactions to learn who knows whom: {len(g.pairs)} known pairs")
    model, info = train_link_model(g, g.pairs, epochs=epochs)
    h = model.embed(g, g.pairs).numpy()[: g.n].astype(np.float32)
    mv = registry.start(tenant, "links")
    try:
        model.save(mv.path)
        np.save(mv.file("embeddings.npy"), h)
        dump_json(mv.file("people.json"), [str(u) for u in g.uids])
        mv.meta.update(
            {
                "model_kinds": ["graphsage"],
                "selected": "graphsage",
                "snapshot": snapshot_info(snap),
                "training": info,
                "evaluation": evaluation,
                "seconds": {"total": time.perf_counter() - started},
            }
        )
        return registry.publish(mv)
    except BaseException:
        registry.discard(mv)
        raise
