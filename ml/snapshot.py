"""The tenant graph read into DataFrames, for training and batch scoring.

Everything goes through ``GraphStore.read`` with dialect-neutral Cypher (one label per query, no
``label()``), so the same code reads the embedded engine and Neo4j. Node tables are paged by
``uid`` (``WHERE n.uid > $after ORDER BY n.uid LIMIT $page``); relationship tables are read in
windows of source uids taken from the node pages, so no single result holds a whole big table.

Shapes (``n_<label>`` rows per node table, row ``i`` is the node with index ``i``):

- ``nodes[label]``: a DataFrame with ``uid``, ``id`` and the properties listed in ``NODE_PROPS``;
  dates and timestamps are float days since the epoch (``ml.timeutil``), NaN when unknown.
- ``rels[name]``: a DataFrame with integer ``src`` / ``dst`` (row indexes into the endpoint node
  tables) and the properties in ``RELS``; relationships to nodes outside the snapshot are dropped.

Deliberately NOT read: ``Deal.amount`` and ``Deal.stage`` and ``INCLUDES.price``. Importers store
the close value in ``amount`` (Maven: 0 for every lost deal) and the final stage in ``stage``, so
they give the outcome away; ``status`` is read for the labels only (``ml.features`` never turns it
into a feature for the deal it describes).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import numpy as np
import pandas as pd

from graph.store import GraphStore
from ml.timeutil import to_days

PAGE: Final = 100_000

# label -> (string properties, numeric properties, date/time properties)
NODE_PROPS: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]]] = {
    "Account": (("name", "industry", "country"), ("employees", "annual_revenue", "year_established"), ()),
    "Contact": (("name", "title", "department"), (), ()),
    "Rep": (("name", "title", "region", "office"), (), ()),
    "Product": (("name", "series"), ("list_price",), ()),
    "Deal": (("name", "status", "source"), (), ("created_on", "close_date")),
    "Interaction": (("kind",), (), ("occurred_at",)),
}


@dataclass(frozen=True)
class RelRead:
    """One relationship table to read: ``(src_label)-[type]->(dst_label)`` with these properties."""

    type: str
    src: str
    dst: str
    strings: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()


RELS: Final[dict[str, RelRead]] = {
    "subsidiary_of": RelRead("SUBSIDIARY_OF", "Account", "Account"),
    "works_at": RelRead("WORKS_AT", "Contact", "Account", ("title", "department"), (), ("since", "until")),
    "reports_to": RelRead("REPORTS_TO", "Contact", "Contact", ("source",)),
    "rep_reports_to": RelRead("REPORTS_TO", "Rep", "Rep"),
    "for_account": RelRead("FOR_ACCOUNT", "Deal", "Account"),
    "owns": RelRead("OWNS", "Rep", "Deal"),
    "includes": RelRead("INCLUDES", "Deal", "Product", (), ("quantity",)),
    "on_deal": RelRead("ON_DEAL", "Contact", "Deal", ("role",)),
    "contact_in": RelRead("PARTICIPATED_IN", "Contact", "Interaction", ("role",)),
    "rep_in": RelRead("PARTICIPATED_IN", "Rep", "Interaction", ("role",)),
    "about_deal": RelRead("ABOUT", "Interaction", "Deal"),
    "about_account": RelRead("ABOUT", "Interaction", "Account"),
}

NODE_PAGE: Final = (
    "MATCH (n:{label}) WHERE n.tenant = $tenant AND n.uid > $after RETURN {cols} ORDER BY n.uid LIMIT $limit"
)
REL_WINDOW: Final = (
    "MATCH (a:{src})-[r:{rel}]->(b:{dst}) WHERE a.tenant = $tenant AND a.uid > $lo AND a.uid <= $hi "
    "RETURN a.uid AS src, b.uid AS dst{cols}"
)


@dataclass
class Snapshot:
    """A tenant's graph as DataFrames (see the module docstring for the shapes)."""

    tenant: str
    read_at: datetime
    nodes: dict[str, pd.DataFrame]
    rels: dict[str, pd.DataFrame]
    _index: dict[str, pd.Index] = field(default_factory=dict, repr=False)

    def index(self, label: str) -> pd.Index:
        """uid -> row index of a node table."""
        if label not in self._index:
            self._index[label] = pd.Index(self.nodes[label]["uid"].to_numpy())
        return self._index[label]

    def counts(self) -> dict[str, int]:
        return {**{k: len(v) for k, v in self.nodes.items()}, **{k: len(v) for k, v in self.rels.items()}}

    def ids_hash(self) -> str:
        """A short hash of the deal, contact and interaction uids (identifies the data a model saw)."""
        h = hashlib.sha256()
        for label in ("Deal", "Contact", "Interaction", "Account", "Rep"):
            for uid in self.nodes[label]["uid"]:
                h.update(str(uid).encode())
                h.update(b"\0")
        return h.hexdigest()[:16]


