"""kill -9 in the middle of an import, run it again: the same final state as one clean run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from graph.backends.embedded import LadybugStore
from importers.service import import_file
from tests.importers.helpers import REPO, data_dir
from tests.importers.test_service import enron_subset, tenant_state, written

TENANT = "crash"
WORKER = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from graph.backends.embedded import LadybugStore
    from importers.service import import_file

    data, fmt, path, options, batch, every, parallel = sys.argv[1:8]
    store = LadybugStore(Path(data), buffer_pool_mb=128)

    def progress(p):
        print(f"progress {p.rows} {p.stage}", flush=True)

    import_file(store=store, tenant="crash", fmt=fmt, path=Path(path), options=json.loads(options),
                batch_size=int(batch), progress_every=int(every), progress=progress,
                parallel=parallel == "1")
    print("finished", flush=True)
    """
)


def _import_killed(
    data: Path, fmt: str, path: Path, options: dict[str, object], kill_after: str, every: int, parallel: bool = False
) -> str:
    """Run the import in a child process and kill -9 it once it printed ``kill_after``; what it printed last."""
    args = [str(data), fmt, str(path), json.dumps(options), "500", str(every), "1" if parallel else "0"]
    proc = subprocess.Popen(
        [sys.executable, "-c", WORKER, *args],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert proc.stdout is not None
    last = ""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        last = line.strip()
        if last.startswith(kill_after):
            break
    parsers = psutil.Process(proc.pid).children(recursive=True)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    _, alive = psutil.wait_procs(parsers, timeout=30)  # a parser process notices its reader is gone
    assert not alive, f"parser processes left behind: {alive}"
    return last


def _clean(root: Path, fmt: str, path: Path, options: dict[str, object]) -> dict[str, object]:
    store = LadybugStore(root, buffer_pool_mb=128)
    try:
        import_file(store=store, tenant=TENANT, fmt=fmt, path=path, options=options, batch_size=500)
        return tenant_state(store, TENANT)
    finally:
        store.close()


def _resumed(
    root: Path, fmt: str, path: Path, options: dict[str, object], kill_after: str, every: int, parallel: bool = False
) -> object:
    last = _import_killed(root, fmt, path, options, kill_after, every, parallel)
    assert last.startswith(kill_after), f"the import ended before the kill point: {last!r}"
    store = LadybugStore(root, buffer_pool_mb=128)
    try:
        import_file(store=store, tenant=TENANT, fmt=fmt, path=path, options=options, batch_size=500)
        state = tenant_state(store, TENANT)
        again = import_file(store=store, tenant=TENANT, fmt=fmt, path=path, options=options, batch_size=500)
        assert written(again) == (0, 0)
        return state
    finally:
        store.close()


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", ["progress 4000 ", "progress 30000 "])
def test_maven_killed_and_rerun(tmp_path: Path, kill_after: str) -> None:
    maven = data_dir("maven-crm")
    clean = _clean(tmp_path / "clean", "maven", maven, {})
    assert _resumed(tmp_path / "killed", "maven", maven, {}, kill_after, 2000) == clean


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kill_after", "every"),
    [
        ("progress 300 ", 100),  # in the first batches
        ("progress 700 ", 100),  # later on
        ("progress", 10**9),  # the first line is the KNOWS stage starting: killed while it writes
    ],
)
def test_email_killed_and_rerun(tmp_path: Path, kill_after: str, every: int) -> None:
    mail = enron_subset(tmp_path / "mail")
    options: dict[str, object] = {"own_domains": ["enron.com"]}
    clean = _clean(tmp_path / "clean", "email", mail, options)
    assert _resumed(tmp_path / "killed", "email", mail, options, kill_after, every) == clean


@pytest.mark.slow
def test_email_parsed_in_a_child_process_killed_and_rerun(tmp_path: Path) -> None:
    mail = enron_subset(tmp_path / "mail")
    options: dict[str, object] = {"own_domains": ["enron.com"]}
    clean = _clean(tmp_path / "clean", "email", mail, options)
    assert _resumed(tmp_path / "killed", "email", mail, options, "progress 300 ", 100, parallel=True) == clean
