"""kill -9 during batch upserts: the store reopens and holds every acknowledged batch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from graph.backends.embedded import DB_FILE, LadybugStore
from graph.repositories import contacts

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from graph.backends.embedded import LadybugStore
    from graph.repositories import contacts
    store = LadybugStore(Path(sys.argv[1]), buffer_pool_mb=64)
    start = int(sys.argv[2])
    for batch in range(start, start + 10_000):
        rows = [{"id": f"b{batch}-{i}", "name": f"Person {batch}-{i}", "title": "VP"} for i in range(200)]
        contacts.contacts.upsert(store=store, tenant="crash", rows=rows)
        print(f"ack {batch}", flush=True)
    """
)


def _run_and_kill(data: Path, start: int, acks_wanted: int) -> list[int]:
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(data), str(start)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    acked: list[int] = []
    assert proc.stdout is not None
    deadline = time.monotonic() + 120
    while len(acked) < acks_wanted and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        acked.append(int(line.split()[1]))
    os.kill(proc.pid, signal.SIGKILL)  # mid-way through the next batch
    proc.wait()
    return acked


@pytest.mark.slow
def test_kill_9_keeps_every_acknowledged_batch(tmp_path: Path) -> None:
    acked: list[int] = []
    for round_no in range(4):
        acked += _run_and_kill(tmp_path, start=round_no * 10_000, acks_wanted=3 + round_no * 2)
        store = LadybugStore(tmp_path, buffer_pool_mb=64)
        try:
            ids = {c.id for c in _all_contacts(store)}
        finally:
            store.close()
        for batch in acked:
            assert {f"b{batch}-{i}" for i in range(200)} <= ids, f"batch {batch} was acknowledged but is missing"
        # no half batch: every batch present is present whole
        batches = {i.split("-")[0] for i in ids}
        assert len(ids) == 200 * len(batches)
    assert len(acked) >= 12


def _all_contacts(store: LadybugStore) -> list[contacts.Contact]:
    out, cursor = [], None
    while True:
        page, cursor = contacts.contacts.list(store=store, tenant="crash", cursor=cursor, limit=500)
        out += page
        if cursor is None:
            return out


@pytest.mark.slow
def test_torn_wal_tail_is_set_aside_and_acknowledged_batches_survive(tmp_path: Path) -> None:
    acked = _run_and_kill(tmp_path, start=0, acks_wanted=4)
    wal = tmp_path / "tenants" / "crash" / (DB_FILE + ".wal")
    assert wal.exists(), "a killed writer leaves its WAL behind"
    # A torn write: the in-flight (never acknowledged) batch's record half on disk.
    with wal.open("ab") as fh:
        fh.write(b"\x13\x00\x00\x00" + os.urandom(4096))
    store = LadybugStore(tmp_path, buffer_pool_mb=64)
    try:
        ids = {c.id for c in _all_contacts(store)}
        assert store.recovered, "the store says it had to set a WAL aside"
    finally:
        store.close()
    for batch in acked:
        assert f"b{batch}-0" in ids and f"b{batch}-199" in ids
    assert list(wal.parent.glob(DB_FILE + ".wal.corrupt-*")), "the torn WAL is kept for forensics"
