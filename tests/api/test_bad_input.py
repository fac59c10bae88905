"""Every bad-input case of the graph-core issue: the status, a useful message, and nothing half-written."""

from __future__ import annotations

from fastapi.testclient import TestClient

H = dict[str, str]


def _count(client: TestClient, path: str, h: H) -> int:
    return len(client.get(path, params={"limit": 500}, headers=h).json()["items"])


def test_unknown_field_is_422_and_nothing_written(client: TestClient, admin: H) -> None:
    r = client.post("/contacts", json={"name": "Mallory", "is_admin": True}, headers=admin)
    assert r.status_code == 422
    assert r.json()["error"]["detail"][0]["field"] == "is_admin"
    assert _count(client, "/contacts", admin) == 0


def test_wrong_type_is_422_naming_the_field(client: TestClient, admin: H) -> None:
    r = client.post("/deals", json={"name": "D", "amount": "lots"}, headers=admin)
    assert r.status_code == 422
    assert "amount" in r.json()["error"]["message"]
    r = client.post("/contacts", json={"name": "X", "email": "not-an-email"}, headers=admin)
    assert r.status_code == 422 and "email" in r.json()["error"]["message"]


def test_unknown_id_is_404(client: TestClient, admin: H) -> None:
    for path in (
        "/contacts/nope",
        "/accounts/nope",
        "/deals/nope",
        "/reps/nope",
        "/products/nope",
        "/interactions/nope",
    ):
        r = client.get(path, headers=admin)
        assert r.status_code == 404, path
        assert "nope" in r.json()["error"]["message"]
    r = client.put("/contacts/nope/manager", json={"manager_id": "x"}, headers=admin)
    assert r.status_code == 404


def test_duplicate_external_id_is_409_and_original_kept(client: TestClient, admin: H) -> None:
    assert client.post("/accounts", json={"id": "acme-1", "name": "Acme"}, headers=admin).status_code == 201
    r = client.post("/accounts", json={"id": "acme-1", "name": "Impostor"}, headers=admin)
    assert r.status_code == 409 and r.json()["error"]["code"] == "duplicate_id"
    assert client.get("/accounts/acme-1", headers=admin).json()["name"] == "Acme"


def test_cycles_are_409_and_nothing_changes(client: TestClient, admin: H) -> None:
    for i in range(3):
        client.post("/accounts", json={"id": f"a{i}", "name": f"A{i}"}, headers=admin)
        client.post("/contacts", json={"id": f"c{i}", "name": f"C{i}"}, headers=admin)
    client.put("/accounts/a1/parent", json={"parent_id": "a0"}, headers=admin)
    client.put("/accounts/a2/parent", json={"parent_id": "a1"}, headers=admin)
    r = client.put("/accounts/a0/parent", json={"parent_id": "a2"}, headers=admin)
    assert r.status_code == 409 and r.json()["error"]["code"] == "cycle"
    assert client.get("/accounts/a0/parent", headers=admin).json() is None
    client.put("/contacts/c1/manager", json={"manager_id": "c0"}, headers=admin)
    r = client.put("/contacts/c0/manager", json={"manager_id": "c1"}, headers=admin)
    assert r.status_code == 409
    assert client.get("/contacts/c0/manager", headers=admin).json() is None


def test_interaction_with_unknown_participant_writes_nothing(client: TestClient, admin: H) -> None:
    client.post("/contacts", json={"id": "c1", "name": "C1"}, headers=admin)
    body = {
        "kind": "call",
        "occurred_at": "2026-01-01T00:00:00Z",
        "participants": [{"person_id": "c1", "role": "to"}, {"person_id": "ghost", "kind": "rep", "role": "from"}],
    }
    r = client.post("/interactions", json=body, headers=admin)
    assert r.status_code == 404 and "ghost" in r.json()["error"]["message"]
    assert _count(client, "/interactions", admin) == 0


def test_other_tenants_ids_are_404_never_data(client: TestClient, keys: dict[str, H]) -> None:
    r = client.post("/contacts", json={"id": "secret", "name": "Secret Person"}, headers=keys["admin"])
    assert r.status_code == 201
    other = keys["other"]
    assert client.get("/contacts/secret", headers=other).status_code == 404
    assert client.patch("/contacts/secret", json={"name": "pwned"}, headers=other).status_code == 404
    assert client.delete("/contacts/secret", headers=other).status_code == 404
    assert client.get("/contacts", headers=other).json()["items"] == []
    # the same external id in another tenant is a different record
    assert client.post("/contacts", json={"id": "secret", "name": "Globex person"}, headers=other).status_code == 201
    assert client.get("/contacts/secret", headers=keys["admin"]).json()["name"] == "Secret Person"


def test_auth_401_and_role_403(client: TestClient, keys: dict[str, H]) -> None:
    assert client.get("/contacts").status_code == 401
    assert client.get("/contacts", headers={"Authorization": "Bearer rg_bad_key"}).status_code == 401
    assert client.get("/contacts", headers={"Authorization": "Basic abc"}).status_code == 401
    assert client.get("/contacts", headers=keys["viewer"]).status_code == 200
    r = client.post("/contacts", json={"name": "X"}, headers=keys["viewer"])
    assert r.status_code == 403 and "viewer" in r.json()["error"]["message"]
    assert client.post("/contacts", json={"name": "X"}, headers=keys["analyst"]).status_code == 403
    assert client.post("/contacts", json={"name": "X"}, headers=keys["rep"]).status_code == 201
    assert client.post("/cypher", json={"query": "RETURN 1"}, headers=keys["rep"]).status_code == 403
    assert client.post("/cypher", json={"query": "RETURN 1"}, headers=keys["analyst"]).status_code == 200


def test_bad_cursor_and_limit(client: TestClient, admin: H) -> None:
    assert client.get("/contacts", params={"cursor": "%%%"}, headers=admin).status_code == 400
    assert client.get("/contacts", params={"limit": 100000}, headers=admin).status_code == 422


def test_batch_upsert_without_ids_is_refused_whole(client: TestClient, admin: H) -> None:
    r = client.post("/contacts/batch-upsert", json=[{"id": "ok", "name": "A"}, {"name": "B"}], headers=admin)
    assert r.status_code == 400
    assert _count(client, "/contacts", admin) == 0
