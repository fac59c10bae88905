"""iCalendar (.ics) -> meeting Interactions with their organizer and attendees.

Each ``VEVENT`` becomes an ``Interaction`` (kind ``meeting``): ``DTSTART`` as ``occurred_at`` (UTC;
``TZID`` resolved with the IANA database, common Windows zone names mapped, unknown zones taken as
UTC and noted; an all-day date is midnight UTC), ``duration_min`` from ``DTEND`` or ``DURATION``,
``SUMMARY`` as subject, ``DESCRIPTION`` (first ``body_chars``) as body. ``ORGANIZER`` and each
``ATTENDEE`` (``mailto:`` address, ``CN`` as name) are people keyed like the email importer's
(``email:<address>``; ``Rep`` for the tenant's ``own_domains``) and linked with roles
``organizer``/``attendee``; declined attendees are left out and noted.

Ids: ``ics:<UID>`` (``ics:<UID>/<RECURRENCE-ID>`` for a moved occurrence of a series). A recurring
event is imported once, at its first occurrence (noted ``recurring_event``): expanding RRULEs would
invent meetings nobody confirmed. Cancelled events are skipped and noted.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from importers.common import emit_node, require_file, without_none
from importers.contentlines import Component, ContentLine, iter_components, unescape
from importers.people import PeopleSeen, own_domain_set, person_id, person_label
from importers.rows import NodeRow, Note, Reject, RelRow, Row, ext_id
from importers.values import minutes_between, normalise_email

WINDOWS_ZONES: Final = {
    "pacific standard time": "America/Los_Angeles",
    "mountain standard time": "America/Denver",
    "central standard time": "America/Chicago",
    "eastern standard time": "America/New_York",
    "gmt standard time": "Europe/London",
    "greenwich standard time": "Atlantic/Reykjavik",
    "w. europe standard time": "Europe/Berlin",
    "romance standard time": "Europe/Paris",
    "central europe standard time": "Europe/Budapest",
    "e. europe standard time": "Europe/Chisinau",
    "india standard time": "Asia/Kolkata",
    "china standard time": "Asia/Shanghai",
    "tokyo standard time": "Asia/Tokyo",
    "aus eastern standard time": "Australia/Sydney",
    "utc": "UTC",
}
_DURATION: Final = re.compile(r"^([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def parse_ics(
    path: Path, *, own_domains: Collection[str] = (), namespace: str = "ics", body_chars: int = 2000
) -> Iterator[Row]:
    """Parse one .ics file, or every .ics in a folder (sorted)."""
    files = sorted(path.glob("*.ics")) if path.is_dir() else [require_file(path)]
    people = PeopleSeen()
    domains = own_domain_set(own_domains)
    seen: set[str] = set()
    for file in files:
        for item in iter_components(file, "VEVENT"):
            if isinstance(item, Reject):
                yield Reject(item.source, item.location, item.reason, item.raw, "Interaction")
                continue
            yield from _event(item, file.name, namespace, body_chars, people, domains, seen)


def parse_duration(value: str) -> timedelta:
    """RFC 5545 DURATION (``PT1H30M``, ``P1D``, ``P2W``); ``ValueError`` otherwise."""
    found = _DURATION.match(value.strip().upper())
    if not found or value.strip().upper() in ("P", "PT"):
        raise ValueError(f"not a duration: {value[:40]!r}")
    sign, weeks, days, hours, minutes, seconds = found.groups()
    delta = timedelta(
        weeks=int(weeks or 0),
        days=int(days or 0),
        hours=int(hours or 0),
        minutes=int(minutes or 0),
        seconds=int(seconds or 0),
    )
    return -delta if sign == "-" else delta


def parse_ical_time(line: ContentLine, notes: list[str]) -> datetime:
    """DATE or DATE-TIME (UTC ``Z``, ``TZID=``, or floating) -> aware UTC datetime."""
    value = line.value.strip()
    if len(value) == 8 or (line.param("VALUE") or "").upper() == "DATE":
        day = datetime.strptime(value[:8], "%Y%m%d").date()
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    stamp = datetime.strptime(value.rstrip("Zz")[:15], "%Y%m%dT%H%M%S")
    if value.upper().endswith("Z"):
        return stamp.replace(tzinfo=UTC)
    tzid = line.param("TZID")
    if tzid is None:
        return stamp.replace(tzinfo=UTC)  # floating time: taken as UTC, as graph.model does
    return stamp.replace(tzinfo=_zone(tzid, notes)).astimezone(UTC)


def _zone(tzid: str, notes: list[str]) -> ZoneInfo:
    name = WINDOWS_ZONES.get(tzid.strip().lower(), tzid.strip().lstrip("/"))
    for candidate in (name, "/".join(name.split("/")[-2:])):
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    notes.append(f"time zone {tzid!r} unknown; time taken as UTC")
    return ZoneInfo("UTC")


def _text(event: Component, name: str) -> str | None:
    line = event.first(name)
    if line is None:
        return None
    return unescape(line.value).strip() or None


def _event(
    event: Component,
    source: str,
    namespace: str,
    body_chars: int,
    people: PeopleSeen,
    domains: frozenset[str],
    seen: set[str],
) -> Iterator[Row]:
    location = f"line {event.line}"
    for problem in event.problems:
        yield Note(source, location, problem, "ics_property_skipped", "Interaction")
    if (_text(event, "STATUS") or "").upper() == "CANCELLED":
        yield Note(
            source, location, f"cancelled event {_text(event, 'SUMMARY')!r} skipped", "cancelled_event", "Interaction"
        )
        return
    notes: list[str] = []
    start, end = _times(event, notes)
    if start is None:
        yield Reject(source, location, "; ".join(notes) or "event has no usable DTSTART", event.raw, "Interaction")
        return
    if event.first("RRULE") is not None:
        notes.append("recurring event: imported once, at its first occurrence")
    interaction_id = _event_id(event, namespace, start)
    if interaction_id in seen:
        yield Note(source, location, f"event {interaction_id} seen before; merged", "merged", "Interaction")
    seen.add(interaction_id)
    props = without_none(
        {
            "kind": "meeting",
            "subject": (_text(event, "SUMMARY") or "")[:1000] or None,
            "body": (_text(event, "DESCRIPTION") or "")[:body_chars] or None,
            "occurred_at": start,
            "duration_min": minutes_between(start, end) if end else None,
            "source": "ics",
            "custom": without_none({"location": _text(event, "LOCATION"), "uid": _text(event, "UID")}),
        }
    )
    for note in notes:
        code = "recurring_event" if note.startswith("recurring") else "ics_value"
        yield Note(source, location, note, code, "Interaction")
    checked = list(emit_node(NodeRow("Interaction", interaction_id, props), source, location, event.raw))
    participants = list(_participants(event, source, location))
    for item in participants:
        if isinstance(item, Note):
            yield item
    if not any(isinstance(r, NodeRow) for r in checked):
        yield from checked
        return
    links: list[RelRow] = []
    for item in participants:
        if isinstance(item, tuple):
            address, name, role = item
            yield from people.rows(address, name, domains, source=source, location=location)
            links.append(
                RelRow(
                    "PARTICIPATED_IN",
                    person_label(address, domains),
                    person_id(address),
                    "Interaction",
                    interaction_id,
                    {"role": role},
                )
            )
    yield from checked
    yield from links


def _times(event: Component, notes: list[str]) -> tuple[datetime | None, datetime | None]:
    dtstart = event.first("DTSTART")
    if dtstart is None:
        notes.append("event has no DTSTART")
        return None, None
    try:
        start = parse_ical_time(dtstart, notes)
    except ValueError:
        notes.append(f"unparsable DTSTART {dtstart.value[:40]!r}")
        return None, None
    dtend, duration = event.first("DTEND"), event.first("DURATION")
    try:
        if dtend is not None:
            return start, parse_ical_time(dtend, notes)
        if duration is not None:
            return start, start + parse_duration(duration.value)
    except ValueError as exc:
        notes.append(f"end of event dropped: {exc}")
    return start, None


def _event_id(event: Component, namespace: str, start: datetime) -> str:
    uid = _text(event, "UID")
    recurrence = event.first("RECURRENCE-ID")
    if uid:
        key = f"{uid}/{recurrence.value.strip()}" if recurrence is not None else uid
        return ext_id(namespace, key)
    organizer = event.first("ORGANIZER")
    basis = f"{organizer.value if organizer else ''}|{start.isoformat()}|{_text(event, 'SUMMARY') or ''}"
    return f"{namespace}:fp:{hashlib.sha256(basis.encode('utf-8')).hexdigest()[:32]}"


def _participants(event: Component, source: str, location: str) -> Iterator[tuple[str, str | None, str] | Note]:
    """(address, name, role) per person, organizer first; notes for unusable or declined ones."""
    seen: set[str] = set()
    lines = [("organizer", line) for line in event.all("ORGANIZER")] + [
        ("attendee", line) for line in event.all("ATTENDEE")
    ]
    for role, line in lines:
        address = normalise_email(line.value)
        if address is None:
            yield Note(
                source, location, f"{role} {line.value[:80]!r} has no usable address; skipped", "bad_address", "Contact"
            )
            continue
        if (line.param("PARTSTAT") or "").upper() == "DECLINED":
            yield Note(
                source,
                location,
                f"{address} declined; not counted as a participant",
                "declined_attendee",
                "Interaction",
            )
            continue
        if address in seen:
            continue
        seen.add(address)
        name = (line.param("CN") or "").strip() or None
        yield address, name, role
