"""run_import batches rows to a writer: nodes flushed before relationships, duplicates coalesced."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from importers.pipeline import WriteResult, coalesce, run_import
from importers.report import ImportReport
from importers.rows import NodeRow, Note, RelRow, Row


@dataclass
class RecordingWriter:
    """A fake writer that records calls and knows which ids exist (recording fake, not a mock)."""

    calls: list[tuple[str, str, int]] = field(default_factory=list)
    existing: set[str] = field(default_factory=set)

    def upsert_nodes(self, label: str, rows: Sequence[NodeRow]) -> WriteResult:
        assert len({r.id for r in rows}) == len(rows), "ids must be unique in a batch"
        self.calls.append(("nodes", label, len(rows)))
        created = sum(r.id not in self.existing for r in rows)
        self.existing.update(r.id for r in rows)
        return WriteResult(created=created, updated=len(rows) - created)

    def upsert_rels(self, rel_type: str, src_label: str, dst_label: str, rows: Sequence[RelRow]) -> WriteResult:
        self.calls.append(("rels", rel_type, len(rows)))
        missing = [r for r in rows if r.src_id not in self.existing or r.dst_id not in self.existing]
        return WriteResult(created=len(rows) - len(missing), missing=missing)


def rows() -> list[Row]:
    out: list[Row] = []
    for i in range(5):
        out.append(NodeRow("Account", f"a:{i}", {"name": f"A{i}"}))
        out.append(NodeRow("Contact", f"c:{i}", {"name": f"C{i}"}))
        out.append(RelRow("WORKS_AT", "Contact", f"c:{i}", "Account", f"a:{i}"))
    out.append(RelRow("WORKS_AT", "Contact", "c:0", "Account", "a:missing"))
    out.append(NodeRow("Contact", "c:0", {"email": "c0@example.org"}))
    out.append(Note("f", "line 9", "fixed", "sector_corrected"))
    return out


def test_nodes_are_written_before_the_relationships_that_need_them() -> None:
    writer = RecordingWriter()
    report = run_import(rows(), writer, ImportReport("f"), batch_size=2)
    # the fake reports a relationship as missing when an endpoint was not written before it:
    # only the one pointing at an account that never exists may come back missing
    assert report.nodes["Account"].created == 5
    assert report.nodes["Contact"].created == 5 and report.nodes["Contact"].updated == 1
    assert report.rels["WORKS_AT"].created == 5 and report.rels["WORKS_AT"].rejected == 1
    assert report.notes["sector_corrected"] == 1 and report.finished_at is not None


def test_coalesce_merges_props_per_id() -> None:
    merged = coalesce(
        [
            NodeRow("Contact", "c", {"name": "a@x.org", "email": "a@x.org", "custom": {"k": 1}}),
            NodeRow("Contact", "d", {"name": "D"}),
            NodeRow("Contact", "c", {"name": "Ada", "custom": {"j": 2}}),
        ]
    )
    assert merged == [
        NodeRow("Contact", "c", {"name": "Ada", "email": "a@x.org", "custom": {"k": 1, "j": 2}}),
        NodeRow("Contact", "d", {"name": "D"}),
    ]
