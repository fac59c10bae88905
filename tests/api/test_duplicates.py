"""GET /duplicates, POST /merge (preview, perform), POST /merge/{merge_id}/undo through HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.settings import Settings
from graph.backends.embedded import LadybugStore
from tests.api.test_imports import app_with_routers

H = dict[str, str]


@pytest.fixture
def api(store: LadybugStore, settings: Settings) -> Iterator[TestClient]:
    with TestClient(app_with_routers(settings, store)) as c:
        yield c


def _post(client: TestClient, path: str, body: Any, h: H, status: int = 201) -> Any:
    r = client.post(path, json=body, headers=h)
    assert r.status_code == status, r.text
    return r.json()


@pytest.fixture
def people(api: TestClient, admin: H) -> H:
    accounts = [
        {"id": "acme", "name": "Acme Corp", "domain": "acme.com"},
        {"id": "acme2", "name": "ACME Corporation, Inc.", "domain": "acme.com"},
        {"id": "other", "name": "Globex"},
    ]
    _post(api, "/accounts/batch-upsert", accounts, admin, 200)
    rows = [
        {"id": "c1", "name": "Robert Smith", "email": "bob.smith@acme.com", "phone": "+1 (555) 010-0200"},
        {"id": "c2", "name": "Bob Smith", "email": "rsmith@acme.com", "phone": "+15550100200", "title": "CFO"},
        {"id": "c3", "name": "Jane Doe", "email": "jane@globex.example"},
    ]
    _post(api, "/contacts/batch-upsert", rows, admin, 200)
    for cid, account in (("c1", "acme"), ("c2", "acme"), ("c3", "other")):
        assert api.put(f"/contacts/{cid}/employments", json={"account_id": account}, headers=admin).status_code == 201
    assert api.put("/contacts/c2/manager", json={"manager_id": "c3"}, headers=admin).status_code == 204
    return admin


def test_duplicates_lists_candidate_pairs(api: TestClient, people: H, keys: dict[str, H]) -> None:
    found = api.get("/duplicates", params={"kind": "contacts"}, headers=keys["viewer"]).json()
    assert found["kind"] == "contacts"
    top = found["candidates"][0]
    assert {top["left"]["id"], top["right"]["id"]} == {"c1", "c2"}
    assert top["score"] >= 0.8
    assert "same phone" in top["reasons"] and "same account" in top["reasons"]
    assert any("nickname" in r for r in top["reasons"])
    accounts = api.get("/duplicates", params={"kind": "accounts", "limit": 5}, headers=people).json()
    assert {accounts["candidates"][0]["left"]["id"], accounts["candidates"][0]["right"]["id"]} == {"acme", "acme2"}
    assert api.get("/duplicates", params={"kind": "planets"}, headers=people).status_code == 422
    assert api.get("/duplicates", headers=keys["other"]).json()["candidates"] == []


def test_merge_preview_perform_undo(api: TestClient, people: H, keys: dict[str, H]) -> None:
    body = {"kind": "contact", "keep": "c1", "merge": ["c2"]}
    before = api.get("/contacts/c1", headers=people).json()
    preview = _post(api, "/merge", body, keys["rep"], 200)
    assert preview["dry_run"] and preview["merge_id"] is None
    assert {f["field"] for f in preview["fields"]} == {"title"}
    assert preview["emails_added"] == ["rsmith@acme.com"]
    assert preview["relationships"]["by_type"] == {
        "WORKS_AT": {"move": 0, "collapse": 1, "drop": 0},
        "REPORTS_TO": {"move": 1, "collapse": 0, "drop": 0},
    }
    assert api.get("/contacts/c2", headers=people).status_code == 200  # a preview changes nothing

    done = _post(api, "/merge", {**body, "dry_run": False}, keys["rep"], 200)
    merge_id = done["merge_id"]
    assert api.get("/contacts/c2", headers=people).status_code == 404
    kept = api.get("/contacts/c1", headers=people).json()
    assert kept["title"] == "CFO" and kept["other_emails"] == ["rsmith@acme.com"]
    assert api.get("/contacts/c1/manager", headers=people).json()["id"] == "c3"

    assert api.post(f"/merge/{merge_id}/undo", headers=keys["other"]).status_code == 404
    assert api.post(f"/merge/{merge_id}/undo", headers=keys["viewer"]).status_code == 403
    undone = _post(api, f"/merge/{merge_id}/undo", None, keys["rep"], 200)
    assert undone["restored"] == ["c2"] and undone["relationships_lost"] == []
    assert api.get("/contacts/c1", headers=people).json() == before
    assert api.get("/contacts/c2/manager", headers=people).json()["id"] == "c3"
    assert api.get("/contacts/c1/manager", headers=people).json() is None
    assert api.post(f"/merge/{merge_id}/undo", headers=people).status_code == 404  # undone already


def test_merge_refusals(api: TestClient, people: H, keys: dict[str, H]) -> None:
    assert (
        api.post("/merge", json={"kind": "contact", "keep": "c1", "merge": ["c2"]}, headers=keys["viewer"]).status_code
        == 403
    )
    missing = api.post(
        "/merge", json={"kind": "contact", "keep": "c1", "merge": ["nobody"], "dry_run": False}, headers=people
    )
    assert missing.status_code == 404
    same = api.post("/merge", json={"kind": "contact", "keep": "c1", "merge": ["c1"]}, headers=people)
    assert same.status_code == 400
    assert api.post("/merge", json={"kind": "contact", "keep": "c1", "merge": []}, headers=people).status_code == 422
    other_tenant = api.post("/merge", json={"kind": "contact", "keep": "c1", "merge": ["c2"]}, headers=keys["other"])
    assert other_tenant.status_code == 404
    # c3 manages c2; merging c3 into c2's report line would make c2 report to itself through c3
    assert api.put("/contacts/c3/manager", json={"manager_id": "c1"}, headers=people).status_code == 204
    cycle = api.post(
        "/merge", json={"kind": "contact", "keep": "c1", "merge": ["c2"], "dry_run": False}, headers=people
    )
    assert cycle.status_code == 409 and cycle.json()["error"]["code"] == "cycle"
    assert api.get("/contacts/c2", headers=people).status_code == 200
