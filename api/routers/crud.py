# mypy: disable-error-code="valid-type"
# (the body types are the factory's arguments: FastAPI needs them as annotations, mypy cannot check them)
"""The create / read / update / delete / batch-upsert endpoints every resource shares.

No ``from __future__ import annotations`` here: FastAPI must see the concrete model classes that
the factory closes over.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response, status
from pydantic import BaseModel, Field

from api.deps import StoreDep, SyncDep, TenantDep, Writer
from api.errors import ERROR_RESPONSES
from api.versions import RECORDS
from graph.errors import InvalidInput
from graph.repositories.nodes import NodeRepository

MAX_BATCH = 5000


class UpsertReport(BaseModel):
    """Outcome of a batch upsert: rows that were new, changed, or already identical."""

    created: int
    updated: int
    unchanged: int


def add_crud_routes(
    router: APIRouter,
    *,
    repo: NodeRepository[Any],
    create: type[BaseModel],
    update: type[BaseModel],
    out: type[BaseModel],
    noun: str,
    delete: bool = True,
) -> None:
    """Register POST /, GET /{record_id}, PATCH /{record_id}, DELETE /{record_id} (unless the
    router has its own: ``delete=False``), POST /batch-upsert."""

    @router.post(
        "",
        status_code=status.HTTP_201_CREATED,
        response_model=out,
        responses=ERROR_RESPONSES,
        summary=f"Create a {noun}",
        description=f"Create a {noun}. Give `id` to use your own (external) id; a taken id is a 409.",
        operation_id=f"create_{noun}",
    )
    def create_record(
        body: Annotated[create, Body()], request: Request, store: StoreDep, sync: SyncDep, tenant: TenantDep, _: Writer
    ) -> Any:
        made = repo.create(store=store, tenant=tenant, data=body)
        sync.notify(tenant, [(repo.label, made.id)])
        setattr(request.state, RECORDS, [made.id])  # what the write changed (api.versions)
        return made

    @router.get(
        "/{record_id}",
        response_model=out,
        responses=ERROR_RESPONSES,
        summary=f"Get a {noun}",
        operation_id=f"get_{noun}",
    )
    async def get_record(record_id: str, store: StoreDep, tenant: TenantDep) -> Any:
        # A primary-key read takes ~0.15 ms: cheaper inline than the two thread-pool hops a sync
        # endpoint costs (the call and the response serialisation), measured at ~1/3 of a GET.
        return repo.get(store=store, tenant=tenant, record_id=record_id)

    @router.patch(
        "/{record_id}",
        response_model=out,
        responses=ERROR_RESPONSES,
        summary=f"Update a {noun}",
        description="Partial update: only the fields sent change; `custom` keys merge, null deletes a key.",
        operation_id=f"update_{noun}",
    )
    def update_record(
        record_id: str,
        body: Annotated[update, Body()],
        store: StoreDep,
        sync: SyncDep,
        tenant: TenantDep,
        _: Writer,
    ) -> Any:
        updated = repo.update(store=store, tenant=tenant, record_id=record_id, data=body)
        sync.notify(tenant, [(repo.label, record_id)])
        return updated

    if delete:

        @router.delete(
            "/{record_id}",
            status_code=status.HTTP_204_NO_CONTENT,
            responses=ERROR_RESPONSES,
            summary=f"Delete a {noun} and its relationships",
            operation_id=f"delete_{noun}",
        )
        def delete_record(record_id: str, store: StoreDep, sync: SyncDep, tenant: TenantDep, _: Writer) -> Response:
            repo.delete(store=store, tenant=tenant, record_id=record_id)
            sync.notify(tenant, [(repo.label, record_id)])
            return Response(status_code=status.HTTP_204_NO_CONTENT)

    @router.post(
        "/batch-upsert",
        response_model=UpsertReport,
        responses=ERROR_RESPONSES,
        summary=f"Create or update {noun}s by id",
        description=(
            f"Idempotent batch upsert keyed by `id` (your external id), at most {MAX_BATCH} rows: "
            "sending the same rows twice changes nothing."
        ),
        operation_id=f"upsert_{noun}s",
    )
    def upsert_records(
        rows: Annotated[list[create], Body(max_length=MAX_BATCH)],
        request: Request,
        store: StoreDep,
        sync: SyncDep,
        tenant: TenantDep,
        _: Writer,
    ) -> UpsertReport:
        dumped = [r.model_dump(exclude_unset=True) for r in rows]  # type: ignore[attr-defined]
        if any(not r.get("id") for r in dumped):
            raise InvalidInput("every row of a batch upsert needs an id")
        defaults = {k: f.get_default(call_default_factory=True) for k, f in create.model_fields.items()}
        defaults = {k: v for k, v in defaults.items() if v is not None}
        result = repo.upsert(store=store, tenant=tenant, rows=dumped, defaults=defaults)
        sync.notify(tenant, [(repo.label, str(r["id"])) for r in dumped])
        setattr(request.state, RECORDS, [str(r["id"]) for r in dumped])
        return UpsertReport(created=result.created, updated=result.updated, unchanged=result.unchanged)


class PageOut(BaseModel):
    next_cursor: str | None = Field(default=None, description="Pass back as `cursor` for the next page.")


Limit = Annotated[int, Field(ge=1, le=500)]
