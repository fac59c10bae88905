"""Streaming text input: decode line by line, bounded memory, never abort a file for one bad line.

Exports are rarely clean: a BOM, a file saved as Windows-1252, a few pasted lines in another
encoding, a NUL byte from a broken export, a 2 GB line with no newline. ``iter_lines`` reads the file
as bytes, one line at a time with a length cap, and decodes each line with the first encoding that
works (``utf-8``, then ``cp1252``; a leading BOM is dropped as ``utf-8-sig`` would). A line that no
encoding accepts is still returned (decoded with replacement characters) but flagged, so the caller
rejects the one record that contains it and carries on.

Per-line decoding (rather than guessing once per file) is what makes this streaming: no second pass,
and a file that mixes encodings decodes correctly wherever it can.
"""

from __future__ import annotations

import codecs
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

from graph.errors import InvalidInput

ENCODINGS: Final = ("utf-8", "cp1252")
MAX_LINE_BYTES: Final = 4 * 1024 * 1024
BOM: Final = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class Line:
    """One physical line: 1-based number, decoded text (with its newline), and what went wrong."""

    number: int
    text: str
    problem: str | None = None


def decode_bytes(data: bytes, declared: str | None = None, *, final: bool = True) -> tuple[str, str | None]:
    """Decode with the declared charset, then utf-8, utf-8-sig, cp1252; never raises.

    Returns the text and, when every encoding failed, a problem description (the text is then
    decoded with replacement characters). ``final=False`` says ``data`` was cut from a longer
    stream: a multi-byte character split at the end is dropped instead of failing the decode.
    """
    candidates: list[str] = []
    if declared:
        candidates.append(declared)
    candidates.extend(("utf-8", "utf-8-sig", "cp1252"))
    for enc in candidates:
        try:
            return codecs.getincrementaldecoder(enc)().decode(data, final=final), None
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("utf-8", "replace"), "undecodable bytes (tried utf-8, utf-8-sig, cp1252)"


def _decode_line(data: bytes) -> tuple[str, str | None]:
    for enc in ENCODINGS:
        try:
            return data.decode(enc), None
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace"), "undecodable bytes (tried utf-8, utf-8-sig, cp1252)"


def _read_line(fh: BinaryIO, limit: int) -> tuple[bytes, bool]:
    """Read one line of at most ``limit`` bytes; if longer, skip to its end and say so."""
    data = fh.readline(limit)
    if len(data) < limit or data.endswith(b"\n"):
        return data, False
    while True:  # discard the rest of an over-long line without keeping it
        more = fh.readline(limit)
        if not more or more.endswith(b"\n"):
            return data, True


def iter_lines(path: Path, *, max_line_bytes: int = MAX_LINE_BYTES) -> Generator[Line, None, None]:
    """Yield the decoded lines of ``path``; raise ``InvalidInput`` only if it cannot be opened."""
    fh = _open(path)
    with fh:
        number = 0
        while True:
            data, too_long = _read_line(fh, max_line_bytes)
            if not data:
                return
            number += 1
            yield _line(number, data, too_long, max_line_bytes)


def _open(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from exc


def _line(number: int, data: bytes, too_long: bool, max_line_bytes: int) -> Line:
    """Line ``number`` of a file from its bytes (``iter_lines``, one line)."""
    if number == 1 and data.startswith(BOM):
        data = data[len(BOM) :]
    text, problem = _decode_line(data)
    if too_long:
        problem = f"line longer than {max_line_bytes} bytes (truncated)"
    elif "\x00" in text:
        problem = "NUL byte in line (binary data?)"
        text = text.replace("\x00", "")
    return Line(number, text, problem)


@dataclass(frozen=True, slots=True)
class Run:
    """Consecutive lines that ``iter_lines`` would give without a problem and decoded as UTF-8: the
    number of the first one and their texts (each with its newline)."""

    first: int
    texts: list[str]
    text: str  # the texts joined


RUN_BYTES: Final = 1 << 20


def iter_runs(
    path: Path, *, max_line_bytes: int = MAX_LINE_BYTES, run_bytes: int | None = None
) -> Generator[Line | Run, None, None]:
    """``iter_lines``, with the lines of each block of about ``run_bytes`` that is valid UTF-8 without
    a NUL byte grouped in one ``Run``: one decode and one split a block instead of a read, a decode
    and an object a line. Any other block comes line by line as ``iter_lines`` gives them, and so
    does a line without a newline in a whole block (read with the length cap)."""
    run_bytes = max(1, min(run_bytes or RUN_BYTES, max_line_bytes // 2))  # no line of a block over the cap
    fh = _open(path)
    with fh:
        number = 0
        pending = b""
        while True:
            data = fh.read(run_bytes)
            if not data:
                if pending:  # the last line, without a newline
                    yield _line(number + 1, pending, False, max_line_bytes)
                return
            data = pending + data
            cut = data.rfind(b"\n") + 1
            if not cut:  # no line ends here: read this long line as iter_lines does
                fh.seek(-len(data), 1)
                pending = b""
                line, too_long = _read_line(fh, max_line_bytes)
                number += 1
                yield _line(number, line, too_long, max_line_bytes)
                continue
            whole, pending = data[:cut], data[cut:]
            body = whole[len(BOM) :] if number == 0 and whole.startswith(BOM) else whole
            text = _utf8(body) if b"\x00" not in body else None
            if text is None:
                for piece in _split_lf(whole):
                    number += 1
                    yield _line(number, piece, False, max_line_bytes)
                continue
            texts = text.split("\n")
            texts.pop()  # after the last newline: nothing
            yield Run(number + 1, [t + "\n" for t in texts], text)
            number += len(texts)


def _utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _split_lf(data: bytes) -> list[bytes]:
    """``data`` cut after each newline, as ``readline`` reads it (a CR is no line end there)."""
    pieces = data.split(b"\n")
    pieces.pop()
    return [p + b"\n" for p in pieces]
