"""CSV records with line numbers and raw text, on top of ``textio``'s tolerant line reader.

Every CSV-based parser reads through ``iter_csv``: it finds the header (skipping a preamble when the
caller says how to recognise the header, as LinkedIn's ``Notes:`` lines need), then yields one
``CsvRecord`` per data record or a ``Reject`` for a record that cannot be read (undecodable bytes,
NUL bytes, more fields than the header, malformed quoting, a field over the csv module's limit).
One bad record never aborts the file.

Headers are matched case- and space-insensitively (``"Job Title"`` == ``"job title"``) because CRM
exports change capitalisation between versions and locales.
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from importers.rows import MAX_RAW, Reject
from importers.textio import Line, Run, iter_lines, iter_runs

DELIMITERS: Final = (",", ";", "\t", "|")


def norm_header(name: str) -> str:
    """``"  Job  Title "`` -> ``"job title"``: the key ``CsvRecord.values`` uses."""
    return " ".join(name.replace("\ufeff", "").strip().lower().split())


@dataclass(frozen=True, slots=True)
class CsvRecord:
    """One data record: ``line`` is its first physical line; ``values`` are keyed by ``norm_header``."""

    line: int
    values: dict[str, str]
    raw: str

    @property
    def location(self) -> str:
        return f"line {self.line}"

    def get(self, *names: str) -> str | None:
        """The first non-empty value among the given column names (aliases), stripped; else None."""
        for name in names:
            value = self.values.get(norm_header(name))
            if value:
                return value
        return None


class _Feed:
    """Feeds decoded lines to ``csv.reader`` while remembering the current record's raw text. Lines
    come from ``queue``, refilled from ``items`` (runs are cut into lines) when it runs dry."""

    def __init__(self, items: Iterator[Line | Run]) -> None:
        self.items = items
        self.queue: deque[Line] = deque()
        self._first: int | None = None
        self._raw: list[str] = []
        self._raw_len = 0
        self._problems: list[str] = []
        self.last_line = 0

    def __iter__(self) -> _Feed:
        return self

    def push(self, item: Line | Run) -> None:
        if isinstance(item, Run):
            self.queue.extend(Line(n, t) for n, t in enumerate(item.texts, item.first))
        else:
            self.queue.append(item)

    def __next__(self) -> str:
        while not self.queue:
            self.push(next(self.items))
        line = self.queue.popleft()
        self.last_line = line.number
        if self._first is None:
            self._first = line.number
        if self._raw_len < MAX_RAW:
            self._raw.append(line.text[: MAX_RAW - self._raw_len])
            self._raw_len += len(self._raw[-1])
        if line.problem:
            self._problems.append(f"line {line.number}: {line.problem}")
        return line.text

    def take(self) -> tuple[int, str, list[str]]:
        """The first line number, raw text and problems of the record just read; then reset."""
        first, raw, problems = self._first or self.last_line, "".join(self._raw), self._problems
        self._first, self._raw, self._raw_len, self._problems = None, [], 0, []
        return first, raw, problems


def sniff_delimiter(header_line: str) -> str:
    """The most frequent of ``, ; TAB |`` in the header line (comma on a tie or when none)."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def iter_csv(
    path: Path,
    *,
    source: str | None = None,
    label: str | None = None,
    delimiter: str | None = None,
    is_header: Callable[[Sequence[str]], bool] | None = None,
) -> Iterator[CsvRecord | Reject]:
    """Yield the records of a CSV file (see module docstring).

    ``is_header`` receives a record's normalised fields; records before the first one it accepts
    are a preamble and skipped. Without it, the first non-blank record is the header. A file with
    no header yields a single ``Reject`` at location ``"file"``. ``label`` is stamped on rejects.
    """
    src = source or path.name
    items = iter_runs(path)
    feed = _Feed(items)
    head: list[Line] = []
    while not head or not (head[-1].text.strip() or len(head) >= 1000):  # blank lines do not count for sniffing
        if not feed.queue:
            first = next(items, None)
            if first is None:
                break
            feed.push(first)
        head.append(feed.queue.popleft())
    if not head:
        yield Reject(src, "file", "empty file", "", label)
        return
    sep = delimiter or sniff_delimiter(head[-1].text)
    feed.queue.extendleft(reversed(head))
    reader = csv.reader(feed, delimiter=sep)
    header: list[str] | None = None
    named = False
    while True:
        if header is not None and not feed.queue:  # between records, nothing read ahead
            item = next(items, None)
            if item is None:
                break
            if isinstance(item, Run) and _one_record_a_line(item):
                yield from _records(item, sep, header, named, src, label)
            else:
                feed.push(item)
            continue
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            line, raw, _ = feed.take()
            yield Reject(src, f"line {line}", f"malformed CSV: {exc}", raw, label)
            continue
        line, raw, problems = feed.take()
        if not "".join(fields).strip():  # blank record (every field empty or spaces)
            continue
        if header is None:
            normalised = [norm_header(f) for f in fields]
            if problems:
                yield Reject(src, f"line {line}", "; ".join(problems), raw, label)
                continue
            if is_header is None or is_header(normalised):
                header = normalised
                named = all(header)  # no empty column name: values zip straight onto the header
            continue
        if problems:
            yield Reject(src, f"line {line}", "; ".join(problems), raw, label)
            continue
        yield _record(fields, header, named, line, raw, src, label)
    if header is None:
        yield Reject(src, "file", "no header row found", "", label)


