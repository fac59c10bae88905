"""What an import did, for people: counts per label, warnings by kind, and every reject.

The parse side fills ``read``, ``rejected`` and ``merged`` and the note counts (``track`` does it
as rows stream past); the write side fills ``created``/``updated``/``unchanged``. Rejects are
streamed to a JSON-lines file when one is given (a million bad rows must not sit in memory); the
report keeps the first ``max_kept`` of them, and of each kind of note a few examples, for display.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, Final

from graph.schema import RELS
from importers.rows import NodeRow, Note, Reject, RelRow, Row

# Notes that say what an import added on its own (after-import enrichment), not what was wrong
# with the input: shown as "note", not "warning".
INFORMATION: Final = frozenset({"account_from_domain", "title_from_signature"})


@dataclass
class LabelCounts:
    """Counts for one node label or relationship type."""

    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    merged: int = 0


@dataclass
class ImportReport:
    """The outcome of one import (see module docstring for who fills what)."""

    source: str
    format: str = ""
    nodes: dict[str, LabelCounts] = field(default_factory=dict)
    rels: dict[str, LabelCounts] = field(default_factory=dict)
    notes: Counter[str] = field(default_factory=Counter)
    note_examples: dict[str, list[Note]] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)
    rejected_total: int = 0
    rejects_path: Path | None = None
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    max_kept: int = 100
    max_examples: int = 5

    def label(self, name: str) -> LabelCounts:
        return self.nodes.setdefault(name, LabelCounts())

    def rel(self, name: str) -> LabelCounts:
        return self.rels.setdefault(name, LabelCounts())

    def record(self, row: Row) -> None:
        """Count one row coming out of a parser."""
        if isinstance(row, NodeRow):
            self.label(row.label).read += 1
        elif isinstance(row, RelRow):
            self.rel(row.type).read += 1
        elif isinstance(row, Note):
            self._note(row)
        else:
            self._reject(row)

    def _note(self, note: Note) -> None:
        self.notes[note.code] += 1
        examples = self.note_examples.setdefault(note.code, [])
        if len(examples) < self.max_examples:
            examples.append(note)
        if note.code == "merged" and note.label:
            self.label(note.label).merged += 1

    def _reject(self, reject: Reject) -> None:
        self.rejected_total += 1
        if reject.label in RELS:
            self.rel(reject.label).rejected += 1
        else:
            self.label(reject.label or "unknown").rejected += 1
        if len(self.rejects) < self.max_kept:
            self.rejects.append(reject)

    def finish(self) -> ImportReport:
        self.finished_at = time.time()
        return self

    @property
    def merged_total(self) -> int:
        return sum(c.merged for c in self.nodes.values())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able view (for the API and the CLI's ``--json``)."""
        return {
            "source": self.source,
            "format": self.format,
            "nodes": {k: asdict(v) for k, v in sorted(self.nodes.items())},
            "rels": {k: asdict(v) for k, v in sorted(self.rels.items())},
            "notes": dict(sorted(self.notes.items())),
            "note_examples": {k: [asdict(n) for n in v] for k, v in sorted(self.note_examples.items())},
            "rejected_total": self.rejected_total,
            "rejects": [asdict(r) for r in self.rejects],
            "rejects_path": str(self.rejects_path) if self.rejects_path else None,
            "elapsed_s": round((self.finished_at or time.time()) - self.started_at, 3),
        }

    def summary(self) -> str:
        """A few human lines: what was read, what was fixed, what was refused."""
        lines = [f"import of {self.source} ({self.format or 'unknown format'})"]
        for name, c in sorted(self.nodes.items()):
            lines.append(
                f"  {name}: read {c.read}, created {c.created}, updated {c.updated}, "
                f"unchanged {c.unchanged}, merged {c.merged}, rejected {c.rejected}"
            )
        for name, c in sorted(self.rels.items()):
            lines.append(f"  {name}: read {c.read}, created {c.created}, rejected {c.rejected}")
        for code, count in sorted(self.notes.items()):
            example = self.note_examples.get(code, [])
            hint = f" (e.g. {example[0].location}: {example[0].message})" if example else ""
            kind = "note" if code in INFORMATION else "warning"
            lines.append(f"  {kind} {code}: {count}{hint}")
        if self.rejected_total:
            where = f", all in {self.rejects_path}" if self.rejects_path else ""
            lines.append(f"  rejected: {self.rejected_total}{where}")
        return "\n".join(lines)


def reject_json(reject: Reject) -> str:
    """One JSON line for a reject (keys: source, location, reason, raw, label)."""
    return json.dumps(asdict(reject), ensure_ascii=False)


def write_rejects(rejects: Iterable[Reject], path: Path) -> int:
    """Write rejects as JSON lines to ``path`` (overwritten); return how many were written."""
    count = 0
    with path.open("w", encoding="utf-8") as fh:
        for reject in rejects:
            fh.write(reject_json(reject) + "\n")
            count += 1
    return count


def track(rows: Iterable[Row], report: ImportReport, rejects_file: IO[str] | None = None) -> Iterator[NodeRow | RelRow]:
    """Pass through the rows to write, counting everything into ``report`` on the way.

    Notes and rejects are consumed here (rejects also written to ``rejects_file`` as they come),
    so the writer only ever sees ``NodeRow``/``RelRow``.
    """
    for row in rows:
        report.record(row)
        if isinstance(row, NodeRow | RelRow):
            yield row
        elif isinstance(row, Reject) and rejects_file is not None:
            rejects_file.write(reject_json(row) + "\n")
