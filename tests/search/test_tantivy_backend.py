"""Embedded-index behaviour beyond the shared contract: locking, sharing, ranking, hostile input."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import tantivy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.errors import InvalidInput, StoreUnavailable
from search.backends.tantivy import TantivyIndex, open_tantivy_index
from search.models import SearchDoc, SearchQuery

REPO = Path(__file__).resolve().parents[2]


def contact(id_: str, name: str, tenant: str = "t1", **kw: object) -> SearchDoc:
    return SearchDoc.model_validate({"tenant": tenant, "type": "contact", "id": id_, "name": name, **kw})


def open_small(path: Path) -> TantivyIndex:
    return open_tantivy_index(path, writer_heap_bytes=20_000_000, writer_threads=1)


@pytest.fixture
def index(tmp_path: Path) -> Iterator[TantivyIndex]:
    ix = open_small(tmp_path / "ix")
    yield ix
    ix.close()


def test_exact_beats_prefix_beats_fuzzy(index: TantivyIndex) -> None:
    index.upsert([contact("fuzzy", "Ann Smyth"), contact("prefix", "Ann Smithson"), contact("exact", "Ann Smith")])
    index.refresh()
    page = index.search("t1", SearchQuery(q="smith"))
    assert [h.id for h in page.hits] == ["exact", "prefix", "fuzzy"]


def test_writer_held_by_another_process_is_store_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "ix"
    open_small(path).close()
    holder = textwrap.dedent(
        """
        import sys
        from search.backends.tantivy import open_tantivy_index
        from search.models import SearchDoc
        ix = open_tantivy_index(sys.argv[1], writer_heap_bytes=20_000_000, writer_threads=1)
        ix.upsert([SearchDoc(tenant="t", type="contact", id="x", name="Holder")])
        print("holding", flush=True)
        sys.stdin.read()
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", holder, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
        ix = open_small(path)
        try:
            assert ix.count("t") == 0  # reading is fine while another process writes
            with pytest.raises(StoreUnavailable, match="another process"):
                ix.upsert([contact("c1", "Blocked")])
        finally:
            ix.close()
    finally:
        proc.kill()
        proc.wait()


def test_other_schema_is_store_unavailable(tmp_path: Path) -> None:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("something_else", stored=True)
    tantivy.Index(builder.build(), path=str(tmp_path))
    with pytest.raises(StoreUnavailable, match="reindex"):
        open_small(tmp_path)


def test_handles_on_one_directory_share_the_writer(tmp_path: Path) -> None:
    first, second = open_small(tmp_path), open_small(tmp_path)
    try:
        first.upsert([contact("a", "Alpha Person")])
        second.upsert([contact("b", "Beta Person")])  # no LockBusy: same engine, same writer
        second.refresh()
        assert first.count("t1") == 2
        first.close()
        second.upsert([contact("c", "Gamma Person")])
        second.refresh()
        assert second.count("t1") == 3
    finally:
        first.close()
        second.close()


def test_closed_index_refuses(tmp_path: Path) -> None:
    ix = open_small(tmp_path)
    ix.close()
    with pytest.raises(StoreUnavailable, match="closed"):
        ix.search("t1", SearchQuery(q="x"))
    with pytest.raises(StoreUnavailable):
        ix.upsert([contact("a", "A")])


def test_long_text_is_cut_not_refused(index: TantivyIndex) -> None:
    index.upsert([contact("long", "Long Notes", notes="word " * 5000 + "needle")])
    index.refresh()
    assert index.search("t1", SearchQuery(q="long notes")).total == 1
    assert index.search("t1", SearchQuery(q="needle")).total == 0  # past the 10,000-character cut


def test_concurrent_reads_and_writes(index: TantivyIndex) -> None:
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(30):
                index.upsert([contact(f"w{n}-{i}", f"Writer{n} Person{i}")])
                if i % 10 == 0:
                    index.refresh()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def reader() -> None:
        try:
            for _ in range(60):
                index.search("t1", SearchQuery(q="person"))
                index.suggest("t1", "wri")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(2)] + [
        threading.Thread(target=reader) for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    index.refresh()
    assert index.count("t1") == 60


_QUERY_CHARS = st.sampled_from(list("abcjohnsmitéøł王小明 \"()*~:+-!?\\/[]{}^&|<>@.,;'\x00\t\n🙂"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(_QUERY_CHARS, min_size=1, max_size=60))
def test_any_query_gives_results_or_invalid_input(index: TantivyIndex, q: str) -> None:
    if index.count("t1") == 0:
        index.upsert([contact("c1", "John Smith", notes='(王小明) *star* ~tilde~ "quoted"')])
        index.refresh()
    try:
        page = index.search("t1", SearchQuery(q=q))
    except InvalidInput:
        return
    assert page.total >= len(page.hits)
    index.suggest("t1", q)
