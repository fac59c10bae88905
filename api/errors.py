"""The one place where relgraph errors become HTTP responses, and the one error shape."""

from __future__ import annotations

import logging
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from graph import errors as e

log = logging.getLogger(__name__)

# Most specific first: the first class an error is an instance of decides.
STATUS: Final[tuple[tuple[type[e.RelgraphError], int, str], ...]] = (
    (e.NotFound, 404, "not_found"),
    (e.DuplicateId, 409, "duplicate_id"),
    (e.CycleError, 409, "cycle"),
    (e.NotReady, 409, "not_ready"),
    (e.Conflict, 409, "conflict"),
    (e.QuerySyntaxError, 400, "query_syntax"),
    (e.InvalidInput, 400, "invalid_input"),
    (e.ReadOnlyViolation, 403, "read_only"),
    (e.Forbidden, 403, "forbidden"),
    (e.Unauthenticated, 401, "unauthenticated"),
    (e.QueryTimeout, 408, "query_timeout"),
    (e.StoreUnavailable, 503, "store_unavailable"),
    (e.RelgraphError, 500, "internal"),
)


class ErrorBody(BaseModel):
    code: str
    message: str
    detail: Any | None = None


class ErrorResponse(BaseModel):
    """Every error the API returns has this shape."""

    error: ErrorBody


def status_of(exc: e.RelgraphError) -> tuple[int, str]:
    for cls, status, code in STATUS:
        if isinstance(exc, cls):
            return status, code
    return 500, "internal"


def _response(status: int, code: str, message: str, detail: Any = None) -> JSONResponse:
    body = ErrorResponse(error=ErrorBody(code=code, message=message, detail=detail))
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


async def _relgraph_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, e.RelgraphError)
    status, code = status_of(exc)
    if status >= 500:
        log.error("request failed: %s", exc, exc_info=exc)
        detail = None  # do not leak internals
    else:
        detail = exc.detail if isinstance(exc.detail, str | dict | list) else None
    return _response(status, code, exc.message, detail)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = [
        {"field": ".".join(str(p) for p in err["loc"] if p != "body"), "message": err["msg"], "type": err["type"]}
        for err in exc.errors()
    ]
    names = ", ".join(f["field"] or "body" for f in fields[:5])
    return _response(422, "validation_error", f"invalid request: {names}", fields)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return _response(exc.status_code, "http_error", str(exc.detail))


def install(app: FastAPI) -> None:
    app.add_exception_handler(e.RelgraphError, _relgraph_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)


ERROR_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    s: {"model": ErrorResponse} for s in (400, 401, 403, 404, 409, 422)
}
