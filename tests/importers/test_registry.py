"""Format detection and the parser registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.errors import InvalidInput
from importers import PARSERS, detect_format, parse
from tests.importers.helpers import DATA, FIXTURES


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (FIXTURES / "hubspot", "hubspot"),
        (FIXTURES / "hubspot" / "deals.csv", "hubspot"),
        (FIXTURES / "salesforce-export", "salesforce"),
        (FIXTURES / "linkedin" / "Connections.csv", "linkedin"),
        (FIXTURES / "ics" / "meetings.ics", "ics"),
        (FIXTURES / "ics", "ics"),
    ],
)
def test_detect_fixtures(path: Path, expected: str) -> None:
    assert detect_format(path) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("maven-crm", "maven"),
        ("enron-mbox-sample", "email"),
        ("enron-mbox-sample/enron.arora-h.sent", "email"),
        ("salesforce-sample", "salesforce-tree"),
        ("salesforce-sample/Accounts-Contacts.csv", "salesforce-report"),
        ("vcard-samples", "vcard"),
    ],
)
def test_detect_real_data(name: str, expected: str) -> None:
    path = DATA / name
    if not path.exists():
        pytest.skip(f"real data set {path} is absent")
    assert detect_format(path) == expected


def test_unknown_and_missing(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InvalidInput):
        detect_format(tmp_path / "notes.txt")
    with pytest.raises(InvalidInput):
        detect_format(tmp_path / "absent")
    with pytest.raises(InvalidInput):
        parse(tmp_path / "notes.txt", fmt="nope")


def test_parse_dispatches() -> None:
    assert set(PARSERS) >= {"maven", "salesforce", "hubspot", "csv", "email", "vcard", "linkedin", "ics"}
    rows = list(parse(FIXTURES / "linkedin" / "Connections.csv"))
    assert rows and rows == list(parse(FIXTURES / "linkedin" / "Connections.csv", fmt="linkedin"))
