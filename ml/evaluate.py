"""``relgraph evaluate``: the honest comparison table.

Data sets (each built fresh in a temporary directory unless a tenant is named):

- ``maven``: the Maven CRM data set alone (real deals with Won/Lost outcomes; no people and no
  interactions, so its "graph" features are the rep's, account's, product's and corporate
  family's track records at the deal's cut, the account hierarchy and the rep's open pipeline);
- ``demo``: the demo tenant (Maven + generated people and interactions, ``relgraph.demo``), whose
  engagement depends on the real outcome: a signal planted by the generator, said as such.

Deal-win: GNN, the hybrid (GBDT with graph features and GNN embeddings), GBDT with graph features,
GBDT without graph features (plain CRM columns), majority baseline, on one temporal split
(``ml.train``): AUC, PR-AUC and ECE on the test deals. Link
prediction (demo): the GraphSAGE model against Adamic-Adar, common neighbours and same account,
AUC against hard and random negatives, Hits@10 among hard negatives.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graph.store import GraphStore
from ml.snapshot import read_snapshot
from ml.train import MODEL_NAMES, evaluate_links, evaluate_snapshot

LINK_NAMES = {
    "graphsage": "GraphSAGE + MLP decoder",
    "adamic_adar": "Adamic-Adar",
    "common_neighbours": "common neighbours",
    "same_account": "same account",
}


def build_maven(store: GraphStore, tenant: str, maven_dir: Path) -> None:
    from graph.repositories.bulk import StoreRowWriter
    from importers.maven import parse_maven
    from importers.pipeline import run_import
    from importers.report import ImportReport

    store.ensure_tenant(tenant)
    run_import(
        parse_maven(maven_dir), StoreRowWriter(store, tenant), ImportReport(str(maven_dir), "maven"), batch_size=5000
    )


def build_demo_tenant(store: GraphStore, tenant: str, maven_dir: Path) -> None:
    from relgraph.demo.builder import build_demo

    build_demo(store, tenant, maven_dir, today=datetime.now(UTC).date())


def evaluate_tenant(
    store: GraphStore,
    tenant: str,
    *,
    with_gnn: bool = True,
    gnn_epochs: int = 300,
    links: bool = True,
    with_hybrid: bool = True,
) -> dict[str, Any]:
    started = time.perf_counter()
    snap = read_snapshot(store, tenant)
    deal_win = evaluate_snapshot(snap, with_gnn=with_gnn, gnn_epochs=gnn_epochs, with_hybrid=with_hybrid)
    out: dict[str, Any] = {"deal_win": deal_win}
    if links and len(snap.nodes["Interaction"]):
        out["links"] = evaluate_links(snap)
    out["seconds"] = time.perf_counter() - started
    return out


def _f(x: Any) -> str:
    return "  n/a" if x is None or x != x else f"{x:.3f}"


def verdict(table: dict[str, dict[str, float]]) -> str:
    """Which model is better, in one sentence."""
    ranked = sorted(((v["auc"], k) for k, v in table.items() if k != "majority"), reverse=True)
    if not ranked:
        return "no model trained"
    best_auc, best = ranked[0]
    bits = [f"best: {MODEL_NAMES[best]} (test AUC {best_auc:.3f})"]
    for key, name in (("gnn", "GNN"), ("hybrid", "hybrid")):
        if key in table and "gbdt" in table:
            d = table[key]["auc"] - table["gbdt"]["auc"]
            bits.append(f"{name} {'+' if d >= 0 else ''}{d:.3f} AUC vs GBDT + graph features")
    if "gbdt_plain" in table and "gbdt" in table:
        d = table["gbdt"]["auc"] - table["gbdt_plain"]["auc"]
        bits.append(f"graph features add {'+' if d >= 0 else ''}{d:.3f} AUC to the GBDT")
    return "; ".join(bits)


def format_results(results: dict[str, dict[str, Any]]) -> str:
    lines = []
    for name, res in results.items():
        dw = res["deal_win"]
        ex, sp = dw["examples"], dw["split"]
        lines.append(
            f"\n== {name}: deal-win, {ex['deals']} closed deals ({ex['rows']} rows at landmarks "
            f"{dw['landmarks_days']} days), win rate {ex['win_rate']:.2f}; test = deals closed from "
            f"{sp['test_from']} ({sp['rows']['test']} rows), validation from {sp['valid_from']}"
        )
        lines.append(f"{'model':34} {'AUC':>6} {'PR-AUC':>7} {'ECE':>6} {'Brier':>6} {'val AUC':>8} {'fit s':>6}")
        for key, row in dw["test"].items():
            lines.append(
                f"{MODEL_NAMES[key]:34} {_f(row['auc']):>6} {_f(row['pr_auc']):>7} {_f(row['ece']):>6} "
                f"{_f(row['brier']):>6} {_f(row['valid_auc']):>8} {row['fit_seconds']:>6.1f}"
            )
        lines.append("-> " + verdict(dw["test"]))
        lk = res.get("links")
        if lk:
            chance = 10.0 / (lk["mean_hard_negatives"] + 1.0)
            lines.append(
                f"\n== {name}: who-knows-whom, {lk['people']} people, {lk['known_pairs']} known pairs; "
                f"test = {lk['test_positives']} pairs first met from {lk['holdout_from']}; "
                f"{lk['mean_hard_negatives']:.1f} hard negatives per positive on average "
                f"(Hits@10 by chance ~{min(1.0, chance):.2f})"
            )
            lines.append(f"{'model':34} {'AUC hard':>9} {'AUC random':>11} {'Hits@10 hard':>13}")
            for key, row in lk["test"].items():
                lines.append(
                    f"{LINK_NAMES.get(key, key):34} {_f(row['auc_hard']):>9} {_f(row['auc_random']):>11} "
                    f"{_f(row['hits10_hard']):>13}"
                )
            best = max(lk["test"].items(), key=lambda kv: kv[1]["auc_hard"])
            lines.append(f"-> best against hard negatives: {LINK_NAMES.get(best[0], best[0])}")
        lines.append(f"({res['seconds']:.0f} s)")
    return "\n".join(lines)


def run(
    maven_dir: Path,
    *,
    datasets: tuple[str, ...] = ("maven", "demo"),
    with_gnn: bool = True,
    gnn_epochs: int = 300,
    with_hybrid: bool = True,
    workdir: Path | None = None,
    open_store: Callable[[Path], GraphStore] | None = None,
) -> dict[str, dict[str, Any]]:
    """Build each data set in a temporary store and evaluate it."""
    from graph.backends.embedded import LadybugStore

    opener = open_store or (lambda p: LadybugStore(p, buffer_pool_mb=1024))
    builders = {"maven": build_maven, "demo": build_demo_tenant}
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(dir=workdir, prefix="relgraph-eval-") as tmp:
        store = opener(Path(tmp))
        try:
            for name in datasets:
                builders[name](store, name, maven_dir)
                results[name] = evaluate_tenant(
                    store, name, with_gnn=with_gnn, gnn_epochs=gnn_epochs, with_hybrid=with_hybrid
                )
        finally:
            store.close()
    return results