def _record(
    fields: list[str], header: list[str], named: bool, line: int, raw: str, src: str, label: str | None
) -> CsvRecord | Reject:
    """The record of ``fields``, or its reject when it has more fields than the header."""
    if len(fields) > len(header):
        extra = [f for f in fields[len(header) :] if f.strip()]
        if extra:
            return Reject(src, f"line {line}", f"{len(fields)} fields but the header has {len(header)}", raw, label)
    if named:
        values = dict(zip(header, map(str.strip, fields), strict=False))
    else:
        values = {name: value.strip() for name, value in zip(header, fields, strict=False) if name}
    return CsvRecord(line, values, raw)


def _one_record_a_line(run: Run) -> bool:
    """No quote and no carriage return but before a newline: each line of ``run`` is one record."""
    text = run.text
    return '"' not in text and text.count("\r") == text.count("\r\n")


def _records(
    run: Run, sep: str, header: list[str], named: bool, src: str, label: str | None
) -> Iterator[CsvRecord | Reject]:
    """``iter_csv``'s records of a run of lines that are one record each (``_one_record_a_line``):
    the csv reader reads the run's list itself, and a record's line and raw text are its line's."""
    reader = csv.reader(run.texts, delimiter=sep)
    width = len(header)
    for number, text in enumerate(run.texts, run.first):
        try:
            fields = next(reader)
        except csv.Error as exc:
            yield Reject(src, f"line {number}", f"malformed CSV: {exc}", text[:MAX_RAW], label)
            continue
        if not "".join(fields).strip():
            continue
        if named and len(fields) <= width:
            yield CsvRecord(number, dict(zip(header, map(str.strip, fields), strict=False)), text[:MAX_RAW])
            continue
        yield _record(fields, header, named, number, text[:MAX_RAW], src, label)
    if next(reader, None) is not None:
        raise AssertionError("csv read a line as more than one record")


def read_header(path: Path, *, delimiter: str | None = None, max_lines: int = 50) -> list[str]:
    """The normalised header of a CSV file (first non-blank record), or [] if unreadable.

    Used to detect which kind of export a file is without reading it all.
    """
    lines = iter_lines(path)
    collected: list[str] = []
    for line in lines:
        collected.append(line.text)
        if line.text.strip() or len(collected) >= max_lines:
            break
    lines.close()
    text = [t for t in collected if t.strip()]
    if not text:
        return []
    sep = delimiter or sniff_delimiter(text[0])
    try:
        for fields in csv.reader(text, delimiter=sep):
            return [norm_header(f) for f in fields]
    except csv.Error:  # binary junk (a bare CR inside a field): not a CSV header we can read
        return []
    return []
