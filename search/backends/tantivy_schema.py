"""The tantivy schema, analyzer and document mapping of the embedded search index.

Layout, and why:

- ``key`` (tenant/type/id), ``tenant``, ``type``, ``account_id``, ``owner_id``: raw keyword fields
  without frequencies or positions; ``key`` is the delete-by-term handle for upserts, the others
  are filters.
- ``name``: the record's name, analysed (words, lowercase, ASCII folding); boosted at query time.
- ``body``: every other text field as a multi-valued field; one field instead of twelve keeps a
  fuzzy query to two automata per word.
- ``cjk_name`` / ``cjk_body``: unigrams + bigrams of CJK runs, pre-tokenised in Python, because
  the word tokenizer keeps a run of CJK characters as one token. The runs are left out of
  ``name``/``body`` (see :func:`search.text.strip_cjk` for the measured reason).
- ``src``: the stored record (JSON bytes): type, id and the text fields, for titles and for the
  highlights we compute ourselves.

The analyzer is registered under :data:`ANALYZER_NAME` on every open: tantivy stores only its
name in the index, not its definition.
"""

from __future__ import annotations

import json

import tantivy

from search.analysis import ANALYZER_NAME, build_analyzer
from search.models import TEXT_FIELDS, SearchDoc
from search.text import cjk_grams, cjk_runs, has_cjk, normalize, strip_cjk

MAX_TEXT_CHARS = 10_000
"""A text field is cut to this length in the index; the graph keeps the full copy."""

KEY = "key"
TENANT = "tenant"
TYPE = "type"
ACCOUNT_ID = "account_id"
OWNER_ID = "owner_id"
NAME = "name"
BODY = "body"
CJK_NAME = "cjk_name"
CJK_BODY = "cjk_body"
SRC = "src"

BODY_FIELDS: tuple[str, ...] = tuple(f for f in TEXT_FIELDS if f != "name")
_LIST_FIELDS = frozenset({"emails", "participants"})


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    for name in (KEY, TENANT, TYPE, ACCOUNT_ID, OWNER_ID):
        builder.add_text_field(name, tokenizer_name="raw", index_option="basic")
    builder.add_text_field(NAME, tokenizer_name=ANALYZER_NAME, index_option="position")
    builder.add_text_field(BODY, tokenizer_name=ANALYZER_NAME, index_option="position")
    builder.add_text_field(CJK_NAME, tokenizer_name="raw", index_option="position")
    builder.add_text_field(CJK_BODY, tokenizer_name="raw", index_option="position")
    builder.add_bytes_field(SRC, stored=True)
    return builder.build()


def register_analyzers(index: tantivy.Index) -> None:
    index.register_tokenizer(ANALYZER_NAME, build_analyzer())


def doc_key(tenant: str, type_: str, id_: str) -> str:
    """The unique key of a record: fields joined by the ASCII unit separator."""
    return f"{tenant}\x1f{type_}\x1f{id_}"


def _clean(value: str) -> str:
    return normalize(value[:MAX_TEXT_CHARS])


def _pre_tokenized(texts: list[str]) -> tantivy.PreTokenizedString:
    """CJK grams of several values; runs are a position apart so no phrase spans two runs."""
    tokens: list[tantivy.Token] = []
    runs = [run for text in texts for run in cjk_runs(text)]
    joined = " ".join(runs)
    position = 0
    offset = 0
    for run in runs:
        for i, gram in cjk_grams(run):
            tokens.append(tantivy.Token(gram, position + i, offset + i, offset + i + len(gram)))
        position += len(run) + 1
        offset += len(run) + 1
    return tantivy.PreTokenizedString(joined, tokens)


def to_document(doc: SearchDoc) -> tantivy.Document:
    """The tantivy document of a record (pure: no I/O)."""
    out = tantivy.Document()
    out.add_text(KEY, doc_key(doc.tenant, doc.type, doc.id))
    out.add_text(TENANT, doc.tenant)
    out.add_text(TYPE, doc.type)
    account_id = doc.filter_account_id
    if account_id:
        out.add_text(ACCOUNT_ID, account_id)
    if doc.owner_id:
        out.add_text(OWNER_ID, doc.owner_id)
    name = _clean(doc.name)
    out.add_text(NAME, strip_cjk(name))
    fields: dict[str, str | list[str]] = {}
    body_texts: list[str] = []
    for field in BODY_FIELDS:
        raw = getattr(doc, field)
        if not raw:
            continue
        if field in _LIST_FIELDS:
            values = [_clean(v) for v in raw if v]
            fields[field] = values
            body_texts.extend(values)
        else:
            value = _clean(raw)
            fields[field] = value
            body_texts.append(value)
    for text in body_texts:
        out.add_text(BODY, strip_cjk(text))
    if has_cjk(name):
        out.add_pre_tokenized_text(CJK_NAME, _pre_tokenized([name]))
    cjk_body = [text for text in body_texts if has_cjk(text)]
    if cjk_body:
        out.add_pre_tokenized_text(CJK_BODY, _pre_tokenized(cjk_body))
    source = {"t": doc.type, "i": doc.id, "n": name, "f": fields}
    out.add_bytes(SRC, json.dumps(source, ensure_ascii=False, separators=(",", ":")).encode())
    return out
