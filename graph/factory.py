"""Build the configured ``GraphStore`` (called once, from the app's lifespan or the CLI)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from graph.errors import StoreUnavailable
from graph.store import GraphStore

if TYPE_CHECKING:
    from api.settings import Settings


def open_store(settings: Settings) -> GraphStore:
    if settings.graph_backend == "neo4j":
        from graph.backends.neo4j import connect_neo4j

        if not settings.neo4j_uri:
            raise StoreUnavailable("RELGRAPH_GRAPH_BACKEND=neo4j needs RELGRAPH_NEO4J_URI")
        return connect_neo4j(
            settings.neo4j_uri,
            settings.neo4j_user,
            settings.neo4j_password,
            database=settings.neo4j_database,
            database_per_tenant=settings.neo4j_database_per_tenant,
        )
    from graph.backends.embedded import LadybugStore

    return LadybugStore(settings.data_dir, buffer_pool_mb=settings.buffer_pool_mb)
