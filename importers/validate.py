"""Check parsed nodes against the domain models before they reach the writer.

Parsers build props from messy sources; the repositories accept ``XCreate`` models. Validating here
means a bad value is reported at its line, with its raw text, instead of failing a whole write batch
later. Policy: a bad *optional* field (an address that is not an email, a negative amount) is moved
to ``custom["invalid"]`` and noted, and the record is kept; a bad *required* field (no name, no
date on an interaction) rejects the record.

Fast path: building the pydantic model costs ~20 us a row, most of it ``email-validator`` (a
pure-Python IDNA/Unicode check of every address). ``FAST_CHECKS`` holds, per label and property,
a plain check that accepts only values the model is sure to accept (ASCII addresses by a strict
pattern, strings within their length limits, numbers within range, ...). A row whose every value
passes is accepted as it is; anything else (a non-ASCII address, an unknown field, a value out of
range) goes through the model, which decides and explains. The fast checks may say "not sure" but
never "fine" where the model would refuse (``tests/importers/test_validate.py`` holds them to it).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any, Final

import email_validator
from pydantic import BaseModel, ValidationError

from graph.model import (
    AccountCreate,
    ContactCreate,
    DealCreate,
    InteractionCreate,
    ProductCreate,
    RepCreate,
)
from importers.rows import NodeRow, Note, Reject

MODELS: Final[dict[str, type[BaseModel]]] = {
    "Account": AccountCreate,
    "Contact": ContactCreate,
    "Rep": RepCreate,
    "Deal": DealCreate,
    "Interaction": InteractionCreate,
    "Product": ProductCreate,
}


Check = Callable[[Any], bool]

# An ASCII address email-validator accepts as it is: a dot-atom local part (RFC 5322 atext), a host
# name of at least two labels (letters, digits, inner hyphens, at most 63 each) whose last label ends
# with a letter. Labels with "--" in third and fourth place (Punycode and reserved forms) and the
# special-use names are left to the validator, as are the lengths it limits (254 in all, 253 after @).
_ATEXT: Final = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL: Final = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOT_ATOM: Final = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*")
_HOST: Final = re.compile(rf"(?:{_LABEL}\.)+(?:[A-Za-z0-9][A-Za-z0-9-]*)?[A-Za-z]")
_RESERVED_LABEL: Final = re.compile(r"(?:^|\.)..--")
_TLD_MAX: Final = 63
_RECORD_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:@\-]*")
_CURRENCY: Final = re.compile(r"[A-Z]{3}")


def plain_email(value: str) -> bool:
    """True when ``value`` is an ASCII address the model's ``EmailStr`` is sure to accept."""
    if len(value) > 254:
        return False
    local, at, domain = value.rpartition("@")  # neither part may hold an "@": the split is the one
    return bool(at) and _DOT_ATOM.fullmatch(local) is not None and _plain_host(domain)


@functools.lru_cache(maxsize=1 << 16)
def _plain_host(domain: str) -> bool:
    """The part of ``plain_email`` after the "@" (addresses of a file share a few domains: cached)."""
    if len(domain) > 253 or _HOST.fullmatch(domain) is None or _RESERVED_LABEL.search(domain):
        return False
    tld = domain[domain.rfind(".") + 1 :]
    return len(tld) <= _TLD_MAX and tld.lower() not in email_validator.SPECIAL_USE_DOMAIN_NAMES


_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def _encodable(v: str) -> bool:
    """No lone surrogates (JSON can carry them; the model refuses them)."""
    return v.isascii() or _SURROGATE.search(v) is None


def _text(limit: int) -> Check:
    return lambda v: v is None or (type(v) is str and len(v) <= limit and _encodable(v))


def _name(v: Any) -> bool:
    # Name: stripped, 1-300 characters; the unstripped length bounds the stripped one.
    return type(v) is str and len(v) <= 300 and v != "" and not v.isspace() and _encodable(v)


def _custom(v: Any) -> bool:
    return type(v) is dict and all(type(k) is str and _encodable(k) for k in v)


def _email(v: Any) -> bool:
    return v is None or (type(v) is str and plain_email(v))


def _emails(v: Any) -> bool:
    return type(v) is list and len(v) <= 50 and all(type(e) is str and plain_email(e) for e in v)


def _number(low: float, high: float) -> Check:
    return lambda v: v is None or (type(v) in (int, float) and low <= v <= high)


def _whole(low: int, high: int) -> Check:
    return lambda v: v is None or (type(v) is int and low <= v <= high)


def _one_of(*values: str) -> Check:
    allowed = frozenset(values)
    return lambda v: type(v) is str and v in allowed


