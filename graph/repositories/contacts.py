"""Contacts, where they work (``WORKS_AT``, time-bounded, many-to-many) and whom they report to."""

from __future__ import annotations

from typing import Any, Final

from graph import schema
from graph.model import Contact, Employment, EmploymentOut
from graph.repositories import base, links
from graph.repositories.accounts import accounts
from graph.repositories.nodes import NodeRepository
from graph.store import GraphStore

contacts: Final = NodeRepository("Contact", Contact)

EMPLOYMENTS: Final = (
    "MATCH (c:Contact {uid: $uid})-[w:WORKS_AT]->(a:Account) "
    "RETURN a.id AS account_id, a.name AS account_name, w.title AS title, w.department AS department, "
    "w.since AS since, w.until AS until ORDER BY w.since DESC"
)
AT_ACCOUNT: Final = (
    "MATCH (c:Contact)-[:WORKS_AT]->(a:Account {uid: $account}) WHERE c.uid > $after "
    "RETURN DISTINCT c ORDER BY c.uid LIMIT $limit"
)
# Every account the contact works or worked at (an ended job keeps its line, with ``until``).
WORKED_AT: Final = "MATCH (c:Contact {uid: $uid})-[:WORKS_AT]->(a:Account) RETURN DISTINCT a.id AS id"
MANAGER: Final = (
    "MATCH (c:Contact {uid: $uid})-[r:REPORTS_TO]->(m:Contact) "
    "RETURN m.id AS id, m.name AS name, r.source AS source, r.confidence AS confidence"
)


def put_at_account(*, store: GraphStore, tenant: str, contact_id: str, job: Employment) -> bool:
    """Record that the contact works (or worked) at the account; True if the link is new."""
    src = contacts.require(store=store, tenant=tenant, record_id=contact_id)
    dst = accounts.require(store=store, tenant=tenant, record_id=job.account_id)
    props = job.model_dump(exclude={"account_id"})
    return links.upsert_link(
        store, tenant, rel="WORKS_AT", src="Contact", dst="Account", src_uid=src, dst_uid=dst, props=props
    )


def remove_from_account(*, store: GraphStore, tenant: str, contact_id: str, account_id: str) -> bool:
    src = contacts.require(store=store, tenant=tenant, record_id=contact_id)
    dst = accounts.require(store=store, tenant=tenant, record_id=account_id)
    return links.remove_link(store, tenant, rel="WORKS_AT", src="Contact", dst="Account", src_uid=src, dst_uid=dst)


def worked_at(*, store: GraphStore, tenant: str, contact_id: str) -> list[str]:
    """The ids of every account the contact works or worked at (none for an unknown contact)."""
    return [r["id"] for r in store.read(tenant, WORKED_AT, {"uid": schema.uid(tenant, contact_id)})]


def employments(*, store: GraphStore, tenant: str, contact_id: str) -> list[EmploymentOut]:
    uid = contacts.require(store=store, tenant=tenant, record_id=contact_id)
    return [EmploymentOut.model_validate(r) for r in store.read(tenant, EMPLOYMENTS, {"uid": uid})]


def list_at_account(
    *, store: GraphStore, tenant: str, account_id: str, cursor: str | None, limit: int
) -> tuple[list[Contact], str | None]:
    account = accounts.require(store=store, tenant=tenant, record_id=account_id)
    after = base.decode_cursor(cursor)
    limit = max(1, min(limit, base.MAX_PAGE))
    params = {"account": account, "after": schema.uid(tenant, after) if after else "", "limit": limit + 1}
    rows = [base.from_stored(r["c"]) for r in store.read(tenant, AT_ACCOUNT, params)]
    page, nxt = base.page(rows, limit)
    return [Contact.model_validate(r) for r in page], nxt


def set_manager(*, store: GraphStore, tenant: str, contact_id: str, manager_id: str) -> None:
    """An explicit reporting line; replaces any other (explicit or inferred) for this contact."""
    src = contacts.require(store=store, tenant=tenant, record_id=contact_id)
    dst = contacts.require(store=store, tenant=tenant, record_id=manager_id)
    links.set_single(
        store,
        tenant,
        rel="REPORTS_TO",
        src="Contact",
        dst="Contact",
        src_uid=src,
        dst_uid=dst,
        props={"source": "explicit", "confidence": 1.0, "evidence": "[]"},
    )


def clear_manager(*, store: GraphStore, tenant: str, contact_id: str) -> None:
    src = contacts.require(store=store, tenant=tenant, record_id=contact_id)
    links.clear_out(store, tenant, rel="REPORTS_TO", src="Contact", dst="Contact", src_uid=src)


def get_manager(*, store: GraphStore, tenant: str, contact_id: str) -> dict[str, Any] | None:
    uid = contacts.require(store=store, tenant=tenant, record_id=contact_id)
    rows = store.read(tenant, MANAGER, {"uid": uid})
    return rows[0] if rows else None
