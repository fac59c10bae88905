"""Shared fixtures: a real embedded store in a temporary directory, the app, and API keys."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from graph.backends.embedded import LadybugStore
from graph.repositories.keys import create_key
from search.backends.tantivy import TantivyIndex, open_tantivy_index

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LadybugStore]:
    s = LadybugStore(tmp_path / "data", buffer_pool_mb=256)
    yield s
    s.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", auth_cache_s=0)


@pytest.fixture
def search_index(tmp_path: Path) -> Iterator[TantivyIndex]:
    with open_tantivy_index(tmp_path / "data" / "search") as index:
        yield index


@pytest.fixture
def client(store: LadybugStore, search_index: TantivyIndex, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, store=store, search=search_index)) as c:
        yield c


def _headers(store: LadybugStore, tenant: str, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_key(store=store, tenant=tenant, role=role).key}"}


@pytest.fixture
def admin(store: LadybugStore) -> dict[str, str]:
    return _headers(store, "acme", "admin")


@pytest.fixture
def keys(store: LadybugStore) -> dict[str, dict[str, str]]:
    """Headers per role for tenant acme, plus an admin of another tenant (globex)."""
    out = {role: _headers(store, "acme", role) for role in ("admin", "analyst", "rep", "viewer")}
    out["other"] = _headers(store, "globex", "admin")
    return out
