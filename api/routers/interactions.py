"""/interactions: record an email, meeting, call or note with its participants; read them back."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response, status

from api.deps import IntelDep, StoreDep, SyncDep, TenantDep, Writer
from api.errors import ERROR_RESPONSES
from api.versions import PEOPLE
from graph.model import Interaction, InteractionKind, InteractionRecord, InteractionUpdate, Page
from graph.repositories import interactions as repo

_LABELS = {"contact": "Contact", "rep": "Rep"}

router = APIRouter(prefix="/interactions", tags=["interactions"], responses=ERROR_RESPONSES)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=Interaction,
    operation_id="record_interaction",
    summary="Record an interaction with its participants",
    description="All or nothing: an unknown participant, deal or account is a 404 and nothing is written.",
)
def record(
    body: InteractionRecord, request: Request, store: StoreDep, sync: SyncDep, tenant: TenantDep, _: Writer
) -> Interaction:
    made = repo.record(store=store, tenant=tenant, data=body)
    sync.notify(tenant, [("Interaction", made.id)])
    _wrote(request, [p.model_dump() for p in body.participants])
    return made


def _wrote(request: Request, people: list[dict[str, Any]]) -> None:
    """Name the contacts whose last interaction may have moved: roll-ups re-read their accounts."""
    setattr(request.state, PEOPLE, sorted({p["person_id"] for p in people if p["kind"] == "contact"}))


@router.get("", response_model=Page[Interaction], summary="List interactions", operation_id="list_interactions")
def list_interactions(
    store: StoreDep,
    tenant: TenantDep,
    kind: InteractionKind | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[Interaction]:
    items, nxt = repo.interactions.list(store=store, tenant=tenant, filters={"kind": kind}, cursor=cursor, limit=limit)
    return Page[Interaction](items=items, next_cursor=nxt)


@router.get("/{interaction_id}", response_model=Interaction, operation_id="get_interaction")
def get_interaction(interaction_id: str, store: StoreDep, tenant: TenantDep) -> Interaction:
    return repo.interactions.get(store=store, tenant=tenant, record_id=interaction_id)


@router.get("/{interaction_id}/participants", summary="Who took part, with their roles")
def participants(interaction_id: str, store: StoreDep, tenant: TenantDep) -> list[dict[str, Any]]:
    return repo.participants(store=store, tenant=tenant, interaction_id=interaction_id)


@router.patch("/{interaction_id}", response_model=Interaction, operation_id="update_interaction")
def update_interaction(
    interaction_id: str,
    body: Annotated[InteractionUpdate, Body()],
    request: Request,
    store: StoreDep,
    sync: SyncDep,
    tenant: TenantDep,
    _: Writer,
) -> Interaction:
    updated = repo.interactions.update(store=store, tenant=tenant, record_id=interaction_id, data=body)
    sync.notify(tenant, [("Interaction", interaction_id)])
    _wrote(request, repo.participants(store=store, tenant=tenant, interaction_id=interaction_id))
    return updated


@router.delete("/{interaction_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="delete_interaction")
def delete_interaction(
    interaction_id: str,
    request: Request,
    store: StoreDep,
    sync: SyncDep,
    intel: IntelDep,
    tenant: TenantDep,
    _: Writer,
) -> Response:
    # Who took part, read before the delete: their relationships (KNOWS) are recomputed without it.
    people = repo.participants(store=store, tenant=tenant, interaction_id=interaction_id)
    repo.interactions.delete(store=store, tenant=tenant, record_id=interaction_id)
    sync.notify(tenant, [("Interaction", interaction_id)])
    intel.people_changed(tenant, [(_LABELS[p["kind"]], p["person_id"]) for p in people if p["kind"] in _LABELS])
    _wrote(request, people)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
