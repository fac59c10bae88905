"""Graph ML benchmark: training, batch scoring of every open deal, one deal through the API.

    python -m bench.ml --scale 0.1 --out /tmp/rg-ml-bench            # ~100k nodes: a few minutes
    python -m bench.ml --out /tmp/rg-ml-bench                        # 1M nodes / 5M relationships
    python -m bench.ml --out /tmp/rg-ml-bench --skip-generate        # reuse the CSVs and database

The tenant is ``bench.generate``'s synthetic one (its deal outcomes are random, so the AUCs here
mean nothing: this measures time and memory). Figures, each with a same-run baseline:

- snapshot read (every node and relationship the models use) in rows/s;
- deal-win training (GBDT; ``--gnn`` adds the GNN), features and fit;
- batch scoring of all open deals with the served GBDT (one snapshot, vectorised features, LightGBM
  with reasons), against the time to merely list the open deals' ids; target: <= 60 s at 1M nodes;
- one deal through ``GET /deals/{id}/win-probability`` (TestClient, in process, a real API key)
  p50/p99, against ``GET /deals/{id}`` on the same client and deals, the two requests interleaved;
  the same with ``ml.local``'s track-record caches emptied before each request; target p99 <= 50 ms;
- with ``--gnn``: one full-graph GNN forward pass (what GNN batch scoring costs besides the snapshot).

One thread for torch and LightGBM (``RELGRAPH_ML_THREADS``) unless said otherwise.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import time
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import torch

from bench.common import percentile


def _rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def _summary(samples: list[float]) -> dict[str, float]:
    return {
        "n": len(samples),
        "p50_ms": percentile(samples, 50),
        "p90_ms": percentile(samples, 90),
        "p99_ms": percentile(samples, 99),
        "max_ms": max(samples) if samples else float("nan"),
    }


def _lat(fn: Any, args: list[Any], *, warmup: int = 10, max_s: float = 60.0) -> dict[str, float]:
    for a in args[:warmup]:
        fn(a)
    samples: list[float] = []
    started = time.perf_counter()
    for a in args[warmup:]:
        t = time.perf_counter()
        fn(a)
        samples.append((time.perf_counter() - t) * 1000)
        if time.perf_counter() - started > max_s:
            break
    return _summary(samples)


def _interleaved(fns: dict[str, Any], args: list[Any], *, warmup: int = 10, max_s: float = 90.0) -> dict[str, Any]:
    """Each arg through every fn in turn (so load and cache warmth hit them alike); ms percentiles."""
    for a in args[:warmup]:
        for fn in fns.values():
            fn(a)
    samples: dict[str, list[float]] = {k: [] for k in fns}
    started = time.perf_counter()
    for a in args[warmup:]:
        for name, fn in fns.items():
            t = time.perf_counter()
            fn(a)
            samples[name].append((time.perf_counter() - t) * 1000)
        if time.perf_counter() - started > max_s:
            break
    return {k: _summary(v) for k, v in samples.items()}


def _single(a: argparse.Namespace, out: dict[str, Any], store: Any, registry: Any) -> None:
    """One deal through ``GET /deals/{id}/win-probability`` next to ``GET /deals/{id}`` (same client,
    same deals, interleaved); then the service alone on other deals; then the API with the
    track-record caches of ``ml.local`` emptied before every request (the first request about a
    rep / product / corporate family)."""
    from fastapi.testclient import TestClient

    from api.main import create_app
    from api.routers import ml as ml_router
    from api.settings import Settings
    from graph.repositories.keys import create_key
    from ml import local, scoring

    data = a.out / "data"
    uids = scoring.open_deal_uids(store, a.tenant)
    import api.main

    # The app's lifespan starts a search catch-up of every tenant in a background thread (a full
    # reindex of a 1M-node tenant the first time): it would compete with the requests measured
    # here, so it is off for this bench (bench/search.py measures search).
    api.main._catch_up_all = lambda *args, **kwargs: None  # type: ignore[assignment]
    settings = Settings(data_dir=data, auth_cache_s=30)
    app = create_app(settings, store=store)
    if not any(getattr(r, "path", "") == "/deals/{deal_id}/win-probability" for r in app.routes):
        app.include_router(ml_router.router)
    key = create_key(store=store, tenant=a.tenant, role="viewer").key
    headers = {"Authorization": f"Bearer {key}"}
    rng = random.Random(7)
    n = a.single + 10
    picked = [u.split("/", 1)[1] for u in rng.sample(uids, min(len(uids), 2 * n + 110))]
    sample, others, cold = picked[:n], picked[n : 2 * n], picked[2 * n :]
    out["load_average_before"] = os.getloadavg()
    with TestClient(app) as client:

        def win(deal_id: str) -> None:
            r = client.get(f"/deals/{deal_id}/win-probability", headers=headers)
            assert r.status_code == 200, r.text

        def plain(deal_id: str) -> None:
            r = client.get(f"/deals/{deal_id}", headers=headers)
            assert r.status_code == 200, r.text

        def win_cold(deal_id: str) -> None:
            local.clear_caches()
            win(deal_id)

        both = _interleaved({"single_deal_api": win, "baseline_get_deal_api": plain}, sample)
        out.update(both)
        out["single_deal_api_cold_caches"] = _lat(win_cold, cold)
    out["single_deal_service"] = _lat(
        lambda d: scoring.win_probability(store=store, tenant=a.tenant, deal_id=d, registry=registry), others
    )
    out["load_average_after"] = os.getloadavg()
    win_s, base = out["single_deal_api"], out["baseline_get_deal_api"]
    out["ratio_to_baseline"] = {"p50": win_s["p50_ms"] / base["p50_ms"], "p99": win_s["p99_ms"] / base["p99_ms"]}
    keys = (
        "single_deal_api",
        "baseline_get_deal_api",
        "ratio_to_baseline",
        "single_deal_api_cold_caches",
        "single_deal_service",
        "load_average_before",
        "load_average_after",
    )
    print("single", json.dumps({k: out[k] for k in keys}), flush=True)
    print(
        f"GET /deals/{{id}}/win-probability p50 {win_s['p50_ms']:.1f} ms, p99 {win_s['p99_ms']:.1f} ms "
        f"(n={win_s['n']}); baseline GET /deals/{{id}} p50 {base['p50_ms']:.1f} ms, p99 {base['p99_ms']:.1f} ms; "
        f"ratio p50 {out['ratio_to_baseline']['p50']:.1f}x, p99 {out['ratio_to_baseline']['p99']:.1f}x; "
        f"caches emptied before each request: p50 {out['single_deal_api_cold_caches']['p50_ms']:.1f} ms, "
        f"p99 {out['single_deal_api_cold_caches']['p99_ms']:.1f} ms; load average {out['load_average_before'][0]:.2f} "
        f"-> {out['load_average_after'][0]:.2f}",
        flush=True,
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--tenant", default="bench")
    p.add_argument("--skip-generate", action="store_true")
    p.add_argument("--gnn", action="store_true", help="also train the GNN and time a full-graph forward pass")
    p.add_argument("--gnn-epochs", type=int, default=30)
    p.add_argument("--single", type=int, default=300, help="single-deal requests to time")
    p.add_argument("--buffer-pool-mb", type=int, default=2048)
    p.add_argument("--only-single", action="store_true", help="only the single-deal latency (needs a trained model)")
    a = p.parse_args()
    torch.set_num_threads(int(os.environ.get("RELGRAPH_ML_THREADS", "1")))

    from bench.generate import generate, load
    from graph.backends.embedded import LadybugStore
    from ml import features as F
    from ml import scoring
    from ml.registry import Registry
    from ml.snapshot import read_snapshot
    from ml.train import train_deal_win

    out: dict[str, Any] = {"scale": a.scale, "tenant": a.tenant, "cpu_count": os.cpu_count()}
    csv, data = a.out / "csv", a.out / "data"
    if not a.skip_generate:
        t = time.perf_counter()
        manifest = generate(csv, scale=a.scale, tenant=a.tenant)
        out["generate_s"] = time.perf_counter() - t
        store = LadybugStore(data, buffer_pool_mb=a.buffer_pool_mb)
        out["load"] = {k: v for k, v in load(store, a.tenant, csv).items() if k != "per_table"}
    else:
        manifest = json.loads((csv / "manifest.json").read_text())
        store = LadybugStore(data, buffer_pool_mb=a.buffer_pool_mb)
    out["nodes"], out["rels"] = manifest["total_nodes"], manifest["total_rels"]
    print(json.dumps({k: v for k, v in out.items()}, default=str), flush=True)

    registry = Registry(data / "models")
    if a.only_single:
        _single(a, out, store, registry)
        store.close()
        print(json.dumps(out, indent=1, default=str))
        return

    # --- snapshot ------------------------------------------------------------------------------
    rss0 = _rss_mb()
    t = time.perf_counter()
    snap = read_snapshot(store, a.tenant)
    read_s = time.perf_counter() - t
    rows = sum(snap.counts().values())
    out["snapshot"] = {"s": read_s, "rows": rows, "rows_per_s": rows / read_s, "rss_mb_added": _rss_mb() - rss0}
    print("snapshot", json.dumps(out["snapshot"]), flush=True)

    # --- training ----------------------------------------------------------------------------
    t = time.perf_counter()
    ex = F.examples(snap)
    _, _ = F.deal_features(snap, ex)
    out["features"] = {"examples": len(ex), "s": time.perf_counter() - t}
    t = time.perf_counter()
    mv = train_deal_win(store, a.tenant, registry, snap=snap, with_gnn=a.gnn, evaluate=False, gnn_epochs=a.gnn_epochs)
    out["train"] = {"s": time.perf_counter() - t, "seconds": mv.meta["seconds"], "selected": mv.meta["selected"]}
    out["train"]["rss_mb"] = _rss_mb()
    print("train", json.dumps(out["train"]), flush=True)

    # --- batch scoring of every open deal (GBDT path) ----------------------------------------
    if mv.meta["selected"] != "gbdt":  # time the GBDT path here; the GNN forward is timed below
        (mv.path / "meta.json").write_text(json.dumps({**mv.meta, "selected": "gbdt"}))
    t = time.perf_counter()
    uids = scoring.open_deal_uids(store, a.tenant)
    list_s = time.perf_counter() - t
    t = time.perf_counter()
    summary = scoring.score_open_deals(store=store, tenant=a.tenant, registry=registry)
    batch_s = time.perf_counter() - t
    out["batch_scoring"] = {
        "open_deals": len(uids),
        "s": batch_s,
        "deals_per_s": len(uids) / batch_s if batch_s else float("nan"),
        "baseline_list_open_ids_s": list_s,
        "extrapolated_to_scale_1_s": batch_s / a.scale if a.scale < 1 else batch_s,
        "summary_seconds": summary["seconds"],
    }
    print("batch", json.dumps(out["batch_scoring"]), flush=True)

    # --- GNN forward -------------------------------------------------------------------------
    if a.gnn:
        from ml.hetero import build_graph

        loaded = scoring.load_deal_win(mv)
        if loaded.gnn is not None and loaded.prep is not None:
            t = time.perf_counter()
            t_open = F.open_deals(snap, float(np.floor(time.time() / 86400)))
            all_t = F.Targets(
                np.r_[ex.deal, t_open.deal],
                np.r_[ex.cut, t_open.cut],
                np.r_[ex.age, t_open.age],
                np.r_[ex.label, t_open.label],
                np.r_[ex.close, t_open.close],
            )
            import pandas as pd

            x_all = pd.concat([F.deal_features(snap, ex)[1], F.deal_features(snap, t_open)[1]], ignore_index=True)
            data_g = build_graph(snap, all_t, x_all, loaded.prep)
            build_s = time.perf_counter() - t
            t = time.perf_counter()
            loaded.gnn.predict(data_g)
            out["gnn_forward"] = {"graph_build_s": build_s, "forward_s": time.perf_counter() - t, "rss_mb": _rss_mb()}
            print("gnn", json.dumps(out["gnn_forward"]), flush=True)
    # --- one deal through the API (after dropping the snapshot: millions of live Python objects
    # make every garbage-collector pass slow, which an API process does not have) ---------------
    del snap, ex
    gc.collect()
    _single(a, out, store, registry)
    store.close()
    (a.out / "ml-bench.json").write_text(json.dumps(out, indent=1, default=str))
    print(json.dumps(out, indent=1, default=str))


if __name__ == "__main__":
    main()
