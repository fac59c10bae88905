"""The single-deal feature path (``ml.local``) on shapes the synthetic tenant lacks: corporate
families deeper than one variable-length pattern can follow, standalone accounts, and caches that
must not leak between stores."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from graph.backends.embedded import LadybugStore
from graph.repositories.bulk import StoreRowWriter
from importers.rows import NodeRow, RelRow
from ml import features as F
from ml import local
from ml.snapshot import read_snapshot
from ml.timeutil import day_of
from tests.ml.test_features import assert_same

TODAY = date(2026, 6, 1)


def _family_tenant(store: LadybugStore, tenant: str, depth: int, *, won_every: int = 2) -> list[str]:
    """A chain of ``depth`` + 1 accounts (``a0`` the root, ``a<i>`` under ``a<i-1>``), a branch
    under ``a3``, a standalone account; closed and open deals on several of them. Returns the open
    deals' uids."""
    store.ensure_tenant(tenant)
    w = StoreRowWriter(store, tenant)
    accounts = [f"a{i}" for i in range(depth + 1)] + ["b1", "b2", "alone"]
    w.upsert_nodes("Account", [NodeRow("Account", a, {"name": a}) for a in accounts])
    links = [RelRow("SUBSIDIARY_OF", "Account", f"a{i}", "Account", f"a{i - 1}", {}) for i in range(1, depth + 1)]
    links += [
        RelRow("SUBSIDIARY_OF", "Account", "b1", "Account", "a3", {}),
        RelRow("SUBSIDIARY_OF", "Account", "b2", "Account", "b1", {}),
    ]
    w.upsert_rels("SUBSIDIARY_OF", "Account", "Account", links)
    w.upsert_nodes("Rep", [NodeRow("Rep", "r", {"name": "R"})])
    w.upsert_nodes("Product", [NodeRow("Product", "p", {"name": "P", "list_price": 10.0})])
    deals: list[NodeRow] = []
    for_account: list[RelRow] = []
    open_uids = []
    places = [*accounts[:: max(1, depth // 6)], accounts[-4], "b2", "alone", accounts[depth]]
    for k, acct in enumerate(places * 3):
        did = f"d{k}"
        created = TODAY - timedelta(days=300 - 7 * k)
        props: dict[str, Any] = {"name": did, "created_on": created}
        if k % 5 == 4:
            props["status"] = "open"
            open_uids.append(f"{tenant}/{did}")
        else:
            props["status"] = "won" if k % won_every == 0 else "lost"
            props["close_date"] = created + timedelta(days=40)
        deals.append(NodeRow("Deal", did, props))
        for_account.append(RelRow("FOR_ACCOUNT", "Deal", did, "Account", acct, {}))
    w.upsert_nodes("Deal", deals)
    w.upsert_rels("FOR_ACCOUNT", "Deal", "Account", for_account)
    w.upsert_rels("OWNS", "Rep", "Deal", [RelRow("OWNS", "Rep", "r", "Deal", d.id, {}) for d in deals])
    lines = [RelRow("INCLUDES", "Deal", d.id, "Product", "p", {"quantity": 1}) for d in deals]
    w.upsert_rels("INCLUDES", "Deal", "Product", lines)
    return open_uids


def _batch(store: LadybugStore, tenant: str, uids: list[str], at: float) -> tuple[Any, Any]:
    snap = read_snapshot(store, tenant)
    idx = snap.index("Deal").get_indexer(pd.Index(uids))
    created = snap.nodes["Deal"]["created_on"].to_numpy()[idx]
    n = len(idx)
    t = F.Targets(idx, np.full(n, at), at - created, np.full(n, np.nan), np.full(n, np.nan))
    return F.deal_features(snap, t)


def test_deep_and_shallow_families_match_the_batch_path(tmp_path: Path) -> None:
    store = LadybugStore(tmp_path / "db", buffer_pool_mb=128)
    try:
        for tenant, depth in (("deep", 34), ("shallow", 5)):  # deeper than one pattern follows (30), and not
            uids = _family_tenant(store, tenant, depth)
            at = day_of(datetime.combine(TODAY, datetime.min.time(), UTC)) + 0.5
            raw_batch, x_batch = _batch(store, tenant, uids, at)
            assert raw_batch["family_uid"].eq(f"{tenant}/a0").sum() >= 3
            for cached in (False, True, True):  # the second cached round reads the cache
                raw_local, x_local = local.features_at(store, tenant, uids, at, cached=cached)
                assert_same(raw_batch, raw_local)
                assert_same(x_batch, x_local)
            alone = raw_local[raw_local["account_uid"] == f"{tenant}/alone"]
            assert len(alone) and (alone["family_closed"] == alone["account_closed"]).all()
    finally:
        store.close()


def test_cached_track_records_do_not_leak_between_stores(tmp_path: Path) -> None:
    at = day_of(datetime.combine(TODAY, datetime.min.time(), UTC)) + 0.5
    seen = []
    for k, won_every in enumerate((1, 3)):  # same tenant and ids, different outcomes
        store = LadybugStore(tmp_path / f"db{k}", buffer_pool_mb=128)
        try:
            uids = _family_tenant(store, "acme", 5, won_every=won_every)
            raw, _ = local.features_at(store, "acme", uids, at, cached=True)
            raw_batch, _ = _batch(store, "acme", uids, at)
            assert_same(raw_batch, raw)
            seen.append(raw["rep_won"].to_numpy())
        finally:
            store.close()
    assert not np.array_equal(seen[0], seen[1])
