"""The seam between the parse side (this package) and the write side (repositories).

Parsers know nothing of the database; a ``RowWriter`` knows nothing of file formats. ``run_import``
joins them: it counts every row into the report, batches nodes per label and relationships per
(type, source label, target label), and flushes every pending node batch before any relationship
batch so that endpoints parsed in this run exist when their relationships are written.

Writer contract (to be implemented over ``graph.repositories``):

- ``upsert_nodes``: idempotent by id within the writer's tenant. Props given replace the stored
  values; props absent are left alone (a later source may add a phone without erasing a title);
  ``custom`` is merged key by key. Returns how many were created, updated, unchanged.
- ``flush`` (optional): write whatever the writer still holds back; called once at the end.
- ``upsert_rels``: create the relationship if ``(src)-[type]->(dst)`` does not exist, else update
  its props. A row whose endpoint does not exist is returned in ``missing`` (not an error): the
  report turns it into a reject of that relationship.
- ``upsert_node_columns`` / ``upsert_rel_columns`` (optional, ``ColumnWriter``): the same for a
  batch held as columns (``importers.columns``), as a parser process sends them; a writer without
  them gets such batches as rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Protocol, TypeVar, runtime_checkable

from importers.columns import Item, NodeColumns, RelColumns
from importers.report import ImportReport, reject_json
from importers.rows import NodeRow, Reject, RelRow

RelKey = tuple[str, str, str]
_R = TypeVar("_R", NodeRow, RelRow)


@dataclass
class WriteResult:
    """What one batch write did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    missing: list[RelRow] = field(default_factory=list)


class RowWriter(Protocol):
    """The write side of an import (see module docstring for the semantics)."""

    def upsert_nodes(self, label: str, rows: Sequence[NodeRow]) -> WriteResult:
        """Upsert a batch of nodes of one label; ids are unique within the batch."""
        ...

    def upsert_rels(self, rel_type: str, src_label: str, dst_label: str, rows: Sequence[RelRow]) -> WriteResult:
        """Upsert a batch of relationships of one type between one pair of labels."""
        ...


def coalesce(rows: Sequence[NodeRow]) -> list[NodeRow]:
    """One row per id, in first-seen order: later props override earlier ones, key by key.

    A parser may yield the same node twice (a person first seen by address, later with a display
    name); the writer must receive unique ids per batch.
    """
    merged: dict[str, NodeRow] = {}
    for row in rows:
        prior = merged.get(row.id)
        if prior is None:
            merged[row.id] = row
            continue
        props = {**prior.props, **row.props}
        if "custom" in prior.props and "custom" in row.props:
            props["custom"] = {**prior.props["custom"], **row.props["custom"]}
        merged[row.id] = NodeRow(row.label, row.id, props)
    return list(merged.values())


@runtime_checkable
class ColumnWriter(RowWriter, Protocol):
    """A writer that also takes batches as columns (``importers.columns``) without unpacking them."""

    def upsert_node_columns(self, batch: NodeColumns) -> WriteResult:
        """``upsert_nodes`` of a batch whose ids are unique."""
        ...

    def upsert_rel_columns(self, batch: RelColumns) -> WriteResult:
        """``upsert_rels`` of a batch."""
        ...


