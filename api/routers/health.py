"""/health: is the store answering (no credential needed)."""

from typing import Any

from fastapi import APIRouter

from api.deps import StoreDep

router = APIRouter(tags=["health"])


@router.get("/health", summary="Check the service and its store")
def health(store: StoreDep) -> dict[str, Any]:
    return {"status": "ok", "graph": store.health()}
