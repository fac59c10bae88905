"""Warm introductions: the strongest chains of relationships from our reps to a person or account.

Best = the largest product of hop strengths (KNOWS), at most ``max_hops`` hops, relationships older
than ``max_age`` excluded. The strength graph is built once per tenant and cached; a KNOWS refresh
invalidates it. Each hop comes back with its evidence (counts by channel, last interaction).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import Any, Final

from graph import schema
from graph.analytics.paths import IntroPath, PathGraph, best_entry_points, best_paths
from graph.intelligence import people as P
from graph.intelligence.cache import Background
from graph.repositories import base
from graph.store import GraphStore

HOP_EVIDENCE: Final = (
    "MATCH (a:{a} {{uid: $a}})-[k:KNOWS]-(b:{b} {{uid: $b}}) "
    "RETURN k.strength AS strength, k.interactions AS interactions, k.last_at AS last_at, k.evidence AS evidence"
)
NAMES: Final = "UNWIND $uids AS u MATCH (p:{label} {{uid: u}}) RETURN p.id AS id, p.name AS name, p.title AS title"


class PathGraphs:
    """One ``PathGraph`` per tenant. ``invalidate`` (after a KNOWS refresh) makes the next request
    rebuild it; past ``ttl_s`` the old graph keeps serving while one background thread rebuilds
    it, so no request waits the seconds a large tenant's rebuild takes."""

    def __init__(self, ttl_s: float = 300.0) -> None:
        self.ttl_s = ttl_s
        self._graphs: dict[str, tuple[float, PathGraph, list[str], datetime]] = {}
        self._rebuilds = Background("path graph rebuild")
        self._lock = threading.Lock()

    def get(self, store: GraphStore, tenant: str) -> tuple[PathGraph, list[str], datetime]:
        """The graph, our reps and the reference time ages are measured from (all cached together:
        the reference time is a scan of every interaction)."""
        with self._lock:
            hit = self._graphs.get(tenant)
        if hit is None:
            return self._build(store, tenant)
        if time.monotonic() - hit[0] >= self.ttl_s:  # stale: rebuild behind the current graph
            self._rebuilds.start(tenant, lambda: self._build(store, tenant))
        return hit[1], hit[2], hit[3]

    def join(self, timeout_s: float = 30.0) -> None:
        """Wait for background rebuilds (before the store they read is closed)."""
        self._rebuilds.join(timeout_s)

    def _build(self, store: GraphStore, tenant: str) -> tuple[PathGraph, list[str], datetime]:
        graph = PathGraph.from_frame(P.knows_frame(store, tenant))
        reps = P.rep_keys(store, tenant)
        ref = P.reference_time(store, tenant)
        with self._lock:
            self._graphs[tenant] = (time.monotonic(), graph, reps, ref)
        return graph, reps, ref

    def invalidate(self, tenant: str) -> None:
        """Drop the graph: the next request builds a new one (and waits for it)."""
        with self._lock:
            self._graphs.pop(tenant, None)

    def mark_stale(self, tenant: str) -> None:
        """Rebuild in the background on the next request, serving the current graph meanwhile."""
        with self._lock:
            hit = self._graphs.get(tenant)
            if hit is not None:
                self._graphs[tenant] = (-float("inf"), *hit[1:])


def intro_paths(
    *,
    store: GraphStore,
    tenant: str,
    graphs: PathGraphs,
    to_contact: str,
    from_rep: str | None,
    k: int,
    max_hops: int,
    max_age_days: int | None,
) -> dict[str, Any]:
    target = base.get_node(store=store, tenant=tenant, label="Contact", record_id=to_contact)
    if from_rep is not None:
        base.require(store=store, tenant=tenant, label="Rep", record_id=from_rep)
    graph, reps, now = graphs.get(store, tenant)  # ages are measured from the tenant's latest interaction
    sources = [P.key("Rep", from_rep)] if from_rep else reps
    found = best_paths(
        graph, sources, P.key("Contact", to_contact), k=k, max_hops=max_hops, now=now, max_age=_age(max_age_days)
    )
    return {
        "to": {"id": target["id"], "name": target.get("name"), "title": target.get("title")},
        "paths": [_describe(store, tenant, p) for p in found.paths],
        "exact": found.exact,
    }


def entry_points(
    *,
    store: GraphStore,
    tenant: str,
    graphs: PathGraphs,
    account_id: str,
    k: int,
    max_hops: int,
    max_age_days: int | None,
) -> dict[str, Any]:
    account = base.get_node(store=store, tenant=tenant, label="Account", record_id=account_id)
    staff = store.read(tenant, P.ACCOUNT_CONTACTS, {"account": schema.uid(tenant, account_id)})
    graph, reps, now = graphs.get(store, tenant)
    people = [P.key("Contact", r["id"]) for r in staff if r["until"] is None or r["until"] >= now.date()]
    found = best_entry_points(graph, reps, people, k=k, max_hops=max_hops, now=now, max_age=_age(max_age_days))
    return {
        "account": {"id": account["id"], "name": account.get("name")},
        "entry_points": [_describe(store, tenant, e.path) for e in found],
    }


def _age(days: int | None) -> timedelta | None:
    return timedelta(days=days) if days else None


def _describe(store: GraphStore, tenant: str, path: IntroPath) -> dict[str, Any]:
    names = _names(store, tenant, [str(n) for n in path.nodes])
    hops = []
    for hop in path.hops:
        (la, ia), (lb, ib) = P.split_key(str(hop.source)), P.split_key(str(hop.target))
        rows = store.read(
            tenant, HOP_EVIDENCE.format(a=la, b=lb), {"a": schema.uid(tenant, ia), "b": schema.uid(tenant, ib)}
        )
        ev = P.evidence_of(rows[0]["evidence"]) if rows else {}
        hops.append(
            {
                "from": names[str(hop.source)],
                "to": names[str(hop.target)],
                "strength": round(hop.strength, 4),
                "interactions": rows[0]["interactions"] if rows else None,
                "last_interaction": rows[0]["last_at"] if rows else None,
                "by_channel": ev.get("by_kind", {}),
            }
        )
    return {"strength": round(path.strength, 5), "hops": hops}


def _names(store: GraphStore, tenant: str, keys: list[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for label in P.PEOPLE_LABELS:
        ids = [P.split_key(k)[1] for k in keys if k.startswith(label + ":")]
        for r in store.read(tenant, NAMES.format(label=label), {"uids": [schema.uid(tenant, i) for i in ids]}):
            out[P.key(label, r["id"])] = {"id": r["id"], "kind": label.lower(), "name": r["name"], "title": r["title"]}
    for k in keys:
        out.setdefault(k, {"id": P.split_key(k)[1], "kind": P.split_key(k)[0].lower(), "name": None, "title": None})
    return out
