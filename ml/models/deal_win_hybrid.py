"""Deal-win hybrid: the GNN's deal embeddings as extra features of the LightGBM model.

Shapes: ``deal_win_gnn``'s deal embeddings ``[n_deal, H]`` -> a projection on their first ``k``
principal components ``[n_deal, k]`` (columns ``gnn_0 .. gnn_<k-1>``) -> appended to the feature
frame of ``ml.features`` -> ``deal_win_gbdt`` -> calibrated probabilities ``[n_deal]``.

No label leaks into the boosting rows (cross-fitting in time). An embedding computed by a GNN that
was trained on the same row's label is in-sample: on the demo tenant the GBDT leaned on such
embeddings and lost 0.02 validation AUC to the GBDT alone. So the training rows are split by close
date: the older part (``GNN_SHARE``) trains the GNN, and the newer part, whose labels the GNN never
saw, trains the GBDT. Both stop early on the validation slice, like every model (the GBDT is
also calibrated there). Validation, test and open deals are
out-of-sample for both. The price: the GBDT of the hybrid learns from fewer rows than the plain GBDT.

Scoring needs the graph around each deal (the GNN), so a served hybrid scores in batch
(``relgraph score``), like the GNN.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
from torch_geometric.data import HeteroData

from ml import features as F
from ml.hetero import GraphPreprocess, all_edge_types, build_graph
from ml.models.deal_win_gbdt import GbdtModel, train_gbdt
from ml.models.deal_win_gnn import GnnModel, train_gnn
from ml.registry import dump_json
from ml.snapshot import Snapshot

GNN_SHARE: Final = 0.5  # the older half of the training rows (by close date) trains the GNN
COMPONENTS: Final = 16  # principal components of the embeddings kept as features
FOLDER: Final = "hybrid"


@dataclass
class Projection:
    """Centred projection on the top principal components: ``mean [H]``, ``components [k, H]``."""

    mean: np.ndarray
    components: np.ndarray

    @classmethod
    def fit(cls, emb: np.ndarray, k: int) -> Projection:
        mean = emb.mean(axis=0)
        _, _, vt = np.linalg.svd(emb - mean, full_matrices=False)
        return cls(mean, vt[: min(k, vt.shape[0])])

    def __call__(self, emb: np.ndarray) -> np.ndarray:
        """``[n, H]`` -> ``[n, k]``."""
        return np.asarray((emb - self.mean) @ self.components.T, dtype=np.float64)

    @property
    def names(self) -> list[str]:
        return [f"gnn_{i}" for i in range(len(self.components))]

    def to_json(self) -> dict[str, Any]:
        return {"mean": self.mean.tolist(), "components": self.components.tolist()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Projection:
        return cls(np.asarray(data["mean"], dtype=np.float64), np.asarray(data["components"], dtype=np.float64))


@dataclass
class HybridModel:
    """The GNN that embeds, its preprocessing, the projection and the GBDT that predicts."""

    gnn: GnnModel
    prep: GraphPreprocess
    projection: Projection
    gbdt: GbdtModel

    def graph(self, snap: Snapshot, t: F.Targets, feats: pd.DataFrame) -> HeteroData:
        """The GNN's input for these targets (built with the hybrid's own preprocessing)."""
        return build_graph(snap, t, feats, self.prep)

    def frame(self, feats: pd.DataFrame, data: HeteroData) -> pd.DataFrame:
        """``feats`` ``[n, n_features]`` with the ``k`` embedding columns appended."""
        z = self.projection(self.gnn.embeddings(data))
        extra = pd.DataFrame(z, columns=self.projection.names, index=feats.index)
        return pd.concat([feats, extra], axis=1)

    def predict(self, feats: pd.DataFrame, data: HeteroData) -> np.ndarray:
        """Calibrated probabilities ``[n]``."""
        return self.gbdt.predict(self.frame(feats, data))

    def save(self, folder: Path) -> None:
        sub = folder / FOLDER
        sub.mkdir(parents=True, exist_ok=True)
        self.gnn.save(sub)
        self.gbdt.save(sub)
        dump_json(sub / "hetero.json", self.prep.to_json())
        dump_json(sub / "projection.json", self.projection.to_json())

    @classmethod
    def load(cls, folder: Path) -> HybridModel:
        sub = folder / FOLDER
        prep = GraphPreprocess.from_json(json.loads((sub / "hetero.json").read_text()))
        projection = Projection.from_json(json.loads((sub / "projection.json").read_text()))
        return cls(GnnModel.load(sub), prep, projection, GbdtModel.load(sub))

    @staticmethod
    def saved(folder: Path) -> bool:
        return (folder / FOLDER / "gbdt.txt").is_file()


def cross_fit_masks(close: np.ndarray, fit: np.ndarray, share: float = GNN_SHARE) -> tuple[np.ndarray, np.ndarray]:
    """(GNN rows, GBDT rows): the training rows closed before / from the ``share`` quantile of their
    close days. NaN close days (open deals) fall in neither."""
    days = np.unique(close[fit])
    mid = float(np.quantile(days, share)) if len(days) else 0.0
    return fit & (close < mid), fit & (close >= mid)


def train_hybrid(
    snap: Snapshot,
    t: F.Targets,
    feats: pd.DataFrame,
    fit: np.ndarray,
    valid: np.ndarray,
    *,
    params_for: Callable[[int], dict[str, Any]],
    gnn_epochs: int = 300,
    components: int = COMPONENTS,
) -> tuple[HybridModel, HeteroData]:
    """Cross-fit the hybrid on ``fit`` rows (see the module docstring), validating on ``valid``.
    ``params_for(n_rows)``: the GBDT's parameters for that many training rows. Returns the model and
    the graph it embedded (to predict every target without rebuilding it)."""
    gnn_rows, gbdt_rows = cross_fit_masks(t.close, fit)
    prep = GraphPreprocess.fit(snap, feats, gnn_rows)
    data = build_graph(snap, t, feats, prep)
    gnn = train_gnn(
        data,
        gnn_rows,
        valid,
        in_dims=prep.in_dims(),
        own_dim=prep.own.width,
        edge_types=all_edge_types(),
        epochs=gnn_epochs,
        calibrate=False,
    )
    emb = gnn.embeddings(data)
    projection = Projection.fit(emb[gbdt_rows], components)
    z = pd.DataFrame(projection(emb), columns=projection.names, index=feats.index)
    frame = pd.concat([feats, z], axis=1)
    gbdt = train_gbdt(
        frame[gbdt_rows],
        t.label[gbdt_rows],
        frame[valid],
        t.label[valid],
        feature_names=[*F.FEATURES, *projection.names],
        categorical=list(F.CATEGORICAL),
        params=params_for(int(gbdt_rows.sum())),
    )
    return HybridModel(gnn, prep, projection, gbdt), data
