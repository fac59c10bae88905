"""Small helpers that build statements both engines accept, from the schema's allow-lists.

Why generate at all: Ladybug types UNWIND parameters by value (a column that is all null arrives as
STRING, small integers as INT8/INT16), so every property written is cast to its declared type
there; Neo4j has no CAST and needs none. Labels, types and property names come from
``graph.schema`` only; values are always parameters.

``source`` names where values come from: a row variable (``"r"`` -> ``r.title``) or, when None,
one parameter per property (``$p_title``; see ``prop_params``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from graph import schema
from graph.store import Dialect

Props = Iterable[tuple[str, schema.PType]]


def cast(dialect: Dialect, expr: str, ptype: schema.PType) -> str:
    """``expr`` as the declared type on Ladybug; unchanged on Neo4j."""
    if dialect is Dialect.LADYBUG:
        return f"CAST({expr} AS {ptype.value})"
    return expr


def _ref(source: str | None, name: str) -> str:
    return f"{source}.{name}" if source else f"$p_{name}"


def set_clause(dialect: Dialect, var: str, props: Props, source: str | None = None) -> str:
    """``SET n.a = CAST(r.a AS T), ...`` (there is no ``SET n += $map`` on Ladybug)."""
    parts = [f"{var}.{name} = {cast(dialect, _ref(source, name), ptype)}" for name, ptype in props]
    return "SET " + ", ".join(parts) if parts else ""


def prop_map(dialect: Dialect, props: Props, source: str | None = None) -> str:
    """`` {a: CAST(r.a AS T), ...}`` for CREATE patterns (empty string for no properties)."""
    items = [f"{name}: {cast(dialect, _ref(source, name), ptype)}" for name, ptype in props]
    return " {" + ", ".join(items) + "}" if items else ""


def prop_params(values: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters for statements built with ``source=None``."""
    return {f"p_{k}": v for k, v in values.items()}


def label_of(dialect: Dialect, var: str) -> str:
    """The label of a node: ``label(n)`` on Ladybug, ``labels(n)[0]`` on Neo4j."""
    return f"label({var})" if dialect is Dialect.LADYBUG else f"labels({var})[0]"
