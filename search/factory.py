"""Build the configured ``SearchIndex`` and its graph sync (called once, from the lifespan or CLI)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from graph.errors import StoreUnavailable
from graph.store import GraphStore
from search.index import SearchIndex
from search.sync import SearchSync, Watermarks

if TYPE_CHECKING:
    from api.settings import Settings


def open_index(settings: Settings) -> SearchIndex:
    if settings.search_backend == "elasticsearch":
        if not settings.es_url:
            raise StoreUnavailable("RELGRAPH_SEARCH_BACKEND=elasticsearch needs RELGRAPH_ES_URL")
        from elasticsearch import Elasticsearch

        from search.backends.elasticsearch import open_elasticsearch_index

        return open_elasticsearch_index(Elasticsearch(settings.es_url, request_timeout=10))
    from search.backends.tantivy import open_tantivy_index

    return open_tantivy_index(search_dir(settings))


def search_dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / "search"


def make_sync(store: GraphStore, index: SearchIndex, settings: Settings) -> SearchSync:
    # With Elasticsearch the watermark file is per API node: catch-up is idempotent, so a node that
    # has never synced simply rebuilds once.
    return SearchSync(store, index, Watermarks(search_dir(settings) / "sync-state.json"))
