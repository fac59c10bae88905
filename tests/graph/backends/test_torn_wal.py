"""A torn WAL tail never keeps a tenant closed, whatever its bytes: Ladybug's replay fails with a
RuntimeError, a MemoryError (bad_alloc on a garbage length) or a ValueError (length_error) depending
on them, and the store sets the WAL aside and opens on what is intact in every case."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from graph.backends.embedded import LadybugStore
from graph.model import ContactCreate
from graph.repositories import contacts

WAL = Path("tenants") / "crash" / "graph.lbug.wal"


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tenant whose last writes are still only in the WAL (copied while the store was open)."""
    live, snap = tmp_path_factory.mktemp("live"), tmp_path_factory.mktemp("snap")
    store = LadybugStore(live, buffer_pool_mb=64)
    for i in range(3):
        contacts.contacts.create(store=store, tenant="crash", data=ContactCreate(id=f"c{i}", name="x"))
    shutil.copytree(live / "tenants", snap / "tenants")
    store.close()
    assert (snap / WAL).exists()
    return snap


# Seeds found by trying: 0 gives a RuntimeError, 2 a ValueError, 31 a MemoryError (Ladybug 0.22).
@pytest.mark.parametrize("seed", [0, 2, 31])
def test_any_torn_tail_opens(snapshot: Path, tmp_path: Path, seed: int) -> None:
    shutil.copytree(snapshot / "tenants", tmp_path / "tenants")
    rnd = random.Random(seed)
    with (tmp_path / WAL).open("ab") as fh:
        fh.write(b"\x13\x00\x00\x00" + bytes(rnd.getrandbits(8) for _ in range(4096)))
    store = LadybugStore(tmp_path, buffer_pool_mb=64)
    try:
        page, _ = contacts.contacts.list(store=store, tenant="crash", cursor=None, limit=10)
        assert store.recovered
        assert {c.id for c in page} <= {"c0", "c1", "c2"}
    finally:
        store.close()
    assert list((tmp_path / WAL).parent.glob("graph.lbug.wal.corrupt-*"))
