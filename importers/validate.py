"""Check parsed nodes against the domain models before they reach the writer.

Parsers build props from messy sources; the repositories accept ``XCreate`` models. Validating here
means a bad value is reported at its line, with its raw text, instead of failing a whole write batch
later. Policy: a bad *optional* field (an address that is not an email, a negative amount) is moved
to ``custom["invalid"]`` and noted, and the record is kept; a bad *required* field (no name, no
date on an interaction) rejects the record.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

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


def _bad_fields(exc: ValidationError) -> set[str]:
    return {str(err["loc"][0]) for err in exc.errors() if err["loc"]}


def _required(model: type[BaseModel]) -> set[str]:
    return {name for name, info in model.model_fields.items() if info.is_required()}


def _describe(exc: ValidationError, fields: set[str]) -> str:
    parts = [f"{err['loc'][0]}: {err['msg']}" for err in exc.errors() if err["loc"] and str(err["loc"][0]) in fields]
    return "; ".join(parts)[:500]


def check_node(row: NodeRow, *, source: str, location: str, raw: str = "") -> Iterator[NodeRow | Note | Reject]:
    """Yield the row (possibly with bad optional fields set aside) and any notes, or one reject."""
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
