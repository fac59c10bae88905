"""The GraphStore contract on the embedded engine (always runs)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.backends.embedded import LadybugStore
from tests.contracts.graph_suite import *  # noqa: F403


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LadybugStore]:
    s = LadybugStore(Path(tmp_path_factory.mktemp("ladybug")), buffer_pool_mb=128)
    yield s
    s.close()


@pytest.fixture
def tenant(store: LadybugStore, request: pytest.FixtureRequest) -> Iterator[str]:
    name = "t-" + request.node.name.lower().replace("_", "-")[:50]
    yield name
    store.drop_tenant(name)
