"""CSV reading: encodings per line, line numbers, bad records rejected without aborting the file."""

from __future__ import annotations

from pathlib import Path

from importers.csvio import CsvRecord, iter_csv, read_header, sniff_delimiter
from importers.rows import Reject
from importers.textio import iter_lines


def write(tmp_path: Path, data: bytes, name: str = "x.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def records(path: Path, **kwargs: object) -> list[CsvRecord | Reject]:
    return list(iter_csv(path, **kwargs))  # type: ignore[arg-type]


def test_utf8_bom_cp1252_and_mixed_lines(tmp_path: Path) -> None:
    data = "\ufeffName,City\n".encode() + "Zoë,Köln\n".encode() + "Renée,Orléans\n".encode("cp1252")
    out = records(write(tmp_path, data))
    assert [r.values for r in out if isinstance(r, CsvRecord)] == [
        {"name": "Zoë", "city": "Köln"},
        {"name": "Renée", "city": "Orléans"},
    ]


def test_undecodable_line_is_rejected_with_line_number(tmp_path: Path) -> None:
    data = b"a,b\n1,2\n3,\x81\x9d\xff\n5,6\n"
    out = records(write(tmp_path, data))
    assert [r.line for r in out if isinstance(r, CsvRecord)] == [2, 4]
    bad = [r for r in out if isinstance(r, Reject)]
    assert len(bad) == 1 and bad[0].location == "line 3" and "undecodable" in bad[0].reason


def test_nul_bytes_and_extra_fields_are_rejected(tmp_path: Path) -> None:
    out = records(write(tmp_path, b"a,b\n1,\x002\n3,4,5\n6,7,\n"))
    reasons = [r.reason for r in out if isinstance(r, Reject)]
    assert len(reasons) == 2 and "NUL" in reasons[0] and "3 fields" in reasons[1]
    assert [r.values for r in out if isinstance(r, CsvRecord)] == [{"a": "6", "b": "7"}]


def test_multiline_quoted_field_keeps_first_line_number(tmp_path: Path) -> None:
    out = records(write(tmp_path, b'a,b\n1,"two\nlines"\n3,4\n'))
    assert [(r.line, r.values["b"]) for r in out if isinstance(r, CsvRecord)] == [(2, "two\nlines"), (4, "4")]


def test_preamble_skipped_when_header_is_recognised(tmp_path: Path) -> None:
    path = write(tmp_path, b"Notes:\nsomething, with a comma\n\nFirst Name,Last Name\nAda,Lovelace\n")
    out = records(path, is_header=lambda fields: "first name" in fields)
    assert [r.values for r in out if isinstance(r, CsvRecord)] == [{"first name": "Ada", "last name": "Lovelace"}]


def test_missing_header_and_empty_file(tmp_path: Path) -> None:
    out = records(write(tmp_path, b"x,y\n"), is_header=lambda fields: "nope" in fields)
    assert [r.location for r in out if isinstance(r, Reject)] == ["file"]
    assert [r.reason for r in records(write(tmp_path, b"", "e.csv")) if isinstance(r, Reject)] == ["empty file"]


def test_delimiters_and_header(tmp_path: Path) -> None:
    assert sniff_delimiter("a;b;c") == ";"
    assert sniff_delimiter("a\tb") == "\t"
    assert sniff_delimiter("single") == ","
    path = write(tmp_path, b"\n\n Job  Title ;Email\nCTO;a@b.example\n")
    assert read_header(path) == ["job title", "email"]
    rec = next(r for r in records(path) if isinstance(r, CsvRecord))
    assert rec.get("Job Title") == "CTO" and rec.get("missing", "EMAIL") == "a@b.example"


def test_overlong_line_is_cut_and_flagged(tmp_path: Path) -> None:
    path = write(tmp_path, b"a\n" + b"x" * 5000 + b"\nok\n")
    lines = list(iter_lines(path, max_line_bytes=1000))
    assert [line.number for line in lines] == [1, 2, 3]
    assert lines[1].problem and len(lines[1].text) <= 1000
    assert lines[2].text == "ok\n"


def test_blank_records_skipped_and_unnamed_columns_dropped(tmp_path: Path) -> None:
    """A record of empty or blank fields is skipped; a column with no header name is not kept, and a
    header with every column named maps values straight onto it (stripped, a repeated name: the last)."""
    unnamed = write(tmp_path, b"id,,name\n1,x, Ada \n , ,\t\n2,y,Bob\n", "unnamed.csv")
    got = [r.values for r in records(unnamed) if isinstance(r, CsvRecord)]
    assert got == [{"id": "1", "name": "Ada"}, {"id": "2", "name": "Bob"}]
    named = write(tmp_path, b"id,name,Name\n1, Ada ,  Lovelace\n,,\n2,Bob\n", "named.csv")
    got = [r.values for r in records(named) if isinstance(r, CsvRecord)]
    assert got == [{"id": "1", "name": "Lovelace"}, {"id": "2", "name": "Bob"}]
    assert [r.line for r in records(named) if isinstance(r, CsvRecord)] == [2, 4]
