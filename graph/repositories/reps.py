"""Our sales reps and their reporting lines (``(:Rep)-[:REPORTS_TO]->(:Rep)``)."""

from __future__ import annotations

from typing import Final

from graph.model import Rep
from graph.repositories import links
from graph.repositories.nodes import NodeRepository
from graph.store import GraphStore

reps: Final = NodeRepository("Rep", Rep)


def set_manager(*, store: GraphStore, tenant: str, rep_id: str, manager_id: str) -> None:
    src = reps.require(store=store, tenant=tenant, record_id=rep_id)
    dst = reps.require(store=store, tenant=tenant, record_id=manager_id)
    links.set_single(
        store,
        tenant,
        rel="REPORTS_TO",
        src="Rep",
        dst="Rep",
        src_uid=src,
        dst_uid=dst,
        props={"source": "explicit", "confidence": 1.0, "evidence": "[]"},
    )


def clear_manager(*, store: GraphStore, tenant: str, rep_id: str) -> None:
    src = reps.require(store=store, tenant=tenant, record_id=rep_id)
    links.clear_out(store, tenant, rel="REPORTS_TO", src="Rep", dst="Rep", src_uid=src)
