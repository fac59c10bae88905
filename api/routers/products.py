"""/products."""

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import StoreDep, TenantDep
from api.errors import ERROR_RESPONSES
from api.routers.crud import add_crud_routes
from graph.model import Page, Product, ProductCreate, ProductUpdate
from graph.repositories import products as repo

router = APIRouter(prefix="/products", tags=["products"], responses=ERROR_RESPONSES)


@router.get("", response_model=Page[Product], summary="List products", operation_id="list_products")
def list_products(
    store: StoreDep,
    tenant: TenantDep,
    series: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[Product]:
    items, nxt = repo.products.list(store=store, tenant=tenant, filters={"series": series}, cursor=cursor, limit=limit)
    return Page[Product](items=items, next_cursor=nxt)


add_crud_routes(router, repo=repo.products, create=ProductCreate, update=ProductUpdate, out=Product, noun="product")
