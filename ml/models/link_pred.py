"""Link prediction (who will know whom): a GraphSAGE encoder and an MLP pair decoder.

Graph (homogeneous, ``n = n_people + n_accounts`` nodes): people (contacts, reps) and accounts;
undirected edges between people who know each other (``ml.links``), person -> current account
(WORKS_AT), and reporting lines. Node features ``x`` ``[n, 11]``: is rep, is contact, is account,
seniority one-hot (6), log(1 + degree), has an account.

    h = SAGE(x, edge_index)                     [n, H]   (2 layers, ReLU)
    z = cat(h[u] * h[v], |h[u] - h[v]|, log1p(pair features))   [n_pairs, 2H + 4]
    logit = MLP(z)                              [n_pairs]

Pair features (``ml.links.pair_features``): common neighbours, Adamic-Adar, same account,
reporting line. Trained full batch on supervision pairs that the encoder's message edges do not
contain (a temporal split inside the observed graph), against one hard negative (same account, not
connected) and one random negative per positive.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch_geometric.nn import SAGEConv

from ml.links import (
    PAIR_FEATURES,
    PersonGraph,
    adjacency,
    known_pairs,
    negatives,
    orient,
    pair_features,
    temporal_holdout,
)
from ml.models.deal_win_gnn import device

N_NODE_FEATURES = 11


class LinkPredictor(nn.Module):
    """GraphSAGE encoder + MLP decoder over (embedding product, distance, pair features)."""

    def __init__(self, in_dim: int = N_NODE_FEATURES, hidden: int = 64, layers: int = 2, dropout: float = 0.1) -> None:
        super().__init__()
        self.convs = nn.ModuleList([SAGEConv(in_dim if i == 0 else hidden, hidden) for i in range(layers)])
        self.dropout = nn.Dropout(dropout)
        self.decoder = nn.Sequential(
            nn.Linear(2 * hidden + len(PAIR_FEATURES), hidden), nn.ReLU(), nn.Linear(hidden, 1)
        )

    def encode(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        """Node embeddings ``[n, H]``."""
        h = x
        for i, conv in enumerate(self.convs):
            h = conv(h, edge_index)
            if i < len(self.convs) - 1:
                h = self.dropout(torch.relu(h))
        return h

    def decode(self, hu: torch.Tensor, hv: torch.Tensor, pair: torch.Tensor) -> torch.Tensor:
        """Logits ``[n_pairs]`` from endpoint embeddings ``[n_pairs, H]`` and pair features ``[n_pairs, 4]``."""
        z = torch.cat([hu * hv, (hu - hv).abs(), torch.log1p(pair.clamp(min=0))], dim=1)
        return self.decoder(z).squeeze(-1)


def node_features(g: PersonGraph, adj: Any) -> np.ndarray:
    """``[n_people + n_accounts, 11]`` float32 (see the module docstring)."""
    n_p, n_a = g.n, g.n_accounts
    x = np.zeros((n_p + n_a, N_NODE_FEATURES), dtype=np.float32)
    x[:n_p, 0] = g.is_rep
    x[:n_p, 1] = ~g.is_rep
    x[n_p:, 2] = 1.0
    x[np.arange(n_p), 3 + np.clip(g.level, 0, 5)] = 1.0
    deg = np.asarray(adj.sum(axis=1)).ravel()
    x[:n_p, 9] = np.log1p(deg)
    staff = np.bincount(g.account[g.account >= 0], minlength=n_a)
    x[n_p:, 9] = np.log1p(staff)
    x[:n_p, 10] = g.account >= 0
    return x


def edge_index(g: PersonGraph, pairs: pd.DataFrame) -> torch.Tensor:
    """Undirected message edges ``[2, E]``: known pairs, person-account, reporting lines."""
    u = pairs["u"].to_numpy(dtype=np.int64)
    v = pairs["v"].to_numpy(dtype=np.int64)
    people = np.flatnonzero(g.account >= 0)
    acc = g.account[people] + g.n
    rs, rd = (g.reports[:, 0], g.reports[:, 1]) if len(g.reports) else (np.zeros(0, np.int64), np.zeros(0, np.int64))
    src = np.r_[u, v, people, acc, rs, rd]
    dst = np.r_[v, u, acc, people, rd, rs]
    return torch.as_tensor(np.stack([src, dst]).astype(np.int64))


@dataclass
class LinkModel:
    """A trained link predictor and its configuration."""

    net: LinkPredictor
    config: dict[str, Any]

    def scores(
        self, g: PersonGraph, pairs: pd.DataFrame, u: np.ndarray, v: np.ndarray, *, h: torch.Tensor | None = None
    ) -> np.ndarray:
        """Probabilities ``[n_pairs]`` that (u, v) will know each other, given the known ``pairs``."""
        adj = adjacency(g.n, pairs["u"].to_numpy(dtype=np.int64), pairs["v"].to_numpy(dtype=np.int64))
        if h is None:
            h = self.embed(g, pairs)
        feats = torch.as_tensor(pair_features(g, adj, u, v))
        self.net.cpu().eval()  # embeddings come back on the CPU
        with torch.no_grad():
            logits = self.net.decode(h[torch.as_tensor(u)], h[torch.as_tensor(v)], feats)
        return torch.sigmoid(logits).numpy().astype(np.float64)

    def embed(self, g: PersonGraph, pairs: pd.DataFrame) -> torch.Tensor:
        """Embeddings ``[n_people + n_accounts, H]`` from the known ``pairs`` (CPU tensor)."""
        adj = adjacency(g.n, pairs["u"].to_numpy(dtype=np.int64), pairs["v"].to_numpy(dtype=np.int64))
        dev = device()
        self.net.to(dev).eval()
        x = torch.as_tensor(node_features(g, adj)).to(dev)
        with torch.no_grad():
            return self.net.encode(x, edge_index(g, pairs).to(dev)).cpu()

    def decode_numpy(self, hu: np.ndarray, hv: np.ndarray, pair: np.ndarray) -> np.ndarray:
        self.net.cpu().eval()
        with torch.no_grad():
            logits = self.net.decode(torch.as_tensor(hu), torch.as_tensor(hv), torch.as_tensor(pair))
        return torch.sigmoid(logits).numpy().astype(np.float64)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        torch.save(self.net.cpu().state_dict(), folder / "link.pt")
        (folder / "link.json").write_text(json.dumps(self.config, indent=1))

    @classmethod
    def load(cls, folder: Path) -> LinkModel:
        cfg = json.loads((folder / "link.json").read_text())
        net = LinkPredictor(hidden=int(cfg["hidden"]), layers=int(cfg["layers"]))
        net.load_state_dict(torch.load(folder / "link.pt", map_location="cpu", weights_only=True))
        net.eval()
        return cls(net, cfg)


def train_link_model(
    g: PersonGraph,
    observed: pd.DataFrame,
    *,
    hidden: int = 64,
    layers: int = 2,
    epochs: int = 150,
    lr: float = 5e-3,
    seed: int = 7,
) -> tuple[LinkModel, dict[str, Any]]:
    """Train on the ``observed`` pairs only: older ones pass messages, newer ones supervise."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    inner = temporal_holdout(observed)
    msg, sup = inner.observed, inner.future
    info = {"message_pairs": len(msg), "supervision_pairs": len(sup), "inner_cut_day": inner.cut}
    net = LinkPredictor(hidden=hidden, layers=layers)
    model = LinkModel(net, {"hidden": hidden, "layers": layers, "epochs": epochs})
    if len(sup) == 0 or len(msg) == 0:
        info["trained"] = False
        return model, info
    adj = adjacency(g.n, msg["u"].to_numpy(dtype=np.int64), msg["v"].to_numpy(dtype=np.int64))
    dev = device()
    net.to(dev)
    x = torch.as_tensor(node_features(g, adj)).to(dev)
    ei = edge_index(g, msg).to(dev)
    pu, pv = orient(g, sup["u"].to_numpy(dtype=np.int64), sup["v"].to_numpy(dtype=np.int64))
    known = known_pairs(observed)
    opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=1e-5)
    loss_fn = nn.BCEWithLogitsLoss()
    batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor] | None = None
    for epoch in range(epochs):
        if epoch % 10 == 0 or batch is None:
            hard, ru, rv = negatives(g, pu, pv, known, rng, n_hard=1)
            hu = np.asarray([u for u, h in zip(pu, hard, strict=True) if len(h)], dtype=np.int64)
            hv = np.asarray([h[0] for h in hard if len(h)], dtype=np.int64)
            u = np.r_[pu, hu, ru]
            v = np.r_[pv, hv, rv]
            y = np.r_[np.ones(len(pu)), np.zeros(len(hu) + len(ru))]
            feats = pair_features(g, adj, u, v)
            batch = (
                torch.as_tensor(u).to(dev),
                torch.as_tensor(v).to(dev),
                torch.as_tensor(feats).to(dev),
                torch.as_tensor(y, dtype=torch.float32).to(dev),
            )
        bu, bv, bf, by = batch
        net.train()
        opt.zero_grad()
        h = net.encode(x, ei)
        loss = loss_fn(net.decode(h[bu], h[bv], bf), by)
        loss.backward()
        opt.step()
    info["trained"] = True
    info["final_loss"] = float(loss.detach().cpu())
    net.cpu().eval()
    return model, info
