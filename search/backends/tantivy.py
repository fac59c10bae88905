"""Embedded search index on tantivy: the default backend, on disk in one directory.

Open it with :func:`open_tantivy_index` (the constructor does no I/O) and close it with
``close()`` or a ``with`` block.

Writers, and why it is done this way (tantivy's rules, measured in /work/shared/ENGINES.md):

- One ``IndexWriter`` per index directory, across processes (a file lock). In this process every
  :class:`TantivyIndex` on the same directory shares one engine and one writer, opened lazily on
  the first write and serialised by a ``threading.Lock``; readers never take that lock. A writer
  held by another process surfaces as ``StoreUnavailable`` with the reason.
- ``garbage_collect_files()`` runs whenever a writer is opened: after a kill -9 mid-commit, later
  commits failed with ``FileAlreadyExists`` until it was called.
- The analyzer is registered on every open (tantivy stores only its name).
- Each commit fsyncs (~100 ms): writes are buffered until ``refresh()``; a commit is atomic, so a
  crash loses at most the writes after the last refresh, which the graph -> index sync replays.
"""

from __future__ import annotations

import html
import json
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, cast

import tantivy

from graph.errors import InvalidInput, StoreUnavailable
from search.analysis import analyze
from search.backends import tantivy_query as tq
from search.backends import tantivy_schema as ts
from search.cursor import decode_cursor, fingerprint, next_cursor, page_window
from search.highlight import Highlighter
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

DEFAULT_WRITER_HEAP = 128_000_000
MIN_HEAP_PER_THREAD = 20_000_000
"""tantivy refuses less than 15 MB per indexing thread; keep a margin."""


