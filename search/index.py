"""The search port: what services and routers see of full-text search.

Backends (``search.backends.tantivy`` embedded, ``search.backends.elasticsearch``) implement
:class:`SearchIndex`; the contract suite ``tests/contracts/test_search_contract.py`` runs against
each. The index is derived from the graph and can always be rebuilt from it, so a lost
unrefreshed write is repaired by the next sync or ``relgraph reindex``, never by the caller.

Errors (all from ``graph.errors``):

- ``InvalidInput``: the query is empty or longer than 1,000 characters, has more than 32 words,
  the limit is below 1, or the cursor is not one this query returned. No other query error
  exists: quotes are the only syntax, so ``"((( AND OR ~~ *:*"`` is text, not a syntax error.
- ``StoreUnavailable``: the backend cannot be reached or refuses the operation; for the embedded
  index also "another process holds the writer lock" and "the index was closed".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from search.models import (
    DOC_TYPES,
    NAMED_TYPES,
    TEXT_FIELDS,
    DocType,
    SearchDoc,
    SearchHit,
    SearchPage,
    SearchQuery,
    Suggestion,
)

__all__ = [
    "DOC_TYPES",
    "NAMED_TYPES",
    "TEXT_FIELDS",
    "DocType",
    "SearchDoc",
    "SearchHit",
    "SearchIndex",
    "SearchPage",
    "SearchQuery",
    "Suggestion",
]


@runtime_checkable
class SearchIndex(Protocol):
    """Tenant-scoped full-text search over contacts, accounts, deals and interactions.

    Semantics shared by every backend:

    - Every read takes the tenant and can only ever return that tenant's documents.
    - Writes (``upsert``, ``delete``, ``delete_tenant``) are buffered and become visible, and
      durable, at the next ``refresh()``. Batch writes, then refresh once: a refresh is a commit
      (an fsync for the embedded index).
    - Matching: every word of the query must match some field of a document, exactly, within
      Elasticsearch's AUTO edit distance (1 edit for 3-5 characters, 2 beyond), or, for the last
      word, as a prefix; quoted text must match as a phrase. Accents and letters such as ø, ł, ß
      are folded on both sides ("zoe nunez" finds "Zoë Núñez"); a run of CJK characters matches
      any record containing it ("小明" finds "王小明"). Web noise words (com, net, org, www, http,
      https, mailto) are not indexed: "acme.com" searches for "acme".
    - Ranking is BM25; exact matches outrank fuzzy and prefix ones, and the name outranks the
      other fields.
    """

    def upsert(self, docs: Sequence[SearchDoc]) -> None:
        """Insert or replace documents by ``(tenant, type, id)``. Visible after ``refresh()``.

        A key given twice in one call keeps the last document.
        """
        ...

    def delete(self, tenant: str, ids: Sequence[tuple[str, str]]) -> None:
        """Delete the documents ``(type, id)`` of ``tenant``; unknown ids are ignored."""
        ...

    def delete_tenant(self, tenant: str) -> None:
        """Delete every document of ``tenant`` (offboarding, or before a full reindex)."""
        ...

    def refresh(self) -> None:
        """Commit buffered writes and make them visible to searches. Cheap when nothing changed."""
        ...

    def search(self, tenant: str, q: SearchQuery) -> SearchPage:
        """The page of ``tenant``'s documents matching ``q``, best first, with highlights.

        Raises ``InvalidInput`` for a cursor that does not belong to this query or a page beyond
        the first 10,000 results. A query with no searchable characters (only punctuation) returns
        an empty page.
        """
        ...

    def suggest(
        self,
        tenant: str,
        prefix: str,
        types: Sequence[DocType] | None = None,
        limit: int = 10,
    ) -> list[Suggestion]:
        """Completions for a search box: records whose name has words starting with the typed ones.

        Every word but the last must match a word of the name exactly (after folding); the last
        matches as a prefix. ``types`` defaults to contacts, accounts and deals. ``limit`` is
        capped at 100. An empty or blank ``prefix`` gives ``[]``; one longer than 1,000 characters
        raises ``InvalidInput``.
        """
        ...

    def count(self, tenant: str) -> int:
        """How many documents of ``tenant`` are visible (as of the last refresh)."""
        ...

    def close(self) -> None:
        """Commit what is buffered and release resources. Idempotent; other calls then raise
        ``StoreUnavailable``."""
        ...
