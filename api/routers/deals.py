"""/deals: CRUD, list by account/owner/stage/status, account, owner, contacts with roles, products."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field

from api.deps import StoreDep, SyncDep, TenantDep, Writer
from api.errors import ERROR_RESPONSES
from api.routers.crud import add_crud_routes
from graph.model import Deal, DealContact, DealCreate, DealStatus, DealUpdate, Page, RecordId
from graph.repositories import deals as repo

router = APIRouter(prefix="/deals", tags=["deals"], responses=ERROR_RESPONSES)


class AccountLink(BaseModel):
    model_config = {"extra": "forbid"}
    account_id: RecordId


class OwnerLink(BaseModel):
    model_config = {"extra": "forbid"}
    rep_id: RecordId


class LineItem(BaseModel):
    model_config = {"extra": "forbid"}
    product_id: RecordId
    quantity: int = Field(default=1, ge=1, le=1_000_000)
    price: float | None = Field(default=None, ge=0)


@router.get("", response_model=Page[Deal], summary="List deals", operation_id="list_deals")
def list_deals(
    store: StoreDep,
    tenant: TenantDep,
    account_id: str | None = None,
    owner_id: str | None = None,
    stage: str | None = None,
    status: DealStatus | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[Deal]:
    items, nxt = repo.list_deals(
        store=store,
        tenant=tenant,
        account_id=account_id,
        owner_id=owner_id,
        stage=stage,
        status=status,
        cursor=cursor,
        limit=limit,
    )
    return Page[Deal](items=items, next_cursor=nxt)


add_crud_routes(router, repo=repo.deals, create=DealCreate, update=DealUpdate, out=Deal, noun="deal")


@router.get("/{deal_id}/details", summary="Account, owner, contacts with roles and products of a deal")
def deal_details(deal_id: str, store: StoreDep, tenant: TenantDep) -> dict[str, Any]:
    return repo.details(store=store, tenant=tenant, deal_id=deal_id)


@router.put("/{deal_id}/account", status_code=status.HTTP_204_NO_CONTENT, summary="Set the deal's account")
def set_account(
    deal_id: str, body: AccountLink, store: StoreDep, sync: SyncDep, tenant: TenantDep, _: Writer
) -> Response:
    repo.set_account(store=store, tenant=tenant, deal_id=deal_id, account_id=body.account_id)
    sync.notify(tenant, [("Deal", deal_id)])
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/{deal_id}/owner", status_code=status.HTTP_204_NO_CONTENT, summary="Set the rep who owns the deal")
def set_owner(deal_id: str, body: OwnerLink, store: StoreDep, sync: SyncDep, tenant: TenantDep, _: Writer) -> Response:
    repo.set_owner(store=store, tenant=tenant, deal_id=deal_id, rep_id=body.rep_id)
    sync.notify(tenant, [("Deal", deal_id)])
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/{deal_id}/contacts", summary="Add a contact to the deal with a buying role (or change the role)")
def add_contact(
    deal_id: str, body: DealContact, store: StoreDep, tenant: TenantDep, _: Writer, response: Response
) -> dict[str, bool]:
    created = repo.add_contact(store=store, tenant=tenant, deal_id=deal_id, link=body)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return {"created": created}


@router.delete(
    "/{deal_id}/contacts/{contact_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a contact from the deal"
)
def remove_contact(deal_id: str, contact_id: str, store: StoreDep, tenant: TenantDep, _: Writer) -> Response:
    repo.remove_contact(store=store, tenant=tenant, deal_id=deal_id, contact_id=contact_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/{deal_id}/products", summary="Add a product line to the deal (or change it)")
def add_product(deal_id: str, body: LineItem, store: StoreDep, tenant: TenantDep, _: Writer) -> dict[str, bool]:
    created = repo.add_product(
        store=store,
        tenant=tenant,
        deal_id=deal_id,
        product_id=body.product_id,
        quantity=body.quantity,
        price=body.price,
    )
    return {"created": created}
