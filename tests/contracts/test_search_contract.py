"""The SearchIndex contract, run against every backend.

tantivy (embedded) always runs, in a temporary directory. Elasticsearch runs when
``RELGRAPH_ES_URL`` points at a server (each test gets its own index, deleted afterwards).
Tests that only make sense for an embedded engine (kill -9 of a writer) say so and skip elsewhere.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from graph.errors import InvalidInput
from search.index import SearchDoc, SearchHit, SearchIndex, SearchQuery

REPO = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------------------------------------
# Backends
# ---------------------------------------------------------------------------------------------
@dataclass
class Harness:
    name: str
    open: Callable[[], SearchIndex]
    directory: Path | None = None
    """Where the embedded index lives (for the crash test); None for a server backend."""


def _tantivy(tmp_path: Path) -> Iterator[Harness]:
    from search.backends.tantivy import open_tantivy_index

    directory = tmp_path / "search"
    yield Harness(
        "tantivy",
        lambda: open_tantivy_index(directory, writer_heap_bytes=20_000_000, writer_threads=1),
        directory,
    )


def _elasticsearch() -> Iterator[Harness]:
    url = os.environ.get("RELGRAPH_ES_URL")
    if not url:
        pytest.skip("RELGRAPH_ES_URL not set: Elasticsearch contract tests need a server")
    from elasticsearch import Elasticsearch

    from search.backends.elasticsearch import open_elasticsearch_index

    client = Elasticsearch(url, request_timeout=30)
    name = f"relgraph-test-{uuid.uuid4().hex[:12]}"
    try:
        yield Harness("elasticsearch", lambda: open_elasticsearch_index(client, name))
    finally:
        client.indices.delete(index=name, ignore_unavailable=True)
        client.close()


@pytest.fixture(params=["tantivy", "elasticsearch"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    if request.param == "tantivy":
        yield from _tantivy(tmp_path)
    else:
        yield from _elasticsearch()


@pytest.fixture
def index(harness: Harness) -> Iterator[SearchIndex]:
    ix = harness.open()
    yield ix
    ix.close()


def contact(tenant: str, id_: str, name: str, **fields: object) -> SearchDoc:
    return SearchDoc.model_validate({"tenant": tenant, "type": "contact", "id": id_, "name": name, **fields})


CORPUS = [
    contact(
        "t1",
        "c1",
        "John Smith",
        emails=["john.smith@acme.example"],
        title="VP Sales",
        account="Acme Corp",
        account_id="a1",
        city="London",
        notes="Met at the Lisbon conference; champion for the renewal.",
    ),
    contact("t1", "c2", "Jon Smyth", account="Globex", account_id="a2", title="Buyer"),
    contact("t1", "c3", "Smith John", account="Acme Corp", account_id="a1"),
    contact("t1", "c4", "Johnny Smithers", account="Initech", account_id="a3"),
    contact("t1", "c5", "Zoë Núñez", city="Sevilla"),
    contact("t1", "c6", "Søren Ødegaard", city="Tromsø"),
    contact("t1", "c7", "Łukasz Wójcik", city="Kraków"),
    contact("t1", "c8", "王小明", city="北京"),
    contact("t1", "c9", "Mary Adams", notes="Knows John Smith from university"),
    SearchDoc(tenant="t1", type="account", id="a1", name="Acme Corp", domain="acme.example", industry="Logistics"),
    SearchDoc(tenant="t1", type="account", id="a2", name="Globex", domain="globex.example"),
    SearchDoc(
        tenant="t1",
        type="deal",
        id="d1",
        name="Acme renewal 2025",
        account="Acme Corp",
        account_id="a1",
        stage="negotiation",
        owner="Rita Rep",
        owner_id="r1",
    ),
    SearchDoc(
        tenant="t1",
        type="deal",
        id="d2",
        name="Globex expansion",
        account="Globex",
        account_id="a2",
        owner="Sam Seller",
        owner_id="r2",
    ),
    SearchDoc(
        tenant="t1",
        type="interaction",
        id="i1",
        name="Pricing call",
        text="Discussed pricing with John and the procurement team.",
        participants=["John Smith", "Rita Rep"],
        account_id="a1",
    ),
    # Tenant 2 reuses names and ids: it must never show in tenant 1's results.
    contact("t2", "c1", "John Smith", account="Acme Corp", account_id="a1"),
    contact("t2", "c50", "Zoë Núñez"),
    SearchDoc(tenant="t2", type="account", id="a1", name="Acme Corp"),
]


@pytest.fixture
def loaded(index: SearchIndex) -> SearchIndex:
    index.upsert(CORPUS)
    index.refresh()
    return index


def ids(index: SearchIndex, q: str, tenant: str = "t1", **kw: object) -> list[str]:
    page = index.search(tenant, SearchQuery.model_validate({"q": q, **kw}))
    return [h.id for h in page.hits]


def hit(index: SearchIndex, q: str, id_: str, tenant: str = "t1", **kw: object) -> SearchHit:
    page = index.search(tenant, SearchQuery.model_validate({"q": q, **kw}))
    return next(h for h in page.hits if h.id == id_)


# ---------------------------------------------------------------------------------------------
# Matching
# ---------------------------------------------------------------------------------------------
def test_term(loaded: SearchIndex) -> None:
    found = ids(loaded, "smyth ")
    assert found[0] == "c2"


def test_typo_finds_the_person_first(loaded: SearchIndex) -> None:
    assert ids(loaded, "Jonh Smtih")[0] in {"c1", "c3"}
    assert "c1" in ids(loaded, "Jonh Smtih")


def test_exact_outranks_fuzzy(loaded: SearchIndex) -> None:
    found = ids(loaded, "john smith", types=["contact"])
    assert found.index("c1") < found.index("c2")  # "Jon Smyth" is the fuzzy match


def test_name_outranks_other_fields(loaded: SearchIndex) -> None:
    found = ids(loaded, "john smith ", types=["contact"])
    assert found.index("c1") < found.index("c9")  # c9 only mentions him in notes


def test_prefix_of_last_word(loaded: SearchIndex) -> None:
    assert "c1" in ids(loaded, "smi")
    assert ids(loaded, "johnny smithe")[0] == "c4"
    assert ids(loaded, "glob", types=["account"]) == ["a2"]


def test_phrase(loaded: SearchIndex) -> None:
    found = ids(loaded, '"john smith"')
    assert "c1" in found
    assert "c3" not in found  # "Smith John": both words, wrong order
    assert "c4" not in found


def test_filters(loaded: SearchIndex) -> None:
    assert set(ids(loaded, "acme", types=["deal"])) == {"d1"}
    assert set(ids(loaded, "acme", account_id="a1")) == {"a1", "c1", "c3", "d1"}
    assert ids(loaded, "renewal", owner_id="r1") == ["d1"]
    assert ids(loaded, "renewal", owner_id="r2") == []
    assert set(ids(loaded, "pricing", types=["interaction"])) == {"i1"}


def test_unicode_folding(loaded: SearchIndex) -> None:
    assert ids(loaded, "zoe nunez")[0] == "c5"
    assert ids(loaded, "soren")[0] == "c6"
    assert ids(loaded, "odegaard")[0] == "c6"
    assert ids(loaded, "lukasz")[0] == "c7"
    assert ids(loaded, "wojcik")[0] == "c7"
    assert ids(loaded, "ZOË NÚÑEZ")[0] == "c5"
    assert ids(loaded, "Zoe\u0308 Nu\u0301n\u0303ez")[0] == "c5"  # decomposed input


def test_cjk_part_of_a_name(loaded: SearchIndex) -> None:
    assert ids(loaded, "小明") == ["c8"]
    assert ids(loaded, "王小明") == ["c8"]
    assert ids(loaded, "北京") == ["c8"]
    assert ids(loaded, "明小") == []


def test_highlights_for_fuzzy_and_prefix_hits(loaded: SearchIndex) -> None:
    fuzzy = hit(loaded, "Jonh Smtih", "c1")
    assert fuzzy.highlights["name"] == ["<em>John</em> <em>Smith</em>"]
    prefix = hit(loaded, "smi", "c1")
    assert prefix.highlights["name"] == ["John <em>Smith</em>"]
    folded = hit(loaded, "zoe", "c5")
    assert folded.highlights["name"] == ["<em>Zoë</em> Núñez"]
    body = hit(loaded, "lisbon", "c1")
    assert any("<em>Lisbon</em>" in s for s in body.highlights["notes"])
    cjk = hit(loaded, "小明", "c8")
    assert "<em>" in cjk.highlights["name"][0]


def test_highlights_escape_html(index: SearchIndex) -> None:
    index.upsert([contact("t1", "x1", "Eve <script>", notes="a & b <b>bold</b> evil")])
    index.refresh()
    found = hit(index, "evil", "x1")
    (snippet,) = found.highlights["notes"]
    assert snippet.startswith("a &amp; b &lt;b&gt;bold&lt;")  # Elasticsearch also escapes "/"
    assert snippet.endswith(" <em>evil</em>")
    assert "<b>" not in snippet
    assert found.title == "Eve <script>"  # the title is data, not markup


def test_suggest(loaded: SearchIndex) -> None:
    names = [s.text for s in loaded.suggest("t1", "jo")]
    assert "John Smith" in names and "Johnny Smithers" in names
    assert "Mary Adams" not in names
    assert {s.id for s in loaded.suggest("t1", "john smi")} == {"c1", "c3"}  # words in any order
    acme = loaded.suggest("t1", "acm")
    assert {s.id for s in acme} == {"a1", "d1"}  # interactions are not suggested by default
    assert {s.id for s in loaded.suggest("t1", "acm", types=["deal"])} == {"d1"}
    assert len(loaded.suggest("t1", "j", limit=1)) == 1
    assert loaded.suggest("t1", "   ") == []
    first = loaded.suggest("t1", "smi")[0]
    assert "<em>" in first.highlighted


# ---------------------------------------------------------------------------------------------
# Tenancy, writes
# ---------------------------------------------------------------------------------------------
def test_tenants_never_cross(loaded: SearchIndex) -> None:
    for q in ("john smith", "zoe", "acme", "Jonh Smtih", "smi", '"john smith"'):
        page = loaded.search("t2", SearchQuery(q=q))
        assert {h.id for h in page.hits} <= {"c1", "c50", "a1"}
        assert page.total <= 3
    assert {h.id for h in loaded.search("t2", SearchQuery(q="john")).hits} == {"c1"}
    assert {s.id for s in loaded.suggest("t2", "jo")} == {"c1"}
    assert loaded.search("t3", SearchQuery(q="john")).hits == []
    assert loaded.count("t2") == 3
    assert loaded.count("t1") == len([d for d in CORPUS if d.tenant == "t1"])


def test_delete(loaded: SearchIndex) -> None:
    loaded.delete("t1", [("contact", "c1"), ("contact", "missing")])
    loaded.refresh()
    assert "c1" not in ids(loaded, "john smith")
    assert "c1" in ids(loaded, "john smith", tenant="t2")  # same id, other tenant: untouched


def test_delete_tenant(loaded: SearchIndex) -> None:
    loaded.delete_tenant("t2")
    loaded.refresh()
    assert loaded.count("t2") == 0
    assert loaded.count("t1") > 0


def test_upsert_replaces(loaded: SearchIndex) -> None:
    before = loaded.count("t1")
    loaded.upsert([contact("t1", "c1", "Johanna Smith-Jones", account="Globex", account_id="a2")])
    loaded.refresh()
    assert loaded.count("t1") == before
    assert "c1" not in ids(loaded, '"john smith"')
    assert "c1" in ids(loaded, "johanna")
    assert "c1" in ids(loaded, "smith", account_id="a2")
    assert "c1" not in ids(loaded, "smith", account_id="a1")


def test_same_key_twice_in_one_batch_keeps_the_last(index: SearchIndex) -> None:
    index.upsert([contact("t1", "k", "First Version"), contact("t1", "k", "Second Version")])
    index.refresh()
    assert index.count("t1") == 1
    assert ids(index, "second") == ["k"]
    assert ids(index, "first") == []


# ---------------------------------------------------------------------------------------------
# Validation, paging, hostile input
# ---------------------------------------------------------------------------------------------
def test_query_validation() -> None:
    with pytest.raises(InvalidInput):
        SearchQuery(q="x" * 10_000)
    with pytest.raises(InvalidInput):
        SearchQuery(q="")
    with pytest.raises(InvalidInput):
        SearchQuery(q="   ")
    with pytest.raises(InvalidInput):
        SearchQuery(q="john", limit=0)
    assert SearchQuery(q="john", limit=1000).limit == 100
    assert SearchQuery(q="x" * 1000).q


def test_long_query_refused_even_unvalidated(loaded: SearchIndex) -> None:
    with pytest.raises(InvalidInput):
        loaded.search("t1", SearchQuery.model_construct(q="x" * 10_000, limit=20))
    with pytest.raises(InvalidInput):
        loaded.suggest("t1", "x" * 10_000)


def test_limit_cap_and_paging(index: SearchIndex) -> None:
    index.upsert([contact("t1", f"p{i}", f"Pat Person{i}") for i in range(130)])
    index.refresh()
    first = index.search("t1", SearchQuery(q="pat", limit=500))
    assert len(first.hits) == 100
    assert first.total == 130
    assert first.next_cursor
    second = index.search("t1", SearchQuery(q="pat", limit=500, cursor=first.next_cursor))
    assert len(second.hits) == 30
    assert second.next_cursor is None
    assert len({h.id for h in first.hits + second.hits}) == 130
    with pytest.raises(InvalidInput):
        index.search("t1", SearchQuery(q="other", cursor=first.next_cursor))
    with pytest.raises(InvalidInput):
        index.search("t1", SearchQuery(q="pat", cursor="not-a-cursor!"))


GARBAGE = [
    '"((( AND OR ~~ *:*',
    "*",
    "~",
    '"',
    '""',
    "\\",
    "name:john",
    "john AND",
    "(john",
    "+john -smith",
    "jo*",
    "jonh~1",
    "/jo.*/",
    "[a TO z]",
    "{!lucene}x",
    "\x00\x01",
    "🙂",
    "-" * 999,
    "a" * 999,
    "é" * 500,
    "王" * 999,
    "x " * 32,
]


@pytest.mark.parametrize("q", GARBAGE)
def test_garbage_gives_results_or_invalid_input(loaded: SearchIndex, q: str) -> None:
    try:
        page = loaded.search("t1", SearchQuery(q=q))
    except InvalidInput:
        return
    assert page.total >= len(page.hits)
    loaded.suggest("t1", q)


def test_too_many_words_is_invalid_input(loaded: SearchIndex) -> None:
    with pytest.raises(InvalidInput):
        loaded.search("t1", SearchQuery(q="a b c d e f g h i j k l m n o p q r s t u v w x y z aa bb cc dd ee ff gg"))


def test_punctuation_only_is_an_empty_page(loaded: SearchIndex) -> None:
    page = loaded.search("t1", SearchQuery(q="!!! ??? ..."))
    assert page.hits == [] and page.total == 0


# ---------------------------------------------------------------------------------------------
# Durability
# ---------------------------------------------------------------------------------------------
def test_reopen_after_close_keeps_documents(harness: Harness) -> None:
    first = harness.open()
    first.upsert(CORPUS)
    first.refresh()
    first.close()
    first.close()  # idempotent
    second = harness.open()
    try:
        assert second.count("t1") == len([d for d in CORPUS if d.tenant == "t1"])
        assert ids(second, "Jonh Smtih")
    finally:
        second.close()


def test_close_commits_buffered_writes(harness: Harness) -> None:
    first = harness.open()
    first.upsert([contact("t1", "late", "Late Writer")])
    first.close()
    second = harness.open()
    try:
        second.refresh()
        assert ids(second, "late writer") == ["late"]
    finally:
        second.close()


_WRITER_LOOP = textwrap.dedent(
    """
    import os
    import sys
    from search.backends.tantivy import open_tantivy_index
    from search.models import SearchDoc

    index = open_tantivy_index(sys.argv[1], writer_heap_bytes=20_000_000, writer_threads=1)
    batch = 0
    while True:
        index.upsert([
            SearchDoc(tenant="t", type="contact", id=f"{os.getpid()}-{batch}-{j}", name=f"Person {batch} {j}")
            for j in range(50)
        ])
        index.refresh()
        print(batch, flush=True)
        batch += 1
    """
)


def test_kill_9_mid_writer_loop_then_reopen_and_commit(harness: Harness) -> None:
    if harness.directory is None:
        pytest.skip("crash recovery of an embedded index only")
    directory = harness.directory
    harness.open().close()  # create the index
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    floor = 0  # documents known to be on disk
    extras = 0  # single documents written after each crash
    for round_ in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-c", _WRITER_LOOP, str(directory)], stdout=subprocess.PIPE, env=env, text=True
        )
        assert proc.stdout is not None
        acknowledged = 0
        while acknowledged < 2 + round_:  # a few acknowledged commits, then kill mid-way through the next
            line = proc.stdout.readline()
            assert line, "writer subprocess died"
            acknowledged += 1
        time.sleep(0.01 * round_)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()

        reopened = harness.open()
        try:
            count = reopened.count("t")
            assert (count - extras) % 50 == 0, "a commit is atomic: whole batches only"
            assert count >= floor + acknowledged * 50, "every acknowledged batch survived"
            reopened.upsert([contact("t", f"after-{round_}", "After Crash")])
            reopened.refresh()
            extras += 1
            assert reopened.count("t") == count + 1
            floor = count + 1
        finally:
            reopened.close()
