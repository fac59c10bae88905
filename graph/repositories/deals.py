"""Deals: the account they are for, the rep who owns them, the contacts on them, the products."""

from __future__ import annotations

from typing import Any, Final

from graph import schema
from graph.model import Deal, DealContact
from graph.repositories import base, links
from graph.repositories.accounts import accounts
from graph.repositories.contacts import contacts
from graph.repositories.nodes import NodeRepository
from graph.repositories.products import products
from graph.repositories.reps import reps
from graph.store import GraphStore

deals: Final = NodeRepository("Deal", Deal)

DEAL_LINKS: Final = (
    "MATCH (d:Deal {uid: $uid}) "
    "OPTIONAL MATCH (d)-[:FOR_ACCOUNT]->(a:Account) "
    "OPTIONAL MATCH (r:Rep)-[:OWNS]->(d) "
    "RETURN a.id AS account_id, a.name AS account_name, r.id AS owner_id, r.name AS owner_name"
)
DEAL_CONTACTS: Final = (
    "MATCH (c:Contact)-[o:ON_DEAL]->(d:Deal {uid: $uid}) "
    "RETURN c.id AS contact_id, c.name AS name, c.title AS title, o.role AS role ORDER BY c.name"
)
DEAL_PRODUCTS: Final = (
    "MATCH (d:Deal {uid: $uid})-[i:INCLUDES]->(p:Product) "
    "RETURN p.id AS product_id, p.name AS name, i.quantity AS quantity, i.price AS price"
)
# Start from the account/owner (an index lookup) rather than scanning every deal of the tenant.
LIST_LINKED: Final = "{match} WHERE d.uid > $after {where} RETURN DISTINCT d ORDER BY d.uid LIMIT $limit"
BY_ACCOUNT: Final = "MATCH (d:Deal)-[:FOR_ACCOUNT]->(:Account {uid: $account})"
BY_OWNER: Final = "MATCH (:Rep {uid: $owner})-[:OWNS]->(d:Deal)"


def set_account(*, store: GraphStore, tenant: str, deal_id: str, account_id: str) -> None:
    src = deals.require(store=store, tenant=tenant, record_id=deal_id)
    dst = accounts.require(store=store, tenant=tenant, record_id=account_id)
    links.set_single(store, tenant, rel="FOR_ACCOUNT", src="Deal", dst="Account", src_uid=src, dst_uid=dst)


def set_owner(*, store: GraphStore, tenant: str, deal_id: str, rep_id: str) -> None:
    deal = deals.require(store=store, tenant=tenant, record_id=deal_id)
    rep = reps.require(store=store, tenant=tenant, record_id=rep_id)
    links.set_single(store, tenant, rel="OWNS", src="Rep", dst="Deal", src_uid=rep, dst_uid=deal, replace="in")


def add_contact(*, store: GraphStore, tenant: str, deal_id: str, link: DealContact) -> bool:
    deal = deals.require(store=store, tenant=tenant, record_id=deal_id)
    contact = contacts.require(store=store, tenant=tenant, record_id=link.contact_id)
    return links.upsert_link(
        store,
        tenant,
        rel="ON_DEAL",
        src="Contact",
        dst="Deal",
        src_uid=contact,
        dst_uid=deal,
        props={"role": link.role},
    )


def remove_contact(*, store: GraphStore, tenant: str, deal_id: str, contact_id: str) -> bool:
    deal = deals.require(store=store, tenant=tenant, record_id=deal_id)
    contact = contacts.require(store=store, tenant=tenant, record_id=contact_id)
    return links.remove_link(store, tenant, rel="ON_DEAL", src="Contact", dst="Deal", src_uid=contact, dst_uid=deal)


def add_product(
    *, store: GraphStore, tenant: str, deal_id: str, product_id: str, quantity: int, price: float | None
) -> bool:
    deal = deals.require(store=store, tenant=tenant, record_id=deal_id)
    product = products.require(store=store, tenant=tenant, record_id=product_id)
    return links.upsert_link(
        store,
        tenant,
        rel="INCLUDES",
        src="Deal",
        dst="Product",
        src_uid=deal,
        dst_uid=product,
        props={"quantity": quantity, "price": price},
    )


def details(*, store: GraphStore, tenant: str, deal_id: str) -> dict[str, Any]:
    """Account, owner, contacts with roles and products of one deal."""
    uid = deals.require(store=store, tenant=tenant, record_id=deal_id)
    head = store.read(tenant, DEAL_LINKS, {"uid": uid})
    out: dict[str, Any] = dict(head[0]) if head else {}
    out["contacts"] = store.read(tenant, DEAL_CONTACTS, {"uid": uid})
    out["products"] = store.read(tenant, DEAL_PRODUCTS, {"uid": uid})
    return out


def list_deals(
    *,
    store: GraphStore,
    tenant: str,
    account_id: str | None = None,
    owner_id: str | None = None,
    stage: str | None = None,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[Deal], str | None]:
    """Deals filtered by account, owner, stage and status, ordered by id."""
    if account_id is None and owner_id is None:
        rows, nxt = deals.list(
            store=store, tenant=tenant, filters={"stage": stage, "status": status}, cursor=cursor, limit=limit
        )
        return rows, nxt
    after = base.decode_cursor(cursor)
    limit = max(1, min(limit, base.MAX_PAGE))
    params: dict[str, Any] = {"after": schema.uid(tenant, after) if after else "", "limit": limit + 1}
    match, where = [], []
    if account_id is not None:
        params["account"] = accounts.require(store=store, tenant=tenant, record_id=account_id)
        match.append(BY_ACCOUNT)
    if owner_id is not None:
        params["owner"] = reps.require(store=store, tenant=tenant, record_id=owner_id)
        match.append(BY_OWNER)
    for name, value in (("stage", stage), ("status", status)):
        if value is not None:
            where.append(f"AND d.{name} = ${name}")
            params[name] = value
    query = LIST_LINKED.format(match=" ".join(match), where=" ".join(where))
    found = [base.from_stored(r["d"]) for r in store.read(tenant, query, params)]
    page, nxt = base.page(found, limit)
    return [Deal.model_validate(r) for r in page], nxt
