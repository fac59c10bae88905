"""/cypher: read-only analyst queries against the caller's tenant."""

from typing import Any

from fastapi import APIRouter
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Analyst, SettingsDep, StoreDep
from api.errors import ERROR_RESPONSES
from graph.analyst import MAX_QUERY_CHARS, run_analyst_query

router = APIRouter(tags=["cypher"], responses=ERROR_RESPONSES)


class CypherRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "query": "MATCH (d:Deal) RETURN d.stage AS stage, count(*) AS deals, sum(d.amount) AS value "
                    "ORDER BY deals DESC",
                    "params": {},
                }
            ]
        },
    )
    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS)
    params: dict[str, Any] = Field(default_factory=dict)
    timeout_s: float | None = Field(default=None, gt=0, description="Capped by the server's setting.")
    max_rows: int | None = Field(default=None, ge=1, description="Capped by the server's setting.")


class CypherResponse(BaseModel):
    columns: list[str]
    rows: list[list[Any]]
    truncated: bool = Field(description="True when the row cap cut the result.")
    elapsed_ms: float


@router.post(
    "/cypher",
    response_model=CypherResponse,
    summary="Run a read-only Cypher query",
    description=(
        "Runs against the caller's tenant only: on the embedded engine each tenant is its own database, "
        "so a query cannot see other tenants whatever it says. Writes are refused by the engine "
        "(read-only transaction) with 403; file/database clauses (LOAD, COPY, EXPORT, ATTACH) and "
        "procedures off the allow-list are refused with 403; syntax errors are 400 with the engine's "
        "message; a query past its timeout is 408. Nodes come back as objects with `_label`, "
        "relationships with `_type`, paths as `{nodes, relationships}`."
    ),
)
def cypher(body: CypherRequest, store: StoreDep, settings: SettingsDep, principal: Analyst) -> CypherResponse:
    timeout = min(body.timeout_s or settings.cypher_timeout_s, settings.cypher_timeout_s)
    max_rows = min(body.max_rows or settings.cypher_max_rows, settings.cypher_max_rows)
    result = run_analyst_query(
        store=store,
        tenant=principal.tenant,
        query=body.query,
        params=body.params,
        timeout_s=timeout,
        max_rows=max_rows,
    )
    return CypherResponse(
        columns=result.columns,
        rows=jsonable_encoder(result.rows),
        truncated=result.truncated,
        elapsed_ms=round(result.elapsed_ms, 3),
    )