def empty_nodes(label: str) -> pd.DataFrame:
    strings, numbers, dates = NODE_PROPS[label]
    cols: dict[str, Any] = {"uid": pd.Series([], dtype=object), "id": pd.Series([], dtype=object)}
    cols |= {c: pd.Series([], dtype=object) for c in strings}
    cols |= {c: pd.Series([], dtype=np.float64) for c in (*numbers, *dates)}
    return pd.DataFrame(cols)


def node_frame(label: str, rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Rows with ``uid``, ``id`` and the label's properties -> a typed node table."""
    if not rows:
        return empty_nodes(label)
    strings, numbers, dates = NODE_PROPS[label]
    frame = pd.DataFrame.from_records(list(rows), columns=["uid", "id", *strings, *numbers, *dates])
    for c in numbers:
        frame[c] = pd.to_numeric(frame[c], errors="coerce").astype(np.float64)
    for c in dates:
        frame[c] = to_days(frame[c])
    return frame


def rel_frame(spec: RelRead, rows: Sequence[dict[str, Any]], src: pd.Index, dst: pd.Index) -> pd.DataFrame:
    """Rows with ``src`` / ``dst`` uids -> integer endpoints (unknown endpoints dropped)."""
    cols = ["src", "dst", *spec.strings, *spec.numbers, *spec.dates]
    if not rows:
        frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
        frame["src"] = frame["src"].astype(np.int64)
        frame["dst"] = frame["dst"].astype(np.int64)
        for c in (*spec.numbers, *spec.dates):
            frame[c] = frame[c].astype(np.float64)
        return frame
    frame = pd.DataFrame.from_records(list(rows), columns=cols)
    frame["src"] = src.get_indexer(pd.Index(frame["src"]))
    frame["dst"] = dst.get_indexer(pd.Index(frame["dst"]))
    frame = frame[(frame["src"] >= 0) & (frame["dst"] >= 0)].reset_index(drop=True)
    frame["src"] = frame["src"].astype(np.int64)
    frame["dst"] = frame["dst"].astype(np.int64)
    for c in spec.numbers:
        frame[c] = pd.to_numeric(frame[c], errors="coerce").astype(np.float64)
    for c in spec.dates:
        frame[c] = to_days(frame[c])
    return frame


def _read_nodes(store: GraphStore, tenant: str, label: str, page: int) -> pd.DataFrame:
    strings, numbers, dates = NODE_PROPS[label]
    cols = ", ".join(f"n.{c} AS {c}" for c in ("uid", "id", *strings, *numbers, *dates))
    query = NODE_PAGE.format(label=label, cols=cols)
    rows: list[dict[str, Any]] = []
    after = ""
    while True:
        batch = store.read(tenant, query, {"tenant": tenant, "after": after, "limit": page})
        rows.extend(batch)
        if len(batch) < page:
            break
        after = str(batch[-1]["uid"])
    return node_frame(label, rows)


def _read_rels(store: GraphStore, tenant: str, spec: RelRead, src_uids: np.ndarray, page: int) -> list[dict[str, Any]]:
    props = [*spec.strings, *spec.numbers, *spec.dates]
    cols = "".join(f", r.{c} AS {c}" for c in props)
    query = REL_WINDOW.format(src=spec.src, rel=spec.type, dst=spec.dst, cols=cols)
    rows: list[dict[str, Any]] = []
    lo = ""
    ordered = np.sort(src_uids.astype(str)) if len(src_uids) else src_uids
    for start in range(0, len(ordered), page):
        hi = str(ordered[min(start + page, len(ordered)) - 1])
        rows.extend(store.read(tenant, query, {"tenant": tenant, "lo": lo, "hi": hi}))
        lo = hi
    return rows


def read_snapshot(store: GraphStore, tenant: str, *, page: int = PAGE) -> Snapshot:
    """Read the tenant's graph (the properties the models use) into a ``Snapshot``."""
    nodes = {label: _read_nodes(store, tenant, label, page) for label in NODE_PROPS}
    snap = Snapshot(tenant=tenant, read_at=datetime.now(UTC), nodes=nodes, rels={})
    for name, spec in RELS.items():
        rows = _read_rels(store, tenant, spec, nodes[spec.src]["uid"].to_numpy(), page)
        snap.rels[name] = rel_frame(spec, rows, snap.index(spec.src), snap.index(spec.dst))
    return snap
