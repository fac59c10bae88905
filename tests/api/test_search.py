"""GET /search and /search/suggest over HTTP: writes reach search, tenants never cross, bad input 4xx."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

H = dict[str, str]


def _flush(client: TestClient) -> None:
    client.app.state.sync.flush()  # type: ignore[attr-defined]


def _search(client: TestClient, h: H, **params: Any) -> dict[str, Any]:
    r = client.get("/search", params=params, headers=h)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_typo_finds_the_person_with_highlights(client: TestClient, admin: H) -> None:
    client.post("/accounts", json={"id": "acme", "name": "Acme Corporation"}, headers=admin)
    client.post("/contacts", json={"id": "js", "name": "John Smith", "email": "john@acme.com"}, headers=admin)
    client.post("/reps", json={"id": "mf", "name": "Moses Frase"}, headers=admin)
    client.put("/contacts/js/employments", json={"account_id": "acme", "title": "CTO"}, headers=admin)
    _flush(client)
    hits = _search(client, admin, q="Jonh Smtih")["hits"]
    assert hits[0]["id"] == "js" and "<em>" in hits[0]["highlights"]["name"][0]
    assert _search(client, admin, q="Mosse Frase")["hits"][0]["id"] == "mf"
    assert _search(client, admin, q="john", account="acme", types="contact")["hits"][0]["id"] == "js"
    suggestions = client.get("/search/suggest", params={"q": "jo"}, headers=admin).json()
    assert suggestions[0]["id"] == "js"


def test_updates_and_deletes_reach_search(client: TestClient, admin: H) -> None:
    client.post("/contacts", json={"id": "a", "name": "Søren Kierkegaard"}, headers=admin)
    _flush(client)
    assert _search(client, admin, q="soren")["hits"][0]["id"] == "a"
    client.patch("/contacts/a", json={"name": "Łukasz Nowak"}, headers=admin)
    _flush(client)
    assert _search(client, admin, q="soren")["hits"] == []
    assert _search(client, admin, q="lukasz")["hits"][0]["id"] == "a"
    client.delete("/contacts/a", headers=admin)
    _flush(client)
    assert _search(client, admin, q="lukasz")["hits"] == []


def test_tenants_sharing_names_never_cross(client: TestClient, keys: dict[str, H]) -> None:
    client.post("/contacts", json={"id": "acme-zoe", "name": "Zoë Núñez"}, headers=keys["admin"])
    client.post("/contacts", json={"id": "globex-zoe", "name": "Zoë Núñez"}, headers=keys["other"])
    _flush(client)
    acme = _search(client, keys["viewer"], q="zoe nunez")["hits"]
    globex = _search(client, keys["other"], q="zoe nunez")["hits"]
    assert [h["id"] for h in acme] == ["acme-zoe"] and [h["id"] for h in globex] == ["globex-zoe"]
    sugg = client.get("/search/suggest", params={"q": "zo"}, headers=keys["other"]).json()
    assert [s["id"] for s in sugg] == ["globex-zoe"]


def test_bad_queries_are_4xx_never_500(client: TestClient, admin: H) -> None:
    client.post("/contacts", json={"name": "Ada"}, headers=admin)
    _flush(client)
    garbage = ['"((( AND OR ~~ *:*', "]]]]", '"', "a" * 999, "%00", "title:foo^^2"]
    for q in garbage:
        r = client.get("/search", params={"q": q}, headers=admin)
        assert r.status_code in (200, 400), (q, r.text)
    assert client.get("/search", params={"q": "x" * 10_000}, headers=admin).status_code in (400, 422)
    assert client.get("/search/suggest", params={"q": "x" * 5000}, headers=admin).status_code == 400
    assert client.get("/search", params={"q": "ada", "types": "robots"}, headers=admin).status_code == 400
    assert client.get("/search", params={"q": ""}, headers=admin).status_code == 422
    assert client.get("/search", params={"q": "ada"}).status_code == 401


def test_limit_is_capped(client: TestClient, admin: H) -> None:
    rows = [{"id": f"p{i}", "name": f"Patel {i}"} for i in range(150)]
    assert client.post("/contacts/batch-upsert", json=rows, headers=admin).status_code == 200
    _flush(client)
    page = _search(client, admin, q="patel", limit=1000)
    assert len(page["hits"]) == 100 and page["next_cursor"]
    nxt = _search(client, admin, q="patel", limit=1000, cursor=page["next_cursor"])
    assert len(nxt["hits"]) == 50
