"""Graph -> search sync: incremental catch-up after a kill -9 between the graph commit and the index."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from graph.backends.embedded import LadybugStore
from graph.model import AccountCreate, ContactCreate, Employment
from graph.repositories import accounts, contacts
from search.backends.tantivy import open_tantivy_index
from search.models import SearchQuery
from search.sync import SearchSync, Watermarks

ROOT = Path(__file__).resolve().parents[2]
# Writes to the graph only, acknowledging each write, and never touches the index: what a process
# killed right after its graph commit leaves behind.
WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from graph.backends.embedded import LadybugStore
    from graph.model import ContactCreate
    from graph.repositories import contacts
    store = LadybugStore(Path(sys.argv[1]), buffer_pool_mb=64)
    contacts.contacts.delete(store=store, tenant="t", record_id="gone")
    print("ack delete", flush=True)
    for i in range(100000):
        contacts.contacts.create(store=store, tenant="t", data=ContactCreate(id=f"new{i}", name=f"Quintus Fabius {i}"))
        print(f"ack {i}", flush=True)
    """
)


def _sync(data: Path, store: LadybugStore) -> tuple[SearchSync, object]:
    index = open_tantivy_index(data / "search")
    return SearchSync(store, index, Watermarks(data / "search" / "sync-state.json")), index


def test_catch_up_after_kill_9_between_graph_and_index(tmp_path: Path) -> None:
    store = LadybugStore(tmp_path, buffer_pool_mb=64)
    contacts.contacts.create(store=store, tenant="t", data=ContactCreate(id="gone", name="Gaius Julius"))
    contacts.contacts.create(store=store, tenant="t", data=ContactCreate(id="kept", name="Marcus Tullius"))
    sync, index = _sync(tmp_path, store)
    sync.rebuild("t")
    index.close()  # type: ignore[attr-defined]
    store.close()

    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    acked: list[str] = []
    while len(acked) < 6:
        acked.append(proc.stdout.readline().split()[1])
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    store = LadybugStore(tmp_path, buffer_pool_mb=64)
    sync, index = _sync(tmp_path, store)
    try:
        found = {h.id for h in index.search("t", SearchQuery(q="quintus fabius", limit=100)).hits}  # type: ignore[attr-defined]
        assert not found, "nothing reached the index before catch-up"
        report = sync.catch_up("t")
        found = {h.id for h in index.search("t", SearchQuery(q="quintus fabius", limit=100)).hits}  # type: ignore[attr-defined]
        assert {f"new{i}" for i in acked[1:]} <= found
        assert report.deleted >= 1
        assert index.search("t", SearchQuery(q="gaius julius")).hits == []  # type: ignore[attr-defined]
        assert [h.id for h in index.search("t", SearchQuery(q="marcus tullius")).hits] == ["kept"]  # type: ignore[attr-defined]
    finally:
        index.close()  # type: ignore[attr-defined]
        store.close()


def test_relationship_change_reindexes_the_contact_and_rename_cascades(tmp_path: Path) -> None:
    store = LadybugStore(tmp_path, buffer_pool_mb=64)
    sync, index = _sync(tmp_path, store)
    try:
        accounts.accounts.create(store=store, tenant="t", data=AccountCreate(id="acme", name="Acme"))
        contacts.contacts.create(store=store, tenant="t", data=ContactCreate(id="ada", name="Ada Lovelace"))
        sync.rebuild("t")
        contacts.put_at_account(store=store, tenant="t", contact_id="ada", job=Employment(account_id="acme"))
        sync.catch_up("t")
        hit = index.search("t", SearchQuery(q="ada", account_id="acme")).hits  # type: ignore[attr-defined]
        assert [h.id for h in hit] == ["ada"]
        from graph.model import AccountUpdate

        accounts.accounts.update(store=store, tenant="t", record_id="acme", data=AccountUpdate(name="Globex"))
        sync.apply("t", [("Account", "acme")])
        page = index.search("t", SearchQuery(q="globex", types=("contact",))).hits  # type: ignore[attr-defined]
        assert [h.id for h in page] == ["ada"]
    finally:
        index.close()  # type: ignore[attr-defined]
        store.close()
