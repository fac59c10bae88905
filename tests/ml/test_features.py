"""Point-in-time features: nothing known after the cut changes them, and the single-deal path
(targeted queries) computes exactly what the batch path (snapshot) computes."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from graph.model import InteractionRecord, Participant
from graph.repositories import base, interactions
from ml import features as F
from ml import local
from ml.snapshot import Snapshot
from ml.timeutil import to_date
from tests.ml.conftest import Synthetic


def assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b)
    for c in a.columns:
        x, y = a[c].to_numpy(), b[c].to_numpy()
        if x.dtype == object or y.dtype == object:
            same = [(xx == yy) or (pd.isna(xx) and pd.isna(yy)) for xx, yy in zip(x, y, strict=True)]
        else:
            same = np.isclose(x.astype(float), y.astype(float), equal_nan=True)
        assert np.all(same), f"column {c} differs: {x[~np.asarray(same)][:3]} vs {y[~np.asarray(same)][:3]}"


def test_leaking_fields_are_not_read() -> None:
    strings, numbers, dates = __import__("ml.snapshot", fromlist=["NODE_PROPS"]).NODE_PROPS["Deal"]
    assert "amount" not in (*strings, *numbers, *dates)
    assert "stage" not in (*strings, *numbers, *dates)
    for name in F.FEATURES:
        assert "status" not in name and "amount" not in name and "close" not in name.replace("closed", "")


def _tamper(snap: Snapshot, horizon: float, rng: np.random.Generator) -> Snapshot:
    """Everything at or after ``horizon`` rewritten: interactions moved, re-kinded and given a CEO
    participant, new interactions about every deal, outcomes and close dates of late deals changed."""
    new = copy.deepcopy(snap)
    inter = new.nodes["Interaction"]
    late = inter["occurred_at"].to_numpy() >= horizon
    inter.loc[late, "occurred_at"] = horizon + rng.random(int(late.sum())) * 100
    inter.loc[late, "kind"] = "meeting"
    ceo = int(np.flatnonzero(new.nodes["Contact"]["title"].to_numpy() == "Chief Executive Officer")[0])
    late_idx = np.flatnonzero(late)
    extra = pd.DataFrame({"src": ceo, "dst": late_idx, "role": "from"})
    n0, n_deals = len(inter), len(new.nodes["Deal"])
    added = pd.DataFrame(
        {
            "uid": [f"acme/new{i}" for i in range(n_deals)],
            "id": [f"new{i}" for i in range(n_deals)],
            "kind": "meeting",
            "occurred_at": horizon + 1.0,
        }
    )
    new.nodes["Interaction"] = pd.concat([inter, added], ignore_index=True)
    new.rels["about_deal"] = pd.concat(
        [new.rels["about_deal"], pd.DataFrame({"src": n0 + np.arange(n_deals), "dst": np.arange(n_deals)})],
        ignore_index=True,
    )
    more = pd.DataFrame({"src": ceo, "dst": n0 + np.arange(n_deals), "role": "to"})
    new.rels["contact_in"] = pd.concat([new.rels["contact_in"], extra, more], ignore_index=True)
    deals = new.nodes["Deal"]
    closed_late = deals["close_date"].to_numpy() >= horizon
    flipped = deals["status"].map({"won": "lost", "lost": "won"}).fillna(deals["status"])
    deals.loc[closed_late, "status"] = flipped[closed_late]
    deals.loc[closed_late, "close_date"] = deals.loc[closed_late, "close_date"] + 3
    new._index.clear()
    return new


def test_batch_features_ignore_everything_after_the_cut(synthetic: Synthetic) -> None:
    snap = synthetic.snap
    t = F.examples(snap)
    horizon = float(np.quantile(t.cut, 0.6))
    before = t.subset(t.cut <= horizon)
    assert len(before) > 50
    raw0, x0 = F.deal_features(snap, before)
    tampered = _tamper(snap, horizon, np.random.default_rng(1))
    raw1, x1 = F.deal_features(tampered, before)
    assert_same(raw0, raw1)
    assert_same(x0, x1)
    # and the tampering does reach features computed later (the test can fail)
    after = t.subset(t.cut > horizon + 2)
    _, late0 = F.deal_features(snap, after)
    _, late1 = F.deal_features(tampered, after)
    assert not np.allclose(late0["n_interactions"].to_numpy(), late1["n_interactions"].to_numpy())


def test_single_deal_features_equal_batch_features(synthetic: Synthetic) -> None:
    snap = synthetic.snap
    deals = snap.nodes["Deal"]
    created = deals["created_on"].to_numpy()
    for at in (float(np.nanquantile(created, 0.7)) + 0.4, float(synthetic.info["today"].toordinal() - 719163) + 0.5):
        idx = np.flatnonzero(np.nan_to_num(created, nan=-1) < at)[:60]
        t = F.Targets(
            idx, np.full(len(idx), at), at - created[idx], np.full(len(idx), np.nan), np.full(len(idx), np.nan)
        )
        raw_batch, x_batch = F.deal_features(snap, t)
        raw_local, x_local = local.features_at(synthetic.store, "acme", list(raw_batch["deal_uid"]), at, cached=False)
        assert_same(raw_batch, raw_local)
        assert_same(x_batch, x_local)


def test_single_deal_features_ignore_later_writes(own_synthetic: Synthetic) -> None:
    store, snap = own_synthetic.store, own_synthetic.snap
    t = F.examples(snap)
    horizon = float(np.quantile(t.cut, 0.5))
    deals = snap.nodes["Deal"]
    open_then = (deals["created_on"].to_numpy() < horizon) & ~(deals["close_date"].to_numpy() < horizon)
    uids = [str(u) for u in deals["uid"].to_numpy()[open_then][:25]]
    raw0, x0 = local.features_at(store, "acme", uids, horizon, cached=False)
    when = datetime.combine(to_date(horizon) or datetime.now(UTC).date(), datetime.min.time(), UTC) + timedelta(days=2)
    for uid in uids:
        deal_id = uid.split("/", 1)[1]
        current = base.get_node(store=store, tenant="acme", label="Deal", record_id=deal_id)
        status = {"won": "lost", "lost": "won"}.get(current.get("status", "open"), "won")
        base.update_node(
            store=store,
            tenant="acme",
            label="Deal",
            record_id=deal_id,
            changes={"status": status, "stage": status.title(), "amount": 123456.0},
        )
        interactions.record(
            store=store,
            tenant="acme",
            data=InteractionRecord(
                kind="meeting",
                occurred_at=when,
                participants=[
                    Participant(person_id="c0-0", kind="contact", role="attendee"),
                    Participant(person_id="rep0", kind="rep", role="organizer"),
                ],
                about_deal_id=deal_id,
            ),
        )
    raw1, x1 = local.features_at(store, "acme", uids, horizon, cached=False)
    assert_same(raw0, raw1)
    assert_same(x0, x1)
    _, now = local.features_at(store, "acme", uids, horizon + 5, cached=False)
    assert (now["n_interactions"].to_numpy() > x0["n_interactions"].to_numpy()).all()


def test_counts_before_is_strict_and_keyed() -> None:
    got = F.counts_before(
        np.array([0, 0, 0, 1, 1, 2]),
        np.array([1.0, 2.0, 3.0, 1.0, np.nan, 5.0]),
        np.array([0, 0, 1, 2, -1, 3, 0]),
        np.array([2.0, 3.5, 1.0, 5.1, 9.0, 9.0, np.nan]),
    )
    assert got.tolist() == [1, 3, 0, 1, 0, 0, 0]


def test_examples_are_landmarks_while_open(synthetic: Synthetic) -> None:
    snap = synthetic.snap
    t = F.examples(snap)
    created = snap.nodes["Deal"]["created_on"].to_numpy()[t.deal]
    assert np.all(t.cut == created + t.age)
    assert np.all(t.cut < t.close)
    assert set(np.unique(t.age)) <= set(F.LANDMARKS)
    assert set(np.unique(t.label)) == {0.0, 1.0}
