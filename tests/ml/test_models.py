"""The models learn a planted structural signal; the registry round-trips; scoring needs a model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from graph.errors import NotFound, NotReady
from ml import features as F
from ml import scoring
from ml.hetero import GraphPreprocess, build_graph
from ml.models.deal_win_gbdt import GbdtModel
from ml.models.deal_win_hybrid import HybridModel, Projection, cross_fit_masks
from ml.reasons import explain
from ml.registry import Registry
from ml.train import evaluate_links, evaluate_snapshot, select_model, temporal_split, train_deal_win, train_links
from tests.ml.conftest import Synthetic


def test_gnn_and_gbdt_learn_the_planted_structural_signal(synthetic: Synthetic) -> None:
    result = evaluate_snapshot(synthetic.snap, gnn_epochs=120)
    test = result["test"]
    assert test["gbdt"]["auc"] > 0.8, test
    assert test["gnn"]["auc"] > 0.8, test
    assert test["hybrid"]["auc"] > 0.8, test
    # the signal is in the graph (who was met), not in the deal's own columns
    assert test["gbdt_plain"]["auc"] < 0.7, test
    assert test["majority"]["auc"] == 0.5
    for row in test.values():
        assert 0 <= row["ece"] <= 1 and 0 <= row["pr_auc"] <= 1


def test_link_prediction_runs_against_hard_negatives(synthetic: Synthetic) -> None:
    result = evaluate_links(synthetic.snap, epochs=20)
    assert result["test_positives"] > 0
    assert set(result["test"]) == {"graphsage", "adamic_adar", "common_neighbours", "same_account"}
    for row in result["test"].values():
        assert 0 <= row["auc_hard"] <= 1 and 0 <= row["hits10_hard"] <= 1


def test_registry_round_trip(synthetic: Synthetic, tmp_path: Path) -> None:
    registry = Registry(tmp_path / "models")
    assert registry.latest("acme", "deal-win") is None
    mv = train_deal_win(synthetic.store, "acme", registry, with_gnn=True, evaluate=False, gnn_epochs=30)
    assert registry.latest_version("acme", "deal-win") == mv.version
    assert registry.versions("acme", "deal-win") == [mv.version]
    again = registry.get("acme", "deal-win", mv.version)
    meta = again.meta
    assert meta["selected"] in ("gbdt", "gnn")
    assert meta["snapshot"]["counts"]["Deal"] == len(synthetic.snap.nodes["Deal"])
    assert len(meta["snapshot"]["ids_hash"]) == 16
    assert set(meta["validation_auc"]) == {"gbdt", "gnn", "hybrid"}
    for name in ("gbdt.txt", "gbdt.json", "gnn.pt", "gnn.json", "hetero.json", "meta.json"):
        assert (again.path / name).is_file(), name
    for name in ("gbdt.txt", "gbdt.json", "gnn.pt", "gnn.json", "hetero.json", "projection.json"):
        assert (again.path / "hybrid" / name).is_file(), name
    # the loaded models predict what the trained ones did
    loaded = scoring.load_deal_win(again)
    t = F.examples(synthetic.snap)
    _, x = F.deal_features(synthetic.snap, t)
    p = loaded.gbdt.predict(x)
    assert p.shape == (len(t),) and np.all((p > 0) & (p < 1))
    assert np.allclose(GbdtModel.load(again.path).predict(x), p)
    assert loaded.gnn is not None and loaded.prep is not None
    prep = GraphPreprocess.from_json(loaded.prep.to_json())
    q = loaded.gnn.predict(build_graph(synthetic.snap, t, x, prep))
    assert q.shape == (len(t),)
    assert loaded.hybrid is not None
    h = loaded.hybrid.predict(x, loaded.hybrid.graph(synthetic.snap, t, x))
    assert h.shape == (len(t),) and np.all((h > 0) & (h < 1))
    again_h = HybridModel.load(again.path)
    assert np.allclose(again_h.predict(x, again_h.graph(synthetic.snap, t, x)), h)
    with pytest.raises(NotFound):
        registry.get("acme", "deal-win", "nope")
    # a second version becomes latest; the first stays on disk
    second = train_deal_win(synthetic.store, "acme", registry, with_gnn=False, evaluate=False)
    assert registry.latest_version("acme", "deal-win") == second.version
    assert registry.versions("acme", "deal-win") == sorted([mv.version, second.version])
    registry.set_latest("acme", "deal-win", mv.version)
    assert registry.latest_version("acme", "deal-win") == mv.version


def test_scoring_without_a_model_is_not_ready(synthetic: Synthetic, tmp_path: Path) -> None:
    registry = Registry(tmp_path / "models")
    deal = synthetic.info["open_deals"][0]
    with pytest.raises(NotReady, match="relgraph train deal-win --tenant acme"):
        scoring.win_probability(store=synthetic.store, tenant="acme", deal_id=deal, registry=registry)
    with pytest.raises(NotReady):
        scoring.score_open_deals(store=synthetic.store, tenant="acme", registry=registry)
    with pytest.raises(NotFound):
        scoring.win_probability(store=synthetic.store, tenant="acme", deal_id="no-such-deal", registry=registry)


def test_train_links_publishes_embeddings(synthetic: Synthetic, tmp_path: Path) -> None:
    registry = Registry(tmp_path / "models")
    mv = train_links(synthetic.store, "acme", registry, evaluate=False, epochs=10)
    assert (mv.path / "embeddings.npy").is_file() and (mv.path / "people.json").is_file()
    emb = np.load(mv.path / "embeddings.npy")
    assert emb.shape[0] == len(synthetic.snap.nodes["Contact"]) + len(synthetic.snap.nodes["Rep"])


def test_reasons_name_what_is_missing_and_what_matters() -> None:
    raw = {"account_uid": None, "rep_uid": None, "product_uid": None, "n_interactions": 0.0, "n_contacts_touched": 0.0}
    feats = {"dm_engaged": 0.0, "rep_closed": 10.0, "rep_won": 6.0}
    names = ["dm_engaged", "rep_win_rate", "rep_closed", "n_interactions"]
    out = explain({**raw, "rep_won": 6.0}, feats, [-0.5, 0.3, 0.0, -0.2], names)
    texts = [r["text"] for r in out]
    assert texts[:5] == [
        "no account linked to the deal",
        "no owner (rep) on the deal",
        "no product on the deal",
        "no contacts engaged on the deal yet",
        "no interactions recorded yet",
    ]
    assert out[4]["effect"] == -0.2  # the model's weight lands on the missing fact
    assert {"text": "no decision maker engaged", "direction": "lowers", "effect": -0.5} in out
    assert {"text": "rep wins 60% of their deals (6 of 10)", "direction": "raises", "effect": 0.3} in out


def test_hybrid_rows_are_cross_fitted_in_time(synthetic: Synthetic) -> None:
    t = F.examples(synthetic.snap)
    split = temporal_split(t.close, with_test=True)
    gnn_rows, gbdt_rows = cross_fit_masks(t.close, split.fit)
    assert gnn_rows.any() and gbdt_rows.any()
    assert not (gnn_rows & gbdt_rows).any() and ((gnn_rows | gbdt_rows) == split.fit).all()
    assert t.close[gnn_rows].max() < t.close[gbdt_rows].min()  # the GNN never sees a later outcome
    assert not set(t.deal[gnn_rows]) & set(t.deal[gbdt_rows])  # a deal's landmarks stay together
    assert not (gbdt_rows & (split.valid | split.test)).any()


def test_projection_keeps_the_main_directions() -> None:
    rng = np.random.default_rng(0)
    emb = rng.normal(size=(200, 6)) * np.array([10.0, 5.0, 1.0, 0.1, 0.1, 0.1])
    proj = Projection.fit(emb, 2)
    z = proj(emb)
    assert z.shape == (200, 2) and proj.names == ["gnn_0", "gnn_1"]
    assert np.allclose(z.mean(axis=0), 0.0) and z[:, 0].std() > z[:, 1].std() > 1.0
    assert np.allclose(Projection.from_json(proj.to_json())(emb), z)


def test_a_batch_model_is_served_only_when_it_wins_by_the_margin() -> None:
    assert select_model({"gbdt": 0.70}) == "gbdt"
    assert select_model({"gbdt": 0.70, "gnn": 0.704, "hybrid": 0.703}) == "gbdt"
    assert select_model({"gbdt": 0.70, "gnn": 0.704, "hybrid": 0.71}) == "hybrid"
    assert select_model({"gbdt": 0.70, "gnn": 0.72, "hybrid": 0.71}) == "gnn"
    assert select_model({"gbdt": float("nan"), "hybrid": 0.6}) == "hybrid"
