"""/duplicates (candidate pairs), /merge (preview or perform), /merge/{merge_id}/undo.

No ``from __future__ import annotations``: FastAPI must see the concrete types.
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import IntelDep, StoreDep, SyncDep, TenantDep, Writer
from api.errors import ERROR_RESPONSES
from graph.intelligence.sync import IntelligenceSync
from graph.model import RecordId
from graph.repositories.merge import MAX_MERGE, find_merge, merge_records, undo_merge
from importers.duplicates import MAX_LIMIT, find_duplicates
from search.sync import SearchSync

router = APIRouter(tags=["duplicates"], responses=ERROR_RESPONSES)


class DuplicatePair(BaseModel):
    left: dict[str, Any] = Field(description="Summary of one record (id, name, email, ...).")
    right: dict[str, Any]
    score: float = Field(description="0..1; independent signals combined (noisy-OR).")
    reasons: list[str]


class DuplicatesOut(BaseModel):
    kind: str
    candidates: list[DuplicatePair]


@router.get(
    "/duplicates",
    response_model=DuplicatesOut,
    summary="Possible duplicate contacts or accounts",
    description=(
        "Pairs that may be one record, best first, with a score and the reasons (same email, similar "
        "names, same phone, same account, shared neighbours). Merge a pair with `POST /merge`."
    ),
)
def duplicates(
    store: StoreDep,
    tenant: TenantDep,
    kind: Literal["contacts", "accounts"] = "contacts",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    threshold: Annotated[float, Query(gt=0, le=1)] = 0.6,
) -> DuplicatesOut:
    found = find_duplicates(store=store, tenant=tenant, kind=kind, limit=limit, threshold=threshold)
    return DuplicatesOut(kind=kind, candidates=[DuplicatePair(**c.to_dict()) for c in found])


class MergeRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"kind": "contact", "keep": "c-1", "merge": ["c-2"], "dry_run": True}]},
    )

    kind: Literal["contact", "account", "rep", "deal", "product", "interaction"]
    keep: RecordId
    merge: list[RecordId] = Field(min_length=1, max_length=MAX_MERGE)
    dry_run: bool = Field(default=True, description="Preview only (the default); false performs the merge.")


class MergeOut(BaseModel):
    """What the merge does (dry run) or did; keep ``merge_id`` to undo it."""

    kind: str
    keep: str
    merge: list[str]
    dry_run: bool
    merge_id: str | None
    fields: list[dict[str, Any]] = Field(description="Fields filled on the kept record: field, value, from.")
    emails_added: list[str]
    custom_added: list[str]
    relationships: dict[str, Any] = Field(description="moved / collapsed / dropped counts, by type, and the edges.")
    conflicts: list[dict[str, Any]] = Field(description="Differences settled in favour of the kept record; cycles.")
    blocked: bool = Field(description="True when the merge would close a REPORTS_TO / SUBSIDIARY_OF cycle.")


@router.post(
    "/merge",
    response_model=MergeOut,
    summary="Merge duplicates into one record (preview by default)",
    description=(
        "`dry_run: true` (default) previews: fields taken, relationships that move or collapse, conflicts. "
        "`dry_run: false` does it in one transaction: every relationship re-pointed to the kept record "
        "(duplicates of an edge collapsed), empty fields filled, addresses added to `other_emails`, the "
        "merged records deleted, and a merge record kept in the kept record's `custom.merged` so that "
        "`POST /merge/{merge_id}/undo` can restore them. A merge that would close a reporting or "
        "subsidiary cycle is a 409."
    ),
)
def merge(
    body: MergeRequest, store: StoreDep, sync: SyncDep, intel: IntelDep, tenant: TenantDep, _: Writer
) -> MergeOut:
    result = merge_records(
        store=store, tenant=tenant, kind=body.kind, keep_id=body.keep, merge_ids=body.merge, dry_run=body.dry_run
    )
    if not body.dry_run:
        _changed(sync, intel, tenant, body.kind, [body.keep, *body.merge])
    return MergeOut(**result)


def _changed(sync: SearchSync, intel: IntelligenceSync, tenant: str, kind: str, ids: list[str]) -> None:
    """Search drops the merged records and re-reads the kept one; a contact's relationships move with
    it, so KNOWS is recomputed for everyone involved."""
    label = "Contact" if kind == "contact" else "Account"
    sync.notify(tenant, [(label, i) for i in ids])
    if label == "Contact":
        intel.people_changed(tenant, [(label, i) for i in ids])


class UndoOut(BaseModel):
    merge_id: str
    keep: str
    restored: list[str]
    relationships_restored: int
    relationships_lost: list[dict[str, Any]] = Field(
        description="Relationships whose other end has been deleted since the merge (not restored)."
    )


@router.post(
    "/merge/{merge_id}/undo",
    response_model=UndoOut,
    summary="Undo a merge",
    description=(
        "Restores the merged records (same ids, fields and timestamps) with their relationships, removes "
        "the edges the merge added to the kept record and returns its fields to what they were (only the "
        "fields nobody changed since, when it was edited after the merge). 409 if a merged id exists again."
    ),
)
def undo(merge_id: str, store: StoreDep, sync: SyncDep, intel: IntelDep, tenant: TenantDep, _: Writer) -> UndoOut:
    label, _keep = find_merge(store=store, tenant=tenant, merge_id=merge_id)
    out = UndoOut(**undo_merge(store=store, tenant=tenant, merge_id=merge_id))
    _changed(sync, intel, tenant, label.lower(), [out.keep, *out.restored])
    return out
