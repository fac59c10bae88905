"""LinkedIn Connections.csv (invented people)."""

from __future__ import annotations

from importers.linkedin import parse_linkedin, profile_handle
from tests.importers.helpers import FIXTURES, check_rows, nodes, notes, rejects, rels

FILE = FIXTURES / "linkedin" / "Connections.csv"


def test_connections() -> None:
    rows = check_rows(parse_linkedin(FILE))
    contacts = {n.id: n.props for n in nodes(rows, "Contact")}
    assert set(contacts) == {
        "linkedin:in:marisol-quenneville-4f2a91",
        "linkedin:in:bertram-oyelaran-fisk",
        "linkedin:email:ysolde.m@brambleworth.example",
        "linkedin:in:cosimo-teague",
        "linkedin:in:agnieszka-wh",
    }
    assert contacts["linkedin:in:marisol-quenneville-4f2a91"]["custom"] == {"connected_on": "2026-11-21"}
    assert contacts["linkedin:in:bertram-oyelaran-fisk"]["title"] == "Director, Partnerships"
    assert {n.id for n in nodes(rows, "Account")} == {
        "linkedin:org:quillfeather-labs",
        "linkedin:org:lanternfish-bv",
        "linkedin:org:brambleworth-sons",
    }
    assert len(rels(rows, "WORKS_AT")) == 4  # Cosimo has no company
    assert [n.location for n in notes(rows, "invalid_value")] == ["line 10"]  # 31 Feb
    assert rejects(rows) == []
    assert list(parse_linkedin(FILE)) == rows


def test_profile_handle() -> None:
    assert profile_handle("https://www.linkedin.com/in/Ada-L-1a2b/?trk=x") == "ada-l-1a2b"
    assert profile_handle("https://example.org/ada") is None
