"""LinkedIn "Connections.csv" (from "Get a copy of your data") -> Contact + Account + WORKS_AT.

The export starts with a few ``Notes:`` lines before the header
``First Name,Last Name,URL,Email Address,Company,Position,Connected On``; ``iter_csv`` skips that
preamble by recognising the header. Dates look like ``21 Nov 2026``. Email is usually empty (members
choose whether to share it).

Ids: ``linkedin:in:<profile handle>`` from the profile URL (stable across exports and name changes),
else ``linkedin:email:<address>``, else ``linkedin:name:<slug of name + company>``. Companies:
``linkedin:org:<slug>`` (LinkedIn gives only the name). The connection date is kept in
``custom["connected_on"]`` (ISO date): it dates the relationship, not the job, so it is not
WORKS_AT ``since``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

from importers.common import emit_node, require_file, without_none
from importers.csvio import CsvRecord, iter_csv
from importers.rows import NodeRow, Reject, RelRow, Row, ext_id, name_id
from importers.values import normalise_email, optional, parse_date

REQUIRED: Final = frozenset({"first name", "last name", "company", "position"})
_HANDLE: Final = re.compile(r"linkedin\.com/(?:in|pub)/([^/?#\s]+)", re.IGNORECASE)


def _is_header(fields: Sequence[str]) -> bool:
    return set(fields) >= REQUIRED


def profile_handle(url: str | None) -> str | None:
    """``https://www.linkedin.com/in/ada-lovelace-1a2b3c/`` -> ``ada-lovelace-1a2b3c``."""
    if not url:
        return None
    found = _HANDLE.search(url)
    return found.group(1).lower() if found else None


def parse_linkedin(path: Path, *, namespace: str = "linkedin") -> Iterator[Row]:
    """Parse one Connections.csv."""
    file = require_file(path)
    companies: set[str] = set()
    for rec in iter_csv(file, label="Contact", is_header=_is_header):
        if isinstance(rec, Reject):
            yield rec
            continue
        yield from _connection(rec, file.name, namespace, companies)


def _contact_id(rec: CsvRecord, namespace: str, name: str, email: str | None) -> str:
    handle = profile_handle(rec.get("URL"))
    if handle:
        return ext_id(f"{namespace}:in", handle)
    if email:
        return ext_id(f"{namespace}:email", email)
    return name_id(f"{namespace}:name", f"{name} {rec.get('Company') or ''}")


def _connection(rec: CsvRecord, source: str, namespace: str, companies: set[str]) -> Iterator[Row]:
    first, last = rec.get("First Name"), rec.get("Last Name")
    raw_email = rec.get("Email Address")
    email = normalise_email(raw_email) if raw_email else None
    name = " ".join(p for p in (first, last) if p) or email
    if name is None:
        yield Reject(source, rec.location, "connection has no name", rec.raw, "Contact")
        return
    problems: list[str] = []
    connected = optional(parse_date, rec.get("Connected On"), "Connected On", problems)
    props = without_none(
        {
            "name": name,
            "first_name": first,
            "last_name": last,
            "email": email or raw_email,
            "title": rec.get("Position"),
            "linkedin_url": rec.get("URL"),
            "custom": without_none({"connected_on": connected.isoformat() if connected else None}),
        }
    )
    contact_id = _contact_id(rec, namespace, name, email)
    checked = list(emit_node(NodeRow("Contact", contact_id, props), source, rec.location, rec.raw, problems))
    yield from checked
    company = rec.get("Company")
    if company is None or not any(isinstance(r, NodeRow) for r in checked):
        return
    account_id = name_id(f"{namespace}:org", company)
    if account_id not in companies:
        companies.add(account_id)
        yield from emit_node(NodeRow("Account", account_id, {"name": company}), source, rec.location, rec.raw)
    yield RelRow("WORKS_AT", "Contact", contact_id, "Account", account_id, without_none({"title": rec.get("Position")}))
