"""Importers: one module per format, each a pure, streaming ``parse_<format>(path, **options)``.

Parsers read files and yield ``NodeRow``/``RelRow``/``Note``/``Reject`` (``importers.rows``); they
never touch the database. ``importers.pipeline.run_import`` feeds those rows to a ``RowWriter`` (the
write side, over the repositories) in batches and fills an ``ImportReport``.

``PARSERS`` maps a format name to its parser; ``detect_format`` guesses the format of a path
(cheaply: file names, first bytes, CSV headers) for the CLI's ``relgraph import PATH``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

from graph.errors import InvalidInput
from importers.csv_mapped import parse_csv_mapped
from importers.csvio import read_header
from importers.email import parse_email
from importers.hubspot import detect_kind, parse_hubspot
from importers.ics import parse_ics
from importers.linkedin import parse_linkedin
from importers.mailsource import is_maildir, is_mbox
from importers.maven import FILES as MAVEN_FILES
from importers.maven import parse_maven
from importers.rows import NodeRow, Note, Reject, RelRow, Row
from importers.salesforce import find_export_files, parse_salesforce, parse_salesforce_report, parse_salesforce_tree
from importers.vcard import parse_vcard

Parser = Callable[..., Iterator[Row]]

PARSERS: Final[dict[str, Parser]] = {
    "maven": parse_maven,
    "salesforce": parse_salesforce,
    "salesforce-tree": parse_salesforce_tree,
    "salesforce-report": parse_salesforce_report,
    "hubspot": parse_hubspot,
    "csv": parse_csv_mapped,
    "email": parse_email,
    "vcard": parse_vcard,
    "linkedin": parse_linkedin,
    "ics": parse_ics,
}


def detect_format(path: Path) -> str:
    """The ``PARSERS`` key for ``path``; ``InvalidInput`` when nothing fits (say ``--format``)."""
    if path.is_dir():
        found = _detect_dir(path)
    elif path.is_file():
        found = _detect_file(path)
    else:
        raise InvalidInput(f"{path} does not exist")
    if found is None:
        raise InvalidInput(f"cannot tell the format of {path}; name it explicitly ({', '.join(PARSERS)})")
    return found


def _detect_dir(path: Path) -> str | None:
    names = {p.name.lower() for p in path.iterdir()}
    if {f.lower() for f in MAVEN_FILES} <= names:
        return "maven"
    if find_export_files(path):
        return "salesforce"
    if "data-plan.json" in names:
        return "salesforce-tree"
    if is_maildir(path) or any(is_mbox(p) for p in sorted(path.iterdir())[:20] if p.is_file()):
        return "email"
    suffixes = {p.suffix.lower() for p in path.iterdir() if p.is_file()}
    for suffix, fmt in ((".vcf", "vcard"), (".ics", "ics"), (".eml", "email"), (".mbox", "email")):
        if suffix in suffixes:
            return fmt
    if any(detect_kind(read_header(p)) for p in sorted(path.glob("*.csv"))):
        return "hubspot"
    return None


def _detect_file(path: Path) -> str | None:
    suffix = path.suffix.lower()
    by_suffix = {
        ".vcf": "vcard",
        ".vcard": "vcard",
        ".ics": "ics",
        ".eml": "email",
        ".mbox": "email",
        ".json": "salesforce-tree",
    }
    if suffix in by_suffix:
        return by_suffix[suffix]
    if is_mbox(path):
        return "email"
    if suffix == ".csv":
        return _detect_csv(path)
    return None


def _detect_csv(path: Path) -> str | None:
    if path.name.lower() == "connections.csv":
        return "linkedin"
    header = read_header(path)
    if any(h.startswith(("account: ", "contact: ", "opportunity: ")) for h in header):
        return "salesforce-report"
    if detect_kind(header):
        return "hubspot"
    return None


def parse(path: Path, *, fmt: str | None = None, **options: Any) -> Iterator[Row]:
    """Parse ``path`` with the named (or detected) format's parser."""
    name = fmt or detect_format(path)
    parser = PARSERS.get(name)
    if parser is None:
        raise InvalidInput(f"unknown import format {name!r}; one of {', '.join(PARSERS)}")
    return parser(path, **options)


__all__ = ["PARSERS", "NodeRow", "Note", "Reject", "RelRow", "Row", "detect_format", "parse"]
