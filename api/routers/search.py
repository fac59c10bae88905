"""/search and /search/suggest: typo-tolerant, prefix and filtered search over the caller's tenant."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from api.deps import SearchDep, TenantDep
from api.errors import ERROR_RESPONSES
from graph.errors import InvalidInput
from search.models import DOC_TYPES, MAX_LIMIT, MAX_QUERY_CHARS, DocType, SearchPage, SearchQuery, Suggestion

router = APIRouter(prefix="/search", tags=["search"], responses=ERROR_RESPONSES)

# The engine refuses queries over 1,000 characters with a 400; FastAPI's own cap stops abuse earlier.
QueryText = Annotated[str, Query(min_length=1, max_length=10_000, description="What to look for.")]


@router.get(
    "",
    response_model=SearchPage,
    summary="Search people, accounts, deals and interactions",
    description=(
        "BM25 ranking; typos forgiven by Elasticsearch's AUTO rule (0 edits up to 2 letters, 1 up to 5, "
        "2 beyond); the last word also matches as a prefix; quoted text is a phrase; accents and "
        "ø/ł fold; CJK names match by part. Highlights come back for exact, fuzzy and prefix hits. "
        "Filters: `types` (repeat or comma-separate), `account`, `owner`."
    ),
)
async def search(
    index: SearchDep,
    tenant: TenantDep,
    q: QueryText,
    types: Annotated[list[str] | None, Query()] = None,
    account: str | None = None,
    owner: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 20,
    cursor: str | None = None,
    fuzzy: bool = True,
) -> SearchPage:
    wanted = _types(types)
    query = SearchQuery(
        q=q, types=wanted, account_id=account, owner_id=owner, limit=min(limit, MAX_LIMIT), cursor=cursor, fuzzy=fuzzy
    )
    return await run_in_threadpool(index.search, tenant, query)


@router.get("/suggest", response_model=list[Suggestion], summary="Autocomplete: the top 10 names for a prefix")
async def suggest(
    index: SearchDep,
    tenant: TenantDep,
    q: QueryText,
    types: Annotated[list[str] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[Suggestion]:
    if len(q) > MAX_QUERY_CHARS:
        raise InvalidInput(f"query longer than {MAX_QUERY_CHARS} characters")
    return await run_in_threadpool(index.suggest, tenant, q, _types(types), limit)


def _types(raw: list[str] | None) -> tuple[DocType, ...] | None:
    if not raw:
        return None
    names = [t.strip() for part in raw for t in part.split(",") if t.strip()]
    bad = [t for t in names if t not in DOC_TYPES]
    if bad:
        raise InvalidInput(f"unknown type {bad[0]!r}: one of {', '.join(DOC_TYPES)}")
    return tuple(t for t in DOC_TYPES if t in names)
