"""Graph ML: deal-win probability with reasons, and suggested connections for a contact.

Models are trained offline (``relgraph train deal-win|links --tenant T``) and read from
``<data_dir>/models``; the served version is kept in memory per tenant and version.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import SettingsDep, StoreDep, TenantDep
from api.errors import ERROR_RESPONSES
from ml import scoring, suggest
from ml.registry import Registry

router = APIRouter(tags=["ml"], responses=ERROR_RESPONSES)


class Reason(BaseModel):
    text: str = Field(description="The reason in plain words.")
    direction: Literal["raises", "lowers", "missing"] = Field(
        description="Whether it raises or lowers the probability; 'missing' for facts the deal lacks."
    )
    effect: float | None = Field(default=None, description="Contribution to the log-odds (model's attribution).")


class WinProbability(BaseModel):
    deal_id: str
    probability: float = Field(ge=0, le=1, description="Calibrated probability that the deal is won.")
    model_kind: str = Field(
        description=(
            "The model that produced the probability: 'gbdt' (LightGBM with graph features, scored live), "
            "'gnn' or 'hybrid' (LightGBM on graph features and GNN embeddings), both scored in batch by "
            "`relgraph score`. The version's meta.json says which model won on validation."
        )
    )
    model_version: str
    reasons: list[Reason]
    scored_at: str = Field(description="When the probability was computed (UTC, ISO 8601).")
    note: str | None = None


class Suggestion(BaseModel):
    person_id: str
    kind: str = Field(description="'contact' or 'rep'.")
    name: str | None = None
    title: str | None = None
    score: float
    reasons: list[str]


class Suggestions(BaseModel):
    contact_id: str
    model_kind: str
    model_version: str | None = None
    known_people: int = Field(description="People the contact already shares an interaction with.")
    suggestions: list[Suggestion]
    note: str | None = None


def _registry(settings: SettingsDep) -> Registry:
    return Registry(Path(settings.data_dir) / "models")


@router.get(
    "/deals/{deal_id}/win-probability",
    response_model=WinProbability,
    summary="Probability that the deal is won, with reasons",
    description="409 `not_ready` until a model is trained (`relgraph train deal-win --tenant T`).",
)
def win_probability(deal_id: str, store: StoreDep, tenant: TenantDep, settings: SettingsDep) -> WinProbability:
    found = scoring.win_probability(store=store, tenant=tenant, deal_id=deal_id, registry=_registry(settings))
    return WinProbability.model_validate(found)


@router.get(
    "/contacts/{contact_id}/suggested-connections",
    response_model=Suggestions,
    summary="People the contact probably knows or should meet next, with reasons",
)
def suggested_connections(
    contact_id: str,
    store: StoreDep,
    tenant: TenantDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Suggestions:
    found = suggest.suggested_connections(
        store=store, tenant=tenant, contact_id=contact_id, registry=_registry(settings), limit=limit
    )
    return Suggestions.model_validate(found)