class _Batcher:
    """Per label and per relationship key, the rows and batches waiting, and how many rows they hold."""

    def __init__(self, writer: RowWriter, report: ImportReport, batch_size: int, rejects_file: IO[str] | None) -> None:
        self.writer = writer
        self.columns = writer if isinstance(writer, ColumnWriter) else None
        self.rejects_file = rejects_file
        self.report = report
        self.batch_size = batch_size
        self.nodes: dict[str, list[NodeRow | NodeColumns]] = {}
        self.node_rows: dict[str, int] = {}
        self.rels: dict[RelKey, list[RelRow | RelColumns]] = {}
        self.rel_rows: dict[RelKey, int] = {}

    def add(self, row: NodeRow | RelRow) -> None:
        if isinstance(row, NodeRow):
            self.add_node(row)
        else:
            self.add_rel(row)

    def add_node(self, row: NodeRow | NodeColumns, size: int = 1) -> None:
        label = row.label
        batch = self.nodes.get(label)
        if batch is None:
            batch = self.nodes[label] = []
            self.node_rows[label] = 0
        batch.append(row)
        self.node_rows[label] += size
        if self.node_rows[label] >= self.batch_size:
            self.flush_label(label)

    def add_rel(self, row: RelRow | RelColumns, size: int = 1) -> None:
        key = (row.type, row.src_label, row.dst_label)
        rels = self.rels.get(key)
        if rels is None:
            rels = self.rels[key] = []
            self.rel_rows[key] = 0
        rels.append(row)
        self.rel_rows[key] += size
        if self.rel_rows[key] >= self.batch_size:
            self.flush_nodes()
            self.flush_rels(key)

    def flush_label(self, label: str) -> None:
        parts = self.nodes.pop(label, [])
        self.node_rows.pop(label, None)
        if not parts:
            return
        if self.columns is not None and _as_columns(parts):
            result = self.columns.upsert_node_columns(NodeColumns.concat(label, parts).unique())
        else:
            result = self.writer.upsert_nodes(label, coalesce(_as_rows(parts)))
        counts = self.report.label(label)
        counts.created += result.created
        counts.updated += result.updated
        counts.unchanged += result.unchanged

    def flush_nodes(self) -> None:
        for label in list(self.nodes):
            self.flush_label(label)

    def flush_rels(self, key: RelKey) -> None:
        parts = self.rels.pop(key, [])
        self.rel_rows.pop(key, None)
        if not parts:
            return
        if self.columns is not None and _as_columns(parts):
            result = self.columns.upsert_rel_columns(RelColumns.concat(key, parts))
        else:
            result = self.writer.upsert_rels(key[0], key[1], key[2], _as_rows(parts))
        counts = self.report.rel(key[0])
        counts.created += result.created
        counts.updated += result.updated
        counts.unchanged += result.unchanged
        for row in result.missing:
            reason = f"endpoint missing: {row.src_label} {row.src_id} -> {row.dst_label} {row.dst_id}"
            reject = Reject(self.report.source, "relationship", reason, repr(row), row.type)
            self.report.record(reject)
            if self.rejects_file is not None:
                self.rejects_file.write(reject_json(reject) + "\n")

    def finish(self) -> None:
        self.flush_nodes()
        for key in list(self.rels):
            self.flush_rels(key)
        flush = getattr(self.writer, "flush", None)
        if callable(flush):
            flush()  # a writer that holds rows back (``StoreRowWriter`` spooling for COPY)


def _as_columns(parts: Sequence[NodeRow | NodeColumns] | Sequence[RelRow | RelColumns]) -> bool:
    """Write ``parts`` as columns: some are batches, and no row among them sets a prop to None (in
    columns None means "not given", while a row's None clears a stored value)."""
    batches = False
    for part in parts:
        if isinstance(part, NodeColumns | RelColumns):
            batches = True
        elif None in part.props.values():
            return False
    return batches


class _Batch(Protocol[_R]):
    """``NodeColumns`` or ``RelColumns``: a batch that can give its rows back."""

    def rows(self) -> list[_R]: ...


def _as_rows(parts: Sequence[_R | _Batch[_R]]) -> list[_R]:
    """Batches and loose rows of one label or relationship key, as rows, in order."""
    out: list[_R] = []
    for part in parts:
        if isinstance(part, NodeRow | RelRow):
            out.append(part)
        else:
            out += part.rows()
    return out


def run_import(
    rows: Iterable[Item],
    writer: RowWriter,
    report: ImportReport,
    *,
    batch_size: int = 1000,
    rejects_file: IO[str] | None = None,
) -> ImportReport:
    """Stream a parser's rows (or batches of them as columns: ``importers.columns``) into ``writer``
    in batches, filling ``report``; return it finished.

    (``report.track`` inlined: one Python call less for each of millions of rows.)
    """
    batcher = _Batcher(writer, report, batch_size, rejects_file)
    node_counts = report.nodes
    rel_counts = report.rels
    for row in rows:
        if isinstance(row, NodeRow):
            counts = node_counts.get(row.label) or report.label(row.label)
            counts.read += 1
            batcher.add_node(row)
        elif isinstance(row, RelRow):
            counts = rel_counts.get(row.type) or report.rel(row.type)
            counts.read += 1
            batcher.add_rel(row)
        elif isinstance(row, NodeColumns):
            report.label(row.label).read += len(row)
            batcher.add_node(row, len(row))
        elif isinstance(row, RelColumns):
            report.rel(row.type).read += len(row)
            batcher.add_rel(row, len(row))
        else:
            report.record(row)
            if isinstance(row, Reject) and rejects_file is not None:
                rejects_file.write(reject_json(row) + "\n")
    batcher.finish()
    return report.finish()
