"""The Elasticsearch adapter against a recording fake client (no server here).

The fake records every call and answers like Elasticsearch 8/9 would; the tests check what we send
(mapping, bulk operations, query shape) and how answers and errors come back. The shared contract
suite runs the same adapter against a real server when RELGRAPH_ES_URL is set.
"""

from __future__ import annotations

from typing import Any, cast

import pytest
from elastic_transport import ApiResponseMeta, ConnectionError, HttpHeaders, NodeConfig
from elasticsearch import BadRequestError, Elasticsearch

from graph.errors import InvalidInput, StoreUnavailable
from search.backends import es_mapping
from search.backends.elasticsearch import ElasticsearchIndex, open_elasticsearch_index
from search.models import SearchDoc, SearchQuery


def bad_request(kind: str) -> BadRequestError:
    meta = ApiResponseMeta(
        status=400, http_version="1.1", headers=HttpHeaders(), duration=0.0, node=NodeConfig("http", "es", 9200)
    )
    return BadRequestError(message=kind, meta=meta, body={"error": {"type": kind}})


class FakeIndices:
    def __init__(self, parent: FakeES) -> None:
        self.parent = parent
        self.exists_answer = False

    def exists(self, **kw: Any) -> bool:
        self.parent.calls.append(("indices.exists", kw))
        return self.exists_answer

    def create(self, **kw: Any) -> dict[str, Any]:
        self.parent.calls.append(("indices.create", kw))
        if self.parent.fail_with:
            raise self.parent.fail_with
        return {"acknowledged": True}

    def refresh(self, **kw: Any) -> dict[str, Any]:
        self.parent.calls.append(("indices.refresh", kw))
        return {}


