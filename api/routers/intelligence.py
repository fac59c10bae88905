"""Relationship intelligence: relationships, influence, org charts, warm introductions, hierarchies."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool

from api.deps import StoreDep, TenantDep, Writer
from api.errors import ERROR_RESPONSES
from graph.errors import InvalidInput
from graph.intelligence import hierarchy as hierarchy_service
from graph.intelligence import influence as influence_service
from graph.intelligence import intro, orgchart
from graph.intelligence.cache import ViewCache
from graph.intelligence.knows import refresh_knows
from graph.intelligence.relationships import relationships
from graph.repositories import base

router = APIRouter(tags=["intelligence"], responses=ERROR_RESPONSES)

Limit = Annotated[int, Query(ge=1, le=500)]


@router.get("/contacts/{contact_id}/relationships", summary="Who the contact knows, strongest first")
def contact_relationships(
    contact_id: str, store: StoreDep, tenant: TenantDep, limit: Limit = 20
) -> list[dict[str, Any]]:
    """KNOWS relationships with strength in [0, 1] (recency, frequency, reciprocity, channel and role
    weights), counts by channel and the latest interactions as evidence."""
    return relationships(store=store, tenant=tenant, label="Contact", person_id=contact_id, limit=limit)


@router.get("/reps/{rep_id}/relationships", summary="Who the rep knows, strongest first")
def rep_relationships(rep_id: str, store: StoreDep, tenant: TenantDep, limit: Limit = 20) -> list[dict[str, Any]]:
    return relationships(store=store, tenant=tenant, label="Rep", person_id=rep_id, limit=limit)


@router.get("/accounts/{account_id}/influence", summary="Who matters inside the account, explained")
def account_influence(
    account_id: str, request: Request, store: StoreDep, tenant: TenantDep, limit: Limit = 20
) -> dict[str, Any]:
    """PageRank over the time-decayed interaction graph plus reporting lines (explicit and inferred,
    weighted by confidence), blended with seniority from titles; each person with top contributors."""
    views: ViewCache = request.app.state.views
    return views.get(  # type: ignore[no-any-return]
        tenant,
        ("influence", account_id, limit),
        lambda: orgchart.account_influence(store=store, tenant=tenant, account_id=account_id, limit=limit),
    )


@router.get("/influence", summary="Who matters across the tenant's whole network")
def tenant_influence(
    request: Request, store: StoreDep, tenant: TenantDep, limit: Limit = 20, refresh: bool = False
) -> dict[str, Any]:
    cache: influence_service.TenantInfluence = request.app.state.influence
    result, people, reports = cache.get(store, tenant, refresh=refresh)
    return {"people": influence_service.explain(result, people, reports, limit), "converged": result.converged}


@router.get("/accounts/{account_id}/orgchart", summary="The account's org chart, explicit and inferred")
def account_orgchart(
    account_id: str, request: Request, store: StoreDep, tenant: TenantDep, inferred: bool = True
) -> dict[str, Any]:
    """Nested tree: person, title, department, seniority, influence, the line to their manager
    (explicit, or inferred with confidence and evidence), strongest relationship to one of our
    reps, and whether we met them in the last 90 days. `inferred=false` shows explicit lines only."""
    views: ViewCache = request.app.state.views
    return views.get(  # type: ignore[no-any-return]
        tenant,
        ("orgchart", account_id, inferred),
        lambda: orgchart.org_chart(store=store, tenant=tenant, account_id=account_id, include_inferred=inferred),
    )


@router.get("/paths/intro", summary="Warm introduction paths from our reps to a contact or into an account")
def intro_paths(
    request: Request,
    store: StoreDep,
    tenant: TenantDep,
    to: str | None = None,
    to_account: str | None = None,
    from_: Annotated[str | None, Query(alias="from")] = None,
    k: Annotated[int, Query(ge=1, le=20)] = 3,
    max_hops: Annotated[int, Query(ge=1, le=4)] = 4,
    max_age_days: Annotated[int | None, Query(ge=1, le=3650)] = 365,
) -> dict[str, Any]:
    """The k strongest chains (product of hop strengths) of up to 4 hops; relationships whose last
    interaction is older than `max_age_days` are excluded. Each hop has its evidence."""
    graphs: intro.PathGraphs = request.app.state.path_graphs
    if (to is None) == (to_account is None):
        raise InvalidInput("give exactly one of `to` (a contact id) or `to_account` (an account id)")
    if to is not None:
        return intro.intro_paths(
            store=store,
            tenant=tenant,
            graphs=graphs,
            to_contact=to,
            from_rep=from_,
            k=k,
            max_hops=max_hops,
            max_age_days=max_age_days,
        )
    assert to_account is not None
    return intro.entry_points(
        store=store,
        tenant=tenant,
        graphs=graphs,
        account_id=to_account,
        k=k,
        max_hops=max_hops,
        max_age_days=max_age_days,
    )


@router.get("/accounts/{account_id}/hierarchy", summary="Ancestors and the whole subtree with roll-ups")
def account_hierarchy(account_id: str, request: Request, store: StoreDep, tenant: TenantDep) -> dict[str, Any]:
    """Per account and in total: open pipeline, won revenue, contacts, coverage (share of senior
    contacts with a strong relationship to one of our reps), last interaction; any depth."""
    books: hierarchy_service.AccountBooks = request.app.state.books
    return hierarchy_service.hierarchy(store=store, tenant=tenant, account_id=account_id, books=books)


@router.post("/relationships/refresh", summary="Recompute relationship strength (KNOWS) from all interactions")
async def refresh(request: Request, store: StoreDep, tenant: TenantDep, _: Writer) -> dict[str, Any]:
    report = await run_in_threadpool(refresh_knows, store, tenant)
    request.app.state.path_graphs.invalidate(tenant)
    request.app.state.influence.invalidate(tenant)
    request.app.state.intel.bump(tenant)
    return {
        "interactions": report.interactions,
        "pairs": report.pairs,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "at": base.now_utc(),
    }
