"""Scoring: one deal live (the API path) gives what batch scoring gives, and the served version is
reloaded when a new one is published."""

from __future__ import annotations

from pathlib import Path

from ml import local, scoring
from ml.registry import Registry, dump_json
from ml.train import train_deal_win
from tests.ml.conftest import Synthetic

AT = 20_000.5


def test_single_deal_scores_equal_batch_scores(synthetic: Synthetic, tmp_path: Path) -> None:
    registry = Registry(tmp_path / "models")
    train_deal_win(synthetic.store, "acme", registry, with_gnn=False, evaluate=False)
    summary = scoring.score_open_deals(store=synthetic.store, tenant="acme", registry=registry, at=AT)
    table = scoring.read_scores(registry, "acme")
    deals = [*synthetic.info["open_deals"], synthetic.info["bare_deal"]]
    assert summary["scored"] == table["count"] == len(deals)
    bare = [r["text"] for r in table["scores"]["bare"]["reasons"] if r["direction"] == "missing"]
    assert bare[:3] == ["no account linked to the deal", "no owner (rep) on the deal", "no product on the deal"]
    local.clear_caches()
    for cached in (True, True, False):  # caches filled, then read, then bypassed
        for deal in deals:
            one = scoring.win_probability(store=synthetic.store, tenant="acme", deal_id=deal, registry=registry, at=AT)
            assert one["model_kind"] == "gbdt"
            assert one["probability"] == table["scores"][deal]["probability"], (deal, cached)
            assert one["reasons"] == table["scores"][deal]["reasons"], (deal, cached)


def test_the_cache_serves_the_latest_version(synthetic: Synthetic, tmp_path: Path) -> None:
    registry = Registry(tmp_path / "models")
    cache = scoring.ModelCache()
    deal = synthetic.info["open_deals"][0]
    first = train_deal_win(synthetic.store, "acme", registry, with_gnn=False, evaluate=False)
    got = scoring.win_probability(store=synthetic.store, tenant="acme", deal_id=deal, registry=registry, cache=cache)
    assert got["model_version"] == first.version
    loaded = cache.deal_win(registry, "acme")
    assert cache.deal_win(registry, "acme") is loaded  # loaded once, then kept
    second = train_deal_win(synthetic.store, "acme", registry, with_gnn=False, evaluate=False)
    got = scoring.win_probability(store=synthetic.store, tenant="acme", deal_id=deal, registry=registry, cache=cache)
    assert got["model_version"] == second.version != first.version
    registry.set_latest("acme", "deal-win", first.version)  # a rollback takes effect too
    assert cache.deal_win(registry, "acme").version.version == first.version


def test_a_served_hybrid_scores_in_batch_and_says_so(synthetic: Synthetic, tmp_path: Path) -> None:
    registry = Registry(tmp_path / "models")
    mv = train_deal_win(synthetic.store, "acme", registry, with_gnn=True, evaluate=False, gnn_epochs=20)
    dump_json(mv.file("meta.json"), {**mv.meta, "selected": "hybrid"})  # as if it had won on validation
    cache = scoring.ModelCache()
    deal = synthetic.info["open_deals"][0]
    live = scoring.win_probability(store=synthetic.store, tenant="acme", deal_id=deal, registry=registry, cache=cache)
    assert live["model_kind"] == "gbdt" and "hybrid" in live["note"] and "relgraph score" in live["note"]
    summary = scoring.score_open_deals(store=synthetic.store, tenant="acme", registry=registry, at=AT)
    assert summary["model_kind"] == "hybrid"
    table = scoring.read_scores(registry, "acme")
    got = scoring.win_probability(store=synthetic.store, tenant="acme", deal_id=deal, registry=registry, cache=cache)
    assert got["model_kind"] == "hybrid" and got["model_version"] == mv.version
    assert got["probability"] == table["scores"][deal]["probability"]
    assert got["reasons"] == table["scores"][deal]["reasons"] and got["scored_at"] == table["scored_at"]
    assert "batch" in got["note"]
