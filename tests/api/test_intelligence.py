"""Relationship intelligence over HTTP on a small, hand-made account whose answers are known."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

H = dict[str, str]
NOW = datetime.now(UTC)


def _ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def _meet(client: TestClient, h: H, people: list[tuple[str, str, str]], days_ago: int, kind: str = "meeting") -> None:
    body = {
        "kind": kind,
        "occurred_at": (NOW - timedelta(days=days_ago)).isoformat(),
        "participants": [{"person_id": p, "kind": k, "role": r} for p, k, r in people],
    }
    _ok(client.post("/interactions", json=body, headers=h), 201)


@pytest.fixture
def account(client: TestClient, admin: H) -> H:
    """Acme: a CEO, a VP Sales reporting to the CEO (explicit), a sales manager whose manager is not
    recorded, and an engineer; reps Rae (close to the VP) and Sam (met the engineer long ago).
    Nina at Globex knows both the engineer and Acme's VP: a two-hop introduction."""
    _ok(client.post("/accounts", json={"id": "acme", "name": "Acme"}, headers=admin), 201)
    _ok(client.post("/accounts", json={"id": "acme-eu", "name": "Acme EU"}, headers=admin), 201)
    _ok(client.post("/accounts", json={"id": "acme-de", "name": "Acme DE"}, headers=admin), 201)
    client.put("/accounts/acme-eu/parent", json={"parent_id": "acme"}, headers=admin)
    client.put("/accounts/acme-de/parent", json={"parent_id": "acme-eu"}, headers=admin)
    people = {"ceo": "Chief Executive Officer", "vp": "VP Sales", "mgr": "Sales Manager", "eng": "Software Engineer"}
    for pid, title in people.items():
        _ok(client.post("/contacts", json={"id": pid, "name": pid.upper(), "title": title}, headers=admin), 201)
        client.put(f"/contacts/{pid}/employments", json={"account_id": "acme", "title": title}, headers=admin)
    _ok(client.post("/contacts", json={"id": "nina", "name": "Nina"}, headers=admin), 201)
    client.put("/contacts/vp/manager", json={"manager_id": "ceo"}, headers=admin)
    for rid in ("rae", "sam"):
        _ok(client.post("/reps", json={"id": rid, "name": rid.title()}, headers=admin), 201)
    for d in (3, 10, 20, 30):
        _meet(client, admin, [("rae", "rep", "organizer"), ("vp", "contact", "attendee")], d)
    _meet(client, admin, [("sam", "rep", "organizer"), ("eng", "contact", "attendee")], 700)
    for d in (5, 6):
        _meet(client, admin, [("nina", "contact", "organizer"), ("eng", "contact", "attendee")], d)
    _meet(client, admin, [("rae", "rep", "organizer"), ("nina", "contact", "attendee")], 2)
    for d in range(6):  # the manager writes to the VP and cc's the CEO: evidence the VP is the boss
        body = {
            "kind": "email",
            "occurred_at": (NOW - timedelta(days=d + 1)).isoformat(),
            "participants": [{"person_id": "mgr", "role": "from"}, {"person_id": "vp", "role": "to"}],
        }
        _ok(client.post("/interactions", json=body, headers=admin), 201)
    deal = {"id": "d1", "name": "Acme deal", "amount": 100.0}
    _ok(client.post("/deals", json=deal, headers=admin), 201)
    client.put("/deals/d1/account", json={"account_id": "acme-de"}, headers=admin)
    _ok(client.post("/deals", json={"id": "d2", "name": "Won", "amount": 50.0, "status": "won"}, headers=admin), 201)
    client.put("/deals/d2/account", json={"account_id": "acme"}, headers=admin)
    _ok(client.post("/relationships/refresh", headers=admin))
    return admin


def test_relationships_strongest_first_with_evidence(client: TestClient, account: H) -> None:
    rels = _ok(client.get("/contacts/vp/relationships", headers=account))
    assert rels[0]["id"] == "rae" and rels[0]["kind"] == "rep"
    assert rels[0]["by_channel"] == {"meeting": 4} and len(rels[0]["last_interactions"]) == 3
    assert 0 < rels[0]["strength"] <= 1
    eng = _ok(client.get("/contacts/eng/relationships", headers=account))
    # two recent meetings with Nina beat one meeting with Sam two years ago
    assert [r["id"] for r in eng] == ["nina", "sam"]
    assert client.get("/contacts/ghost/relationships", headers=account).status_code == 404


