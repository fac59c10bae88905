"""Value types of the search port: what is indexed, asked and answered.

They are backend-neutral: the tantivy and Elasticsearch adapters take and return exactly these.
Validation that the API owes its callers (a query that is empty or longer than 1,000 characters, a
limit below 1) raises :class:`graph.errors.InvalidInput` (HTTP 400) from the model itself, so every
entry point (router, service, CLI, bench) gets the same answer without repeating the checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from graph.errors import InvalidInput

DocType = Literal["contact", "rep", "account", "deal", "interaction"]
DOC_TYPES: tuple[DocType, ...] = ("contact", "rep", "account", "deal", "interaction")
NAMED_TYPES: tuple[DocType, ...] = ("contact", "rep", "account", "deal")
"""Types whose ``name`` is a proper name: the default scope of ``suggest``."""

MAX_QUERY_CHARS = 1_000
MAX_LIMIT = 100
DEFAULT_LIMIT = 20
MAX_RESULT_WINDOW = 10_000
"""Offset + limit may not go past this (Elasticsearch's ``index.max_result_window``): deep paging
is a scan, not a search."""

Key = Annotated[str, Field(min_length=1, max_length=512)]
OptText = str | None


class SearchDoc(BaseModel):
    """One searchable record, denormalised from the graph by the sync layer.

    ``(tenant, type, id)`` is the unique key: upserting the same key replaces the document.
    ``name`` is the display text of the record: a person's full name, an account's name, a deal's
    name, an interaction's subject. The other text fields are all optional and filled by type:

    - contact: ``emails``, ``title`` (job title), ``account`` (current account's name) and
      ``account_id``, ``city``, ``notes``
    - account: ``domain``, ``industry``, ``parent`` (parent account's name), ``owner``/``owner_id``;
      ``account_id`` defaults to the account's own id so an account filter returns the account too
    - deal: ``account``/``account_id``, ``stage``, ``owner``/``owner_id``
    - interaction: ``text`` (an excerpt), ``participants`` (names), ``account_id`` of the account
      it is about

    Long text is truncated by the backends (see each adapter), never refused: the graph keeps the
    full copy and the index is derived.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    tenant: Key
    type: DocType
    id: Key
    name: str = Field(max_length=1_000)
    updated_at: datetime | None = None
    emails: Sequence[str] = ()
    title: OptText = None
    account: OptText = None
    account_id: str | None = None
    city: OptText = None
    notes: OptText = None
    domain: OptText = None
    industry: OptText = None
    parent: OptText = None
    stage: OptText = None
    owner: OptText = None
    owner_id: str | None = None
    text: OptText = None
    participants: Sequence[str] = ()

    @field_validator("emails", "participants")
    @classmethod
    def _frozen_list(cls, value: Sequence[str]) -> tuple[str, ...]:
        return tuple(value)  # immutable, like the rest of the model (pydantic refuses a bare str)

    @property
    def filter_account_id(self) -> str | None:
        """The account id the ``account_id`` filter sees (an account is its own account)."""
        if self.account_id is None and self.type == "account":
            return self.id
        return self.account_id


TEXT_FIELDS: tuple[str, ...] = (
    "name",
    "emails",
    "title",
    "account",
    "city",
    "notes",
    "domain",
    "industry",
    "parent",
    "stage",
    "owner",
    "text",
    "participants",
)
"""Every searchable text field of :class:`SearchDoc`, in the order highlights are reported."""


class SearchQuery(BaseModel):
    """A search request. Invalid values raise ``InvalidInput``; ``limit`` above 100 is capped.

    ``q`` is free text as a user types it: words match with typo tolerance (Elasticsearch's AUTO
    edit distance), the last word also as a prefix unless ``q`` ends in whitespace, and text in
    double quotes is a phrase. Operators (``AND``, ``*``, ``~``, ``field:``) have no meaning and
    are treated as text, so no input is a syntax error.
    ``fuzzy=False`` turns typo tolerance off (exact words, and the prefix of the last one).
    ``cursor`` is the opaque ``next_cursor`` of the previous page of the same query.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    q: str
    types: Sequence[DocType] | None = None
    account_id: str | None = None
    owner_id: str | None = None
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None
    fuzzy: bool = True

    @field_validator("q")
    @classmethod
    def _check_q(cls, value: str) -> str:
        if len(value) > MAX_QUERY_CHARS:
            raise InvalidInput(f"search query is {len(value)} characters long; the limit is {MAX_QUERY_CHARS}")
        if not value.strip():
            raise InvalidInput("search query is empty")
        return value

    @field_validator("limit")
    @classmethod
    def _cap_limit(cls, value: int) -> int:
        if value < 1:
            raise InvalidInput(f"limit must be at least 1, got {value}")
        return min(value, MAX_LIMIT)

    @field_validator("types")
    @classmethod
    def _empty_types_mean_all(cls, value: Sequence[DocType] | None) -> tuple[DocType, ...] | None:
        return tuple(dict.fromkeys(value)) if value else None


class SearchHit(BaseModel):
    """One result. ``highlights`` maps a field of :data:`TEXT_FIELDS` to snippets of its stored
    text with matches wrapped in ``<em>``/``</em>``; the rest of the snippet is HTML-escaped so the
    string is safe to render as HTML."""

    type: DocType
    id: str
    score: float
    title: str
    highlights: dict[str, list[str]] = Field(default_factory=dict)


class SearchPage(BaseModel):
    """A page of hits, best first. ``total`` counts every match of the query for the tenant;
    ``next_cursor`` is ``None`` on the last page."""

    hits: list[SearchHit]
    total: int
    next_cursor: str | None = None


class Suggestion(BaseModel):
    """A prefix completion for a search box: ``text`` is the record's name, ``highlighted`` the
    same with the completed words wrapped in ``<em>`` (HTML-escaped otherwise)."""

    type: DocType
    id: str
    text: str
    highlighted: str
    score: float


def check_suggest_args(prefix: str, limit: int) -> int:
    """Validate ``suggest`` arguments the way :class:`SearchQuery` validates a search; returns the
    capped limit. Raises ``InvalidInput`` for a prefix over 1,000 characters or a limit below 1."""
    if len(prefix) > MAX_QUERY_CHARS:
        raise InvalidInput(f"suggest prefix is {len(prefix)} characters long; the limit is {MAX_QUERY_CHARS}")
    if limit < 1:
        raise InvalidInput(f"limit must be at least 1, got {limit}")
    return min(limit, MAX_LIMIT)


def revalidated(q: SearchQuery) -> SearchQuery:
    """``q`` validated again: a query built with ``model_construct`` skipped the checks, and a
    backend must not trust that it did not (a 10,000-character query is refused either way)."""
    return SearchQuery.model_validate(q.model_dump())
