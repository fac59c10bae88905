"""``relgraph train deal-win|links``, ``score`` and ``evaluate --tenant`` on a local store."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

from graph.backends.embedded import LadybugStore
from ml.registry import Registry
from relgraph.ml_cli import register
from tests.ml.synth import build_synthetic


def test_train_score_evaluate(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = LadybugStore(data, buffer_pool_mb=256)
    build_synthetic(store, "acme", n_deals=120)
    store.close()
    app = typer.Typer()
    register(app)
    run = CliRunner().invoke
    common = ["--tenant", "acme", "--data-dir", str(data)]
    r = run(app, ["train", "deal-win", *common, "--no-gnn"])
    assert r.exit_code == 0, r.output
    assert "serving gbdt" in r.output and "GBDT + graph features" in r.output
    r = run(app, ["score", *common])
    assert r.exit_code == 0, r.output
    assert "scored 16 open deals" in r.output
    r = run(app, ["train", "links", *common, "--epochs", "5"])
    assert r.exit_code == 0, r.output
    assert "Adamic-Adar" in r.output
    r = run(app, ["evaluate", *common, "--no-gnn"])
    assert r.exit_code == 0, r.output
    assert "majority baseline" in r.output and "->" in r.output
    assert Registry(data / "models").latest_version("acme", "deal-win")
    r = run(app, ["score", "--tenant", "globex", "--data-dir", str(data)])
    assert r.exit_code == 2 and "relgraph train deal-win --tenant globex" in r.output
