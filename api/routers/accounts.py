"""/accounts: CRUD, list, and the parent/subsidiary hierarchy."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel

from api.deps import StoreDep, SyncDep, TenantDep, Writer
from api.errors import ERROR_RESPONSES
from api.routers.crud import add_crud_routes
from graph.model import Account, AccountCreate, AccountUpdate, Contact, Page, ParentLink
from graph.repositories import accounts as repo
from graph.repositories import contacts as contacts_repo

router = APIRouter(prefix="/accounts", tags=["accounts"], responses=ERROR_RESPONSES)


class ParentOut(BaseModel):
    id: str
    name: str | None = None


@router.get("", response_model=Page[Account], summary="List accounts", operation_id="list_accounts")
def list_accounts(
    store: StoreDep,
    tenant: TenantDep,
    industry: str | None = None,
    country: str | None = None,
    domain: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[Account]:
    filters = {"industry": industry, "country": country, "domain": domain}
    items, nxt = repo.accounts.list(store=store, tenant=tenant, filters=filters, cursor=cursor, limit=limit)
    return Page[Account](items=items, next_cursor=nxt)


add_crud_routes(router, repo=repo.accounts, create=AccountCreate, update=AccountUpdate, out=Account, noun="account")


@router.put(
    "/{account_id}/parent",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Set the parent account",
    description="Refused with 409 when the account is already an ancestor of the parent (a cycle).",
)
def set_parent(
    account_id: str, body: ParentLink, store: StoreDep, sync: SyncDep, tenant: TenantDep, _: Writer
) -> Response:
    repo.set_parent(store=store, tenant=tenant, account_id=account_id, parent_id=body.parent_id)
    sync.notify(tenant, [("Account", account_id)])
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/{account_id}/parent", status_code=status.HTTP_204_NO_CONTENT, summary="Clear the parent account")
def clear_parent(account_id: str, store: StoreDep, sync: SyncDep, tenant: TenantDep, _: Writer) -> Response:
    repo.clear_parent(store=store, tenant=tenant, account_id=account_id)
    sync.notify(tenant, [("Account", account_id)])
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{account_id}/parent", response_model=ParentOut | None, summary="The parent account, if any")
def get_parent(account_id: str, store: StoreDep, tenant: TenantDep) -> ParentOut | None:
    repo.accounts.require(store=store, tenant=tenant, record_id=account_id)
    parent = repo.get_parent(store=store, tenant=tenant, account_id=account_id)
    return ParentOut(**parent) if parent else None


@router.get("/{account_id}/contacts", response_model=Page[Contact], summary="People who work at the account")
def account_contacts(
    account_id: str,
    store: StoreDep,
    tenant: TenantDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[Contact]:
    items, nxt = contacts_repo.list_at_account(
        store=store, tenant=tenant, account_id=account_id, cursor=cursor, limit=limit
    )
    return Page[Contact](items=items, next_cursor=nxt)
