"""KNOWS after an import: the import's own events stream into the strength accumulator as they pass,
so a large import does not read back what it has just written; ``graph.intelligence.knows`` (the one
KNOWS implementation) then reads only what the stream did not carry and writes the pairs of the
people the import touched (see its docstring for determinism and the evidence format).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from graph.analytics.strength import KINDS, ROLES, InteractionEvent, StrengthAccumulator, StrengthConfig
from graph.intelligence import knows
from graph.intelligence import people as P
from graph.store import GraphStore
from importers.rows import NodeRow, RelRow, Row

PERSON_LABELS: Final = P.PEOPLE_LABELS

Person = tuple[str, str]
"""(label, id) of a Contact or Rep."""


@dataclass
class KnowsCounts:
    """What a refresh wrote."""

    pairs: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    as_of: datetime | None = None


class StreamEvents:
    """Interaction events built from an import's rows as they stream past, so that a large import
    does not have to read back what it has just written.

    Parsers yield an ``Interaction`` node followed by its ``PARTICIPATED_IN`` rows (email, ICS); when a
    participant row arrives for another interaction than the one just seen, the stream is marked
    incomplete and ``refresh_knows`` reads everything from the store instead. ``degree`` counts each
    person's participations in the stream: a person with more stored than streamed has older
    interactions, which are read from the store.
    """

    def __init__(self, config: StrengthConfig | None = None) -> None:
        self.accumulator = StrengthAccumulator(config)
        self.degree: dict[Person, int] = {}
        self.complete = True
        self._pending: tuple[str, str, datetime, list[tuple[str, str]]] | None = None

    def see(self, row: Row) -> None:
        if isinstance(row, NodeRow) and row.label == "Interaction":
            self._flush()
            kind, at = row.props.get("kind"), row.props.get("occurred_at")
            if isinstance(kind, str) and isinstance(at, datetime):
                self._pending = (row.id, kind, at, [])
        elif isinstance(row, RelRow) and row.type == "PARTICIPATED_IN":
            person = (row.src_label, row.src_id)
            self.degree[person] = self.degree.get(person, 0) + 1
            if self._pending is None or self._pending[0] != row.dst_id:
                self.complete = False
                return
            role = row.props.get("role")
            if role in ROLES and row.src_label in PERSON_LABELS:
                self._pending[3].append((P.key(row.src_label, row.src_id), str(role)))

    def finish(self) -> None:
        self._flush()

    def _flush(self) -> None:
        if self._pending is not None and self._pending[1] in KINDS and self._pending[3]:
            iid, kind, at, parts = self._pending
            self.accumulator.add(InteractionEvent(iid, kind, at, sorted(parts)))
        self._pending = None


def refresh_knows(
    *,
    store: GraphStore,
    tenant: str,
    people: Iterable[Person] = (),
    stream: StreamEvents | None = None,
    config: StrengthConfig | None = None,
    now: datetime | None = None,
) -> KnowsCounts:
    """Recompute and write ``KNOWS`` for every pair with at least one of ``people`` (and of the people
    in ``stream``) in it. With a complete ``stream`` only interactions it did not carry are read."""
    if stream is not None:
        stream.finish()
    wanted = set(people)
    if not wanted and (stream is None or not stream.degree):
        return KnowsCounts()
    complete = stream is not None and stream.complete
    report = knows.refresh_knows(
        store,
        tenant,
        people=wanted,
        accumulator=stream.accumulator if complete and stream is not None else None,
        streamed=dict(stream.degree) if stream is not None else None,
        now=now,
        config=config,
    )
    return KnowsCounts(report.pairs, report.created, report.updated, report.unchanged, report.deleted, report.as_of)
