"""Fixtures for the graph ML tests: one thread for torch and LightGBM, a small synthetic tenant."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch

from graph.backends.embedded import LadybugStore
from ml.snapshot import Snapshot, read_snapshot
from tests.ml.synth import build_synthetic

torch.set_num_threads(1)


@dataclass
class Synthetic:
    store: LadybugStore
    tenant: str
    info: dict[str, Any]
    snap: Snapshot


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthetic]:
    """A read-only synthetic tenant shared by the tests that do not write (do not modify it)."""
    store = LadybugStore(tmp_path_factory.mktemp("ml-synth") / "data", buffer_pool_mb=256)
    info = build_synthetic(store, "acme")
    yield Synthetic(store, "acme", info, read_snapshot(store, "acme"))
    store.close()


@pytest.fixture
def own_synthetic(tmp_path: Path) -> Iterator[Synthetic]:
    """A synthetic tenant of this test's own (tests that write into the store)."""
    store = LadybugStore(tmp_path / "own", buffer_pool_mb=256)
    info = build_synthetic(store, "acme", n_deals=120)
    yield Synthetic(store, "acme", info, read_snapshot(store, "acme"))
    store.close()
