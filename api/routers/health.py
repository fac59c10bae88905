"""/health: is the store answering (no credential needed)."""

from typing import Any

from fastapi import APIRouter

from api.deps import SearchDep, StoreDep
from graph.store import SYSTEM_TENANT

router = APIRouter(tags=["health"])


@router.get("/health", summary="Check the service, its graph store and its search index (no key needed)")
def health(store: StoreDep, index: SearchDep) -> dict[str, Any]:
    index.count(SYSTEM_TENANT)  # raises StoreUnavailable (503) when the index cannot answer
    return {"status": "ok", "graph": store.health(), "search": {"backend": type(index).__name__}}
