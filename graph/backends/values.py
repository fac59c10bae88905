"""Value conversion between Python and the engines, so both backends return the same shapes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any


def from_ladybug(value: Any) -> Any:
    """Ladybug result value -> plain Python: nodes/rels/paths as dicts, tz-aware UTC timestamps."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, dict):
        if "_NODES" in value and "_RELS" in value:
            return {
                "nodes": [from_ladybug(n) for n in value["_NODES"]],
                "relationships": [from_ladybug(r) for r in value["_RELS"]],
            }
        if "_LABEL" in value and "_SRC" in value:
            return {"_type": value["_LABEL"], **_props(value)}
        if "_LABEL" in value and "_ID" in value:
            return {"_label": value["_LABEL"], **_props(value)}
        return {k: from_ladybug(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_ladybug(v) for v in value]
    return value


def _props(value: Mapping[str, Any]) -> dict[str, Any]:
    return {k: from_ladybug(v) for k, v in value.items() if not k.startswith("_")}


def to_ladybug_params(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Ladybug stores TIMESTAMP without zone: send UTC wall time."""
    if params is None:
        return None
    return {k: _param(v) for k, v in params.items()}


def _param(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, dict):
        return {k: _param(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_param(v) for v in value]
    return value
