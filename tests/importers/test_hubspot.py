"""HubSpot exports (invented fixtures with HubSpot's default column names)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from graph.errors import InvalidInput
from importers.hubspot import deal_status, detect_kind, parse_hubspot
from importers.rows import Row
from tests.importers.helpers import FIXTURES, check_rows, nodes, notes, rejects, rels

FOLDER = FIXTURES / "hubspot"


@pytest.fixture(scope="module")
def hs_rows() -> list[Row]:
    return check_rows(parse_hubspot(FOLDER))


def test_counts_and_rejects(hs_rows: list[Row]) -> None:
    labels = Counter(n.label for n in nodes(hs_rows))
    assert labels == {"Account": 4, "Contact": 4, "Deal": 3, "Rep": 2}
    assert {(r.source, r.location) for r in rejects(hs_rows)} == {
        ("companies.csv", "line 5"),
        ("contacts.csv", "line 5"),
        ("deals.csv", "line 5"),
    }


def test_associations(hs_rows: list[Row]) -> None:
    works = {(r.src_id, r.dst_id) for r in rels(hs_rows, "WORKS_AT")}
    assert ("hubspot:contact:502", "hubspot:company:9002") in works
    assert ("hubspot:contact:502", "hubspot:company:9001") in works
    assert ("hubspot:contact:505", "hubspot:company-name:lanternfish-bv") in works
    assert {(r.src_id, r.dst_id) for r in rels(hs_rows, "SUBSIDIARY_OF")} == {
        ("hubspot:company:9002", "hubspot:company:9001")
    }
    on_deal = [(r.src_id, r.dst_id, r.props["role"]) for r in rels(hs_rows, "ON_DEAL")]
    assert ("hubspot:contact:501", "hubspot:deal:7001", "influencer") in on_deal
    owners = {r.src_id for r in rels(hs_rows, "OWNS")}
    assert owners == {"hubspot:owner:ines-varga", "email:owner.two@ourco.example"}


def test_values(hs_rows: list[Row]) -> None:
    deals = {d.id: d.props for d in nodes(hs_rows, "Deal")}
    assert deals["hubspot:deal:7001"]["status"] == "won"
    assert deals["hubspot:deal:7002"]["status"] == "lost" and deals["hubspot:deal:7002"]["amount"] == 1250.5
    assert "amount" not in deals["hubspot:deal:7003"]
    assert Counter(n.code for n in notes(hs_rows))["invalid_value"] == 3
    labs = next(a for a in nodes(hs_rows, "Account") if a.id == "hubspot:company:9001")
    assert labs.props["domain"] == "quillfeather.example" and labs.props["annual_revenue"] == 12_500_000


def test_single_file_and_detection(tmp_path: Path) -> None:
    rows = check_rows(parse_hubspot(FOLDER / "contacts.csv"))
    assert len(nodes(rows, "Contact")) == 4
    assert detect_kind(["record id", "deal name"]) == "deals"
    assert deal_status("Closed Won") == deal_status("closedwon") == "won"
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(InvalidInput):
        list(parse_hubspot(other))


def test_idempotent(hs_rows: list[Row]) -> None:
    assert list(parse_hubspot(FOLDER)) == hs_rows


def test_contact_names_and_props_from_whatever_columns_are_filled(tmp_path: Path) -> None:
    export = tmp_path / "contacts.csv"
    export.write_text(
        "Record ID,First Name,Last Name,Email,Phone Number,Job Title,Lifecycle Stage,Lead Status,Company Name\n"
        "1,Ada,Lovelace,ADA@Example.com,+44 1,CTO,lead,,Acme\n"
        "2,Ada,,,,,,,\n"
        "3,,Lovelace,,,,,new,\n"
        "4,,,Bob@Example.com,,,,,\n"
        "5,,,,+1 555,,,,\n",
        encoding="utf-8",
    )
    rows = check_rows(parse_hubspot(export))
    props = {n.id: n.props for n in nodes(rows, "Contact")}
    assert props == {
        "hubspot:contact:1": {
            "name": "Ada Lovelace",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@example.com",
            "phone": "+44 1",
            "title": "CTO",
            "custom": {"lifecycle_stage": "lead"},
        },
        "hubspot:contact:2": {"name": "Ada", "first_name": "Ada"},
        "hubspot:contact:3": {"name": "Lovelace", "last_name": "Lovelace", "custom": {"lead_status": "new"}},
        "hubspot:contact:4": {"name": "Bob@Example.com", "email": "bob@example.com"},
    }
    assert [r.reason for r in rejects(rows)] == ["contact has no name and no email"]
    assert [(r.src_id, r.dst_id, r.props) for r in rels(rows, "WORKS_AT")] == [
        ("hubspot:contact:1", "hubspot:company-name:acme", {"title": "CTO"})
    ]
