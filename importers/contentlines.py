"""RFC 6350 / RFC 5545 content lines (vCard and iCalendar share the syntax), read as a stream.

``iter_components(path, "VCARD")`` yields one ``Component`` per ``BEGIN:VCARD ... END:VCARD``
with its unfolded, parsed properties, or a ``Reject`` for a component that is cut off or malformed,
reading the file line by line (``textio``: per-line encoding fallback, capped line length). Nested
components (a ``VALARM`` inside a ``VEVENT``) are skipped. vCard 2.1 quoted-printable soft line
breaks are joined. Nothing here raises on bad input.
"""

from __future__ import annotations

import quopri
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from importers.rows import MAX_RAW, Reject
from importers.textio import decode_bytes, iter_lines

MAX_LOGICAL_LINE: Final = 1024 * 1024
MAX_PROPERTIES: Final = 5_000


@dataclass(frozen=True, slots=True)
class ContentLine:
    """``NAME;PARAM=a,b:value``: name upper-cased, params upper-cased keys -> list of values."""

    name: str
    params: dict[str, list[str]]
    value: str
    group: str | None = None

    def param(self, key: str) -> str | None:
        values = self.params.get(key.upper())
        return values[0] if values else None

    def types(self) -> set[str]:
        """TYPE values, lower-cased; vCard 2.1 bare params (``TEL;WORK;VOICE``) count as types."""
        out = {t.lower() for v in self.params.get("TYPE", []) for t in v.split(",")}
        out.update(k.lower() for k, v in self.params.items() if v == [""])
        return out


@dataclass
class Component:
    """One ``BEGIN:X ... END:X`` block: where it started, its properties, its raw text (capped)."""

    name: str
    line: int
    lines: list[ContentLine] = field(default_factory=list)
    raw: str = ""
    problems: list[str] = field(default_factory=list)

    def all(self, name: str) -> list[ContentLine]:
        return [c for c in self.lines if c.name == name]

    def first(self, name: str) -> ContentLine | None:
        return next((c for c in self.lines if c.name == name), None)


def parse_content_line(text: str) -> ContentLine | None:
    """Split one unfolded line; ``None`` when it has no ``:`` or no name."""
    name_end = _scan_to(text, (";", ":"), 0)
    if name_end >= len(text):
        return None
    full_name = text[:name_end].strip()
    group, _, name = full_name.rpartition(".")
    params: dict[str, list[str]] = {}
    pos = name_end
    while pos < len(text) and text[pos] == ";":
        end = _scan_to(text, (";", ":"), pos + 1)
        key, _, raw_value = text[pos + 1 : end].partition("=")
        params.setdefault(key.strip().upper(), []).extend(_param_values(raw_value))
        pos = end
    if pos >= len(text) or not name:
        return None
    return ContentLine(name.upper(), params, text[pos + 1 :], group or None)


def _scan_to(text: str, stops: tuple[str, ...], start: int) -> int:
    """Index of the next stop character outside double quotes (len(text) if none)."""
    quoted = False
    for index in range(start, len(text)):
        ch = text[index]
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in stops:
            return index
    return len(text)


def _param_values(raw: str) -> list[str]:
    values: list[str] = []
    pos = 0
    while pos <= len(raw):
        end = _scan_to(raw, (",",), pos)
        values.append(raw[pos:end].strip().strip('"'))
        pos = end + 1
    return values


def unescape(value: str) -> str:
    """``\\n`` -> newline, ``\\,`` -> ``,``, ``\\;`` -> ``;``, ``\\\\`` -> ``\\``."""
    out: list[str] = []
    chars = iter(value)
    for ch in chars:
        if ch != "\\":
            out.append(ch)
            continue
        nxt = next(chars, "")
        out.append("\n" if nxt in ("n", "N") else nxt)
    return "".join(out)


def split_escaped(value: str, sep: str) -> list[str]:
    """Split on ``sep`` where it is not backslash-escaped, then unescape each part."""
    parts: list[str] = []
    current: list[str] = []
    escaped = False
    for ch in value:
        if escaped:
            current.append("\\" + ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == sep:
            parts.append(unescape("".join(current)))
            current = []
        else:
            current.append(ch)
    parts.append(unescape("".join(current)))
    return parts


def decoded_value(line: ContentLine) -> str:
    """The value with vCard 2.1 ``ENCODING=QUOTED-PRINTABLE`` and ``CHARSET`` applied."""
    if (line.param("ENCODING") or "").upper() != "QUOTED-PRINTABLE":
        return line.value
    data = quopri.decodestring(line.value.encode("utf-8", "replace"))
    return decode_bytes(data, line.param("CHARSET"))[0]


def _is_qp(first_part: str) -> bool:
    return "QUOTED-PRINTABLE" in first_part.split(":", 1)[0].upper()


def _logical_lines(path: Path) -> Iterator[tuple[int, str, str | None]]:
    """Unfolded lines: (first physical line number, text, problem).

    A physical line starting with a space or tab continues the previous one (RFC folding); a
    quoted-printable value ending in ``=`` continues on the next line (vCard 2.1 soft break).
    """
    start, size = 0, 0
    parts: list[str] = []
    problem: str | None = None
    soft_break = False
    for line in iter_lines(path):
        text = line.text.rstrip("\r\n")
        if parts and (soft_break or text[:1] in (" ", "\t")):
            piece = text if soft_break else text[1:]
            if size + len(piece) <= MAX_LOGICAL_LINE:
                parts.append(piece)
                size += len(piece)
            else:
                problem = f"content line longer than {MAX_LOGICAL_LINE} characters"
        else:
            if parts:
                yield start, "".join(parts), problem
            start, parts, size, problem = line.number, [text], len(text), None
        problem = problem or line.problem
        soft_break = parts[-1].endswith("=") and _is_qp(parts[0])
        if soft_break:
            parts[-1] = parts[-1][:-1]
    if parts:
        yield start, "".join(parts), problem


def iter_components(path: Path, wanted: str) -> Iterator[Component | Reject]:
    """Every ``wanted`` component of the file (see module docstring)."""
    wanted = wanted.upper()
    current: Component | None = None
    depth = 0  # nesting depth inside the current wanted component
    raw: list[str] = []
    for number, text, problem in _logical_lines(path):
        upper = text.strip().upper()
        if current is None:
            if upper == f"BEGIN:{wanted}":
                current, depth, raw = Component(wanted, number), 0, [text]
            continue
        if sum(len(r) for r in raw) < MAX_RAW:
            raw.append(text)
        if upper.startswith("BEGIN:"):
            if upper == f"BEGIN:{wanted}" and depth == 0:
                yield Reject(
                    path.name,
                    f"line {current.line}",
                    f"{wanted} not closed before line {number}",
                    "\n".join(raw)[:MAX_RAW],
                )
                current, depth, raw = Component(wanted, number), 0, [text]
                continue
            depth += 1
            continue
        if upper.startswith("END:"):
            if depth:
                depth -= 1
                continue
            current.raw = "\n".join(raw)[:MAX_RAW]
            yield current
            current = None
            continue
        if depth:
            continue
        if problem:
            current.problems.append(f"line {number}: {problem}; property skipped")
            continue
        parsed = parse_content_line(text)
        if parsed is None:
            current.problems.append(f"line {number}: not a content line; skipped")
        elif len(current.lines) < MAX_PROPERTIES:
            current.lines.append(parsed)
    if current is not None:
        yield Reject(
            path.name, f"line {current.line}", f"{wanted} not closed (file cut short?)", "\n".join(raw)[:MAX_RAW]
        )
