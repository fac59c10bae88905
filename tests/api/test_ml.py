"""GET /deals/{id}/win-probability and GET /contacts/{id}/suggested-connections through the app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from fastapi.testclient import TestClient

from api.main import create_app
from api.routers import ml as ml_router
from api.settings import Settings
from graph.backends.embedded import LadybugStore
from ml.registry import Registry
from ml.train import train_deal_win, train_links
from tests.ml.synth import build_synthetic

torch.set_num_threads(1)
WIN = "/deals/{deal_id}/win-probability"


@pytest.fixture
def ml_client(store: LadybugStore, settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings, store=store)
    if not any(getattr(r, "path", "") == WIN for r in app.routes):  # until api/main.py includes the router
        app.include_router(ml_router.router)
    with TestClient(app) as c:
        yield c


def test_win_probability_409_then_200(
    ml_client: TestClient, store: LadybugStore, settings: Settings, keys: dict[str, dict[str, str]]
) -> None:
    info = build_synthetic(store, "acme", n_deals=120)
    deal = info["open_deals"][0]
    viewer = keys["viewer"]
    r = ml_client.get(f"/deals/{deal}/win-probability", headers=viewer)
    assert r.status_code == 409, r.text
    assert r.json()["error"]["code"] == "not_ready"
    assert "relgraph train deal-win --tenant acme" in r.json()["error"]["message"]
    assert ml_client.get("/deals/nope/win-probability", headers=viewer).status_code == 404

    train_deal_win(store, "acme", Registry(Path(settings.data_dir) / "models"), with_gnn=False, evaluate=False)
    r = ml_client.get(f"/deals/{deal}/win-probability", headers=viewer)
    assert r.status_code == 200, r.text
    body = r.json()
    assert 0 < body["probability"] < 1
    assert body["model_kind"] == "gbdt" and body["model_version"]
    assert body["reasons"] and all(x["direction"] in ("raises", "lowers", "missing") for x in body["reasons"])
    assert body["scored_at"]

    bare = ml_client.get(f"/deals/{info['bare_deal']}/win-probability", headers=viewer).json()
    missing = [x["text"] for x in bare["reasons"] if x["direction"] == "missing"]
    assert "no account linked to the deal" in missing
    assert "no owner (rep) on the deal" in missing
    assert "no contacts engaged on the deal yet" in missing
    assert 0 < bare["probability"] < 1

    assert ml_client.get("/deals/nope/win-probability", headers=viewer).status_code == 404
    assert ml_client.get(f"/deals/{deal}/win-probability", headers=keys["other"]).status_code == 404
    assert ml_client.get(f"/deals/{deal}/win-probability").status_code == 401


def test_suggested_connections(
    ml_client: TestClient, store: LadybugStore, settings: Settings, keys: dict[str, dict[str, str]]
) -> None:
    info = build_synthetic(store, "acme", n_deals=120)
    contact = info["contacts"][5]
    url = f"/contacts/{contact}/suggested-connections"
    r = ml_client.get(url, headers=keys["viewer"], params={"limit": 5})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["model_kind"].startswith("heuristic") and "relgraph train links" in body["note"]
    assert 0 < len(body["suggestions"]) <= 5
    assert all(s["reasons"] for s in body["suggestions"])
    assert any(
        "whom you already know" in reason or reason.startswith("shares ")
        for s in body["suggestions"]
        for reason in s["reasons"]
    )

    train_links(store, "acme", Registry(Path(settings.data_dir) / "models"), evaluate=False, epochs=10)
    body = ml_client.get(url, headers=keys["viewer"]).json()
    assert body["model_kind"] == "graphsage" and body["model_version"]
    scores = [s["score"] for s in body["suggestions"]]
    assert scores == sorted(scores, reverse=True)
    known = {s["person_id"] for s in body["suggestions"]}
    assert contact not in known
    assert ml_client.get("/contacts/nope/suggested-connections", headers=keys["viewer"]).status_code == 404
