"""Shared helpers for the importer tests: where the data is, and checks every parser's rows pass."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from importers.rows import MAX_RAW, NodeRow, Note, Reject, RelRow, Row, schema_problems

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def data_dir(name: str) -> Path:
    """A real data set under ../shared/data, or skip the test saying what is missing."""
    path = DATA / name
    if not path.exists():
        pytest.skip(f"real data set {path} is absent (see ../shared/data/README.md)")
    return path


def check_rows(rows: Iterable[Row]) -> list[Row]:
    """Every row is well-formed, and every node precedes the relationships that reference it."""
    rows = list(rows)
    produced = {(r.label, r.id) for r in rows if isinstance(r, NodeRow)}
    yielded: set[tuple[str, str]] = set()
    for row in rows:
        assert isinstance(row, NodeRow | RelRow | Note | Reject), row
        if isinstance(row, NodeRow):
            assert not schema_problems(row), (row, schema_problems(row))
            yielded.add((row.label, row.id))
        elif isinstance(row, RelRow):
            assert not schema_problems(row), (row, schema_problems(row))
            for end in ((row.src_label, row.src_id), (row.dst_label, row.dst_id)):
                if end in produced:
                    assert end in yielded, f"{row} precedes its node {end}"
        elif isinstance(row, Reject):
            assert len(row.raw) <= MAX_RAW
            assert row.reason
    return rows


def nodes(rows: Iterable[Row], label: str | None = None) -> list[NodeRow]:
    return [r for r in rows if isinstance(r, NodeRow) and (label is None or r.label == label)]


def rels(rows: Iterable[Row], rel_type: str | None = None) -> list[RelRow]:
    return [r for r in rows if isinstance(r, RelRow) and (rel_type is None or r.type == rel_type)]


def notes(rows: Iterable[Row], code: str | None = None) -> list[Note]:
    return [r for r in rows if isinstance(r, Note) and (code is None or r.code == code)]


def rejects(rows: Iterable[Row]) -> list[Reject]:
    return [r for r in rows if isinstance(r, Reject)]
