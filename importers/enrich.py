"""After an import of people who arrive without a company (mail, calendars, address books): each
contact with no employer joins the account of its email domain (``graph.intelligence.domains``), so
the people of one company share an account and get an org chart. Counted in the import's report.

Idempotent like the import itself: run again, nobody new is linked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from graph.intelligence.domains import link_domains
from graph.store import GraphStore
from importers.report import ImportReport
from importers.rows import Note

PEOPLE_FORMATS: Final = frozenset({"email", "ics", "vcard", "linkedin"})


def after_import(
    store: GraphStore, tenant: str, *, fmt: str, options: Mapping[str, Any], report: ImportReport
) -> ImportReport:
    if fmt not in PEOPLE_FORMATS:
        return report
    result = link_domains(store, tenant, own_domains=options.get("own_domains") or ())
    report.label("Account").created += result.accounts_created
    report.rel("WORKS_AT").created += result.linked
    if result.linked:
        top = ", ".join(f"{d} ({n})" for d, n in list(result.by_domain.items())[:3])
        report.record(
            Note(
                source=report.source,
                location="after import",
                message=f"{result.linked} contacts put at the account of their email domain "
                f"({result.accounts_created} accounts created, {result.accounts_matched} matched): {top}",
                code="account_from_domain",
                label="Contact",
            )
        )
    return report
