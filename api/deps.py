"""Annotated dependencies: the store, the caller (tenant + role from the API key), role checks."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.settings import Settings
from graph.errors import Forbidden, Unauthenticated
from graph.intelligence.sync import IntelligenceSync
from graph.repositories.keys import Principal, authenticate
from graph.store import GraphStore
from search.index import SearchIndex
from search.sync import SearchSync


# The dependencies are ``async``: sync ones would each take a trip through the threadpool on every
# request (measured: a third of a GET's server time). Only a key-cache miss touches the store.
async def get_store(request: Request) -> GraphStore:
    store: GraphStore = request.app.state.store
    return store


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_search(request: Request) -> SearchIndex:
    index: SearchIndex = request.app.state.search
    return index


async def get_sync(request: Request) -> SearchSync:
    sync: SearchSync = request.app.state.sync
    return sync


async def get_intel(request: Request) -> IntelligenceSync:
    intel: IntelligenceSync = request.app.state.intel
    return intel


StoreDep = Annotated[GraphStore, Depends(get_store)]
SearchDep = Annotated[SearchIndex, Depends(get_search)]
SyncDep = Annotated[SearchSync, Depends(get_sync)]
IntelDep = Annotated[IntelligenceSync, Depends(get_intel)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
_bearer = HTTPBearer(auto_error=False, description="An API key: `relgraph keys create --tenant T --role R`")


class KeyCache:
    """Verified keys for a short while, so a GET does not pay a key lookup every time.

    Keyed by the key's hash; a revoked key stays valid for at most ``ttl_s``."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._entries: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def cached(self, key: str) -> Principal | None:
        hit = self._entries.get(self._digest(key))
        return hit[1] if hit is not None and hit[0] > time.monotonic() else None

    @staticmethod
    def _digest(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def get(self, store: GraphStore, key: str) -> Principal:
        found = self.cached(key)
        if found is not None:
            return found
        digest, now = self._digest(key), time.monotonic()
        principal = authenticate(store=store, key=key)
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[digest] = (now + self.ttl_s, principal)
        return principal


async def get_principal(
    request: Request,
    store: StoreDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("missing API key: send 'Authorization: Bearer <key>'")
    cache: KeyCache = request.app.state.key_cache
    found = cache.cached(credentials.credentials)
    if found is None:
        found = await run_in_threadpool(cache.get, store, credentials.credentials)
    request.state.tenant = found.tenant  # for api.versions: a successful write moves the tenant's version
    return found


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def tenant_of(principal: PrincipalDep) -> str:
    return principal.tenant


TenantDep = Annotated[str, Depends(tenant_of)]


def require_role(*roles: str) -> Callable[[Principal], Coroutine[None, None, Principal]]:
    async def check(principal: PrincipalDep) -> Principal:
        if principal.role not in roles:
            raise Forbidden(f"role {principal.role!r} may not do this; needs one of: {', '.join(roles)}")
        return principal

    return check


Writer = Annotated[Principal, Depends(require_role("admin", "rep"))]
Analyst = Annotated[Principal, Depends(require_role("admin", "analyst"))]
Admin = Annotated[Principal, Depends(require_role("admin"))]
