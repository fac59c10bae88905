"""POST /cypher: read-only by the engine, capped, scoped to the caller's tenant."""

from __future__ import annotations

from fastapi.testclient import TestClient

H = dict[str, str]


def _q(client: TestClient, h: H, query: str, **extra: object) -> tuple[int, dict]:  # type: ignore[type-arg]
    r = client.post("/cypher", json={"query": query, **extra}, headers=h)
    return r.status_code, r.json()


def test_rows_nodes_relationships_paths(client: TestClient, keys: dict[str, H]) -> None:
    a = keys["admin"]
    client.post("/accounts", json={"id": "acme", "name": "Acme"}, headers=a)
    client.post("/contacts", json={"id": "ada", "name": "Ada"}, headers=a)
    client.put("/contacts/ada/employments", json={"account_id": "acme", "title": "CTO"}, headers=a)
    status, body = _q(
        client,
        keys["analyst"],
        "MATCH p = (c:Contact)-[w:WORKS_AT]->(x:Account) WHERE x.name = $name RETURN c, w, p",
        params={"name": "Acme"},
    )
    assert status == 200, body
    c, w, p = body["rows"][0]
    assert (c["_label"], c["name"]) == ("Contact", "Ada")
    assert (w["_type"], w["title"]) == ("WORKS_AT", "CTO")
    assert [n["_label"] for n in p["nodes"]] == ["Contact", "Account"]


def test_writes_are_refused_by_the_engine(client: TestClient, keys: dict[str, H]) -> None:
    client.post("/contacts", json={"id": "ada", "name": "Ada"}, headers=keys["admin"])
    for q in (
        "MATCH (c:Contact) SET c.name = 'pwned' RETURN c",
        "MATCH (c:Contact) DETACH DELETE c",
        "CREATE (:Account {uid: 'acme/x', tenant: 'acme', id: 'x', name: 'x'})",
        "MERGE (a:Account {uid: 'acme/y'}) RETURN a",
    ):
        status, body = _q(client, keys["analyst"], q)
        assert status == 403, (q, body)
    assert client.get("/contacts/ada", headers=keys["admin"]).json()["name"] == "Ada"
    assert len(client.get("/accounts", headers=keys["admin"]).json()["items"]) == 0


def test_file_and_database_clauses_refused(client: TestClient, keys: dict[str, H]) -> None:
    for q in (
        "COPY (MATCH (c:Contact) RETURN c.name) TO '/tmp/leak.csv'",
        "LOAD FROM '/etc/passwd' RETURN *",
        "ATTACH '../globex/graph.lbug' AS g (dbtype lbug)",
        "EXPORT DATABASE '/tmp/dump'",
        "CALL threads = 1",
        "MATCH (c) RETURN c; MATCH (d) RETURN d",
        "COMMIT",
    ):
        status, body = _q(client, keys["analyst"], q)
        assert status == 403, (q, body)
    # a keyword inside a string value is data, not a clause
    status, _ = _q(client, keys["analyst"], "RETURN 'COPY LOAD ATTACH' AS s")
    assert status == 200


def test_syntax_error_is_400_with_engine_message(client: TestClient, keys: dict[str, H]) -> None:
    status, body = _q(client, keys["analyst"], "MATCH (c:Contact RETURN c")
    assert status == 400
    assert "Parser exception" in body["error"]["message"]


def test_row_cap_and_timeout(client: TestClient, keys: dict[str, H]) -> None:
    status, body = _q(client, keys["analyst"], "UNWIND range(1, 50000) AS i RETURN i", max_rows=100)
    assert status == 200 and len(body["rows"]) == 100 and body["truncated"]
    status, body = _q(
        client,
        keys["analyst"],
        "UNWIND range(1, 20000) AS i UNWIND range(1, 20000) AS j WITH i, j WHERE (i * j) % 7 = 3 "
        "RETURN sum(i + j) AS n",
        timeout_s=0.2,
    )
    assert status == 408, body


def test_scoped_to_the_callers_tenant(client: TestClient, keys: dict[str, H]) -> None:
    client.post("/contacts", json={"id": "s", "name": "Acme secret"}, headers=keys["admin"])
    client.post("/contacts", json={"id": "g", "name": "Globex person"}, headers=keys["other"])
    status, body = _q(client, keys["analyst"], "MATCH (c:Contact) RETURN c.name AS name")
    assert status == 200 and body["rows"] == [["Acme secret"]]


def test_a_query_leaves_the_cached_views_alone(client: TestClient, keys: dict[str, H]) -> None:
    """Cypher only reads: it does not move the tenant's version (which empties the cached org
    charts and roll-ups); a write does."""
    intel = client.app.state.intel  # type: ignore[attr-defined]
    client.post("/contacts", json={"id": "ada", "name": "Ada"}, headers=keys["admin"])
    before = intel.version("acme")
    assert _q(client, keys["analyst"], "MATCH (c:Contact) RETURN count(*)")[0] == 200
    assert intel.version("acme") == before
    client.post("/contacts", json={"id": "bob", "name": "Bob"}, headers=keys["admin"])
    assert intel.version("acme") > before
