"""The `relgraph` command end to end on a temporary data directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph.backends.embedded import LadybugStore
from graph.repositories.keys import authenticate
from relgraph.cli import app
from tests.conftest import SHARED_DATA

runner = CliRunner()


def test_keys_create_prints_a_working_key_once(tmp_path: Path) -> None:
    res = runner.invoke(app, ["keys", "create", "--tenant", "acme", "--role", "analyst", "--data-dir", str(tmp_path)])
    assert res.exit_code == 0, res.output
    key = res.output.strip()
    store = LadybugStore(tmp_path)
    try:
        principal = authenticate(store=store, key=key)
        assert (principal.tenant, principal.role) == ("acme", "analyst")
    finally:
        store.close()
    listed = runner.invoke(app, ["keys", "list", "--tenant", "acme", "--data-dir", str(tmp_path)])
    assert principal.key_id in listed.output and key not in listed.output


def test_keys_create_refuses_unknown_role(tmp_path: Path) -> None:
    res = runner.invoke(app, ["keys", "create", "--tenant", "acme", "--role", "god", "--data-dir", str(tmp_path)])
    assert res.exit_code == 2 and "unknown role" in res.output


@pytest.mark.slow
@pytest.mark.skipif(not (SHARED_DATA / "maven-crm").is_dir(), reason="../shared/data/maven-crm not present")
def test_demo_builds_then_cypher_and_export(tmp_path: Path) -> None:
    data = tmp_path / "data"
    res = runner.invoke(
        app, ["demo", "--no-serve", "--data-dir", str(data), "--maven-dir", str(SHARED_DATA / "maven-crm")]
    )
    assert res.exit_code == 0, res.output
    assert (data / "demo-admin-key.txt").read_text().startswith("rg_")
    q = "MATCH (d:Deal) RETURN d.status AS status, count(*) AS n ORDER BY status"
    res = runner.invoke(app, ["cypher", "--tenant", "demo", "--data-dir", str(data), "-e", q])
    assert res.exit_code == 0, res.output
    assert "won    | 4238" in res.output and "lost   | 2473" in res.output
    out = tmp_path / "demo.jsonl"
    res = runner.invoke(app, ["export", "--tenant", "demo", "--out", str(out), "--data-dir", str(data)])
    assert res.exit_code == 0 and "Deal: 8800" in res.output
    res = runner.invoke(app, ["restore", "--tenant", "copy", "--in", str(out), "--data-dir", str(data)])
    assert res.exit_code == 0 and "Deal: 8800" in res.output
