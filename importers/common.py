"""Small pieces every parser uses: path checks, notes from conversion problems, node checking."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from graph.errors import InvalidInput
from importers.rows import NodeRow, Note, Row
from importers.validate import check_node


def require_dir(path: Path) -> Path:
    """The folder itself, or ``InvalidInput`` (a caller error, not a data error)."""
    if not path.is_dir():
        raise InvalidInput(f"{path} is not a folder")
    return path


def require_file(path: Path) -> Path:
    if not path.is_file():
        raise InvalidInput(f"{path} is not a readable file")
    return path


def problem_notes(problems: Iterable[str], source: str, location: str, label: str | None) -> Iterator[Note]:
    """One ``invalid_value`` note per value that was dropped because it did not convert."""
    for problem in problems:
        yield Note(source, location, f"value dropped: {problem}", "invalid_value", label)


def emit_node(row: NodeRow, source: str, location: str, raw: str = "", problems: Iterable[str] = ()) -> Iterator[Row]:
    """Notes for dropped values, then the checked node (or its reject)."""
    yield from problem_notes(problems, source, location, row.label)
    yield from check_node(row, source=source, location=location, raw=raw)


def without_none(props: Mapping[str, Any]) -> dict[str, Any]:
    """Drop unset props (None, empty dicts and lists): a source that lacks a column must not erase
    what another source set."""
    return {k: v for k, v in props.items() if v is not None and (v or not isinstance(v, dict | list))}
