"""After an import of people who arrive without a company (mail, calendars, address books): each
contact with no employer joins the account of its email domain (``graph.intelligence.domains``), so
the people of one company share an account and get an org chart. After mail, people with no job
title get the one their signatures repeat (``graph.intelligence.signatures``): seniority, and with
it the org chart and influence, needs titles that a mailbox only has there. Both are counted in
the import's report.

Idempotent like the import itself: run again, nobody new is linked and no title changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from graph.intelligence.domains import link_domains
from graph.intelligence.signatures import infer_titles
from graph.store import GraphStore
from importers.report import ImportReport
from importers.rows import Note

PEOPLE_FORMATS: Final = frozenset({"email", "ics", "vcard", "linkedin"})


def after_import(
    store: GraphStore, tenant: str, *, fmt: str, options: Mapping[str, Any], report: ImportReport
) -> ImportReport:
    if fmt not in PEOPLE_FORMATS:
        return report
    _link_domains(store, tenant, options, report)
    if fmt == "email":
        _titles_from_signatures(store, tenant, report)
    return report


def _titles_from_signatures(store: GraphStore, tenant: str, report: ImportReport) -> None:
    found = infer_titles(store, tenant)
    for label, n in found.by_label.items():
        report.label(label).updated += n
    if found.titles_found:
        examples = ", ".join(f"{p} ({t})" for p, t in list(found.titles_found.items())[:3])
        _note(
            report,
            "title_from_signature",
            f"{len(found.titles_found)} job titles read from email signatures "
            f"({found.people_checked} senders without a title checked): {examples}",
        )


def _link_domains(store: GraphStore, tenant: str, options: Mapping[str, Any], report: ImportReport) -> None:
    result = link_domains(store, tenant, own_domains=options.get("own_domains") or ())
    report.label("Account").created += result.accounts_created
    report.rel("WORKS_AT").created += result.linked
    if result.linked:
        top = ", ".join(f"{d} ({n})" for d, n in list(result.by_domain.items())[:3])
        _note(
            report,
            "account_from_domain",
            f"{result.linked} contacts put at the account of their email domain "
            f"({result.accounts_created} accounts created, {result.accounts_matched} matched): {top}",
        )


def _note(report: ImportReport, code: str, message: str) -> None:
    report.record(Note(source=report.source, location="after import", message=message, code=code, label="Contact"))
