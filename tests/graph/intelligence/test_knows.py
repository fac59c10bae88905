"""KNOWS refresh: full and incremental agree, deleted interactions take their pairs with them, and
the evidence carries the directed email counts the org chart reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from graph.backends.embedded import LadybugStore
from graph.intelligence.knows import refresh_knows
from graph.model import ContactCreate, InteractionRecord, Participant, RepCreate
from graph.repositories import contacts, interactions, reps

T = "t"
WHEN = datetime(2026, 3, 1, tzinfo=UTC)
STORED = (
    "MATCH (a)-[k:KNOWS]->(b) RETURN a.id AS a, b.id AS b, k.strength AS s, k.interactions AS n, k.evidence AS ev"
)


def _people(store: LadybugStore) -> None:
    for pid in ("ann", "bob", "cy", "dee"):
        contacts.contacts.create(store=store, tenant=T, data=ContactCreate(id=pid, name=pid.title()))
    reps.reps.create(store=store, tenant=T, data=RepCreate(id="rae", name="Rae"))


def _email(store: LadybugStore, sender: str, to: list[str], cc: list[str], days: int, kind: str = "contact") -> str:
    parts = [Participant(person_id=sender, kind=kind, role="from")]  # type: ignore[arg-type]
    parts += [Participant(person_id=p, role="to") for p in to] + [Participant(person_id=p, role="cc") for p in cc]
    made = interactions.record(
        store=store,
        tenant=T,
        data=InteractionRecord(kind="email", occurred_at=WHEN + timedelta(days=days), participants=parts),
    )
    return made.id


def _facts(evidence: str) -> dict[str, Any]:
    return {k: v for k, v in json.loads(evidence).items() if k != "as_of"}


def _stored(store: LadybugStore) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["a"], r["b"]): r for r in store.read(T, STORED)}


def test_incremental_refresh_equals_full_and_keeps_directed_counts(store: LadybugStore) -> None:
    _people(store)
    first = [_email(store, "ann", ["bob"], ["cy"], d) for d in range(4)]
    first.append(_email(store, "bob", ["ann"], [], 5))
    refresh_knows(store, T, interaction_ids=first)
    more = [_email(store, "rae", ["ann", "dee"], [], 6, kind="rep"), _email(store, "cy", ["dee"], ["bob"], 7)]
    report = refresh_knows(store, T, interaction_ids=more)
    assert report.created > 0 and report.as_of is not None
    incremental = _stored(store)
    full = refresh_knows(store, T)
    # Nothing to add or remove; only the first batch's pairs are re-aged to the newer reference time
    # (an incremental refresh writes the pairs of its interactions only).
    assert full.created == 0 and full.deleted == 0 and full.updated == 2
    after = _stored(store)
    assert set(after) == set(incremental)
    for key, row in after.items():
        assert row["n"] == incremental[key]["n"] and _facts(row["ev"]) == _facts(incremental[key]["ev"])
    for key in (("ann", "rae"), ("dee", "rae"), ("cy", "dee"), ("bob", "cy")):  # the second batch's pairs
        assert after[key]["s"] == incremental[key]["s"]
    ab = json.loads(incremental[("ann", "bob")]["ev"])
    assert ab["email_to"] == [4, 1] and ab["email_cc"] == [0, 0]  # ann->bob on To 4 times, bob->ann once
    ac = json.loads(incremental[("ann", "cy")]["ev"])
    assert ac["email_cc"] == [4, 0]
    assert ("ann", "rae") in incremental  # Contact:ann < Rep:rae


def test_deleting_an_interaction_removes_pairs_it_alone_supported(store: LadybugStore) -> None:
    _people(store)
    keep = _email(store, "ann", ["bob"], [], 1)
    only = _email(store, "cy", ["dee"], [], 2)
    refresh_knows(store, T)
    assert ("cy", "dee") in _stored(store)
    interactions.interactions.delete(store=store, tenant=T, record_id=only)
    report = refresh_knows(store, T, people=[("Contact", "cy"), ("Contact", "dee")])
    assert report.deleted == 1
    assert set(_stored(store)) == {("ann", "bob")}
    assert keep


def test_a_refresh_names_the_contacts_of_the_rep_pairs_it_rewrote(store: LadybugStore) -> None:
    """Their coverage is all a refresh can move (roll-ups re-read their accounts only)."""
    _people(store)
    between_contacts = _email(store, "ann", ["bob"], [], 1)
    with_rep = _email(store, "rae", ["cy"], ["dee"], 2, kind="rep")
    assert refresh_knows(store, T, interaction_ids=[between_contacts]).rep_contacts == set()
    assert refresh_knows(store, T, interaction_ids=[with_rep]).rep_contacts == {"cy", "dee"}
    interactions.interactions.delete(store=store, tenant=T, record_id=with_rep)
    gone = refresh_knows(store, T, people=[("Rep", "rae"), ("Contact", "cy"), ("Contact", "dee")])
    assert gone.deleted == 2 and gone.rep_contacts == {"cy", "dee"}  # pairs deleted count too
