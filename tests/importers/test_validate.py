"""Node checking: bad optional values are set aside and noted, bad required values reject."""

from __future__ import annotations

from datetime import UTC, datetime

from importers.rows import NodeRow, Note, Reject
from importers.validate import check_node


def test_valid_row_passes_unchanged() -> None:
    row = NodeRow("Contact", "x:1", {"name": "Ada", "email": "ada@example.org"})
    assert list(check_node(row, source="f", location="line 2")) == [row]


def test_bad_optional_field_is_set_aside() -> None:
    row = NodeRow("Contact", "x:1", {"name": "Ada", "email": "not-an-email", "custom": {"a": 1}})
    out = list(check_node(row, source="f", location="line 2"))
    assert isinstance(out[0], Note) and out[0].code == "invalid_field"
    kept = out[1]
    assert isinstance(kept, NodeRow)
    assert "email" not in kept.props
    assert kept.props["custom"] == {"a": 1, "invalid": {"email": "not-an-email"}}


def test_missing_required_field_rejects() -> None:
    out = list(check_node(NodeRow("Interaction", "x:1", {"kind": "email"}), source="f", location="message 3"))
    assert len(out) == 1 and isinstance(out[0], Reject)
    assert "occurred_at" in out[0].reason and out[0].location == "message 3"


def test_interaction_ok() -> None:
    row = NodeRow("Interaction", "x:1", {"kind": "meeting", "occurred_at": datetime(2024, 1, 1, tzinfo=UTC)})
    assert list(check_node(row, source="f", location="l")) == [row]
