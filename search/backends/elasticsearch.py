"""Search on Elasticsearch 8/9 through the official client (production backend).

The client is built by the app's lifespan and passed in: this module never constructs, configures
or closes one. :func:`open_elasticsearch_index` creates the index (mapping in
:mod:`search.backends.es_mapping`) if it does not exist; the constructor does no I/O.

Errors are translated here: a 400 from Elasticsearch for a query we built from user text is
``InvalidInput``; every other API or transport error is ``StoreUnavailable`` (the original on
``__cause__``). Bulk responses are checked item by item; deletes of missing ids are not errors.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from elastic_transport import TransportError
from elasticsearch import ApiError, BadRequestError, Elasticsearch

from graph.errors import InvalidInput, StoreUnavailable
from search.analysis import analyze
from search.backends import es_mapping as m
from search.cursor import decode_cursor, fingerprint, next_cursor, page_window
from search.models import (
    NAMED_TYPES,
    DocType,
    SearchDoc,
    SearchHit,
    SearchPage,
    SearchQuery,
    Suggestion,
    check_suggest_args,
    revalidated,
)
from search.querytext import parse_query

DEFAULT_INDEX = "relgraph-search"
BULK_DOCS = 1_000
"""Documents per bulk request: well under the 100 MB request limit for our document sizes."""


@contextmanager
def _translated(action: str) -> Iterator[None]:
    try:
        yield
    except BadRequestError as exc:
        raise InvalidInput(f"Elasticsearch refused the {action}: {exc.message}", detail=exc.body) from exc
    except ApiError as exc:
        raise StoreUnavailable(f"Elasticsearch {action} failed: {exc.message}", detail=exc.body) from exc
    except TransportError as exc:
        raise StoreUnavailable(f"Elasticsearch unreachable during {action}: {exc}") from exc


def open_elasticsearch_index(client: Elasticsearch, index: str = DEFAULT_INDEX) -> ElasticsearchIndex:
    """The search index ``index`` on ``client``, created with our mapping if missing."""
    with _translated("index creation"):
        if not client.indices.exists(index=index):
            try:
                client.indices.create(index=index, settings=m.SETTINGS, mappings=m.MAPPINGS)
            except BadRequestError as exc:
                if exc.error != "resource_already_exists_exception":  # created concurrently: fine
                    raise
    return ElasticsearchIndex(client, index)


class ElasticsearchIndex:
    """:class:`search.index.SearchIndex` on one Elasticsearch index shared by all tenants."""

    def __init__(self, client: Elasticsearch, index: str = DEFAULT_INDEX) -> None:
        self._client: Elasticsearch | None = client
        self.index = index

    def __enter__(self) -> ElasticsearchIndex:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Forget the client; closing it is the lifespan's job (it may be shared)."""
        self._client = None

    def _es(self) -> Elasticsearch:
        if self._client is None:
            raise StoreUnavailable("search index is closed")
        return self._client

    # -- writes -----------------------------------------------------------------------------
    def _bulk(self, operations: list[dict[str, Any]], action: str) -> None:
        if not operations:
            return
        with _translated(action):
            response = self._es().bulk(operations=operations)
        if not response.get("errors"):
            return
        for item in response["items"]:
            result = next(iter(item.values()))
            if result.get("status", 200) >= 300 and not (action == "delete" and result.get("status") == 404):
                raise StoreUnavailable(f"Elasticsearch {action} failed for a document: {result.get('error')}")

    def upsert(self, docs: Sequence[SearchDoc]) -> None:
        self._es()  # refuse on a closed index even with nothing to write
        latest = {(d.tenant, d.type, d.id): d for d in docs}  # last one wins within a call
        items = list(latest.values())
        for start in range(0, len(items), BULK_DOCS):
            ops: list[dict[str, Any]] = []
            for doc in items[start : start + BULK_DOCS]:
                ops.append({"index": {"_index": self.index, "_id": m.es_id(doc.tenant, doc.type, doc.id)}})
                ops.append(m.source(doc))
            self._bulk(ops, "upsert")

    def delete(self, tenant: str, ids: Sequence[tuple[str, str]]) -> None:
        self._es()
        ops = [{"delete": {"_index": self.index, "_id": m.es_id(tenant, t, i)}} for t, i in ids]
        for start in range(0, len(ops), BULK_DOCS):
            self._bulk(ops[start : start + BULK_DOCS], "delete")

    def delete_tenant(self, tenant: str) -> None:
        es = self._es()
        with _translated("tenant delete"):
            # delete_by_query sees only refreshed documents: refresh first so buffered upserts of
            # this tenant are deleted too.
            es.indices.refresh(index=self.index)
            es.delete_by_query(index=self.index, query={"term": {"tenant": tenant}}, conflicts="proceed")

    def refresh(self) -> None:
        with _translated("refresh"):
            self._es().indices.refresh(index=self.index)

    # -- reads ------------------------------------------------------------------------------
    def count(self, tenant: str) -> int:
        with _translated("count"):
            response = self._es().count(index=self.index, query={"term": {"tenant": tenant}})
        return int(response["count"])

    def search(self, tenant: str, q: SearchQuery) -> SearchPage:
        es = self._es()
        q = revalidated(q)
        print_ = fingerprint(tenant, q)
        offset = decode_cursor(q.cursor, print_)
        size = page_window(offset, q.limit)
        plan = parse_query(q.q, analyze, fuzzy=q.fuzzy)
        query = m.search_body(plan, m.filters(tenant, q.types, q.account_id, q.owner_id))
        with _translated("search"):
            response = es.search(
                index=self.index,
                query=query,
                highlight=m.highlight_body(),
                size=size,
                from_=offset,
                source_includes=["type", "doc_id", "name"],
                track_total_hits=True,
            )
        hits = [
            SearchHit(
                type=hit["_source"]["type"],
                id=hit["_source"]["doc_id"],
                score=float(hit.get("_score") or 0.0),
                title=hit["_source"]["name"],
                highlights=m.merge_highlights(hit.get("highlight", {})),
            )
            for hit in response["hits"]["hits"]
        ]
        total = int(response["hits"]["total"]["value"])
        return SearchPage(hits=hits, total=total, next_cursor=next_cursor(offset, len(hits), total, print_))

    def suggest(
        self,
        tenant: str,
        prefix: str,
        types: Sequence[DocType] | None = None,
        limit: int = 10,
    ) -> list[Suggestion]:
        es = self._es()
        limit = check_suggest_args(prefix, limit)
        if not prefix.strip():
            return []
        plan = parse_query(prefix, analyze, fuzzy=False)
        query = m.search_body(plan, m.filters(tenant, list(types or NAMED_TYPES)), name_only=True)
        with _translated("suggest"):
            response = es.search(
                index=self.index,
                query=query,
                highlight=m.highlight_body(("name",)),
                size=limit,
                source_includes=["type", "doc_id", "name"],
            )
        out: list[Suggestion] = []
        for hit in response["hits"]["hits"]:
            name = hit["_source"]["name"]
            marked = m.merge_highlights(hit.get("highlight", {})).get("name")
            out.append(
                Suggestion(
                    type=hit["_source"]["type"],
                    id=hit["_source"]["doc_id"],
                    text=name,
                    highlighted=marked[0] if marked else html.escape(name),
                    score=float(hit.get("_score") or 0.0),
                )
            )
        return out
