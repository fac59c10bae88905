"""The canonical intermediate records every parser yields, and the id helpers they share.

A parser turns one source (a file or a folder) into a stream of:

- ``NodeRow``: one node to upsert, keyed by a deterministic id (``RecordId`` pattern);
- ``RelRow``: one relationship between two node ids;
- ``Note``: something the parser fixed or decided on the user's behalf (a warning, counted in the
  report: a misspelt sector corrected, a duplicate email merged, a deal with no account kept);
- ``Reject``: a record that could not be imported, with where it was and why.

Ordering contract: a parser yields every ``NodeRow`` of *this parse* before any ``RelRow`` that
references it. A ``RelRow`` may still reference a node that this parse never yields (an account
imported last week, an owner missing from the export): the writer must treat a missing endpoint as
a reject of that relationship, not as an error of the batch.

Ids are namespaced per source (``maven:acct:acme-corporation``, ``sf:0015g00000AbCdEAAV``,
``hubspot:contact:501``) so that re-importing a file reproduces the same ids (idempotent upserts)
and two sources never collide. People seen only through an address (email, calendar) are keyed by
the normalised address (``email:jeff.skilling@enron.com``) so mail and meetings meet on one node.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from graph.schema import NODES, RELS

RECORD_ID_PATTERN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@\-]*$")
MAX_ID_LENGTH: Final = 200
MAX_RAW: Final = 2_000

_KEEP = re.compile(r"[A-Za-z0-9_.@\-]")
_ALL_KEPT = re.compile(r"[A-Za-z0-9_.@\-]*")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_NOT_ALNUM = re.compile(r"[^a-z0-9]")


@dataclass(frozen=True, slots=True)
class NodeRow:
    """One node: ``label`` is a schema label, ``props`` uses schema property names.

    Values are Python values: ``datetime.date`` for DATE, tz-aware UTC ``datetime`` for TIMESTAMP,
    ``list[str]`` for STRING[]; custom fields sit in ``props["custom"]`` as a JSON-able dict.
    """

    label: str
    id: str
    props: dict[str, Any] = field(default_factory=dict)

    def __reduce__(self) -> tuple[Any, ...]:
        # Rows cross a pipe in pickled chunks (``importers.prefetch``); the dataclass default
        # (``__getstate__``/``__setstate__`` over ``fields()``) cost ~2 us a row each way.
        return (NodeRow, (self.label, self.id, self.props))


@dataclass(frozen=True, slots=True)
class RelRow:
    """One relationship ``(src_label {id: src_id})-[type]->(dst_label {id: dst_id})``."""

    type: str
    src_label: str
    src_id: str
    dst_label: str
    dst_id: str
    props: dict[str, Any] = field(default_factory=dict)

    def __reduce__(self) -> tuple[Any, ...]:
        return (RelRow, (self.type, self.src_label, self.src_id, self.dst_label, self.dst_id, self.props))


@dataclass(frozen=True, slots=True)
class Reject:
    """A record that was not imported: ``location`` is ``"line 17"``, ``"message 342"``, ...

    ``label`` says what kind of record it would have been, when the parser knows, so the report
    can count rejects per label.
    """

    source: str
    location: str
    reason: str
    raw: str = ""
    label: str | None = None

    def __post_init__(self) -> None:
        if len(self.raw) > MAX_RAW:
            object.__setattr__(self, "raw", self.raw[:MAX_RAW])

    def __reduce__(self) -> tuple[Any, ...]:
        return (Reject, (self.source, self.location, self.reason, self.raw, self.label))


@dataclass(frozen=True, slots=True)
class Note:
    """A warning: the record was imported, but the parser changed or decided something.

    ``code`` is a short stable key the report counts by (``"sector_corrected"``, ``"merged"``,
    ``"deal_without_account"``); ``label`` is the label concerned (merged counts are per label).
    """

    source: str
    location: str
    message: str
    code: str = "note"
    label: str | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        return (Note, (self.source, self.location, self.message, self.code, self.label))


Row = NodeRow | RelRow | Reject | Note


# --- ids -----------------------------------------------------------------------------------------
def escape_key(value: str) -> str:
    """Encode any string into the id alphabet, injectively.

    Characters outside ``[A-Za-z0-9_.@-]`` become ``:xx`` (hex of each UTF-8 byte); ``:`` itself is
    escaped too, so two different inputs never give the same key. Used for external ids and
    addresses, where a collision would merge two different records.
    """
    if _ALL_KEPT.fullmatch(value):
        return value
    out: list[str] = []
    for ch in value:
        if _KEEP.fullmatch(ch):
            out.append(ch)
        else:
            out.extend(f":{b:02x}" for b in ch.encode("utf-8"))
    return "".join(out)


def slug(value: str) -> str:
    """A readable, case- and punctuation-insensitive key for name-keyed records.

    ``"Acme Corporation"`` -> ``"acme-corporation"``; accents are folded (``"Société"`` ->
    ``"societe"``). Not injective on purpose: in sources where the *name* is the key (Maven's
    pipeline refers to accounts by name), spelling variants are the same record. Parsers note a
    collision between two distinct raw names.
    """
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    return _NOT_SLUG.sub("-", folded.lower()).strip("-")


def compact(value: str) -> str:
    """Lower-case alphanumerics only: ``"GTX Pro"`` and ``"GTXPro"`` both give ``"gtxpro"``."""
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    return _NOT_ALNUM.sub("", folded.lower())


def make_id(namespace: str, key: str) -> str:
    """``namespace:key`` as a valid ``RecordId``; over-long keys keep a prefix plus a hash.

    ``key`` must already be in the id alphabet (``escape_key``/``slug``). An empty key (a name
    made only of punctuation) falls back to a hash of the raw key so the id is still valid and
    deterministic.
    """
    if not key:
        key = "h" + hashlib.sha256(b"").hexdigest()[:16]
    rid = f"{namespace}:{key}"
    if len(rid) > MAX_ID_LENGTH:
        digest = hashlib.sha256(rid.encode("utf-8")).hexdigest()[:24]
        rid = f"{rid[: MAX_ID_LENGTH - 26]}--{digest}"
    return rid


def ext_id(namespace: str, external: str) -> str:
    """An id for a record keyed by an external id (Salesforce Id, HubSpot Record ID, UID)."""
    return make_id(namespace, escape_key(external.strip()))


def name_id(namespace: str, name: str) -> str:
    """An id for a record keyed by its name (see ``slug``), hashed when the slug is empty."""
    key = slug(name)
    if not key:
        key = "h" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]
    return make_id(namespace, key)


def is_record_id(value: str) -> bool:
    """True when ``value`` fits the ``RecordId`` constraint of ``graph.model``."""
    return 0 < len(value) <= MAX_ID_LENGTH and RECORD_ID_PATTERN.match(value) is not None


# --- schema checks -------------------------------------------------------------------------------
def schema_problems(row: NodeRow | RelRow) -> list[str]:
    """What is wrong with a row against ``graph.schema`` (empty when it conforms).

    Cheap structural checks only (labels, pairs, property names, id pattern); value validation is
    ``importers.validate``'s job. Tests run every row of every parser through this.
    """
    problems: list[str] = []
    if isinstance(row, NodeRow):
        spec = NODES.get(row.label)
        if spec is None:
            return [f"unknown label {row.label!r}"]
        if not is_record_id(row.id):
            problems.append(f"invalid id {row.id!r}")
        unknown = set(row.props) - set(spec.props) - {"custom"}
        if unknown:
            problems.append(f"unknown properties {sorted(unknown)} for {row.label}")
        custom = row.props.get("custom")
        if custom is not None and not isinstance(custom, Mapping):
            problems.append("custom is not a mapping")
        return problems
    rel = RELS.get(row.type)
    if rel is None:
        return [f"unknown relationship type {row.type!r}"]
    if (row.src_label, row.dst_label) not in rel.pairs:
        problems.append(f"{row.type} does not join {row.src_label} -> {row.dst_label}")
    for rid in (row.src_id, row.dst_id):
        if not is_record_id(rid):
            problems.append(f"invalid id {rid!r}")
    unknown = set(row.props) - set(rel.props)
    if unknown:
        problems.append(f"unknown properties {sorted(unknown)} for {row.type}")
    return problems
