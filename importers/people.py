"""People known only by an address (email senders and recipients, calendar attendees).

They are keyed ``email:<normalised address>`` whatever the source, so a person met in mail and in
meetings is one node, and become a ``Rep`` when the address belongs to one of the tenant's own
domains (or a subdomain), else a ``Contact``. ``PeopleSeen`` yields each person once per run, and
again only when a real display name turns up for someone first seen as a bare address.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from importers.rows import NodeRow, Row, ext_id
from importers.validate import check_node
from importers.values import email_domain

UNRESOLVED: Final = "unresolved:"


def own_domain_set(domains: Collection[str]) -> frozenset[str]:
    return frozenset(d.strip().lower().lstrip("@") for d in domains if d.strip())


def person_id(address: str) -> str:
    """``email:<address>``; unresolved senders get their own namespace so they never collide."""
    if address.startswith(UNRESOLVED):
        return ext_id("email-unresolved", address.removeprefix(UNRESOLVED))
    return ext_id("email", address)


def person_label(address: str, domains: frozenset[str]) -> str:
    domain = email_domain(address).rstrip(">")
    own = any(domain == d or domain.endswith("." + d) for d in domains)
    return "Rep" if own else "Contact"


@dataclass
class PeopleSeen:
    """People already yielded in this run, and whether they were yielded with a real name."""

    named: dict[str, bool] = field(default_factory=dict)

    def rows(
        self, address: str, name: str | None, domains: frozenset[str], *, source: str, location: str
    ) -> Iterator[Row]:
        """The person's node (checked) the first time, or when a name improves on the address."""
        pid = person_id(address)
        has_name = name is not None
        known = self.named.get(pid)
        if known is True or (known is False and not has_name):
            return
        self.named[pid] = has_name
        props: dict[str, Any]
        if address.startswith(UNRESOLVED):
            raw_address = address.removeprefix(UNRESOLVED)
            props = {"name": name or raw_address, "custom": {"unresolved_address": raw_address}}
        else:
            props = {"name": name or address, "email": address}
        label = person_label(address, domains)
        yield from check_node(NodeRow(label, pid, props), source=source, location=location)