def test_orgchart_explicit_and_inferred(client: TestClient, account: H) -> None:
    chart = _ok(client.get("/accounts/acme/orgchart", headers=account))
    (root,) = chart["roots"]
    assert root["id"] == "ceo" and root["manager_line"] is None
    lines = {}
    stack = [root]
    while stack:
        n = stack.pop()
        for c in n["reports"]:
            lines[c["id"]] = (n["id"], c["manager_line"])
            stack.append(c)
    assert lines["vp"][0] == "ceo" and lines["vp"][1]["source"] == "explicit"
    manager, line = lines["mgr"]
    assert manager == "vp" and line["source"] == "inferred" and 0 < line["confidence"] < 1 and line["evidence"]
    vp = next(c for c in root["reports"] if c["id"] == "vp")
    assert vp["strongest_rep"]["id"] == "rae" and vp["met_last_90_days"] is True
    explicit_only = _ok(client.get("/accounts/acme/orgchart", params={"inferred": "false"}, headers=account))
    assert explicit_only["inferred_lines"] == 0 and explicit_only["explicit_lines"] == 1
    assert {r["id"] for r in explicit_only["roots"]} == {"ceo", "mgr", "eng"}


def test_influence_is_explained(client: TestClient, account: H) -> None:
    ranked = _ok(client.get("/accounts/acme/influence", headers=account))["people"]
    assert ranked[0]["id"] in {"ceo", "vp"} and ranked[-1]["id"] == "eng"
    assert any(c["why"] == "reports to them" for p in ranked for c in p["contributors"])
    everyone = _ok(client.get("/influence", params={"limit": 50}, headers=account))["people"]
    assert {p["id"] for p in everyone} >= {"rae", "vp", "nina"}


def test_intro_paths(client: TestClient, account: H) -> None:
    found = _ok(client.get("/paths/intro", params={"to": "eng", "k": 3}, headers=account))
    best = found["paths"][0]
    assert [h["from"]["id"] for h in best["hops"]] == ["rae", "nina"] and best["hops"][1]["to"]["id"] == "eng"
    assert best["strength"] == pytest.approx(best["hops"][0]["strength"] * best["hops"][1]["strength"], rel=1e-3)
    # Sam's relationship is two years old: excluded as stale by default, found when allowed
    assert all(p["hops"][0]["from"]["id"] != "sam" for p in found["paths"])
    old = _ok(client.get("/paths/intro", params={"to": "eng", "from": "sam", "max_age_days": 3650}, headers=account))
    assert old["paths"][0]["hops"][0]["from"]["id"] == "sam"
    entry = _ok(client.get("/paths/intro", params={"to_account": "acme"}, headers=account))
    assert entry["entry_points"][0]["hops"][-1]["to"]["id"] == "vp"


def test_intro_bad_input(client: TestClient, account: H, keys: dict[str, H]) -> None:
    assert client.get("/paths/intro", params={"to": "eng", "k": 0}, headers=account).status_code == 422
    assert client.get("/paths/intro", params={"to": "eng", "max_hops": 9}, headers=account).status_code == 422
    assert client.get("/paths/intro", headers=account).status_code == 400
    assert client.get("/paths/intro", params={"to": "nobody"}, headers=account).status_code == 404
    # another tenant cannot reach these people at all
    assert client.get("/paths/intro", params={"to": "eng"}, headers=keys["other"]).status_code == 404


def test_hierarchy_rollups(client: TestClient, account: H) -> None:
    h = _ok(client.get("/accounts/acme-de/hierarchy", headers=account))
    assert [a["id"] for a in h["ancestors"]] == ["acme-eu", "acme"]
    top = _ok(client.get("/accounts/acme/hierarchy", headers=account))
    assert top["total"]["accounts"] == 3
    assert top["total"]["open_pipeline"] == 100.0 and top["total"]["won_revenue"] == 50.0
    assert top["tree"]["children"][0]["children"][0]["id"] == "acme-de"
    assert top["total"]["contacts"] == 4 and top["total"]["senior_contacts"] >= 2
    assert 0 < top["total"]["coverage"] <= 1


def _email(client: TestClient, h: H, sender: str, to: list[str], cc: list[str], days_ago: int) -> str:
    parts = [{"person_id": sender, "role": "from"}]
    parts += [{"person_id": p, "role": "to"} for p in to] + [{"person_id": p, "role": "cc"} for p in cc]
    body = {"kind": "email", "occurred_at": (NOW - timedelta(days=days_ago)).isoformat(), "participants": parts}
    return str(_ok(client.post("/interactions", json=body, headers=h), 201)["id"])


