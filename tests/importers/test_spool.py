"""Imports whose new records are held back and written by COPY (``StoreRowWriter(spool_rows=...)``):
the same reports and the same stored state as writing batch by batch, idempotent, and a kill -9 in
the middle of a COPY leaves a database that a re-run brings to the state of one clean run."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from graph.backends.embedded import LadybugStore
from importers.service import import_file
from tests.importers.helpers import FIXTURES, REPO, data_dir
from tests.importers.test_service import tenant_state, written

CASES: list[tuple[str, Any, dict[str, Any]]] = [
    ("hubspot", lambda: FIXTURES / "hubspot", {}),
    ("salesforce", lambda: FIXTURES / "salesforce-export", {}),
    ("csv", lambda: FIXTURES / "mapped" / "people.csv", {"mapping": str(FIXTURES / "mapped" / "people.mapping.json")}),
    ("linkedin", lambda: FIXTURES / "linkedin" / "Connections.csv", {}),
    ("vcard", lambda: data_dir("vcard-samples"), {}),
    ("maven", lambda: data_dir("maven-crm"), {}),
]


def _counts(report: Any) -> dict[str, Any]:
    out = report.to_dict()
    return {"nodes": out["nodes"], "rels": out["rels"], "rejected": out["rejected_total"]}


@pytest.mark.parametrize(("fmt", "where", "options"), CASES, ids=[c[0] for c in CASES])
def test_spooled_import_reports_and_stores_what_a_batched_one_does(
    store: LadybugStore, fmt: str, where: Any, options: dict[str, Any]
) -> None:
    path = where()
    small = 7 if fmt != "maven" else 1000  # several flushes, some in the middle of a batch
    plain = import_file(store=store, tenant="plain", fmt=fmt, path=path, options=options, spool_rows=None)
    held = import_file(store=store, tenant="held", fmt=fmt, path=path, options=options, spool_rows=small)
    whole = import_file(store=store, tenant="whole", fmt=fmt, path=path, options=options, spool_rows=10**6)
    assert _counts(held) == _counts(plain) == _counts(whole)
    assert tenant_state(store, "held") == tenant_state(store, "plain") == tenant_state(store, "whole")
    again = import_file(store=store, tenant="held", fmt=fmt, path=path, options=options, spool_rows=small)
    assert written(again) == (0, 0)
    assert tenant_state(store, "held") == tenant_state(store, "plain")


def test_mixed_new_and_stored_records(store: LadybugStore, tmp_path: Path) -> None:
    """Half the contacts imported before: the other half and every link come through COPY."""
    full = tmp_path / "contacts.csv"
    half = tmp_path / "half" / "contacts.csv"
    half.parent.mkdir()
    _contacts_csv(full, 400)
    _contacts_csv(half, 400, keep=lambda i: i % 2 == 0)
    import_file(store=store, tenant="mixed", fmt="hubspot", path=half, spool_rows=None)
    report = import_file(store=store, tenant="mixed", fmt="hubspot", path=full, spool_rows=50)
    assert report.nodes["Contact"].created == 200 and report.nodes["Contact"].unchanged == 200
    assert report.rels["WORKS_AT"].created == 200 and report.rels["WORKS_AT"].unchanged == 200
    import_file(store=store, tenant="clean", fmt="hubspot", path=full, spool_rows=None)
    assert tenant_state(store, "mixed") == tenant_state(store, "clean")


def _contacts_csv(path: Path, rows: int, keep: Any = None) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["Record ID", "First Name", "Last Name", "Email", "Job Title", "Company Name"])
        for i in range(rows):
            if keep is None or keep(i):
                out.writerow([1000 + i, f"F{i}", f"L{i}", f"p{i}@co{i % 37}.example", "CTO", f"Company {i % 37}"])
        out.writerow([99_999, "", "", "", "", "Nobody Inc"])  # no name, no email: a reject


WORKER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from graph.backends.embedded import LadybugStore
    from importers.service import import_file

    class Announcing(LadybugStore):
        def copy_nodes(self, tenant, label, columns):
            print(f"copy {label}", flush=True)
            return super().copy_nodes(tenant, label, columns)

        def copy_rels(self, tenant, rel_type, src, dst, columns):
            print(f"copy {rel_type}", flush=True)
            return super().copy_rels(tenant, rel_type, src, dst, columns)

    data, path, spool = sys.argv[1:4]
    store = Announcing(Path(data), buffer_pool_mb=128)
    import_file(store=store, tenant="crash", fmt="hubspot", path=Path(path), spool_rows=int(spool), parallel=False,
                batch_size=5000)
    print("finished", flush=True)
    """
)


def _killed_during(data: Path, path: Path, spool: int, line: str, nth: int) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(data), str(path), str(spool)], stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    assert proc.stdout is not None
    seen = 0
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        out = proc.stdout.readline()
        assert out, "the import ended before the kill point"
        if out.strip() == line:
            seen += 1
            if seen == nth:
                break
    kids = psutil.Process(proc.pid).children(recursive=True)
    os.kill(proc.pid, signal.SIGKILL)  # the COPY just announced is running
    proc.wait()
    psutil.wait_procs(kids, timeout=30)


@pytest.mark.slow
@pytest.mark.parametrize(("line", "nth"), [("copy Contact", 2), ("copy WORKS_AT", 1), ("copy WORKS_AT", 3)])
def test_killed_in_the_middle_of_a_copy_and_rerun(tmp_path: Path, line: str, nth: int) -> None:
    path = tmp_path / "contacts.csv"
    _contacts_csv(path, 30_000)
    clean = LadybugStore(tmp_path / "clean", buffer_pool_mb=128)
    try:
        import_file(store=clean, tenant="crash", fmt="hubspot", path=path, spool_rows=None)
        expected = tenant_state(clean, "crash")
    finally:
        clean.close()
    _killed_during(tmp_path / "killed", path, 10_000, line, nth)
    store = LadybugStore(tmp_path / "killed", buffer_pool_mb=128)
    try:
        import_file(store=store, tenant="crash", fmt="hubspot", path=path, spool_rows=10_000)
        assert tenant_state(store, "crash") == expected
        again = import_file(store=store, tenant="crash", fmt="hubspot", path=path, spool_rows=10_000)
        assert written(again) == (0, 0)
        assert json.dumps(again.to_dict()["rejected_total"]) == "1"
    finally:
        store.close()
