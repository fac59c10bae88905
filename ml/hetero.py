"""The tenant graph as a PyG ``HeteroData`` for the deal-win GNN.

Node types and features (``x``, float32):

- ``deal``  ``[n_targets, d_deal]``: one node per *target* (a deal at its cut, see
  ``ml.features``; a closed deal appears once per landmark). Features are the deal's own
  point-in-time features that carry no other deal's outcome (``features.LOCAL_NUMERIC``) plus
  one-hot categoricals. ``own`` ``[n_targets, d_own]`` adds the history features (past win rates):
  it goes straight to the prediction head and is never passed between nodes, so a neighbour's
  history (which may include this deal's outcome once it closed) cannot leak into its prediction.
- ``account`` ``[n_accounts, d]``: log employees, log revenue, has parent, subsidiaries, industry.
- ``contact`` ``[n_contacts, 6 + d]``: seniority level one-hot, department one-hot.
- ``rep`` ``[n_reps, 1 + d]``: a constant and the region one-hot.
- ``product`` ``[n_products, 1 + d]``: log list price and the series one-hot.

Edge types (each with its reverse, ``rev_<name>``): ``deal -at-> account``, ``deal -owned_by->
rep``, ``deal -sells-> product``, ``contact -touched-> deal`` (took part in an interaction about
the deal before the target's cut), ``contact -works_at-> account``, ``contact -reports_to->
contact``, ``account -subsidiary_of-> account``.

Preprocessing (``Preprocess``) is fitted on training targets only and saved with the model:
numeric columns are signed-log transformed (``sign(x) log1p |x|``), standardised, NaN -> 0 with a
missing flag per column that had NaNs in training.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd
import torch
from torch_geometric.data import HeteroData

from ml import features as F
from ml.seniority import levels
from ml.snapshot import Snapshot

EDGE_TYPES: Final = (
    ("deal", "at", "account"),
    ("deal", "owned_by", "rep"),
    ("deal", "sells", "product"),
    ("contact", "touched", "deal"),
    ("contact", "works_at", "account"),
    ("contact", "reports_to", "contact"),
    ("account", "subsidiary_of", "account"),
)
OWN_NUMERIC: Final = tuple(c for c in F.FEATURES if c not in F.CATEGORICAL)
ONE_HOT: Final = ("product", "series", "source", "industry", "region")


def all_edge_types() -> list[tuple[str, str, str]]:
    out = []
    for s, r, d in EDGE_TYPES:
        out += [(s, r, d), (d, f"rev_{r}", s)]
    return out


def _signed_log(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.log1p(np.abs(x))


@dataclass
class Preprocess:
    """Column transforms fitted on training rows (JSON-serialisable)."""

    mean: dict[str, float] = field(default_factory=dict)
    std: dict[str, float] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    onehot: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def fit(cls, frame: pd.DataFrame, numeric: Sequence[str], onehot: Sequence[str], *, top: int = 12) -> Preprocess:
        p = cls()
        for c in numeric:
            v = _signed_log(frame[c].to_numpy(dtype=np.float64))
            finite = v[~np.isnan(v)]
            p.mean[c] = float(finite.mean()) if len(finite) else 0.0
            sd = float(finite.std()) if len(finite) else 1.0
            p.std[c] = sd if sd > 1e-9 else 1.0
            if np.isnan(v).any():
                p.flags.append(c)
        for c in onehot:
            counts = frame[c].dropna().astype(str).value_counts()
            p.onehot[c] = [str(v) for v in counts.index[:top]]
        return p

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """``[n, len(mean) + len(flags) + sum(one-hot sizes)]`` float32."""
        cols: list[np.ndarray] = []
        for c, mu in self.mean.items():
            v = (_signed_log(frame[c].to_numpy(dtype=np.float64)) - mu) / self.std[c]
            cols.append(np.nan_to_num(v, nan=0.0))
        for c in self.flags:
            cols.append(frame[c].isna().to_numpy(dtype=np.float64))
        for c, values in self.onehot.items():
            col = frame[c].astype(object).to_numpy()
            for value in values:
                cols.append((col == value).astype(np.float64))
        if not cols:
            return np.zeros((len(frame), 1), dtype=np.float32)
        return np.stack(cols, axis=1).astype(np.float32)

    @property
    def width(self) -> int:
        return max(1, len(self.mean) + len(self.flags) + sum(len(v) for v in self.onehot.values()))

    def to_json(self) -> dict[str, Any]:
        return {"mean": self.mean, "std": self.std, "flags": self.flags, "onehot": self.onehot}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Preprocess:
        return cls(dict(data["mean"]), dict(data["std"]), list(data["flags"]), dict(data["onehot"]))


@dataclass
class GraphPreprocess:
    """Everything needed to turn a snapshot + targets into model inputs the same way twice."""

    deal: Preprocess
    own: Preprocess
    nodes: dict[str, Preprocess]

    @classmethod
    def fit(cls, snap: Snapshot, feats: pd.DataFrame, train: np.ndarray) -> GraphPreprocess:
        tables = node_tables(snap)
        nodes = {
            nt: Preprocess.fit(
                frame,
                [c for c in frame.columns if c not in _NODE_ONEHOT],
                [c for c in frame.columns if c in _NODE_ONEHOT],
            )
            for nt, frame in tables.items()
        }
        rows = feats[train]
        deal = Preprocess.fit(rows, F.LOCAL_NUMERIC, ONE_HOT)
        own = Preprocess.fit(rows, OWN_NUMERIC, ())
        return cls(deal, own, nodes)

    def to_json(self) -> dict[str, Any]:
        return {
            "deal": self.deal.to_json(),
            "own": self.own.to_json(),
            "nodes": {k: v.to_json() for k, v in self.nodes.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GraphPreprocess:
        return cls(
            Preprocess.from_json(data["deal"]),
            Preprocess.from_json(data["own"]),
            {k: Preprocess.from_json(v) for k, v in data["nodes"].items()},
        )

    def in_dims(self) -> dict[str, int]:
        return {"deal": self.deal.width, **{k: v.width for k, v in self.nodes.items()}}


_NODE_ONEHOT: Final = {"industry", "department", "region", "series", "level"}


def node_tables(snap: Snapshot) -> dict[str, pd.DataFrame]:
    """Raw per-node columns of the non-deal node types (transformed by ``Preprocess``)."""
    acc = snap.nodes["Account"]
    sub = snap.rels["subsidiary_of"]
    n_acc = len(acc)
    contacts = snap.nodes["Contact"]
    return {
        "account": pd.DataFrame(
            {
                "employees": acc["employees"].to_numpy(dtype=np.float64),
                "annual_revenue": acc["annual_revenue"].to_numpy(dtype=np.float64),
                "has_parent": (np.bincount(sub["src"].to_numpy(dtype=np.int64), minlength=n_acc) > 0).astype(float),
                "subsidiaries": np.bincount(sub["dst"].to_numpy(dtype=np.int64), minlength=n_acc).astype(float),
                "industry": acc["industry"].to_numpy(dtype=object),
            }
        ),
        "contact": pd.DataFrame(
            {
                "bias": np.ones(len(contacts)),
                "level": levels(contacts["title"].to_numpy(dtype=object)).astype(str).astype(object),
                "department": contacts["department"].to_numpy(dtype=object),
            }
        ),
        "rep": pd.DataFrame(
            {"bias": np.ones(len(snap.nodes["Rep"])), "region": snap.nodes["Rep"]["region"].to_numpy(dtype=object)}
        ),
        "product": pd.DataFrame(
            {
                "list_price": snap.nodes["Product"]["list_price"].to_numpy(dtype=np.float64),
                "series": snap.nodes["Product"]["series"].to_numpy(dtype=object),
            }
        ),
    }


def _edge(src: np.ndarray, dst: np.ndarray) -> torch.Tensor:
    if len(src) == 0:
        return torch.zeros((2, 0), dtype=torch.long)
    return torch.as_tensor(np.stack([src, dst]).astype(np.int64))


def build_graph(snap: Snapshot, t: F.Targets, feats: pd.DataFrame, prep: GraphPreprocess) -> HeteroData:
    """The ``HeteroData`` for these targets (deal node ``i`` is target row ``i``); ``data['deal'].own``
    holds the head-only features and ``data['deal'].y`` the labels (NaN for open deals)."""
    data = HeteroData()
    data["deal"].x = torch.as_tensor(prep.deal.transform(feats))
    data["deal"].own = torch.as_tensor(prep.own.transform(feats))
    data["deal"].y = torch.as_tensor(t.label.astype(np.float32))
    for nt, frame in node_tables(snap).items():
        data[nt].x = torch.as_tensor(prep.nodes[nt].transform(frame))
    keys = F.deal_keys(snap)
    rows = np.arange(len(t))
    acc, rep = keys.account[t.deal], keys.rep[t.deal]
    inc = snap.rels["includes"]
    prod = pd.DataFrame({"deal": t.deal, "row": rows}).merge(
        pd.DataFrame({"deal": inc["src"].to_numpy(dtype=np.int64), "product": inc["dst"].to_numpy(dtype=np.int64)}),
        on="deal",
    )
    touched = F.touched_pairs(snap, t)
    edges = {
        ("deal", "at", "account"): (rows[acc >= 0], acc[acc >= 0]),
        ("deal", "owned_by", "rep"): (rows[rep >= 0], rep[rep >= 0]),
        ("deal", "sells", "product"): (prod["row"].to_numpy(dtype=np.int64), prod["product"].to_numpy(dtype=np.int64)),
        ("contact", "touched", "deal"): (
            touched["contact"].to_numpy(dtype=np.int64),
            touched["row"].to_numpy(dtype=np.int64),
        ),
        ("contact", "works_at", "account"): (
            snap.rels["works_at"]["src"].to_numpy(dtype=np.int64),
            snap.rels["works_at"]["dst"].to_numpy(dtype=np.int64),
        ),
        ("contact", "reports_to", "contact"): (
            snap.rels["reports_to"]["src"].to_numpy(dtype=np.int64),
            snap.rels["reports_to"]["dst"].to_numpy(dtype=np.int64),
        ),
        ("account", "subsidiary_of", "account"): (
            snap.rels["subsidiary_of"]["src"].to_numpy(dtype=np.int64),
            snap.rels["subsidiary_of"]["dst"].to_numpy(dtype=np.int64),
        ),
    }
    for (s, r, d), (a, b) in edges.items():
        data[s, r, d].edge_index = _edge(a, b)
        data[d, f"rev_{r}", s].edge_index = _edge(b, a)
    return data