def test_relationships_follow_writes_without_a_manual_refresh(client: TestClient, admin: H) -> None:
    """Recording interactions refreshes KNOWS in the background (no POST /relationships/refresh);
    deleting the only interaction between two people removes their relationship."""
    _ok(client.post("/accounts", json={"id": "ini", "name": "Initech"}, headers=admin), 201)
    for pid, title in {"vp": "VP Engineering", "m1": "Engineering Manager", "m2": "Engineering Manager"}.items():
        _ok(client.post("/contacts", json={"id": pid, "name": pid.upper(), "title": title}, headers=admin), 201)
        client.put(f"/contacts/{pid}/employments", json={"account_id": "ini", "title": title}, headers=admin)
    for d in range(5):  # m1 keeps the VP in copy: the VP is m1's boss
        _email(client, admin, "m1", ["m2"], ["vp"], d + 1)
    lone = _email(client, admin, "m2", ["vp"], [], 1)
    client.app.state.intel.flush()  # type: ignore[attr-defined]
    rels = {r["id"]: r for r in _ok(client.get("/contacts/m1/relationships", headers=admin))}
    assert set(rels) == {"m2", "vp"} and rels["m2"]["by_channel"] == {"email": 5}
    chart = _ok(client.get("/accounts/ini/orgchart", headers=admin))
    (root,) = chart["roots"]
    m1 = next(c for c in root["reports"] if c["id"] == "m1")
    assert root["id"] == "vp" and m1["manager_line"]["source"] == "inferred"
    assert any("cc'd on 5 of 5 emails" in e for e in m1["manager_line"]["evidence"])
    assert client.delete(f"/interactions/{lone}", headers=admin).status_code == 204
    client.app.state.intel.flush()  # type: ignore[attr-defined]
    assert "vp" not in {r["id"] for r in _ok(client.get("/contacts/m2/relationships", headers=admin))}


def test_hierarchy_sees_a_write_at_once_and_then_serves_the_cached_book(client: TestClient, account: H) -> None:
    first = _ok(client.get("/accounts/acme/hierarchy", headers=account))
    client.app.state.books.build_now(client.app.state.store, "acme")  # type: ignore[attr-defined]
    assert _ok(client.get("/accounts/acme/hierarchy", headers=account)) == first  # the book answers the same
    _ok(client.post("/deals", json={"id": "d3", "name": "More", "amount": 25.0}, headers=account), 201)
    client.put("/deals/d3/account", json={"account_id": "acme-eu"}, headers=account)
    after = _ok(client.get("/accounts/acme/hierarchy", headers=account))
    assert after["total"]["open_pipeline"] == first["total"]["open_pipeline"] + 25.0
    client.app.state.books.build_now(client.app.state.store, "acme")  # type: ignore[attr-defined]
    assert _ok(client.get("/accounts/acme/hierarchy", headers=account)) == after


def test_cached_org_chart_follows_a_write(client: TestClient, account: H) -> None:
    def line_of_mgr() -> dict[str, Any]:
        chart = _ok(client.get("/accounts/acme/orgchart", headers=account))
        stack = list(chart["roots"])
        while stack:
            n = stack.pop()
            for c in n["reports"]:
                if c["id"] == "mgr":
                    return {"manager": n["id"], **c["manager_line"]}
                stack.append(c)
        raise AssertionError("mgr has no manager line")

    assert line_of_mgr()["source"] == "inferred"
    assert line_of_mgr()["source"] == "inferred"  # served from the cache
    assert client.put("/contacts/mgr/manager", json={"manager_id": "ceo"}, headers=account).status_code < 300
    line = line_of_mgr()
    assert line["source"] == "explicit" and line["manager"] == "ceo"


def _meetings(client: TestClient, h: H, rep: str, contact: str, n: int) -> None:
    for d in range(n):
        _meet(client, h, [(rep, "rep", "organizer"), (contact, "contact", "attendee")], d + 1)


