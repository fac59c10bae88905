"""Lines read a block at a time (``textio.iter_runs``) and the CSV records read from them
(``csvio.iter_csv``'s one-record-a-line runs) are exactly what reading line by line gives, on any
bytes: odd encodings, NULs, BOMs, quotes across lines, bare carriage returns, over-long lines."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from importers import csvio, textio
from importers.csvio import iter_csv
from importers.textio import Line, Run, iter_lines, iter_runs

PIECES = [b"a", b"b,c", b",", b";", b" ", b'"', b'""', b"\n", b"\r\n", b"\r", b"\x00", b"\xef\xbb\xbf", b"\xe9",
          "é".encode(), b"\xff\xfe", b"x" * 40, b"Record ID,Email\n", b"1,a@b.example\n"]  # fmt: skip
CONTENT = st.lists(st.sampled_from(PIECES), max_size=60).map(b"".join)


def _as_lines(items: list[Line | Run]) -> list[Line]:
    out: list[Line] = []
    for item in items:
        if isinstance(item, Run):
            assert item.text == "".join(item.texts)
            out += [Line(n, t) for n, t in enumerate(item.texts, item.first)]
        else:
            out.append(item)
    return out


def _file(data: bytes) -> Path:
    with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as fh:
        fh.write(data)
    return Path(fh.name)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=CONTENT, run_bytes=st.integers(1, 64), max_line_bytes=st.sampled_from([8, 33, 4096]))
def test_runs_hold_the_lines_read_one_by_one(data: bytes, run_bytes: int, max_line_bytes: int) -> None:
    path = _file(data)
    try:
        lines = list(iter_lines(path, max_line_bytes=max_line_bytes))
        runs = list(iter_runs(path, max_line_bytes=max_line_bytes, run_bytes=run_bytes))
        assert _as_lines(runs) == lines
    finally:
        path.unlink()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=CONTENT, run_bytes=st.integers(1, 64))
def test_records_of_runs_are_those_read_line_by_line(data: bytes, run_bytes: int) -> None:
    path = _file(data)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(textio, "RUN_BYTES", run_bytes)
            fast = list(iter_csv(path))
            mp.setattr(csvio, "_one_record_a_line", lambda run: False)  # every line through the csv feed
            slow = list(iter_csv(path))
        assert fast == slow
    finally:
        path.unlink()


def test_a_big_file_goes_in_runs(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("Record ID,Email\n" + "".join(f"{i},p{i}@x.example\n" for i in range(50_000)), encoding="utf-8")
    items = list(iter_runs(path))
    assert sum(isinstance(i, Run) for i in items) >= 2 and not any(isinstance(i, Line) for i in items)
    records = list(iter_csv(path))
    assert len(records) == 50_000
    last = records[-1]
    assert isinstance(last, csvio.CsvRecord) and last.line == 50_001 and last.raw == "49999,p49999@x.example\n"
