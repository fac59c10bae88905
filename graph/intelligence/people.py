"""Reading people, interactions and relationships out of the graph for the analytics.

Queries are per label pair rather than using ``label(n)`` so that they read the same on Ladybug
and Neo4j; large reads page by primary key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Final

import numpy as np
import pandas as pd

from graph import schema
from graph.analytics.strength import InteractionEvent
from graph.store import GraphStore

PEOPLE_LABELS: Final = ("Contact", "Rep")
PAGE: Final = 5000

INTERACTION_PAGE: Final = (
    "MATCH (i:Interaction) WHERE i.tenant = $tenant AND i.uid > $after "
    "RETURN i.uid AS uid, i.id AS id, i.kind AS kind, i.occurred_at AS at ORDER BY i.uid LIMIT $limit"
)
PARTICIPANTS: Final = (
    "UNWIND $uids AS u MATCH (p:{label})-[r:PARTICIPATED_IN]->(i:Interaction {{uid: u}}) "
    "RETURN i.uid AS uid, p.id AS person, r.role AS role"
)
KNOWS_PAIR: Final = (
    "MATCH (a:{a})-[k:KNOWS]->(b:{b}) WHERE a.tenant = $tenant "
    "RETURN a.id AS a, b.id AS b, k.strength AS strength, k.last_at AS last_at"
)
ACCOUNT_CONTACTS: Final = (
    "MATCH (c:Contact)-[w:WORKS_AT]->(a:Account {uid: $account}) "
    "RETURN c.id AS id, c.name AS name, coalesce(w.title, c.title) AS title, "
    "coalesce(w.department, c.department) AS department, w.until AS until"
)
REP_IDS: Final = "MATCH (r:Rep) WHERE r.tenant = $tenant RETURN r.id AS id"
LATEST: Final = "MATCH (i:Interaction) WHERE i.tenant = $tenant RETURN max(i.occurred_at) AS at"


def key(label: str, record_id: str) -> str:
    return f"{label}:{record_id}"


def split_key(person: str) -> tuple[str, str]:
    label, _, record_id = person.partition(":")
    return label, record_id


def _events(store: GraphStore, tenant: str, heads: Sequence[dict[str, Any]]) -> Iterator[InteractionEvent]:
    uids = [h["uid"] for h in heads]
    people: dict[str, list[tuple[str, str]]] = {u: [] for u in uids}
    for label in PEOPLE_LABELS:
        for r in store.read(tenant, PARTICIPANTS.format(label=label), {"uids": uids}):
            people[r["uid"]].append((key(label, r["person"]), str(r["role"])))
    for h in heads:
        if h["at"] is not None:
            yield InteractionEvent(str(h["id"]), str(h["kind"]), h["at"], people[h["uid"]])


def all_events(store: GraphStore, tenant: str) -> Iterator[InteractionEvent]:
    """Every interaction of the tenant with its participants, paged."""
    after = ""
    while True:
        heads = store.read(tenant, INTERACTION_PAGE, {"tenant": tenant, "after": after, "limit": PAGE})
        if not heads:
            return
        yield from _events(store, tenant, heads)
        after = heads[-1]["uid"]


def knows_frame(store: GraphStore, tenant: str) -> pd.DataFrame:
    """Every KNOWS edge with a strength as columns ``a``, ``b`` (person keys), ``strength``,
    ``last_at`` (UTC, may be NaT): the columnar form of ``knows_edges`` for whole-tenant analytics."""
    parts = []
    for a, b in schema.PEOPLE:
        frame = store.read_frame(tenant, KNOWS_PAIR.format(a=a, b=b), {"tenant": tenant})
        frame = frame[frame["strength"].notna() & (frame["strength"] > 0)]
        if not frame.empty:
            parts.append(
                pd.DataFrame(
                    {
                        "a": (a + ":") + frame["a"].astype(str),
                        "b": (b + ":") + frame["b"].astype(str),
                        "strength": frame["strength"].astype(np.float64),
                        "last_at": frame["last_at"],
                    }
                )
            )
    if not parts:
        return pd.DataFrame({"a": [], "b": [], "strength": [], "last_at": pd.Series([], dtype="datetime64[us, UTC]")})
    return pd.concat(parts, ignore_index=True)


def texts(column: pd.Series) -> list[str | None]:
    """A string column as Python strings, None where missing (NaN in a frame)."""
    return [v if isinstance(v, str) else None for v in column.tolist()]


def rep_keys(store: GraphStore, tenant: str) -> list[str]:
    return [key("Rep", r["id"]) for r in store.read(tenant, REP_IDS, {"tenant": tenant})]


def reference_time(store: GraphStore, tenant: str, now: datetime | None = None) -> datetime:
    """The moment relationship strength is measured at: the tenant's latest interaction, capped at
    ``now`` (default: the wall clock), or ``now`` when there is none.

    For a live CRM the two are the same; for an imported archive (a 2001 mailbox) measuring at the
    wall clock would decay every relationship to nothing, while the archive's own end keeps its
    structure (who was close to whom, then)."""
    now = now or datetime.now(UTC)
    rows = store.read(tenant, LATEST, {"tenant": tenant})
    latest = rows[0]["at"] if rows else None
    return min(latest, now) if isinstance(latest, datetime) else now


def evidence_of(raw: str | None) -> dict[str, Any]:
    """KNOWS evidence as written by ``refresh_knows``; anything else (hand-loaded data) reads as none."""
    try:
        ev = json.loads(raw or "{}")
    except ValueError:
        return {}
    return ev if isinstance(ev, dict) else {}
