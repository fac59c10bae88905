"""Ladybug DDL and the few statements only the embedded adapter runs.

Labels, types and property names come from ``graph.schema`` (a fixed allow-list), never from input,
which is why they may be formatted into statements; values always travel as parameters.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from graph import schema
from graph.cypher import prop_map
from graph.store import Dialect

SCHEMA_VERSION_TABLE: Final = (
    "CREATE NODE TABLE IF NOT EXISTS SchemaVersion(version INT64, applied_at TIMESTAMP, PRIMARY KEY(version))"
)
APPLIED_VERSIONS: Final = "MATCH (v:SchemaVersion) RETURN v.version AS version"
RECORD_VERSION: Final = "CREATE (:SchemaVersion {version: $v, applied_at: $at})"
ANY_NODE: Final = "MATCH (n:{label}) RETURN n.uid LIMIT 1"


def node_table_ddl(spec: schema.NodeSpec) -> str:
    cols = ", ".join(f"{name} {ptype.value}" for name, ptype in spec.columns.items())
    return f"CREATE NODE TABLE IF NOT EXISTS {spec.label}({cols}, PRIMARY KEY(uid))"


def rel_table_ddl(spec: schema.RelSpec) -> str:
    parts = [f"FROM {a} TO {b}" for a, b in spec.pairs]
    parts += [f"{name} {ptype.value}" for name, ptype in spec.props.items()]
    return f"CREATE REL TABLE IF NOT EXISTS {spec.type}({', '.join(parts)})"


def migration_ddl(migration: schema.Migration) -> list[str]:
    out = [node_table_ddl(schema.node_spec(label)) for label in migration.nodes]
    out += [rel_table_ddl(schema.RELS[rel]) for rel in migration.rels]
    out += [f"ALTER TABLE {table} ADD {prop} {ptype.value}" for table, prop, ptype in migration.add_props]
    return out


def create_rels(spec: schema.RelSpec, src: str, dst: str) -> str:
    """UNWIND-create relationships; two separate MATCHes (a comma pattern is ~500x slower here)."""
    if (src, dst) not in spec.pairs:
        raise ValueError(f"{spec.type} does not connect {src} to {dst}")
    body = prop_map(Dialect.LADYBUG, spec.props.items(), source="r")
    return (
        f"UNWIND $rows AS r MATCH (a:{src} {{uid: r.src}}) MATCH (b:{dst} {{uid: r.dst}}) "
        f"CREATE (a)-[:{spec.type}{body}]->(b) RETURN count(*) AS created"
    )


def create_nodes(spec: schema.NodeSpec) -> str:
    """UNWIND-create nodes with every column cast to its declared type."""
    return f"UNWIND $rows AS r CREATE (n:{spec.label}{prop_map(Dialect.LADYBUG, spec.columns.items(), source='r')})"


def _frame_props(props: Iterable[tuple[str, schema.PType]]) -> str:
    # A DataFrame column of only nulls scans as STRING: cast every column to its declared type.
    return ", ".join(f"{name}: CAST({name} AS {ptype.value})" for name, ptype in props)


def load_create_nodes(spec: schema.NodeSpec) -> str:
    """Create nodes from a DataFrame named ``frame`` (no per-value parameter conversion)."""
    return f"LOAD FROM frame CREATE (n:{spec.label} {{{_frame_props(spec.columns.items())}}})"


def load_update_nodes(spec: schema.NodeSpec, props: Iterable[str]) -> str:
    """SET the given columns of existing nodes from a DataFrame named ``frame`` (``uid`` column keys)."""
    cols = spec.columns
    sets = ", ".join(f"n.{p} = CAST({p} AS {cols[p].value})" for p in props)
    return f"LOAD FROM frame MATCH (n:{spec.label} {{uid: uid}}) SET {sets}"
