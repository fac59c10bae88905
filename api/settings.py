"""Settings from RELGRAPH_* environment variables (and .env), injected with ``Depends(get_settings)``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RELGRAPH_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("./data"), description="Where the embedded engines keep their files.")
    graph_backend: Literal["embedded", "neo4j"] = "embedded"
    search_backend: Literal["embedded", "elasticsearch"] = "embedded"
    buffer_pool_mb: int = Field(default=1024, ge=64, le=65536)
    gc_gen0_threshold: int = Field(
        default=50_000,
        ge=700,
        description="Python's young-generation GC threshold: responses such as a 5,000-person org chart "
        "allocate hundreds of thousands of objects, and the default (700) spends a quarter of the request in GC.",
    )

    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: str = ""
    neo4j_database: str = "neo4j"
    neo4j_database_per_tenant: bool = False
    es_url: str | None = None

    cypher_timeout_s: float = Field(default=10.0, gt=0, le=600)
    cypher_max_rows: int = Field(default=10_000, ge=1, le=1_000_000)
    auth_cache_s: float = Field(default=30.0, ge=0, description="How long a verified key is trusted.")
    warm_books: bool = Field(
        default=True,
        description="Build every tenant's account book (hierarchy roll-ups) in the background at start, "
        "so that a tenant's first roll-up does not read its whole subtree.",
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
