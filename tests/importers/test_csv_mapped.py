"""Generic CSV + JSON mapping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graph.errors import InvalidInput
from importers.csv_mapped import CsvMapping, load_mapping, parse_csv_mapped
from tests.importers.helpers import FIXTURES, check_rows, nodes, notes, rejects, rels

CSV = FIXTURES / "mapped" / "people.csv"
MAPPING = FIXTURES / "mapped" / "people.mapping.json"


def test_mapped_people() -> None:
    rows = check_rows(parse_csv_mapped(CSV, mapping=MAPPING))
    contacts = {n.id: n.props for n in nodes(rows, "Contact")}
    assert set(contacts) == {f"acme-erp:person:P-{i}" for i in (1, 2, 3, 4)}
    assert contacts["acme-erp:person:P-1"]["custom"] == {"segment": "enterprise", "started": "2019-03-01"}
    assert contacts["acme-erp:person:P-3"]["custom"]["invalid"] == {"email": "mireille(at)quaile.example"}
    reports = {(r.src_id, r.dst_id) for r in rels(rows, "REPORTS_TO")}
    assert reports == {("acme-erp:person:P-2", "acme-erp:person:P-1"), ("acme-erp:person:P-3", "acme-erp:person:P-2")}
    assert all(r.props == {"source": "explicit"} for r in rels(rows, "REPORTS_TO"))
    created = {n.id for n in nodes(rows, "Account")}
    assert "acme-erp:company-name:ekdahl-daughters" in created
    assert [r.location for r in rejects(rows)] == ["line 5"]
    assert len(notes(rows, "invalid_field")) == 1


def test_typed_properties(tmp_path: Path) -> None:
    data = tmp_path / "deals.csv"
    data.write_text(
        'No,Title,Value,Closed,Owner\nD1,Big one,"1,500.00",2024-05-06,rep@ourco.example\nD2,Bad,abc,soon,\n'
    )
    mapping = CsvMapping.model_validate(
        {
            "label": "Deal",
            "namespace": "erp:deal",
            "id_column": "No",
            "properties": {"name": "Title", "amount": "Value", "close_date": "Closed"},
            "relationships": [
                {
                    "type": "OWNS",
                    "column": "Owner",
                    "target_label": "Rep",
                    "namespace": "email",
                    "key": "email",
                    "direction": "in",
                }
            ],
        }
    )
    rows = check_rows(parse_csv_mapped(data, mapping=mapping))
    deals = {n.id: n.props for n in nodes(rows, "Deal")}
    assert deals["erp:deal:D1"]["amount"] == 1500.0 and str(deals["erp:deal:D1"]["close_date"]) == "2024-05-06"
    assert "amount" not in deals["erp:deal:D2"] and len(notes(rows, "invalid_value")) == 2
    assert [(r.src_label, r.src_id, r.dst_id) for r in rels(rows, "OWNS")] == [
        ("Rep", "email:rep@ourco.example", "erp:deal:D1")
    ]


@pytest.mark.parametrize(
    "bad",
    [
        {"label": "Planet", "namespace": "x", "id_column": "id", "properties": {}},
        {"label": "Contact", "namespace": "x", "id_column": "id", "properties": {"colour": "c"}},
        {
            "label": "Contact",
            "namespace": "x",
            "id_column": "id",
            "properties": {},
            "relationships": [{"type": "WORKS_AT", "column": "c", "target_label": "Deal", "namespace": "y"}],
        },
        {"label": "Contact", "namespace": "x", "properties": {}},
        {"label": "Contact", "namespace": "x", "id_column": "id", "properties": {}, "surprise": 1},
    ],
)
def test_bad_mappings_are_invalid_input(tmp_path: Path, bad: dict[str, object]) -> None:
    path = tmp_path / "m.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(InvalidInput):
        load_mapping(path)


def test_unreadable_mapping(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_bytes(b"{not json")
    with pytest.raises(InvalidInput):
        load_mapping(path)
    with pytest.raises(InvalidInput):
        load_mapping(tmp_path / "absent.json")
