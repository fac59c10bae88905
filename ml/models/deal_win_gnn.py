"""Deal-win model: a heterogeneous GraphSAGE over the tenant graph (``ml.hetero``), full batch.

Architecture (``hidden`` = H):

    x[type] [n_type, d_type] --Linear--> h[type] [n_type, H]
    L x HeteroConv({edge type: SAGEConv((H, H), H)}, aggr="sum"), ReLU, dropout, residual
    own [n_deal, d_own] --Linear+ReLU--> [n_deal, H]   (head-only history features)
    head(cat(h[deal], own)) [n_deal, 2H] -> MLP -> logit [n_deal]

Trained full batch (pyg-lib / torch-sparse are not available, so no neighbour sampling) with
binary cross-entropy on the training deal nodes, early stopping on validation AUC, then a
calibrator on the validation slice. Runs on CUDA when ``torch.cuda.is_available()``.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch_geometric.data import HeteroData
from torch_geometric.nn import HeteroConv, SAGEConv

from ml.metrics import Calibrator, auc, calibrator_from_json, fit_calibrator

EdgeType = tuple[str, str, str]


def device() -> torch.device:
    """CUDA when present, else CPU (never required)."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class DealWinGNN(nn.Module):
    """Hetero GraphSAGE + a head that also sees the deal's own history features."""

    def __init__(
        self,
        in_dims: dict[str, int],
        own_dim: int,
        edge_types: list[EdgeType],
        *,
        hidden: int = 64,
        layers: int = 2,
        dropout: float = 0.2,
    ) -> None:
        super().__init__()
        self.proj = nn.ModuleDict({nt: nn.Linear(d, hidden) for nt, d in in_dims.items()})
        self.convs = nn.ModuleList(
            [
                HeteroConv({et: SAGEConv((hidden, hidden), hidden) for et in edge_types}, aggr="sum")
                for _ in range(layers)
            ]
        )
        self.own = nn.Sequential(nn.Linear(own_dim, hidden), nn.ReLU())
        self.head = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, 1))
        self.dropout = nn.Dropout(dropout)

    def embed(self, x_dict: dict[str, torch.Tensor], edge_index_dict: dict[EdgeType, torch.Tensor]) -> torch.Tensor:
        """Deal node embeddings ``[n_deal, H]`` after message passing."""
        h = {nt: torch.relu(self.proj[nt](x)) for nt, x in x_dict.items()}
        for conv in self.convs:
            out = conv(h, edge_index_dict)
            h = {nt: h[nt] + self.dropout(torch.relu(out[nt])) if nt in out else h[nt] for nt in h}
        return h["deal"]

    def forward(
        self, x_dict: dict[str, torch.Tensor], edge_index_dict: dict[EdgeType, torch.Tensor], own: torch.Tensor
    ) -> torch.Tensor:
        """Win logits ``[n_deal]``."""
        z = torch.cat([self.embed(x_dict, edge_index_dict), self.own(own)], dim=1)
        return self.head(z).squeeze(-1)


@dataclass
class GnnModel:
    """A trained deal-win GNN with its configuration and calibrator."""

    net: DealWinGNN
    config: dict[str, Any]
    calibrator: Calibrator | None = None

    def raw(self, data: HeteroData) -> np.ndarray:
        """Uncalibrated probabilities of every deal node ``[n_deal]``."""
        dev = device()
        self.net.to(dev).eval()
        d = data.to(dev)
        with torch.no_grad():
            logits = self.net(d.x_dict, d.edge_index_dict, d["deal"].own)
        return torch.sigmoid(logits).cpu().numpy().astype(np.float64)

    def predict(self, data: HeteroData) -> np.ndarray:
        """Calibrated probabilities ``[n_deal]``."""
        p = self.raw(data)
        return np.clip(self.calibrator(p), 0.001, 0.999) if self.calibrator is not None else p

    def embeddings(self, data: HeteroData) -> np.ndarray:
        """Deal embeddings ``[n_deal, H]`` (for a hybrid GBDT)."""
        dev = device()
        self.net.to(dev).eval()
        d = data.to(dev)
        with torch.no_grad():
            return self.net.embed(d.x_dict, d.edge_index_dict).cpu().numpy()

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        torch.save(self.net.cpu().state_dict(), folder / "gnn.pt")
        meta = {"config": self.config, "calibrator": self.calibrator.to_json() if self.calibrator else None}
        (folder / "gnn.json").write_text(json.dumps(meta, indent=1))

    @classmethod
    def load(cls, folder: Path) -> GnnModel:
        meta = json.loads((folder / "gnn.json").read_text())
        cfg = meta["config"]
        net = build_net(cfg)
        net.load_state_dict(torch.load(folder / "gnn.pt", map_location="cpu", weights_only=True))
        cal = calibrator_from_json(meta["calibrator"]) if meta.get("calibrator") else None
        return cls(net, cfg, cal)


def build_net(cfg: dict[str, Any]) -> DealWinGNN:
    return DealWinGNN(
        {k: int(v) for k, v in cfg["in_dims"].items()},
        int(cfg["own_dim"]),
        [tuple(et) for et in cfg["edge_types"]],  # type: ignore[misc]
        hidden=int(cfg["hidden"]),
        layers=int(cfg["layers"]),
        dropout=float(cfg["dropout"]),
    )


def train_gnn(
    data: HeteroData,
    train_mask: np.ndarray,
    valid_mask: np.ndarray,
    *,
    in_dims: dict[str, int],
    own_dim: int,
    edge_types: list[EdgeType],
    hidden: int = 64,
    layers: int = 2,
    dropout: float = 0.2,
    lr: float = 5e-3,
    weight_decay: float = 1e-4,
    epochs: int = 300,
    patience: int = 40,
    seed: int = 7,
    calibrate: bool = True,
) -> GnnModel:
    """Full-batch training on ``train_mask`` deal nodes, early stopping on ``valid_mask`` AUC."""
    torch.manual_seed(seed)
    cfg = {
        "in_dims": in_dims,
        "own_dim": own_dim,
        "edge_types": [list(et) for et in edge_types],
        "hidden": hidden,
        "layers": layers,
        "dropout": dropout,
    }
    net = build_net(cfg)
    dev = device()
    net.to(dev)
    d = data.to(dev)
    y = d["deal"].y
    tr = torch.as_tensor(train_mask, device=dev)
    va_np = np.asarray(valid_mask)
    y_val = data["deal"].y.cpu().numpy()[va_np]
    opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = nn.BCEWithLogitsLoss()
    best_auc, best_state, since_best = -1.0, copy.deepcopy(net.state_dict()), 0
    for _ in range(epochs):
        net.train()
        opt.zero_grad()
        logits = net(d.x_dict, d.edge_index_dict, d["deal"].own)
        loss = loss_fn(logits[tr], y[tr])
        loss.backward()
        opt.step()
        if not va_np.any():
            best_state = copy.deepcopy(net.state_dict())
            continue
        net.eval()
        with torch.no_grad():
            p = torch.sigmoid(net(d.x_dict, d.edge_index_dict, d["deal"].own)).cpu().numpy()
        score = auc(y_val, p[va_np])
        if score > best_auc + 1e-4:
            best_auc, best_state, since_best = score, copy.deepcopy(net.state_dict()), 0
        else:
            since_best += 1
            if since_best >= patience:
                break
    net.load_state_dict(best_state)
    model = GnnModel(net.cpu(), cfg)
    if calibrate and va_np.any():
        model.calibrator = fit_calibrator(model.raw(data)[va_np], y_val)
    return model
