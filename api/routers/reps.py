"""/reps: our sales reps and their managers."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api.deps import StoreDep, TenantDep, Writer
from api.errors import ERROR_RESPONSES
from api.routers.crud import add_crud_routes
from graph.model import Interaction, ManagerLink, Page, Rep, RepCreate, RepUpdate
from graph.repositories import interactions as interactions_repo
from graph.repositories import reps as repo

router = APIRouter(prefix="/reps", tags=["reps"], responses=ERROR_RESPONSES)


@router.get("", response_model=Page[Rep], summary="List reps", operation_id="list_reps")
def list_reps(
    store: StoreDep,
    tenant: TenantDep,
    region: str | None = None,
    office: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[Rep]:
    items, nxt = repo.reps.list(
        store=store, tenant=tenant, filters={"region": region, "office": office}, cursor=cursor, limit=limit
    )
    return Page[Rep](items=items, next_cursor=nxt)


add_crud_routes(router, repo=repo.reps, create=RepCreate, update=RepUpdate, out=Rep, noun="rep")


@router.put("/{rep_id}/manager", status_code=status.HTTP_204_NO_CONTENT, summary="Set the rep's manager")
def set_manager(rep_id: str, body: ManagerLink, store: StoreDep, tenant: TenantDep, _: Writer) -> Response:
    repo.set_manager(store=store, tenant=tenant, rep_id=rep_id, manager_id=body.manager_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/{rep_id}/manager", status_code=status.HTTP_204_NO_CONTENT, summary="Clear the rep's manager")
def clear_manager(rep_id: str, store: StoreDep, tenant: TenantDep, _: Writer) -> Response:
    repo.clear_manager(store=store, tenant=tenant, rep_id=rep_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{rep_id}/interactions", response_model=Page[Interaction], summary="The rep's interactions")
def rep_interactions(
    rep_id: str,
    store: StoreDep,
    tenant: TenantDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[Interaction]:
    items, nxt = interactions_repo.of_person(
        store=store, tenant=tenant, kind="rep", person_id=rep_id, cursor=cursor, limit=limit
    )
    return Page[Interaction](items=items, next_cursor=nxt)