class FakeES:
    """Records calls; answers ``search`` with :attr:`search_answer`."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.indices = FakeIndices(self)
        self.fail_with: Exception | None = None
        self.bulk_answer: dict[str, Any] = {"errors": False, "items": []}
        self.search_answer: dict[str, Any] = {"hits": {"total": {"value": 0}, "hits": []}}

    def _record(self, name: str, kw: dict[str, Any]) -> None:
        self.calls.append((name, kw))
        if self.fail_with:
            raise self.fail_with

    def bulk(self, **kw: Any) -> dict[str, Any]:
        self._record("bulk", kw)
        return self.bulk_answer

    def search(self, **kw: Any) -> dict[str, Any]:
        self._record("search", kw)
        return self.search_answer

    def count(self, **kw: Any) -> dict[str, Any]:
        self._record("count", kw)
        return {"count": 7}

    def delete_by_query(self, **kw: Any) -> dict[str, Any]:
        self._record("delete_by_query", kw)
        return {"deleted": 1}

    def last(self, name: str) -> dict[str, Any]:
        return next(kw for n, kw in reversed(self.calls) if n == name)


@pytest.fixture
def fake() -> FakeES:
    return FakeES()


@pytest.fixture
def index(fake: FakeES) -> ElasticsearchIndex:
    return open_elasticsearch_index(cast(Elasticsearch, fake), "rg")


def test_open_creates_the_index_with_our_mapping(fake: FakeES, index: ElasticsearchIndex) -> None:
    created = fake.last("indices.create")
    assert created["index"] == "rg"
    props = created["mappings"]["properties"]
    for keyword in ("tenant", "type", "account_id", "owner_id"):
        assert props[keyword] == {"type": "keyword"}
    assert props["name"]["fields"]["prefix"]["analyzer"] == "rg_prefix"
    analyzers = created["settings"]["analysis"]["analyzer"]
    assert "asciifolding" in analyzers["rg_text"]["filter"]
    assert created["settings"]["analysis"]["filter"]["rg_bigram"]["type"] == "cjk_bigram"


def test_open_tolerates_a_concurrent_create(fake: FakeES) -> None:
    fake.fail_with = bad_request("resource_already_exists_exception")
    open_elasticsearch_index(cast(Elasticsearch, fake), "rg")
    fake.fail_with = bad_request("illegal_argument_exception")
    with pytest.raises(InvalidInput):
        open_elasticsearch_index(cast(Elasticsearch, fake), "rg")


def test_existing_index_is_not_recreated(fake: FakeES) -> None:
    fake.indices.exists_answer = True
    open_elasticsearch_index(cast(Elasticsearch, fake), "rg")
    assert not [c for c in fake.calls if c[0] == "indices.create"]


def test_upsert_sends_index_operations_last_duplicate_wins(fake: FakeES, index: ElasticsearchIndex) -> None:
    index.upsert(
        [
            SearchDoc(tenant="t1", type="contact", id="c1", name="Old", emails=("a@b.example",)),
            SearchDoc(tenant="t1", type="contact", id="c1", name="Zoe\u0308 New"),
            SearchDoc(tenant="t1", type="account", id="a1", name="Acme"),
        ]
    )
    ops = fake.last("bulk")["operations"]
    assert len(ops) == 4
    assert ops[0] == {"index": {"_index": "rg", "_id": es_mapping.es_id("t1", "contact", "c1")}}
    assert ops[1] == {"tenant": "t1", "type": "contact", "doc_id": "c1", "name": "Zoë New"}
    assert ops[3]["account_id"] == "a1"  # an account is its own account


def test_bulk_item_errors_raise_but_missing_deletes_do_not(fake: FakeES, index: ElasticsearchIndex) -> None:
    fake.bulk_answer = {"errors": True, "items": [{"delete": {"status": 404, "result": "not_found"}}]}
    index.delete("t1", [("contact", "gone")])
    fake.bulk_answer = {"errors": True, "items": [{"index": {"status": 429, "error": {"type": "es_rejected"}}}]}
    with pytest.raises(StoreUnavailable, match="es_rejected"):
        index.upsert([SearchDoc(tenant="t1", type="contact", id="c1", name="X")])


def test_search_request_shape(fake: FakeES, index: ElasticsearchIndex) -> None:
    index.search("t1", SearchQuery(q='Jonh "acme corp" 小明 smi', types=["contact"], account_id="a1", limit=5))
    sent = fake.last("search")
    assert sent["size"] == 5 and sent["from_"] == 0
    query = sent["query"]["bool"]
    assert {"term": {"tenant": "t1"}} in query["filter"]
    assert {"terms": {"type": ["contact"]}} in query["filter"]
    assert {"term": {"account_id": "a1"}} in query["filter"]
    must = query["must"]
    phrase = next(c for c in must if c.get("multi_match", {}).get("type") == "phrase")
    assert phrase["multi_match"]["query"] == "acme corp"
    cjk = next(c for c in must if "name.cjk^4" in c.get("multi_match", {}).get("fields", []))
    assert cjk["multi_match"]["operator"] == "and"
    jonh = next(c for c in must if c.get("multi_match", {}).get("query") == "jonh")
    assert jonh["multi_match"]["fuzziness"] == "AUTO"
    last = must[-1]["bool"]["should"]
    assert last[0]["multi_match"]["query"] == "smi"
    assert "name.prefix^4" in last[1]["multi_match"]["fields"]
    assert sent["highlight"]["encoder"] == "html"


def test_search_answer_is_mapped(fake: FakeES, index: ElasticsearchIndex) -> None:
    fake.search_answer = {
        "hits": {
            "total": {"value": 42},
            "hits": [
                {
                    "_score": 3.5,
                    "_source": {"type": "contact", "doc_id": "c1", "name": "John Smith"},
                    "highlight": {"name.prefix": ["John <em>Smith</em>"], "notes": ["met <em>Smith</em>"]},
                }
            ],
        }
    }
    page = index.search("t1", SearchQuery(q="smi", limit=1))
    assert page.total == 42 and page.next_cursor
    hit = page.hits[0]
    assert (hit.type, hit.id, hit.title, hit.score) == ("contact", "c1", "John Smith", 3.5)
    assert hit.highlights == {"name": ["John <em>Smith</em>"], "notes": ["met <em>Smith</em>"]}
    index.search("t1", SearchQuery(q="smi", limit=1, cursor=page.next_cursor))
    assert fake.last("search")["from_"] == 1


def test_suggest_searches_names_only(fake: FakeES, index: ElasticsearchIndex) -> None:
    index.suggest("t1", "john sm")
    sent = fake.last("search")
    must = sent["query"]["bool"]["must"]
    assert must[0]["multi_match"]["fields"] == ["name^4"]
    assert must[0]["multi_match"]["fuzziness"] == 0
    assert must[1]["bool"]["should"][1]["multi_match"]["fields"] == ["name.prefix"]
    assert {"terms": {"type": ["contact", "rep", "account", "deal"]}} in sent["query"]["bool"]["filter"]


def test_empty_plan_matches_nothing(fake: FakeES, index: ElasticsearchIndex) -> None:
    index.search("t1", SearchQuery(q="((( *:*"))
    assert fake.last("search")["query"] == {"bool": {"must_not": [{"match_all": {}}]}}


def test_errors_are_translated(fake: FakeES, index: ElasticsearchIndex) -> None:
    fake.fail_with = ConnectionError("refused")
    with pytest.raises(StoreUnavailable, match="unreachable"):
        index.search("t1", SearchQuery(q="john"))
    fake.fail_with = bad_request("too_many_nested_clauses")
    with pytest.raises(InvalidInput):
        index.search("t1", SearchQuery(q="john"))


def test_delete_tenant_refreshes_first(fake: FakeES, index: ElasticsearchIndex) -> None:
    index.delete_tenant("t9")
    names = [n for n, _ in fake.calls]
    assert names[-2:] == ["indices.refresh", "delete_by_query"]
    assert fake.last("delete_by_query")["query"] == {"term": {"tenant": "t9"}}


def test_close_forgets_the_client(index: ElasticsearchIndex) -> None:
    assert index.count("t1") == 7
    index.close()
    with pytest.raises(StoreUnavailable):
        index.count("t1")
