"""Annotated dependencies: the store, the caller (tenant + role from the API key), role checks."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.settings import Settings, get_settings
from graph.errors import Forbidden, Unauthenticated
from graph.repositories.keys import Principal, authenticate
from graph.store import GraphStore


def get_store(request: Request) -> GraphStore:
    store: GraphStore = request.app.state.store
    return store


StoreDep = Annotated[GraphStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
_bearer = HTTPBearer(auto_error=False, description="An API key: `relgraph keys create --tenant T --role R`")


class KeyCache:
    """Verified keys for a short while, so a GET does not pay a key lookup every time.

    Keyed by the key's hash; a revoked key stays valid for at most ``ttl_s``."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._entries: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def get(self, store: GraphStore, key: str) -> Principal:
        digest = hashlib.sha256(key.encode()).hexdigest()
        now = time.monotonic()
        hit = self._entries.get(digest)
        if hit is not None and hit[0] > now:
            return hit[1]
        principal = authenticate(store=store, key=key)
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[digest] = (now + self.ttl_s, principal)
        return principal


def get_principal(
    request: Request,
    store: StoreDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("missing API key: send 'Authorization: Bearer <key>'")
    cache: KeyCache = request.app.state.key_cache
    return cache.get(store, credentials.credentials)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def tenant_of(principal: PrincipalDep) -> str:
    return principal.tenant


TenantDep = Annotated[str, Depends(tenant_of)]


def require_role(*roles: str) -> Callable[[Principal], Principal]:
    def check(principal: PrincipalDep) -> Principal:
        if principal.role not in roles:
            raise Forbidden(f"role {principal.role!r} may not do this; needs one of: {', '.join(roles)}")
        return principal

    return check


Writer = Annotated[Principal, Depends(require_role("admin", "rep"))]
Analyst = Annotated[Principal, Depends(require_role("admin", "analyst"))]
Admin = Annotated[Principal, Depends(require_role("admin"))]
