"""Full-text search: the :class:`search.index.SearchIndex` port, its value types and backends."""

from search.index import SearchIndex
from search.models import SearchDoc, SearchHit, SearchPage, SearchQuery, Suggestion

__all__ = ["SearchDoc", "SearchHit", "SearchIndex", "SearchPage", "SearchQuery", "Suggestion"]
