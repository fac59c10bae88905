"""The app factory. The lifespan builds the engines once (or takes the ones a test passes in)."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import errors
from api.deps import KeyCache
from api.routers import (
    accounts,
    contacts,
    cypher,
    deals,
    duplicates,
    health,
    imports,
    intelligence,
    interactions,
    ml,
    products,
    reps,
)
from api.routers import search as search_routes
from api.settings import Settings, get_settings
from api.versions import WriteVersions
from graph.factory import open_store
from graph.intelligence.cache import ViewCache
from graph.intelligence.hierarchy import AccountBooks
from graph.intelligence.influence import TenantInfluence
from graph.intelligence.intro import PathGraphs
from graph.intelligence.sync import IntelligenceSync
from graph.store import SYSTEM_TENANT, GraphStore, SoleWriter
from search.factory import make_sync, open_index
from search.index import SearchIndex
from search.sync import SearchSync

log = logging.getLogger(__name__)
AUTO_REBUILD_MAX = 100_000  # records; above this a missing index is rebuilt only on request

DESCRIPTION = """Graph-native relationship intelligence for CRM data.

Authenticate with `Authorization: Bearer <key>`; a key is bound to one tenant and one role
(admin, analyst, rep, viewer). Reads need any role, writes `rep` or `admin`, `/cypher` `analyst`
or `admin`. Errors always have the shape `{"error": {"code", "message", "detail"}}`.
"""


def create_app(
    settings: Settings | None = None, store: GraphStore | None = None, search: SearchIndex | None = None
) -> FastAPI:
    """The app; ``store``/``search`` are passed in by tests and the demo, otherwise built here once."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned_store, owned_search = store is None, search is None
        tune_gc(settings.gc_gen0_threshold)
        app.state.store = store if store is not None else open_store(settings)
        app.state.search = search if search is not None else open_index(settings)
        app.state.settings = settings
        app.state.key_cache = KeyCache(settings.auth_cache_s)
        app.state.path_graphs = PathGraphs()
        app.state.influence = TenantInfluence(gds=_gds(settings))
        app.state.sync = make_sync(app.state.store, app.state.search, settings)
        app.state.intel = IntelligenceSync(app.state.store, after_refresh=app.state.path_graphs.mark_stale)
        app.state.books = _account_books(app.state.store, app.state.intel)
        app.state.views = ViewCache(app.state.intel.version)
        app.state.sync.listeners.append(app.state.intel.on_change)
        app.state.sync.start()
        app.state.intel.start()
        # Catch up on writes whose index update a crash lost (see search.sync), off the start path.
        threading.Thread(target=_catch_up_all, args=(app.state.sync, app.state.store), daemon=True).start()
        if settings.warm_books:
            owned = app.state.store
            app.state.books.warm(owned, lambda: [t for t in owned.tenants() if t != SYSTEM_TENANT])
        freeze_startup_objects()
        try:
            yield
        finally:
            app.state.intel.stop()
            app.state.sync.stop()
            app.state.books.close()  # background reads must end before the store closes
            app.state.path_graphs.join()
            if owned_search:
                app.state.search.close()
            if owned_store:
                app.state.store.close()

    app = FastAPI(title="relgraph", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    errors.install(app)
    app.add_middleware(WriteVersions, on_write=lambda tenant, parts, scope: app.state.intel.bump(tenant, parts, scope))
    for module in (
        health,
        accounts,
        contacts,
        reps,
        deals,
        interactions,
        products,
        intelligence,
        ml,
        imports,
        duplicates,
        search_routes,
        cypher,
    ):
        app.include_router(module.router)
    return app


def tune_gc(gen0: int) -> None:
    """Collect the young generation less often (see ``Settings.gc_gen0_threshold``)."""
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(gen0, max(gen1, 20), max(gen2, 20))


_FROZEN = threading.Event()


def freeze_startup_objects() -> None:
    """Move what exists after start-up (modules, the app, settings, the engine's handles: all alive
    until exit) out of the collector's reach, so that every full collection does not walk them
    again. Once per process: a process that builds many apps (the tests) freezes only the first."""
    if not _FROZEN.is_set():
        _FROZEN.set()
        gc.collect()
        gc.freeze()


def _account_books(store: GraphStore, intel: IntelligenceSync) -> AccountBooks:
    """Books judged by the API's write counters; on a store no other process writes to while it
    holds it (embedded), kept until the store reopens the tenant, elsewhere at most a minute."""
    if isinstance(store, SoleWriter):
        return AccountBooks(intel.part_versions, None, scopes=intel.scope_since, epoch=store.opened)
    return AccountBooks(intel.part_versions, 60.0, scopes=intel.scope_since)


def _catch_up_all(sync: SearchSync, store: GraphStore) -> None:
    """Incremental catch-up for tenants indexed before; a small never-indexed tenant is indexed
    whole, a large one is left to `relgraph reindex` (a background rebuild of a million records
    would compete with every request for minutes)."""
    for tenant in store.tenants():
        try:
            if sync.watermarks.get(tenant) is None and sync.record_count(tenant) > AUTO_REBUILD_MAX:
                log.warning("tenant %s has no search index: run `relgraph reindex --tenant %s`", tenant, tenant)
                continue
            report = sync.catch_up(tenant)
            log.info("search catch-up for %s: %d upserted, %d deleted", tenant, report.upserted, report.deleted)
        except Exception:
            if sync.stopping:
                return
            log.exception("search catch-up failed for %s; `relgraph reindex --tenant %s` rebuilds it", tenant, tenant)


def _gds(settings: Settings) -> object | None:
    """A GraphDataScience client on the Neo4j backend when the client is installed (``.[gds]``)."""
    if settings.graph_backend != "neo4j" or not settings.neo4j_uri:
        return None
    try:
        from graphdatascience import GraphDataScience
    except ImportError:
        log.warning("graphdatascience is not installed: influence PageRank runs in-process")
        return None
    # The store already verified connectivity with a short timeout, so this does not block for long.
    return GraphDataScience(settings.neo4j_uri, auth=(settings.neo4j_user, settings.neo4j_password))
