"""/contacts: CRUD, list, employment (WORKS_AT) and reporting lines."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel

from api.deps import StoreDep, SyncDep, TenantDep, Writer
from api.errors import ERROR_RESPONSES
from api.routers.crud import add_crud_routes
from api.versions import WORKED_AT
from graph.model import (
    Contact,
    ContactCreate,
    ContactUpdate,
    Employment,
    EmploymentOut,
    Interaction,
    ManagerLink,
    Page,
)
from graph.repositories import contacts as repo
from graph.repositories import interactions as interactions_repo

router = APIRouter(prefix="/contacts", tags=["contacts"], responses=ERROR_RESPONSES)


class ManagerOut(BaseModel):
    id: str
    name: str | None = None
    source: str | None = None
    confidence: float | None = None


@router.get("", response_model=Page[Contact], summary="List contacts", operation_id="list_contacts")
def list_contacts(
    store: StoreDep,
    tenant: TenantDep,
    email: str | None = None,
    title: str | None = None,
    account_id: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[Contact]:
    if account_id is not None:
        items, nxt = repo.list_at_account(store=store, tenant=tenant, account_id=account_id, cursor=cursor, limit=limit)
    else:
        filters = {"email": email.lower() if email else None, "title": title}
        items, nxt = repo.contacts.list(store=store, tenant=tenant, filters=filters, cursor=cursor, limit=limit)
    return Page[Contact](items=items, next_cursor=nxt)


add_crud_routes(
    router, repo=repo.contacts, create=ContactCreate, update=ContactUpdate, out=Contact, noun="contact", delete=False
)


@router.delete(
    "/{contact_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a contact and its relationships",
    operation_id="delete_contact",
)
def delete_contact(
    contact_id: str, request: Request, store: StoreDep, sync: SyncDep, tenant: TenantDep, _: Writer
) -> Response:
    # The accounts it worked at, read before its lines go with it: their roll-ups are read again
    # (api.versions) instead of the whole subtree's.
    setattr(request.state, WORKED_AT, repo.worked_at(store=store, tenant=tenant, contact_id=contact_id))
    repo.contacts.delete(store=store, tenant=tenant, record_id=contact_id)
    sync.notify(tenant, [("Contact", contact_id)])
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/{contact_id}/employments", summary="Put the contact at an account (title, since, until)")
def put_at_account(
    contact_id: str, body: Employment, store: StoreDep, sync: SyncDep, tenant: TenantDep, _: Writer, response: Response
) -> dict[str, Any]:
    created = repo.put_at_account(store=store, tenant=tenant, contact_id=contact_id, job=body)
    sync.notify(tenant, [("Contact", contact_id)])
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return {"created": created}


@router.get("/{contact_id}/employments", response_model=list[EmploymentOut], summary="Where the contact works")
def employments(contact_id: str, store: StoreDep, tenant: TenantDep) -> list[EmploymentOut]:
    return repo.employments(store=store, tenant=tenant, contact_id=contact_id)


@router.delete(
    "/{contact_id}/employments/{account_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove the contact from an account",
)
def remove_from_account(
    contact_id: str, account_id: str, store: StoreDep, sync: SyncDep, tenant: TenantDep, _: Writer
) -> Response:
    repo.remove_from_account(store=store, tenant=tenant, contact_id=contact_id, account_id=account_id)
    sync.notify(tenant, [("Contact", contact_id)])
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/{contact_id}/manager",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Set the contact's manager",
    description="An explicit REPORTS_TO line; 409 if it would create a reporting cycle.",
)
def set_manager(contact_id: str, body: ManagerLink, store: StoreDep, tenant: TenantDep, _: Writer) -> Response:
    repo.set_manager(store=store, tenant=tenant, contact_id=contact_id, manager_id=body.manager_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/{contact_id}/manager", status_code=status.HTTP_204_NO_CONTENT, summary="Clear the manager")
def clear_manager(contact_id: str, store: StoreDep, tenant: TenantDep, _: Writer) -> Response:
    repo.clear_manager(store=store, tenant=tenant, contact_id=contact_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{contact_id}/manager", response_model=ManagerOut | None, summary="The contact's manager, if any")
def get_manager(contact_id: str, store: StoreDep, tenant: TenantDep) -> ManagerOut | None:
    found = repo.get_manager(store=store, tenant=tenant, contact_id=contact_id)
    return ManagerOut(**found) if found else None


@router.get("/{contact_id}/interactions", response_model=Page[Interaction], summary="The contact's interactions")
def contact_interactions(
    contact_id: str,
    store: StoreDep,
    tenant: TenantDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[Interaction]:
    items, nxt = interactions_repo.of_person(
        store=store, tenant=tenant, kind="contact", person_id=contact_id, cursor=cursor, limit=limit
    )
    return Page[Interaction](items=items, next_cursor=nxt)