# Each write through the API and the account-book parts it must mark stale. The roll-up under "acme"
# moves after each one that marks any (so that serving the old book would be caught). Writes that
# name the people they changed are served by re-reading those people's accounts only (SCOPED).
WRITES: list[tuple[str, Any, set[str]]] = [
    ("deal amount", lambda c, h: c.patch("/deals/d1", json={"amount": 150.0}, headers=h), {"deals"}),
    ("deal moved", lambda c, h: c.put("/deals/d2/account", json={"account_id": "acme-de"}, headers=h), {"deals"}),
    ("deal deleted", lambda c, h: c.delete("/deals/d2", headers=h), {"deals"}),
    (
        "hire",
        lambda c, h: (
            c.post("/contacts", json={"id": "cfo", "name": "CFO"}, headers=h),
            c.put("/contacts/cfo/employments", json={"account_id": "acme-eu"}, headers=h),
        ),
        {"staff", "coverage", "touch"},
    ),
    ("their own title", lambda c, h: c.patch("/contacts/cfo", json={"title": "CFO"}, headers=h), {"staff", "coverage"}),
    ("a manager", lambda c, h: c.put("/contacts/cfo/manager", json={"manager_id": "ceo"}, headers=h), set()),
    (
        "promotion",
        lambda c, h: c.put("/contacts/eng/employments", json={"account_id": "acme", "title": "VP R&D"}, headers=h),
        {"staff", "coverage", "touch"},
    ),
    (
        "job ended",
        lambda c, h: c.put("/contacts/mgr/employments", json={"account_id": "acme", "until": "2026-01-01"}, headers=h),
        {"staff", "coverage", "touch"},
    ),
    (
        "a job at a subsidiary",
        lambda c, h: c.put(
            "/contacts/mgr/employments", json={"account_id": "acme-de", "title": "Sales Director"}, headers=h
        ),
        {"staff", "coverage", "touch"},
    ),
    (
        "job removed",
        lambda c, h: c.delete("/contacts/mgr/employments/acme-de", headers=h),
        {"staff", "coverage", "touch"},
    ),
    ("contact deleted", lambda c, h: c.delete("/contacts/vp", headers=h), {"staff", "coverage", "touch"}),
    ("meetings, KNOWS refreshed", lambda c, h: _meetings(c, h, "rae", "cfo", 6), {"touch", "coverage"}),
    ("rep deleted", lambda c, h: c.delete("/reps/rae", headers=h), {"coverage"}),
    (
        "a batch of titles",
        lambda c, h: c.post(
            "/contacts/batch-upsert", json=[{"id": "cfo", "name": "CFO", "title": "Intern"}], headers=h
        ),
        {"staff", "coverage"},
    ),
    ("account renamed", lambda c, h: c.patch("/accounts/acme-de", json={"name": "Acme GmbH"}, headers=h), {"accounts"}),
    ("account detached", lambda c, h: c.delete("/accounts/acme-de/parent", headers=h), {"accounts"}),
    (
        "account deleted and created again",
        lambda c, h: (
            c.put("/accounts/acme-de/parent", json={"parent_id": "acme-eu"}, headers=h),
            c.put("/deals/d1/account", json={"account_id": "acme-de"}, headers=h),
            c.delete("/accounts/acme-de", headers=h),
            c.post("/accounts", json={"id": "acme-de", "name": "Acme DE"}, headers=h),
            c.put("/accounts/acme-de/parent", json={"parent_id": "acme-eu"}, headers=h),
        ),
        {"accounts", "deals", "staff", "coverage", "touch"},
    ),
]


PEOPLE = {"staff", "coverage", "touch"}
# The parts each write leaves stale in a way that only its people's accounts are re-read (after
# meetings, the KNOWS refresh names the contacts of the contact-rep pairs it rewrote).
SCOPED = {
    "hire": PEOPLE,
    "their own title": {"staff", "coverage"},
    "promotion": PEOPLE,
    "job ended": PEOPLE,
    "a job at a subsidiary": PEOPLE,
    "job removed": PEOPLE,
    "contact deleted": PEOPLE,
    "meetings, KNOWS refreshed": {"touch", "coverage"},
    "a batch of titles": {"staff", "coverage"},
}


def test_hierarchy_after_each_kind_of_write_equals_a_fresh_read(client: TestClient, account: H) -> None:
    """After a write the cached book serves the parts the write cannot change and re-reads the
    others for the subtree: the answer equals a read from scratch, right after the write and once
    the book has caught up in the background."""
    from pydantic import TypeAdapter

    from graph.intelligence.hierarchy import hierarchy

    state = client.app.state  # type: ignore[attr-defined]

    def fresh() -> Any:
        as_json = TypeAdapter(dict[str, Any]).dump_python  # as the API serialises it
        return as_json(hierarchy(store=state.store, tenant="acme", account_id="acme"), mode="json")

    state.intel.flush()  # the fixture's interactions
    state.books.build_now(state.store, "acme")
    before = _ok(client.get("/accounts/acme/hierarchy", headers=account))
    for name, write, parts in WRITES:
        counters = state.intel.part_versions("acme")
        write(client, account)
        state.intel.flush()  # KNOWS from the new interactions
        moved = {p for p, v in state.intel.part_versions("acme").items() if counters.get(p) != v}
        assert moved == parts, name
        cached = state.books.current("acme")
        assert set(cached.scoped) == SCOPED.get(name, set()), name
        served = _ok(client.get("/accounts/acme/hierarchy", headers=account))
        assert served == fresh(), name
        assert (served != before) == bool(parts), name
        state.books.join()
        assert _ok(client.get("/accounts/acme/hierarchy", headers=account)) == served, name
        before = served
