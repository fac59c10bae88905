"""import_file on the real embedded store: idempotent, merges mail across runs, refreshes KNOWS, and
survives garbage (no traceback; rejects or a clear InvalidInput; data already stored untouched)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.backends.embedded import LadybugStore
from graph.backup import export_tenant
from graph.errors import InvalidInput
from graph.repositories import base
from importers.knows import refresh_knows
from importers.report import ImportReport
from importers.service import ImportProgress, allowed_options, import_file, parser_options
from tests.importers.helpers import FIXTURES, data_dir

T = "imp"
ENRON_SUBSET = ("enron.brawner-s._sent_mail", "enron.brawner-s.sent", "enron.brawner-s.sent_items")
TIMESTAMPS = ("created_at", "updated_at")


# --- helpers shared with test_crash_import -----------------------------------------------------------
def tenant_state(store: LadybugStore, tenant: str = T) -> dict[str, Any]:
    """Counts per label and relationship type, a checksum of ids, and one of every stored value
    (creation/update times aside: they say when, not what)."""
    out = io.StringIO()
    export_tenant(store, tenant, out)
    lines = []
    ids = []
    nodes: Counter[str] = Counter()
    rels: Counter[str] = Counter()
    for line in out.getvalue().splitlines():
        item = json.loads(line)
        if "node" in item:
            nodes[item["node"]] += 1
            ids.append(f"{item['node']}/{item['props']['id']}")
            for key in TIMESTAMPS:
                item["props"].pop(key)
        else:
            rels[item["rel"]] += 1
            ids.append(f"{item['rel']}/{item['src']}/{item['dst']}")
        lines.append(json.dumps(item, sort_keys=True))
    return {
        "nodes": dict(nodes),
        "rels": dict(rels),
        "ids": hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest(),
        "values": hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest(),
    }


def enron_subset(folder: Path) -> Path:
    source = data_dir("enron-mbox-sample")
    folder.mkdir(parents=True, exist_ok=True)
    for name in ENRON_SUBSET:
        shutil.copyfile(source / name, folder / name)
    return folder


def written(report: ImportReport) -> tuple[int, int]:
    counts = [*report.nodes.values(), *report.rels.values()]
    return sum(c.created for c in counts), sum(c.updated for c in counts)


# --- idempotence ---------------------------------------------------------------------------------------
@pytest.mark.slow
def test_maven_twice_changes_nothing(store: LadybugStore, tmp_path: Path) -> None:
    maven = data_dir("maven-crm")
    first = import_file(store=store, tenant=T, fmt="maven", path=maven, rejects_path=tmp_path / "r1.jsonl")
    assert first.nodes["Deal"].created == 8800 and first.rels["OWNS"].created == 8800
    state = tenant_state(store)
    second = import_file(store=store, tenant=T, fmt="maven", path=maven, rejects_path=tmp_path / "r2.jsonl")
    assert written(second) == (0, 0)
    assert second.nodes["Deal"].unchanged == 8800
    assert tenant_state(store) == state


def test_enron_subset_twice_changes_nothing(store: LadybugStore, tmp_path: Path) -> None:
    mail = enron_subset(tmp_path / "mail")
    options = {"own_domains": ["enron.com"]}
    first = import_file(store=store, tenant=T, fmt="email", path=mail, options=options, rejects_path=None)
    assert first.nodes["Interaction"].created > 150 and first.nodes["Interaction"].merged > 0
    assert first.rels["KNOWS"].created > 0
    assert first.nodes["Rep"].created > 0  # enron.com people
    state = tenant_state(store)
    second = import_file(store=store, tenant=T, fmt="email", path=mail, options=options, rejects_path=None)
    assert written(second) == (0, 0)
    assert second.nodes["Interaction"].merged == first.nodes["Interaction"].merged
    assert second.rels["KNOWS"].unchanged == first.rels["KNOWS"].created
    assert tenant_state(store) == state


def test_copies_under_new_message_ids_merge_across_runs(store: LadybugStore, tmp_path: Path) -> None:
    mail = enron_subset(tmp_path / "mail")
    options = {"own_domains": ["enron.com"]}
    together = import_file(store=store, tenant="together", fmt="email", path=mail, options=options)
    in_one_run = together.nodes["Interaction"].created
    one = import_file(store=store, tenant=T, fmt="email", path=mail / ENRON_SUBSET[1], options=options)
    other = import_file(store=store, tenant=T, fmt="email", path=mail / ENRON_SUBSET[0], options=options)
    assert other.nodes["Interaction"].merged > 0  # the _sent_mail copies of messages already imported from sent
    third = import_file(store=store, tenant=T, fmt="email", path=mail / ENRON_SUBSET[2], options=options)
    stored = tenant_state(store)["nodes"]["Interaction"]
    assert stored == in_one_run
    created = sum(r.nodes["Interaction"].created for r in (one, other, third))
    assert created == in_one_run


def test_knows_edges_are_written_with_evidence(store: LadybugStore, tmp_path: Path) -> None:
    mail = enron_subset(tmp_path / "mail")
    import_file(store=store, tenant=T, fmt="email", path=mail, options={"own_domains": ["enron.com"]})
    rows = store.read(
        T,
        "MATCH (a)-[k:KNOWS]->(b) RETURN a.id AS a, b.id AS b, k.strength AS s, k.interactions AS n, "
        "k.reciprocity AS r, k.last_at AS last, k.evidence AS e ORDER BY k.interactions DESC LIMIT 1",
    )
    top = rows[0]
    assert 0 < top["s"] < 1 and top["n"] >= 2 and 0 <= top["r"] <= 1 and top["last"] is not None
    evidence = json.loads(top["e"])
    assert evidence["by_kind"]["email"] == top["n"] and evidence["recent_ids"] and evidence["as_of"]
    assert set(evidence["flow"]) == {top["a"], top["b"]}


KNOWS_VALUES = (
    "MATCH (a)-[k:KNOWS]->(b) RETURN a.id AS x, b.id AS y, k.strength AS s, k.interactions AS n, "
    "k.reciprocity AS r, k.last_at AS last ORDER BY x, y"
)


def _knows(store: LadybugStore, tenant: str) -> dict[tuple[str, str], tuple[float, int, float, Any]]:
    return {(r["x"], r["y"]): (r["s"], r["n"], r["r"], r["last"]) for r in store.read(tenant, KNOWS_VALUES)}


def _same_knows(left: dict[Any, Any], right: dict[Any, Any]) -> None:
    assert left.keys() == right.keys()
    for key, (s, n, r, last) in left.items():
        s2, n2, r2, last2 = right[key]
        assert (n, last) == (n2, last2) and abs(s - s2) < 2e-6 and abs(r - r2) < 2e-6, key


def test_knows_from_the_stream_equals_knows_read_back_page_by_page(
    store: LadybugStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mail = enron_subset(tmp_path / "mail")
    import_file(store=store, tenant=T, fmt="email", path=mail, options={"own_domains": ["enron.com"]})
    streamed = _knows(store, T)
    rows = store.read(T, "MATCH (p)-[:PARTICIPATED_IN]->() RETURN DISTINCT label(p) AS l, p.id AS p")
    people = [(r["l"], r["p"]) for r in rows]
    monkeypatch.setattr("graph.intelligence.knows.GROUP_LIMIT", 3)  # busy people read in pages of 3
    refresh_knows(store=store, tenant=T, people=people)
    _same_knows(_knows(store, T), streamed)


def test_knows_after_imports_in_pieces_equals_one_import(store: LadybugStore, tmp_path: Path) -> None:
    mail = enron_subset(tmp_path / "mail")
    options = {"own_domains": ["enron.com"]}
    import_file(store=store, tenant="whole", fmt="email", path=mail, options=options)
    for name in ENRON_SUBSET:  # each later import reads the earlier ones' interactions back
        import_file(store=store, tenant="pieces", fmt="email", path=mail / name, options=options)
    pieces, whole = _knows(store, "pieces"), _knows(store, "whole")
    assert {k: v[1::2] for k, v in pieces.items()} == {k: v[1::2] for k, v in whole.items()}  # counts, last_at
    # strengths are as of the newest interaction at each refresh: a pair the last piece did not touch
    # keeps an older reference until it is refreshed again
    rows = store.read("pieces", "MATCH (p)-[:PARTICIPATED_IN]->() RETURN DISTINCT label(p) AS l, p.id AS p")
    refresh_knows(store=store, tenant="pieces", people=[(r["l"], r["p"]) for r in rows])
    _same_knows(_knows(store, "pieces"), whole)


def test_progress_and_rejects_file(store: LadybugStore, tmp_path: Path) -> None:
    seen: list[ImportProgress] = []
    rejects = tmp_path / "out" / "rejects.jsonl"
    csv = tmp_path / "contacts.csv"
    csv.write_text("id,name,email\n1,Ada,ada@x.example\n2,,nobody@x.example\n3,Bob,not-an-email\n")
    mapping = {
        "label": "Contact",
        "namespace": "t",
        "id_column": "id",
        "properties": {"name": "name", "email": "email"},
    }
    report = import_file(
        store=store,
        tenant=T,
        fmt="csv",
        path=csv,
        options={"mapping": mapping},
        rejects_path=rejects,
        progress=seen.append,
        progress_every=1,
    )
    assert report.nodes["Contact"].created == 2 and report.rejected_total == 1
    assert report.rejects[0].location == "line 3" and "name" in report.rejects[0].reason
    assert [json.loads(line)["location"] for line in rejects.read_text().splitlines()] == ["line 3"]
    assert report.notes["invalid_field"] == 1  # the bad address set aside, the contact kept
    assert seen[-1].stage == "done" and seen[-1].rows >= 3 and seen[-1].rejected == 1


def test_usage_errors_are_invalid_input(store: LadybugStore, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="unknown import format"):
        import_file(store=store, tenant=T, fmt="pdf", path=tmp_path)
    with pytest.raises(InvalidInput, match="does not exist"):
        import_file(store=store, tenant=T, fmt="email", path=tmp_path / "nope.mbox")
    with pytest.raises(InvalidInput, match="unknown option"):
        import_file(store=store, tenant=T, fmt="email", path=tmp_path, options={"colour": "red"})
    with pytest.raises(InvalidInput, match="needs a mapping"):
        import_file(store=store, tenant=T, fmt="csv", path=tmp_path)
    with pytest.raises(InvalidInput, match="not a domain"):
        parser_options("email", {"own_domains": ["not a domain"]})
    with pytest.raises(InvalidInput, match="is not a folder"):
        import_file(store=store, tenant=T, fmt="maven", path=FIXTURES / "ics" / "meetings.ics")
    assert "own_domains" in allowed_options("ics") and "dedupe" not in allowed_options("email")
    assert parser_options("email", {"own_domains": "acme.com, @Acme.co.uk"}) == {
        "own_domains": ["acme.com", "acme.co.uk"]
    }


# --- garbage in ------------------------------------------------------------------------------------------
SEEDS: dict[str, tuple[str, bytes]] = {
    "email": (
        "x.mbox",
        b"From a@b Tue Mar  5 10:15:42 2024\nMessage-ID: <a@b>\nDate: Tue, 05 Mar 2024 10:15:42 +0100\n"
        b"From: A <a@ourco.example>\nTo: b@x.example, C <c@x.example>\nSubject: hi\n\nbody\n",
    ),
    "csv": ("x.csv", b"id,name,email,org\n1,Ada,ada@x.example,X Ltd\n2,Bob,,\n"),
    "hubspot": ("contacts.csv", (FIXTURES / "hubspot" / "contacts.csv").read_bytes()),
    "ics": ("x.ics", (FIXTURES / "ics" / "meetings.ics").read_bytes()),
    "vcard": ("x.vcf", b"BEGIN:VCARD\nVERSION:3.0\nFN:Ada\nEMAIL:ada@x.example\nORG:X;Y\nEND:VCARD\n"),
    "salesforce-tree": (
        "t.json",
        b'{"records": [{"attributes": {"type": "Account", "referenceId": "R1"}, "Name": "X"}]}',
    ),
}
MAPPING = {
    "label": "Contact",
    "namespace": "fz",
    "id_column": "id",
    "properties": {"name": "name", "email": "email"},
    "relationships": [
        {"type": "WORKS_AT", "column": "org", "target_label": "Account", "namespace": "fz:org", "key": "name",
         "create": True}
    ],
}  # fmt: skip
OPTIONS: dict[str, dict[str, Any]] = {"email": {"own_domains": ["ourco.example"]}, "csv": {"mapping": MAPPING}}
GARBAGE = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LadybugStore, Path, str]]:
    """One store for every example (opening one per example would dominate the run), with records
    that no garbage import may touch."""
    root = tmp_path_factory.mktemp("garbage")
    store = LadybugStore(root / "data", buffer_pool_mb=128)
    rows = [{"id": f"seed-{i}", "name": f"Seed {i}", "email": f"seed{i}@x.example"} for i in range(3)]
    base.upsert_nodes(store=store, tenant="garbage", label="Contact", rows=rows)
    before = _seed_state(store)
    yield store, root, before
    store.close()


def _seed_state(store: LadybugStore) -> str:
    rows = store.read("garbage", "MATCH (c:Contact) WHERE c.id STARTS WITH 'seed-' RETURN c ORDER BY c.id")
    links = store.read("garbage", "MATCH (c:Contact)-[r]-() WHERE c.id STARTS WITH 'seed-' RETURN count(r) AS n")
    return json.dumps([r["c"] for r in rows], default=str, sort_keys=True) + str(links[0]["n"])


def _garbage(seeded: tuple[LadybugStore, Path, str], fmt: str, data: bytes) -> None:
    store, root, before = seeded
    name = SEEDS[fmt][0]
    path = root / "in" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    try:
        report = import_file(
            store=store, tenant="garbage", fmt=fmt, path=path, options=OPTIONS.get(fmt), rejects_path=root / "r.jsonl"
        )
    except InvalidInput as exc:
        assert exc.message
    else:
        assert report.finished_at is not None
        for reject in report.rejects:
            assert reject.reason
    assert _seed_state(store) == before


@st.composite
def mangled(draw: st.DrawFn, seed: bytes) -> bytes:
    how = draw(st.sampled_from(["truncate", "insert", "drop_line", "huge", "binary", "headers_only"]))
    if how == "binary":
        return draw(st.binary(max_size=3000))
    if how == "truncate":
        return seed[: draw(st.integers(0, len(seed)))]
    if how == "insert":
        at = draw(st.integers(0, len(seed)))
        return seed[:at] + draw(st.binary(min_size=1, max_size=300)) + seed[at:]
    lines = seed.split(b"\n")
    if how == "drop_line":
        del lines[draw(st.integers(0, len(lines) - 1))]
        return b"\n".join(lines)
    if how == "headers_only":
        return lines[0] + b"\n"
    index = draw(st.integers(0, len(lines) - 1))
    filler = draw(st.sampled_from([b"x", b"\xff", b"a,", b'"', b"\x00"])) * draw(st.integers(100_000, 2_000_000))
    lines[index] = lines[index][:5] + filler + lines[index][5:]
    return b"\n".join(lines)


@st.composite
def garbage_case(draw: st.DrawFn) -> tuple[str, bytes]:
    fmt = draw(st.sampled_from(sorted(SEEDS)))
    return fmt, draw(mangled(SEEDS[fmt][1]))


@pytest.mark.slow
@GARBAGE
@given(garbage_case())
def test_garbage_through_import_file(seeded: tuple[LadybugStore, Path, str], case: tuple[str, bytes]) -> None:
    _garbage(seeded, *case)


def test_huge_fields_in_every_format(seeded: tuple[LadybugStore, Path, str]) -> None:
    big = b"y" * 3_000_000
    for fmt, (_, seed) in SEEDS.items():
        _garbage(seeded, fmt, seed.replace(b"Ada", big, 1).replace(b"body", big, 1).replace(b"hi", big, 1))


def test_garbage_folders(seeded: tuple[LadybugStore, Path, str]) -> None:
    store, root, before = seeded
    folder = root / "junk-folder"
    folder.mkdir()
    for name in ("accounts.csv", "products.csv", "sales_teams.csv", "sales_pipeline.csv", "Account.csv"):
        (folder / name).write_bytes(b'\x00\xff"unterminated,\n' + bytes(range(256)))
    for fmt in ("maven", "salesforce", "hubspot", "email"):
        with contextlib.suppress(InvalidInput):
            import_file(store=store, tenant="garbage", fmt=fmt, path=folder)
    assert _seed_state(store) == before


# --- parsing in a child process --------------------------------------------------------------------------
def test_parallel_parse_gives_the_same_result(store: LadybugStore, tmp_path: Path) -> None:
    mail = enron_subset(tmp_path / "mail")
    options = {"own_domains": ["enron.com"]}
    inline = import_file(store=store, tenant="inline", fmt="email", path=mail, options=options, parallel=False)
    child = import_file(store=store, tenant="child", fmt="email", path=mail, options=options, parallel=True)
    assert inline.to_dict()["nodes"] == child.to_dict()["nodes"]
    assert inline.notes == child.notes
    assert tenant_state(store, "inline") == tenant_state(store, "child")


def test_parallel_parse_errors_cross_over(store: LadybugStore, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="is not a folder"):
        import_file(store=store, tenant=T, fmt="maven", path=FIXTURES / "ics" / "meetings.ics", parallel=True)
    big = tmp_path / "contacts.csv"
    big.write_bytes(b"Record ID,First Name,Email\n" + b"1," + b"x" * 200_000 + b",a@b.example\n")
    report = import_file(store=store, tenant=T, fmt="hubspot", path=big, parallel=True)
    assert report.rejected_total >= 1  # the reader's crash (a field over the csv limit) is a reject, not a traceback


# --- the command line ------------------------------------------------------------------------------------
def test_cli_import_and_dedupe(tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from relgraph.import_cli import register

    app = typer.Typer()
    register(app)
    runner = CliRunner()
    data = str(tmp_path / "data")
    mail = enron_subset(tmp_path / "mail")
    args = ["import", "email", str(mail), "--tenant", "t", "--own-domain", "enron.com", "--data-dir", data]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "Interaction: read" in first.output and "KNOWS" in first.output
    second = runner.invoke(app, [*args, "--json"])
    report = json.loads(second.output)
    assert sum(c["created"] + c["updated"] for c in report["nodes"].values()) == 0
    rejects = tmp_path / "rejects.jsonl"
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name\n1,\n")
    mapping = tmp_path / "m.json"
    mapping.write_text(
        json.dumps({"label": "Contact", "namespace": "x", "id_column": "id", "properties": {"name": "name"}})
    )
    csv_args = ["import", "csv", str(bad), "--tenant", "t", "--mapping", str(mapping), "--rejects", str(rejects)]
    with_rejects = runner.invoke(app, [*csv_args, "--data-dir", data])
    assert with_rejects.exit_code == 0 and "rejected: 1" in with_rejects.output and rejects.is_file()
    missing = runner.invoke(app, ["import", "email", str(tmp_path / "nope"), "--tenant", "t", "--data-dir", data])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    unknown = runner.invoke(app, ["import", "pdf", str(mail), "--tenant", "t", "--data-dir", data])
    assert unknown.exit_code == 2 and "unknown format" in unknown.output
    option = runner.invoke(
        app, ["import", "maven", str(mail), "--tenant", "t", "--own-domain", "x.com", "--data-dir", data]
    )
    assert option.exit_code == 2 and "unknown option" in option.output
    dupes = runner.invoke(app, ["dedupe", "--tenant", "t", "--limit", "5", "--json", "--data-dir", data])
    assert dupes.exit_code == 0 and isinstance(json.loads(dupes.output), list)


def test_overlapping_imports_put_the_collector_back_as_found() -> None:
    """Two imports (two tenants in the API process) that end in either order leave the collector's
    threshold as it was before the first began."""
    import gc

    from importers.service import _fewer_collections

    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        first, second = _fewer_collections(100_000), _fewer_collections(100_000)
        first.__enter__()
        second.__enter__()
        assert gc.get_threshold()[0] == 100_000
        first.__exit__(None, None, None)  # the first one in ends first
        assert gc.get_threshold()[0] == 100_000  # the second is still running
        second.__exit__(None, None, None)
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)
