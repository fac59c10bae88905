"""CRUD and relationship endpoints through HTTP against the real embedded store."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

H = dict[str, str]


def _post(client: TestClient, path: str, body: Any, h: H, status: int = 201) -> dict[str, Any]:
    r = client.post(path, json=body, headers=h)
    assert r.status_code == status, r.text
    return r.json()  # type: ignore[no-any-return]


def test_minimal_bodies_and_roundtrip(client: TestClient, admin: H) -> None:
    acct = _post(client, "/accounts", {"name": "Acme"}, admin)
    contact = _post(client, "/contacts", {"name": "Ada Lovelace", "email": "Ada@Acme.com"}, admin)
    assert contact["email"] == "ada@acme.com"
    got = client.get(f"/contacts/{contact['id']}", headers=admin).json()
    assert got == contact
    assert client.get(f"/accounts/{acct['id']}", headers=admin).json()["name"] == "Acme"


def test_patch_changes_only_sent_fields(client: TestClient, admin: H) -> None:
    c = _post(client, "/contacts", {"name": "Ada", "title": "CTO"}, admin)
    r = client.patch(f"/contacts/{c['id']}", json={"phone": "123"}, headers=admin)
    assert r.status_code == 200
    assert (r.json()["title"], r.json()["phone"]) == ("CTO", "123")


def test_delete_then_404(client: TestClient, admin: H) -> None:
    c = _post(client, "/deals", {"name": "Big one", "amount": 10}, admin)
    assert client.delete(f"/deals/{c['id']}", headers=admin).status_code == 204
    assert client.get(f"/deals/{c['id']}", headers=admin).status_code == 404
    assert client.delete(f"/deals/{c['id']}", headers=admin).status_code == 404


def test_list_pagination(client: TestClient, admin: H) -> None:
    rows = [{"id": f"p{i:02d}", "name": f"Product {i}"} for i in range(7)]
    assert _post(client, "/products/batch-upsert", rows, admin, 200) == {"created": 7, "updated": 0, "unchanged": 0}
    assert _post(client, "/products/batch-upsert", rows, admin, 200) == {"created": 0, "updated": 0, "unchanged": 7}
    ids, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/products", params=params, headers=admin).json()
        ids += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert ids == [r["id"] for r in rows]


def test_batch_upsert_defaults_on_create_only(client: TestClient, admin: H) -> None:
    _post(client, "/deals/batch-upsert", [{"id": "d1", "name": "D1", "status": "won"}], admin, 200)
    _post(client, "/deals/batch-upsert", [{"id": "d1", "name": "D1 renamed"}], admin, 200)
    deal = client.get("/deals/d1", headers=admin).json()
    assert (deal["name"], deal["status"], deal["currency"]) == ("D1 renamed", "won", "USD")


def test_relationship_operations(client: TestClient, admin: H) -> None:
    parent = _post(client, "/accounts", {"id": "parent", "name": "Parent Co"}, admin)
    child = _post(client, "/accounts", {"id": "child", "name": "Child Co"}, admin)
    assert client.put(f"/accounts/{child['id']}/parent", json={"parent_id": "parent"}, headers=admin).status_code == 204
    assert client.get("/accounts/child/parent", headers=admin).json()["id"] == parent["id"]
    boss = _post(client, "/contacts", {"id": "boss", "name": "Boss"}, admin)
    ada = _post(client, "/contacts", {"id": "ada", "name": "Ada"}, admin)
    r = client.put(
        "/contacts/ada/employments", json={"account_id": "child", "title": "CTO", "since": "2021-04-01"}, headers=admin
    )
    assert r.status_code == 201
    assert client.get("/contacts/ada/employments", headers=admin).json()[0]["title"] == "CTO"
    assert client.put("/contacts/ada/manager", json={"manager_id": boss["id"]}, headers=admin).status_code == 204
    assert client.get("/contacts/ada/manager", headers=admin).json()["id"] == "boss"
    assert client.delete("/contacts/ada/manager", headers=admin).status_code == 204
    assert client.get("/contacts/ada/manager", headers=admin).json() is None
    rep = _post(client, "/reps", {"id": "rae", "name": "Rae"}, admin)
    deal = _post(client, "/deals", {"id": "d1", "name": "Deal"}, admin)
    assert client.put("/deals/d1/account", json={"account_id": "child"}, headers=admin).status_code == 204
    assert client.put("/deals/d1/owner", json={"rep_id": rep["id"]}, headers=admin).status_code == 204
    assert (
        client.put("/deals/d1/contacts", json={"contact_id": ada["id"], "role": "champion"}, headers=admin).status_code
        == 201
    )
    details = client.get(f"/deals/{deal['id']}/details", headers=admin).json()
    assert details["account_id"] == "child" and details["owner_id"] == "rae"
    assert details["contacts"] == [{"contact_id": "ada", "name": "Ada", "title": None, "role": "champion"}]
    listed = client.get("/deals", params={"account_id": "child"}, headers=admin).json()["items"]
    assert [d["id"] for d in listed] == ["d1"]
    interaction = _post(
        client,
        "/interactions",
        {
            "kind": "meeting",
            "subject": "Kick-off",
            "occurred_at": "2026-10-01T10:00:00+02:00",
            "participants": [
                {"person_id": "rae", "kind": "rep", "role": "organizer"},
                {"person_id": "ada", "role": "attendee"},
            ],
            "about_deal_id": "d1",
        },
        admin,
    )
    assert interaction["occurred_at"].startswith("2026-10-01T08:00:00")
    people = client.get(f"/interactions/{interaction['id']}/participants", headers=admin).json()
    assert {p["person_id"] for p in people} == {"rae", "ada"}
    assert [i["id"] for i in client.get("/contacts/ada/interactions", headers=admin).json()["items"]] == [
        interaction["id"]
    ]
