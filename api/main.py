"""The app factory. The lifespan builds the engines once (or takes the ones a test passes in)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import errors
from api.deps import KeyCache
from api.routers import accounts, contacts, cypher, deals, health, interactions, products, reps
from api.settings import Settings, get_settings
from graph.factory import open_store
from graph.store import GraphStore

DESCRIPTION = """Graph-native relationship intelligence for CRM data.

Authenticate with `Authorization: Bearer <key>`; a key is bound to one tenant and one role
(admin, analyst, rep, viewer). Reads need any role, writes `rep` or `admin`, `/cypher` `analyst`
or `admin`. Errors always have the shape `{"error": {"code", "message", "detail"}}`.
"""


def create_app(settings: Settings | None = None, store: GraphStore | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = store is None
        app.state.store = store if store is not None else open_store(settings)
        app.state.settings = settings
        app.state.key_cache = KeyCache(settings.auth_cache_s)
        try:
            yield
        finally:
            if owned:
                app.state.store.close()

    app = FastAPI(title="relgraph", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    errors.install(app)
    for module in (health, accounts, contacts, reps, deals, interactions, products, cypher):
        app.include_router(module.router)
    return app
