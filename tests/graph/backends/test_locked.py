"""A database another process holds open is reported as such: its live WAL is not taken for a torn
one (no ".corrupt" copy, no tolerant reopen), and the holder's data stays whole."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from graph.backends.embedded import LadybugStore
from graph.model import ContactCreate
from graph.repositories import contacts

REPO = Path(__file__).resolve().parents[3]
OPEN_IN_CHILD = """
import sys
sys.path.insert(0, {repo!r})
from pathlib import Path
from graph.backends.embedded import LadybugStore
from graph.errors import StoreUnavailable
try:
    LadybugStore(Path({data!r}), buffer_pool_mb=64).read("held", "RETURN 1 AS x", {{}})
except StoreUnavailable as exc:
    print("unavailable:", exc)
"""


def test_a_database_open_elsewhere_is_refused_clearly(tmp_path: Path) -> None:
    store = LadybugStore(tmp_path, buffer_pool_mb=64)
    for i in range(3):  # as in test_torn_wal: the last of these writes are still only in the WAL
        contacts.contacts.create(store=store, tenant="held", data=ContactCreate(id=f"c{i}", name="Kept"))
    wal_dir = tmp_path / "tenants" / "held"
    assert (wal_dir / "graph.lbug.wal").exists()  # the case that was misread: a live WAL beside it

    child = subprocess.run(
        [sys.executable, "-c", OPEN_IN_CHILD.format(repo=str(REPO), data=str(tmp_path))],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert "open in another process" in child.stdout, child.stdout + child.stderr
    assert not list(wal_dir.glob("*.corrupt-*"))
    assert contacts.contacts.get(store=store, tenant="held", record_id="c2").name == "Kept"
    store.close()
