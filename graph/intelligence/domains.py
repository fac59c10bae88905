"""Accounts from email domains: people imported from a mailbox or an address book arrive without a
company; their address says which one. Contacts with no current employer are put at the account of
their email domain, matched on ``Account.domain`` or created (``id = domain:<domain>``, named after
the domain). Free-mail providers (gmail.com, ...) and the tenant's own domains say nothing about an
employer and are left alone. Idempotent: a second run links nobody new.

This is what turns an imported mailbox into org charts: the people of one company share an
account, and the org chart's inference (titles, who writes to whom and who is cc'd) can run on it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Final

from graph import schema
from graph.repositories import links
from graph.repositories.accounts import accounts
from graph.store import GraphStore

UNEMPLOYED: Final = (
    "MATCH (c:Contact) WHERE c.tenant = $tenant AND c.email IS NOT NULL "
    "OPTIONAL MATCH (c)-[w:WORKS_AT]->(:Account) WITH c, count(w) AS jobs WHERE jobs = 0 "
    "RETURN c.id AS id, c.email AS email"
)
ACCOUNT_DOMAINS: Final = (
    "MATCH (a:Account) WHERE a.tenant = $tenant AND a.domain IS NOT NULL RETURN a.id AS id, a.domain AS domain"
)
FREE_MAIL: Final = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "ymail.com", "hotmail.com", "hotmail.co.uk",
        "outlook.com", "live.com", "msn.com", "aol.com", "icloud.com", "me.com", "mac.com", "proton.me",
        "protonmail.com", "gmx.com", "gmx.de", "gmx.net", "web.de", "mail.com", "yandex.ru", "yandex.com",
        "mail.ru", "qq.com", "163.com", "126.com", "zoho.com", "fastmail.com", "hey.com", "comcast.net",
        "verizon.net", "att.net", "earthlink.net", "btinternet.com", "orange.fr", "free.fr", "libero.it",
    }
)  # fmt: skip
# Internet providers' mail domains (and their regional subdomains): home addresses, not employers.
ISP_SUFFIXES: Final = (
    "rr.com", "swbell.net", "sbcglobal.net", "bellsouth.net", "pacbell.net", "cox.net", "charter.net",
    "home.com", "juno.com", "netzero.net", "prodigy.net", "worldnet.att.net", "mindspring.com", "aol.co.uk",
    "optonline.net", "rogers.com", "shaw.ca", "sympatico.ca", "t-online.de", "wanadoo.fr", "bigpond.com",
)  # fmt: skip
_DOMAIN: Final = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$")
BATCH: Final = 5000


@dataclass
class DomainReport:
    linked: int = 0
    accounts_created: int = 0
    accounts_matched: int = 0
    skipped_free_mail: int = 0
    skipped_own: int = 0
    by_domain: dict[str, int] = field(default_factory=dict)


def normalise_domain(value: str | None) -> str | None:
    """``WWW.Acme.com/`` -> ``acme.com``; None for anything that is not a domain name."""
    if not value:
        return None
    domain = value.strip().lower().removeprefix("http://").removeprefix("https://").split("/")[0]
    domain = domain.removeprefix("www.").rstrip(".")
    return domain if _DOMAIN.match(domain) else None


def is_personal(domain: str) -> bool:
    """A free-mail or internet-provider domain: says nothing about an employer."""
    return domain in FREE_MAIL or any(domain == s or domain.endswith("." + s) for s in ISP_SUFFIXES)


def account_name(domain: str) -> str:
    """``acme-corp.co.uk`` -> ``Acme Corp``: the registrable label, words capitalised."""
    labels = domain.split(".")
    core = labels[-3] if len(labels) >= 3 and len(labels[-2]) <= 3 and len(labels[-1]) == 2 else labels[-2]
    return " ".join(w.capitalize() for w in re.split(r"[-_]", core) if w) or domain


def link_domains(store: GraphStore, tenant: str, *, own_domains: Collection[str] = ()) -> DomainReport:
    """Put contacts without an employer at the account of their email domain (see the module)."""
    own = {d for d in (normalise_domain(x) for x in own_domains) if d}
    report = DomainReport()
    people: dict[str, list[str]] = defaultdict(list)
    for row in store.read(tenant, UNEMPLOYED, {"tenant": tenant}):
        domain = normalise_domain(str(row["email"]).rpartition("@")[2])
        if domain is None:
            continue
        if is_personal(domain):
            report.skipped_free_mail += 1
        elif any(domain == d or domain.endswith("." + d) for d in own):
            report.skipped_own += 1
        else:
            people[domain].append(str(row["id"]))
    if not people:
        return report
    known: dict[str, str] = {}
    for row in store.read(tenant, ACCOUNT_DOMAINS, {"tenant": tenant}):
        domain = normalise_domain(row["domain"])
        if domain is not None:
            known.setdefault(domain, str(row["id"]))
    new = sorted(d for d in people if d not in known)
    report.accounts_matched = len(people) - len(new)
    for i in range(0, len(new), BATCH):
        rows = [{"id": f"domain:{d}", "name": account_name(d), "domain": d} for d in new[i : i + BATCH]]
        report.accounts_created += accounts.upsert(store=store, tenant=tenant, rows=rows).created
        known.update({d: f"domain:{d}" for d in new[i : i + BATCH]})
    _link(store, tenant, ((cid, known[d]) for d, ids in people.items() for cid in ids), report)
    report.by_domain = {d: len(ids) for d, ids in sorted(people.items(), key=lambda kv: -len(kv[1]))}
    return report


def _link(store: GraphStore, tenant: str, pairs: Iterable[tuple[str, str]], report: DomainReport) -> None:
    rows = [{"src": schema.uid(tenant, c), "dst": schema.uid(tenant, a)} for c, a in pairs]
    for i in range(0, len(rows), BATCH):
        created, _, _ = links.upsert_links(
            store, tenant, rel="WORKS_AT", src="Contact", dst="Account", rows=rows[i : i + BATCH]
        )
        report.linked += created
