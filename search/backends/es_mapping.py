"""Index settings, mapping and request bodies of the Elasticsearch backend (pure data, no I/O).

Why this shape:

- ``tenant``, ``type``, ``doc_id``, ``account_id``, ``owner_id`` are ``keyword`` fields: filters
  are exact and cached, and never scored.
- Every text field uses ``rg_text`` (letters-and-digits words, ``lowercase``, ``asciifolding``): the
  same chain as the embedded index, so "zoe nunez" finds "Zoë Núñez" and "soren" "Søren".
- Each text field has a ``.prefix`` subfield (edge n-grams at index time, plain words at search
  time) for the typed-so-far last word, and a ``.cjk`` subfield (``cjk_bigram`` with unigrams) so
  part of a CJK name matches.
- Queries mirror :mod:`search.querytext`: every clause is required; a word matches with
  ``fuzziness: AUTO`` in any field, the last one also through ``.prefix``; quoted text is a phrase.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from search.analysis import STOPWORDS
from search.models import TEXT_FIELDS, SearchDoc
from search.querytext import CjkClause, ParsedQuery, PhraseClause, TermClause
from search.text import normalize

MAX_TEXT_CHARS = 10_000
NAME_BOOST = 4
EDGE_MAX_GRAM = 20
FRAGMENT_CHARS = 160

SETTINGS: dict[str, Any] = {
    "analysis": {
        "tokenizer": {"rg_words": {"type": "pattern", "pattern": "[^\\p{L}\\p{N}]+"}},
        "filter": {
            "rg_edge": {"type": "edge_ngram", "min_gram": 1, "max_gram": EDGE_MAX_GRAM},
            "rg_long": {"type": "length", "max": 64},
            "rg_stop": {"type": "stop", "stopwords": list(STOPWORDS)},
            "rg_bigram": {"type": "cjk_bigram", "output_unigrams": True},
        },
        "analyzer": {
            "rg_text": {
                "type": "custom",
                "tokenizer": "rg_words",
                "filter": ["rg_long", "lowercase", "asciifolding", "rg_stop"],
            },
            "rg_prefix": {
                "type": "custom",
                "tokenizer": "rg_words",
                "filter": ["rg_long", "lowercase", "asciifolding", "rg_stop", "rg_edge"],
            },
            "rg_cjk": {"type": "custom", "tokenizer": "standard", "filter": ["cjk_width", "lowercase", "rg_bigram"]},
        },
    }
}

_TEXT: dict[str, Any] = {
    "type": "text",
    "analyzer": "rg_text",
    "fields": {
        "prefix": {"type": "text", "analyzer": "rg_prefix", "search_analyzer": "rg_text"},
        "cjk": {"type": "text", "analyzer": "rg_cjk"},
    },
}

MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "tenant": {"type": "keyword"},
        "type": {"type": "keyword"},
        "doc_id": {"type": "keyword"},
        "account_id": {"type": "keyword"},
        "owner_id": {"type": "keyword"},
        "updated_at": {"type": "date"},
        **{field: _TEXT for field in TEXT_FIELDS},
    },
}

_BODY_FIELDS = tuple(f for f in TEXT_FIELDS if f != "name")


def _boosted(suffix: str = "") -> list[str]:
    return [f"name{suffix}^{NAME_BOOST}"] + [f"{f}{suffix}" for f in _BODY_FIELDS]


def es_id(tenant: str, type_: str, id_: str) -> str:
    """The ``_id`` of a record: a digest, so any tenant or id (length, characters) is a valid id."""
    return hashlib.sha256(f"{tenant}\x1f{type_}\x1f{id_}".encode()).hexdigest()


def _text(value: str) -> str:
    return normalize(value[:MAX_TEXT_CHARS])


def source(doc: SearchDoc) -> dict[str, Any]:
    """The ``_source`` of a record (text NFC-normalised and cut, as in the embedded index)."""
    out: dict[str, Any] = {
        "tenant": doc.tenant,
        "type": doc.type,
        "doc_id": doc.id,
        "account_id": doc.filter_account_id,
        "owner_id": doc.owner_id,
        "updated_at": doc.updated_at.isoformat() if doc.updated_at else None,
        "name": _text(doc.name),
    }
    for field in _BODY_FIELDS:
        value = getattr(doc, field)
        if isinstance(value, (list, tuple)):
            out[field] = [_text(v) for v in value if v]
        elif value:
            out[field] = _text(value)
    return {k: v for k, v in out.items() if v not in (None, [])}


def filters(
    tenant: str,
    types: Sequence[str] | None = None,
    account_id: str | None = None,
    owner_id: str | None = None,
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"term": {"tenant": tenant}}]
    if types:
        out.append({"terms": {"type": list(types)}})
    if account_id is not None:
        out.append({"term": {"account_id": account_id}})
    if owner_id is not None:
        out.append({"term": {"owner_id": owner_id}})
    return out


def _term(clause: TermClause, fields: list[str], prefix_fields: list[str]) -> dict[str, Any]:
    exact: dict[str, Any] = {
        "multi_match": {
            "query": clause.term,
            "fields": fields,
            "type": "best_fields",
            "tie_breaker": 0.1,
            "fuzziness": "AUTO" if clause.fuzziness else 0,
        }
    }
    if not clause.prefix:
        return exact
    prefix = {"multi_match": {"query": clause.term, "fields": prefix_fields, "type": "best_fields", "boost": 0.5}}
    return {"bool": {"should": [exact, prefix], "minimum_should_match": 1}}


def clause_queries(plan: ParsedQuery, *, name_only: bool = False) -> list[dict[str, Any]]:
    """One required query per clause of the plan."""
    fields = [f"name^{NAME_BOOST}"] if name_only else _boosted()
    prefix_fields = ["name.prefix"] if name_only else _boosted(".prefix")
    cjk_fields = ["name.cjk"] if name_only else _boosted(".cjk")
    out: list[dict[str, Any]] = []
    for clause in plan.clauses:
        if isinstance(clause, TermClause):
            out.append(_term(clause, fields, prefix_fields))
        elif isinstance(clause, PhraseClause):
            out.append({"multi_match": {"query": " ".join(clause.words), "type": "phrase", "fields": fields}})
        elif isinstance(clause, CjkClause):
            out.append({"multi_match": {"query": clause.run, "fields": cjk_fields, "operator": "and"}})
    return out


def search_body(
    plan: ParsedQuery, required_filters: list[dict[str, Any]], *, name_only: bool = False
) -> dict[str, Any]:
    """The ``query`` of a search: clauses in ``must``, filters in ``filter`` (unscored)."""
    if plan.is_empty:
        return {"bool": {"must_not": [{"match_all": {}}]}}
    return {"bool": {"must": clause_queries(plan, name_only=name_only), "filter": required_filters}}


def highlight_body(fields: Sequence[str] = TEXT_FIELDS) -> dict[str, Any]:
    """Highlight every text field and its subfields, HTML-escaped, ``<em>`` tags."""
    spec: dict[str, Any] = {}
    for field in fields:
        whole = {"number_of_fragments": 0} if field == "name" else {"fragment_size": FRAGMENT_CHARS}
        for suffix in ("", ".prefix", ".cjk"):
            spec[field + suffix] = whole
    return {
        "pre_tags": ["<em>"],
        "post_tags": ["</em>"],
        "encoder": "html",
        "require_field_match": False,
        "number_of_fragments": 3,
        "fields": spec,
    }


def merge_highlights(raw: dict[str, list[str]]) -> dict[str, list[str]]:
    """``name``, ``name.prefix``, ``name.cjk`` -> ``name`` (first non-empty wins, in that order)."""
    out: dict[str, list[str]] = {}
    for key in sorted(raw, key=lambda k: (k.split(".")[0], k.count("."))):
        field = key.split(".")[0]
        if field not in out and raw[key]:
            out[field] = list(raw[key])
    return {f: out[f] for f in TEXT_FIELDS if f in out}
