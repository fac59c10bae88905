"""Possible duplicates among a tenant's stored contacts or accounts (``importers.dedupe`` fed from the graph).

Contacts are compared on names, emails (``email`` and ``other_emails``), phone, current account
(the ``WORKS_AT`` with no end date, latest start) and neighbours: the accounts and people they are
linked to (``WORKS_AT``, ``REPORTS_TO`` and ``KNOWS`` either way), so two records of one person who
write to the same people score higher. Accounts are compared on names, domains, parent account and
neighbours (the people working there, the reps owning them).

Everything is read in a few whole-label queries; for 100k contacts that is seconds and a few hundred
MB, which is what an on-demand duplicates report can afford.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from graph.errors import InvalidInput
from graph.store import GraphStore
from importers.dedupe import Candidate, account_candidates, contact_candidates

MAX_LIMIT: Final = 1000
CONTACTS: Final = (
    "MATCH (c:Contact) WHERE c.tenant = $tenant RETURN c.id AS id, c.name AS name, c.first_name AS first_name, "
    "c.last_name AS last_name, c.email AS email, c.other_emails AS other_emails, c.phone AS phone, c.title AS title"
)
EMPLOYMENTS: Final = (
    "MATCH (c:Contact)-[w:WORKS_AT]->(a:Account) WHERE c.tenant = $tenant "
    "RETURN c.id AS id, a.id AS other, w.since AS since, w.until AS until"
)
ACCOUNTS: Final = (
    "MATCH (a:Account) WHERE a.tenant = $tenant RETURN a.id AS id, a.name AS name, a.domain AS domain, "
    "a.city AS city, a.country AS country"
)
PARENTS: Final = (
    "MATCH (a:Account)-[:SUBSIDIARY_OF]->(p:Account) WHERE a.tenant = $tenant RETURN a.id AS id, p.id AS other"
)
LINKS: Final = "MATCH (a:{src})-[:{rel}]->(b:{dst}) WHERE a.tenant = $tenant RETURN a.id AS src, b.id AS dst"
# (relationship, source label, target label) whose ends count as each other's neighbours
CONTACT_NEIGHBOURS: Final = (
    ("WORKS_AT", "Contact", "Account"),
    ("REPORTS_TO", "Contact", "Contact"),
    ("KNOWS", "Contact", "Contact"),
    ("KNOWS", "Contact", "Rep"),
    ("KNOWS", "Rep", "Contact"),
)
ACCOUNT_NEIGHBOURS: Final = (("WORKS_AT", "Contact", "Account"), ("OWNS", "Rep", "Account"))
KINDS: Final = ("contacts", "accounts")


@dataclass(frozen=True)
class DuplicateCandidate:
    """Two records that may be one, with a summary of each for a person to decide."""

    left: dict[str, Any]
    right: dict[str, Any]
    score: float
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"left": self.left, "right": self.right, "score": self.score, "reasons": list(self.reasons)}


def _neighbours(
    store: GraphStore, tenant: str, label: str, specs: Iterable[tuple[str, str, str]]
) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for rel, src, dst in specs:
        for r in store.read(tenant, LINKS.format(rel=rel, src=src, dst=dst), {"tenant": tenant}):
            if src == label:
                out[str(r["src"])].add(f"{dst}:{r['dst']}")
            if dst == label:
                out[str(r["dst"])].add(f"{src}:{r['src']}")
    return out


def _current_accounts(store: GraphStore, tenant: str) -> dict[str, str]:
    best: dict[str, tuple[bool, date, str]] = {}
    for r in store.read(tenant, EMPLOYMENTS, {"tenant": tenant}):
        key = (r["until"] is None, r["since"] or date.min, str(r["other"]))
        if key > best.get(str(r["id"]), (False, date.min, "")):
            best[str(r["id"])] = key
    return {cid: key[2] for cid, key in best.items()}


def _summary(record: dict[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    return {k: record[k] for k in ("id", *fields) if record.get(k) not in (None, [], "")}


def _pairs(
    candidates: list[Candidate], records: dict[str, dict[str, Any]], fields: tuple[str, ...], limit: int
) -> list[DuplicateCandidate]:
    out = []
    for c in candidates[:limit]:
        left, right = _summary(records[c.left_id], fields), _summary(records[c.right_id], fields)
        out.append(DuplicateCandidate(left, right, c.score, c.reasons))
    return out


def find_duplicates(
    *, store: GraphStore, tenant: str, kind: str = "contacts", limit: int = 50, threshold: float = 0.6
) -> list[DuplicateCandidate]:
    """The best ``limit`` candidate pairs of ``kind`` (``contacts`` or ``accounts``), best first."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}")
    if not 0.0 < threshold <= 1.0:
        raise InvalidInput("threshold must be in (0, 1]")
    store.ensure_tenant(tenant)
    if kind == "contacts":
        records = {str(r["id"]): dict(r) for r in store.read(tenant, CONTACTS, {"tenant": tenant})}
        for cid, account in _current_accounts(store, tenant).items():
            if cid in records:
                records[cid]["account_id"] = account
        neighbours = _neighbours(store, tenant, "Contact", CONTACT_NEIGHBOURS)
        found = contact_candidates(list(records.values()), neighbours=neighbours, threshold=threshold)
        return _pairs(found, records, ("name", "email", "other_emails", "phone", "title", "account_id"), limit)
    records = {str(r["id"]): dict(r) for r in store.read(tenant, ACCOUNTS, {"tenant": tenant})}
    for r in store.read(tenant, PARENTS, {"tenant": tenant}):
        if str(r["id"]) in records:
            records[str(r["id"])]["parent_id"] = str(r["other"])
    neighbours = _neighbours(store, tenant, "Account", ACCOUNT_NEIGHBOURS)
    found = account_candidates(list(records.values()), neighbours=neighbours, threshold=threshold)
    return _pairs(found, records, ("name", "domain", "city", "country", "parent_id"), limit)
