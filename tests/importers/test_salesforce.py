"""Salesforce: Data Export CSVs (invented fixture), the sample tree and report CSV (real data)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from graph.errors import InvalidInput
from importers.rows import Row
from importers.salesforce import parse_salesforce, parse_salesforce_report, parse_salesforce_tree, sf_id18
from tests.importers.helpers import FIXTURES, check_rows, data_dir, nodes, notes, rejects, rels

EXPORT = FIXTURES / "salesforce-export"


@pytest.fixture(scope="module")
def export_rows() -> list[Row]:
    return check_rows(parse_salesforce(EXPORT))


def test_id18() -> None:
    assert sf_id18("001000000000001") == "001000000000001AAA"
    assert sf_id18("001A0000006Vm9r") == "001A0000006Vm9rIAC"  # Salesforce's documented example
    assert sf_id18("001A0000006Vm9rIAC") == "001A0000006Vm9rIAC"


def test_export_nodes_then_relationships(export_rows: list[Row]) -> None:
    first_rel = next(i for i, r in enumerate(export_rows) if r in rels(export_rows))
    assert all(r not in rels(export_rows) for r in export_rows[:first_rel])
    assert not nodes(export_rows[first_rel:])
    assert Counter(n.label for n in nodes(export_rows)) == {
        "Rep": 3,
        "Account": 3,
        "Contact": 3,
        "Deal": 3,
        "Interaction": 4,
    }


def test_export_mapping(export_rows: list[Row]) -> None:
    deals = {d.props["name"]: d.props for d in nodes(export_rows, "Deal")}
    assert deals["Quillfeather Platform"]["status"] == "won" and deals["Robotics Pilot"]["status"] == "lost"
    assert deals["Brambleworth Renewal"]["custom"] == {"invalid": {"amount": -5.0}}
    roles = {(r.src_id, r.dst_id): r.props["role"] for r in rels(export_rows, "ON_DEAL")}
    assert roles[("sf:003000000000001AAA", "sf:006000000000001AAA")] == "decision_maker"
    assert roles[("sf:003000000000002AAA", "sf:006000000000001AAA")] == "economic_buyer"
    assert roles[("sf:003000000000003AAA", "sf:006000000000003AAA")] == "influencer"
    assert any("Gatekeeper" in n.message for n in notes(export_rows))
    # a 15-character AccountId meets the 18-character Id of the same account
    works = {r.src_id: r.dst_id for r in rels(export_rows, "WORKS_AT")}
    assert works["sf:003000000000002AAA"] == "sf:001000000000001AAA"
    assert ("sf:001000000000002AAA", "sf:001000000000001AAA") in {
        (r.src_id, r.dst_id) for r in rels(export_rows, "SUBSIDIARY_OF")
    }
    kinds = {n.id: n.props["kind"] for n in nodes(export_rows, "Interaction")}
    assert kinds == {
        "sf:00T000000000001AAA": "call",
        "sf:00T000000000002AAA": "email",
        "sf:00T000000000003AAA": "note",
        "sf:00U000000000001AAA": "meeting",
    }
    about = {(r.src_id, r.dst_label) for r in rels(export_rows, "ABOUT")}
    assert ("sf:00T000000000002AAA", "Account") in about and ("sf:00U000000000001AAA", "Deal") in about
    assert {r.location for r in rejects(export_rows)} == {"line 5", "line 6"}


def test_export_is_idempotent(export_rows: list[Row]) -> None:
    assert list(parse_salesforce(EXPORT)) == export_rows


def test_not_an_export(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        list(parse_salesforce(tmp_path))


def test_sample_tree() -> None:
    rows = check_rows(parse_salesforce_tree(data_dir("salesforce-sample")))
    assert Counter(n.label for n in nodes(rows)) == {"Account": 10, "Contact": 6, "Deal": 20}
    assert len(rels(rows, "FOR_ACCOUNT")) == 20 and len(rels(rows, "WORKS_AT")) == 6
    amy = next(n for n in nodes(rows, "Contact") if n.props["name"] == "Amy Taylor")
    assert amy.id == "sftree:ContactRef1" and amy.props["title"] == "VP of Engineering"
    assert ("sftree:ContactRef1", "sftree:AccountRef1") in {(r.src_id, r.dst_id) for r in rels(rows, "WORKS_AT")}
    assert rejects(rows) == []
    assert list(parse_salesforce_tree(data_dir("salesforce-sample"))) == rows


def test_sample_report_csv() -> None:
    rows = check_rows(parse_salesforce_report(data_dir("salesforce-sample") / "Accounts-Contacts.csv"))
    assert Counter(n.label for n in nodes(rows)) == {"Account": 10, "Contact": 6}
    assert {r.dst_id for r in rels(rows, "WORKS_AT")} == {
        "sfreport:acct:alpha-dynamics",
        "sfreport:acct:madison-investments",
    }
    assert rejects(rows) == []


def test_tree_with_broken_file(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(
        '{"records": [{"attributes": {"type": "Account", "referenceId": "R1"}, "Name": "X"},'
    )
    (tmp_path / "b.json").write_text(
        '{"records": [{"attributes": {"type": "Account", "referenceId": "R2"}, "Name": "Y"}, 5,'
        ' {"attributes": {"type": "Spaceship", "referenceId": "R3"}}]}'
    )
    rows = check_rows(parse_salesforce_tree(tmp_path))
    assert [n.id for n in nodes(rows)] == ["sftree:R2"]
    assert {(r.source, r.location) for r in rejects(rows)} == {
        ("a.json", "file"),
        ("b.json", "record 2"),
        ("b.json", "record 3"),
    }
