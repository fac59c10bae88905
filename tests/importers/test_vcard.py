"""vCard: the real samples (4.0, 3.0) plus invented 2.1/3.0 cards with encodings and folding."""

from __future__ import annotations

from pathlib import Path

from importers.vcard import parse_vcard
from tests.importers.helpers import check_rows, data_dir, nodes, notes, rejects, rels


def test_real_samples() -> None:
    rows = check_rows(parse_vcard(data_dir("vcard-samples")))
    contacts = nodes(rows, "Contact")
    john = next(c for c in contacts if c.props["name"] == "Dr. John Q. Public, III")
    assert john.id == "vcard:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"
    assert john.props["email"] == "johnny@personal.example.org"  # PREF=1 wins
    assert john.props["other_emails"] == ["john.public@example.com"]
    assert john.props["phone"] == "+1-555-555-5555" and john.props["title"] == "CEO"
    assert john.props["notes"] == "This is a note about John.\nHe likes vCards."
    assert (john.props["city"], john.props["country"]) == ("Any Town", "U.S.A.")
    works = rels(rows, "WORKS_AT")
    assert [(w.dst_id, w.props) for w in works] == [
        ("vcard:org:example-corp", {"title": "CEO", "department": "North Division / Marketing"})
    ]
    assert {a.props["name"] for a in nodes(rows, "Account")} == {"Example Corp.", "ABC, Inc."}
    assert len(notes(rows, "card_skipped")) == 2  # group and location cards
    assert len(notes(rows, "merged")) == 1  # vcard40_simple shares the UID of vcard40_full
    assert {c.props["name"] for c in contacts} >= {"Given Family", "Yamada Taro", "John Doe"}
    assert rejects(rows) == []


def test_v21_quoted_printable_and_folding(tmp_path: Path) -> None:
    path = tmp_path / "cards.vcf"
    path.write_bytes(
        b"BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=B6rg\r\n"
        b"FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=B6rg M=\r\n=C3=BCller\r\n"
        b"TEL;WORK;VOICE:+49 30 0000000\r\nEMAIL;INTERNET:joerg@example.de\r\nORG:M\xfcller & Co\r\nEND:VCARD\r\n"
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Folded\r\n  Name\r\nEMAIL;TYPE=INTERNET,pref:folded@example.org\r\n"
        b"NOTE:line one\\nline two\\, with comma\r\nEND:VCARD\r\n"
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nTITLE:Nobody\r\nEND:VCARD\r\n"
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Cut short\r\n"
    )
    rows = check_rows(parse_vcard(path))
    contacts = {c.props["name"]: c for c in nodes(rows, "Contact")}
    assert contacts["Jörg Müller"].props["last_name"] == "Müller"
    assert contacts["Jörg Müller"].props["phone"] == "+49 30 0000000"
    assert contacts["Jörg Müller"].id == "vcard:email:joerg@example.de"
    assert [a.props["name"] for a in nodes(rows, "Account")] == ["Müller & Co"]  # cp1252 line decoded
    assert contacts["Folded Name"].props["notes"] == "line one\nline two, with comma"
    assert sorted(r.reason for r in rejects(rows)) == [
        "VCARD not closed (file cut short?)",
        "card has no FN, N or EMAIL",
    ]
