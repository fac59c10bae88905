"""Accounts and the account hierarchy (``(:Account)-[:SUBSIDIARY_OF]->(:Account)``, a forest)."""

from __future__ import annotations

from typing import Final

from graph import schema
from graph.model import Account
from graph.repositories import links
from graph.repositories.nodes import NodeRepository
from graph.store import GraphStore

accounts: Final = NodeRepository("Account", Account)

PARENT: Final = "MATCH (a:Account {uid: $uid})-[:SUBSIDIARY_OF]->(p:Account) RETURN p.id AS id, p.name AS name"
CHILDREN: Final = (
    "UNWIND $uids AS u MATCH (c:Account)-[:SUBSIDIARY_OF]->(p:Account {uid: u}) "
    "RETURN p.id AS parent_id, c.id AS id, c.name AS name"
)


def set_parent(*, store: GraphStore, tenant: str, account_id: str, parent_id: str) -> None:
    """Make ``parent_id`` the parent of ``account_id``; CycleError if it would close a loop."""
    child = accounts.require(store=store, tenant=tenant, record_id=account_id)
    parent = accounts.require(store=store, tenant=tenant, record_id=parent_id)
    links.set_single(store, tenant, rel="SUBSIDIARY_OF", src="Account", dst="Account", src_uid=child, dst_uid=parent)


def clear_parent(*, store: GraphStore, tenant: str, account_id: str) -> None:
    child = accounts.require(store=store, tenant=tenant, record_id=account_id)
    links.clear_out(store, tenant, rel="SUBSIDIARY_OF", src="Account", dst="Account", src_uid=child)


def get_parent(*, store: GraphStore, tenant: str, account_id: str) -> dict[str, str] | None:
    rows = store.read(tenant, PARENT, {"uid": schema.uid(tenant, account_id)})
    return {"id": rows[0]["id"], "name": rows[0]["name"]} if rows else None
