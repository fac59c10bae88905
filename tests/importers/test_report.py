"""The report counts what parsers yield; rejects stream to JSON lines."""

from __future__ import annotations

import io
import json
from pathlib import Path

from importers.report import ImportReport, track, write_rejects
from importers.rows import NodeRow, Note, Reject, RelRow


def sample_rows() -> list[object]:
    return [
        NodeRow("Account", "a:1", {"name": "A"}),
        Note("f.csv", "line 2", "sector corrected", "sector_corrected", "Account"),
        Note("m.mbox", "message 3", "dup", "merged", "Interaction"),
        Reject("f.csv", "line 4", "no name", "raw", "Account"),
        Reject("f.csv", "line 5", "endpoint missing", "raw", "WORKS_AT"),
        RelRow("SUBSIDIARY_OF", "Account", "a:1", "Account", "a:2"),
    ]


def test_track_counts_and_passes_only_writable_rows() -> None:
    report = ImportReport("f.csv", "maven")
    sink = io.StringIO()
    passed = list(track(sample_rows(), report, sink))  # type: ignore[arg-type]
    assert [type(r) for r in passed] == [NodeRow, RelRow]
    assert report.nodes["Account"].read == 1 and report.nodes["Account"].rejected == 1
    assert report.rels["WORKS_AT"].rejected == 1 and report.rels["SUBSIDIARY_OF"].read == 1
    assert report.nodes["Interaction"].merged == 1 and report.merged_total == 1
    assert report.notes == {"sector_corrected": 1, "merged": 1}
    assert report.rejected_total == 2
    assert [json.loads(line)["location"] for line in sink.getvalue().splitlines()] == ["line 4", "line 5"]
    summary = report.finish().summary()
    assert "warning sector_corrected: 1" in summary and "rejected: 2" in summary
    assert json.dumps(report.to_dict())


def test_report_keeps_only_a_sample_of_rejects() -> None:
    report = ImportReport("x", max_kept=3)
    for i in range(10):
        report.record(Reject("x", f"line {i}", "bad"))
    assert report.rejected_total == 10 and len(report.rejects) == 3


def test_write_rejects(tmp_path: Path) -> None:
    path = tmp_path / "rejects.jsonl"
    count = write_rejects([Reject("f", "line 1", "why", "ä raw", "Deal")], path)
    assert count == 1
    assert json.loads(path.read_text(encoding="utf-8")) == {
        "source": "f",
        "location": "line 1",
        "reason": "why",
        "raw": "ä raw",
        "label": "Deal",
    }