_SHORT = _text(300)
_COMMON: Final[dict[str, Check]] = {"name": _name, "custom": _custom}
_PERSON: Final[dict[str, Check]] = {"email": _email, "other_emails": _emails, "title": _SHORT}
FAST_CHECKS: Final[dict[str, dict[str, Check]]] = {
    "Account": {
        **_COMMON,
        **dict.fromkeys(("domain", "industry", "country", "city"), _SHORT),
        "employees": _whole(0, 10_000_000),
        "annual_revenue": _number(0, 1e13),
        "year_established": _whole(1000, 2100),
    },
    "Contact": {
        **_COMMON,
        **_PERSON,
        **dict.fromkeys(("first_name", "last_name", "phone", "department", "city", "country", "linkedin_url"), _SHORT),
        "notes": _text(100_000),
    },
    "Rep": {
        **_COMMON,
        **_PERSON,
        "region": _SHORT,
        "office": _SHORT,
        "active": lambda v: type(v) is bool,
    },
    "Deal": {
        **_COMMON,
        "stage": _SHORT,
        "status": _one_of("open", "won", "lost"),
        "amount": _number(0, 1e13),
        "currency": lambda v: type(v) is str and _CURRENCY.fullmatch(v) is not None,
        "created_on": lambda v: v is None or type(v) is date,
        "close_date": lambda v: v is None or type(v) is date,
        "source": _SHORT,
    },
    "Interaction": {
        "custom": _COMMON["custom"],
        "kind": _one_of("email", "meeting", "call", "note"),
        "occurred_at": lambda v: type(v) is datetime,
        "subject": _text(1000),
        "body": _text(100_000),
        "duration_min": _whole(0, 100_000),
        "message_id": _text(1000),
        "thread_id": _text(1000),
        "in_reply_to": _text(1000),
        "fingerprint": _text(200),
        "source": _SHORT,
    },
    "Product": {**_COMMON, "series": _SHORT, "list_price": _number(0, 1e13)},
}


# Per label, the props checked by ``_SHORT``: ``fast_valid`` runs that check inline (most props of
# most rows: one call less per value).
_SHORT_PROPS: Final[dict[str, frozenset[str]]] = {
    label: frozenset(name for name, check in checks.items() if check is _SHORT) for label, checks in FAST_CHECKS.items()
}


def fast_valid(row: NodeRow) -> bool:
    """True when the model is sure to accept ``row`` (False: not sure, ask the model)."""
    checks = FAST_CHECKS.get(row.label)
    if checks is None or len(row.id) > 200 or _RECORD_ID.fullmatch(row.id) is None:
        return False
    props = row.props
    if not REQUIRED[row.label] <= props.keys():
        return False
    short = _SHORT_PROPS[row.label]
    if not _short_texts([props[name] for name in short.intersection(props)]):
        return False
    for name in props.keys() - short:  # the others, each by its own check
        check = checks.get(name)
        if check is None or not check(props[name]):
            return False
    return True


def _short_texts(values: list[Any]) -> bool:
    """``_SHORT`` of every value: a few calls for all of them (most values are short ASCII text)."""
    try:
        joined = "".join(values)  # TypeError: some value is not text (None or another type)
    except TypeError:
        return all(_SHORT(v) for v in values)
    if not values or len(joined) <= 300:
        return joined.isascii() or _SURROGATE.search(joined) is None
    return max(map(len, values)) <= 300 and (joined.isascii() or _SURROGATE.search(joined) is None)


def _bad_fields(exc: ValidationError) -> set[str]:
    return {str(err["loc"][0]) for err in exc.errors() if err["loc"]}


def _required(model: type[BaseModel]) -> set[str]:
    return {name for name, info in model.model_fields.items() if info.is_required()}


def _describe(exc: ValidationError, fields: set[str]) -> str:
    parts = [f"{err['loc'][0]}: {err['msg']}" for err in exc.errors() if err["loc"] and str(err["loc"][0]) in fields]
    return "; ".join(parts)[:500]


REQUIRED: Final[dict[str, frozenset[str]]] = {label: frozenset(_required(m)) for label, m in MODELS.items()}


def check_node(row: NodeRow, *, source: str, location: str, raw: str = "") -> Iterator[NodeRow | Note | Reject]:
    """Yield the row (possibly with bad optional fields set aside) and any notes, or one reject."""
    if fast_valid(row):
        yield row
        return
    model = MODELS.get(row.label)
    if model is None:
        yield Reject(source, location, f"unknown label {row.label!r}", raw, row.label)
        return
    try:
        model.model_validate({**row.props, "id": row.id})
    except ValidationError as exc:
        bad = _bad_fields(exc)
        if bad & (_required(model) | {"id"}):
            reason = f"invalid {row.label}: {_describe(exc, bad & (_required(model) | {'id'}))}"
            yield Reject(source, location, reason, raw or repr(row.props), row.label)
            return
        yield Note(
            source, location, f"{row.label} {row.id}: set aside {_describe(exc, bad)}", "invalid_field", row.label
        )
        yield _set_aside(row, bad)
        return
    yield row


def _set_aside(row: NodeRow, bad: set[str]) -> NodeRow:
    """Move invalid optional props into ``custom["invalid"]`` (as text) so nothing is lost."""
    props = {k: v for k, v in row.props.items() if k not in bad}
    custom: dict[str, Any] = dict(props.get("custom") or {})
    invalid = dict(custom.get("invalid") or {})
    for name in sorted(bad):
        if name in row.props:
            invalid[name] = _jsonable(row.props[name])
    custom["invalid"] = invalid
    props["custom"] = custom
    return NodeRow(row.label, row.id, props)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)