def _writer_threads(heap: int, asked: int) -> int:
    """Indexing threads: as asked, else one per core (at most 8) that the heap can feed."""
    if asked > 0:
        return asked
    return max(1, min(os.cpu_count() or 1, 8, heap // MIN_HEAP_PER_THREAD))


class _Engine:
    """The tantivy index of one directory, shared by every handle on it in this process."""

    def __init__(self, path: str, index: tantivy.Index, schema: tantivy.Schema, heap: int, threads: int) -> None:
        self.path = path
        self.index = index
        self.schema = schema
        self.heap = heap
        self.threads = threads
        self.write_lock = threading.Lock()
        self.writer: tantivy.IndexWriter | None = None
        self.dirty = False
        self.handles = 0

    def open_writer(self) -> tantivy.IndexWriter:
        """The shared writer (call with ``write_lock`` held)."""
        if self.writer is None:
            try:
                writer = self.index.writer(heap_size=self.heap, num_threads=self.threads)
            except ValueError as exc:
                if "LockBusy" in str(exc):
                    raise StoreUnavailable(
                        f"search index {self.path} is being written by another process "
                        "(tantivy allows one writer per index); stop it or use its API",
                        detail=str(exc),
                    ) from exc
                raise StoreUnavailable(f"cannot open a writer on {self.path}: {exc}") from exc
            writer.garbage_collect_files()
            self.writer = writer
        return self.writer

    @contextmanager
    def writing(self, action: str) -> Iterator[tantivy.IndexWriter]:
        """The writer, under the write lock; marks the engine dirty and, if tantivy fails, drops
        the writer and raises ``StoreUnavailable``."""
        with self.write_lock:
            writer = self.open_writer()
            self.dirty = True
            try:
                yield writer
            except ValueError as exc:
                self.drop_writer()
                raise StoreUnavailable(f"search index {action} failed: {exc}") from exc

    def drop_writer(self) -> None:
        """Forget the writer and its uncommitted writes (after a failure it may be unusable);
        the next write opens a fresh one, garbage-collecting what the failure left behind."""
        self.writer = None
        self.dirty = False

    def commit(self) -> None:
        """Commit buffered writes and reload the reader (call with ``write_lock`` held)."""
        if self.writer is not None and self.dirty:
            try:
                self.writer.commit()
            except ValueError as exc:
                self.drop_writer()
                raise StoreUnavailable(f"commit to search index {self.path} failed: {exc}") from exc
            self.dirty = False
        self.index.reload()


_registry: dict[str, _Engine] = {}
_registry_lock = threading.Lock()


def open_tantivy_index(
    path: str | os.PathLike[str],
    *,
    writer_heap_bytes: int = DEFAULT_WRITER_HEAP,
    writer_threads: int = 0,
) -> TantivyIndex:
    """Open (creating if needed) the index in directory ``path``.

    ``writer_heap_bytes`` is the indexing memory budget shared by ``writer_threads`` threads
    (0: one per core, at most 8 and at least 20 MB of heap each); a bigger heap means fewer,
    larger segments.
    Raises ``StoreUnavailable`` when the directory cannot be used or holds an index with another
    schema (rebuild it with ``relgraph reindex``).
    """
    real = os.path.realpath(path)
    with _registry_lock:
        engine = _registry.get(real)
        if engine is None:
            schema = ts.build_schema()
            try:
                Path(real).mkdir(parents=True, exist_ok=True)
                index = tantivy.Index(schema, path=real, reuse=True)
            except (OSError, ValueError) as exc:
                raise StoreUnavailable(
                    f"cannot open search index {real}: {exc} (rebuild it with `relgraph reindex`)"
                ) from exc
            ts.register_analyzers(index)
            threads = _writer_threads(writer_heap_bytes, writer_threads)
            engine = _Engine(real, index, schema, writer_heap_bytes, threads)
            _registry[real] = engine
        engine.handles += 1
    return TantivyIndex(engine)


class TantivyIndex:
    """:class:`search.index.SearchIndex` on an embedded tantivy index (see the module docstring)."""

    def __init__(self, engine: _Engine) -> None:
        self._engine: _Engine | None = engine

    # -- lifecycle --------------------------------------------------------------------------
    def __enter__(self) -> TantivyIndex:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        engine, self._engine = self._engine, None
        if engine is None:
            return
        with _registry_lock:
            engine.handles -= 1
            last = engine.handles == 0
            if last:
                _registry.pop(engine.path, None)
        if last:
            with engine.write_lock:
                try:
                    engine.commit()
                finally:
                    engine.writer = None  # dropping the writer releases the directory lock

    def _live(self) -> _Engine:
        if self._engine is None:
            raise StoreUnavailable("search index is closed")
        return self._engine

    @property
    def path(self) -> str:
        return self._live().path

    # -- writes -----------------------------------------------------------------------------
    def upsert(self, docs: Sequence[SearchDoc]) -> None:
        engine = self._live()
        # Documents are built before taking the lock: that is the CPU-heavy part.
        prepared = [(ts.doc_key(d.tenant, d.type, d.id), ts.to_document(d)) for d in docs]
        if not prepared:
            return
        with engine.writing("indexing") as writer:
            for key, document in prepared:
                writer.delete_documents_by_term(ts.KEY, key)
                writer.add_document(document)

    def delete(self, tenant: str, ids: Sequence[tuple[str, str]]) -> None:
        engine = self._live()
        if not ids:
            return
        with engine.writing("delete") as writer:
            for type_, id_ in ids:
                writer.delete_documents_by_term(ts.KEY, ts.doc_key(tenant, type_, id_))

    def delete_tenant(self, tenant: str) -> None:
        with self._live().writing("tenant delete") as writer:
            writer.delete_documents_by_term(ts.TENANT, tenant)

    def refresh(self) -> None:
        engine = self._live()
        with engine.write_lock:
            engine.commit()

    # -- reads ------------------------------------------------------------------------------
    def segment_count(self) -> int:
        """Diagnostics: segments in the visible index (each adds a little to every query)."""
        return int(self._live().index.searcher().num_segments)

    def count(self, tenant: str) -> int:
        engine = self._live()
        query = tantivy.Query.term_query(engine.schema, ts.TENANT, tenant)
        result = engine.index.searcher().search(query, 1, count=True)
        return _count(result)

    def search(self, tenant: str, q: SearchQuery) -> SearchPage:
        engine = self._live()
        q = revalidated(q)
        print_ = fingerprint(tenant, q)
        offset = decode_cursor(q.cursor, print_)
        size = page_window(offset, q.limit)
        plan = parse_query(q.q, analyze, fuzzy=q.fuzzy)
        required = tq.filters(engine.schema, tenant, q.types, q.account_id, q.owner_id)
        query = _built(lambda: tq.build_query(engine.schema, plan, required))
        searcher = engine.index.searcher()
        result = _run(lambda: searcher.search(query, size, count=True, offset=offset))
        highlighter = Highlighter(plan, analyze)
        hits: list[SearchHit] = []
        for score, address in result.hits:
            source = _source(searcher, address)
            hits.append(
                SearchHit(
                    type=source["t"],
                    id=source["i"],
                    score=float(score),
                    title=source["n"],
                    highlights=_highlights(highlighter, source),
                )
            )
        total = _count(result)
        return SearchPage(hits=hits, total=total, next_cursor=next_cursor(offset, len(hits), total, print_))

    def suggest(
        self,
        tenant: str,
        prefix: str,
        types: Sequence[DocType] | None = None,
        limit: int = 10,
    ) -> list[Suggestion]:
        engine = self._live()
        limit = check_suggest_args(prefix, limit)
        if not prefix.strip():
            return []
        plan = parse_query(prefix, analyze, fuzzy=False)
        required = tq.filters(engine.schema, tenant, list(types or NAMED_TYPES))
        query = _built(lambda: tq.build_query(engine.schema, plan, required, name_only=True))
        searcher = engine.index.searcher()
        result = _run(lambda: searcher.search(query, limit, count=False))
        highlighter = Highlighter(plan, analyze)
        out: list[Suggestion] = []
        for score, address in result.hits:
            source = _source(searcher, address)
            name = source["n"]
            marked = highlighter.highlight(name)
            out.append(
                Suggestion(
                    type=source["t"],
                    id=source["i"],
                    text=name,
                    highlighted=marked[0] if marked else html.escape(name),
                    score=float(score),
                )
            )
        return out


def _built(make: Callable[[], tantivy.Query]) -> tantivy.Query:
    """Build a query; tantivy refusing a value built from user text is the user's input error."""
    try:
        return make()
    except ValueError as exc:
        raise InvalidInput(f"search query cannot be run: {exc}") from exc


def _run(search: Callable[[], tantivy.SearchResult]) -> tantivy.SearchResult:
    try:
        return search()
    except ValueError as exc:
        raise StoreUnavailable(f"search failed: {exc}") from exc


def _count(result: tantivy.SearchResult) -> int:
    """The match count (the stub file omits ``SearchResult.count``; it is there at run time)."""
    count = getattr(result, "count", None)
    return int(count) if count is not None else 0


def _source(searcher: tantivy.Searcher, address: tantivy.DocAddress) -> dict[str, Any]:
    raw = cast(bytes, searcher.doc(address).get_first(ts.SRC))
    source: dict[str, Any] = json.loads(raw)
    return source


def _highlights(highlighter: Highlighter, source: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    name = highlighter.highlight(source["n"])
    if name:
        out["name"] = name
    for field, value in source["f"].items():
        snippets = highlighter.highlight_values(value) if isinstance(value, list) else highlighter.highlight(value)
        if snippets:
            out[field] = snippets
    return out
