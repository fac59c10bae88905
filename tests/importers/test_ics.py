"""iCalendar meetings (invented fixture)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from importers.ics import parse_duration, parse_ics
from tests.importers.helpers import FIXTURES, check_rows, nodes, notes, rejects, rels

FILE = FIXTURES / "ics" / "meetings.ics"


def test_meetings() -> None:
    rows = check_rows(parse_ics(FILE, own_domains={"ourco.example"}))
    meetings = {n.id: n.props for n in nodes(rows, "Interaction")}
    assert set(meetings) == {f"ics:evt-00{i}@ourco.example" for i in (1, 2, 3, 4, 7)}
    first = meetings["ics:evt-001@ourco.example"]
    assert first["occurred_at"] == datetime(2024, 3, 5, 10, tzinfo=UTC)  # Lisbon is UTC+0 in March
    assert first["duration_min"] == 60 and first["body"] == "Agenda:\n1. pricing\n2. rollout, phase 2"
    assert meetings["ics:evt-002@ourco.example"]["duration_min"] == 45
    assert meetings["ics:evt-004@ourco.example"]["occurred_at"] == datetime(2024, 6, 1, 16, tzinfo=UTC)  # PDT
    roles = {(r.src_id, r.dst_id): r.props["role"] for r in rels(rows, "PARTICIPATED_IN")}
    assert roles[("email:ines.varga@ourco.example", "ics:evt-001@ourco.example")] == "organizer"
    assert roles[("email:odile.marchetti@quillfeather.example", "ics:evt-001@ourco.example")] == "attendee"
    assert not any(src == "email:tobias@quillfeather-robotics.example" for src, _ in roles)  # declined
    labels = {n.id: n.label for n in nodes(rows) if n.label in ("Rep", "Contact")}
    assert labels["email:ines.varga@ourco.example"] == "Rep"
    assert labels["email:pim@lanternfish.example"] == "Contact"
    codes = {n.code for n in notes(rows)}
    assert {"declined_attendee", "recurring_event", "cancelled_event", "ics_value"} <= codes
    assert [r.reason for r in rejects(rows)] == ["event has no DTSTART"]
    assert list(parse_ics(FILE, own_domains={"ourco.example"})) == rows


def test_duration() -> None:
    assert parse_duration("PT1H30M") == timedelta(minutes=90)
    assert parse_duration("P1W") == timedelta(days=7)
    assert parse_duration("-PT15M") == -timedelta(minutes=15)
    for bad in ("P", "1H", "PTXM"):
        with pytest.raises(ValueError):
            parse_duration(bad)
