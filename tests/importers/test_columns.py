"""Rows as columns (``importers.columns``): the batches a parser process sends hold the same rows,
and an import fed batches reports and stores what one fed rows does, on every writer path."""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from graph.backends.embedded import LadybugStore
from graph.repositories import base
from graph.repositories.bulk import StoreRowWriter
from importers import PARSERS
from importers.columns import Item, NodeColumns, RelColumns, expand, to_batches
from importers.pipeline import coalesce, run_import
from importers.report import ImportReport
from importers.rows import NodeRow, Note, Reject, RelRow, Row
from importers.service import import_file, parser_options
from tests.importers.helpers import FIXTURES, data_dir
from tests.importers.test_pipeline import RecordingWriter, rows
from tests.importers.test_service import tenant_state

CASES: list[tuple[str, Any, dict[str, Any]]] = [
    ("hubspot", lambda: FIXTURES / "hubspot", {}),
    ("salesforce", lambda: FIXTURES / "salesforce-export", {}),
    ("csv", lambda: FIXTURES / "mapped" / "people.csv", {"mapping": str(FIXTURES / "mapped" / "people.mapping.json")}),
    ("linkedin", lambda: FIXTURES / "linkedin" / "Connections.csv", {}),
    ("maven", lambda: data_dir("maven-crm"), {}),
]


def _by_kind(items: Iterable[Row]) -> dict[Any, list[Row]]:
    """Rows per label / relationship key / kind, in order."""
    out: dict[Any, list[Row]] = {}
    for row in items:
        if isinstance(row, NodeRow):
            key: Any = row.label
        elif isinstance(row, RelRow):
            key = (row.type, row.src_label, row.dst_label)
        else:
            key = type(row).__name__
        out.setdefault(key, []).append(row)
    return out


def test_batches_hold_the_same_rows_in_the_same_order_per_label() -> None:
    chunk = rows()
    batches = to_batches(chunk)
    kinds = [type(b).__name__ for b in batches]
    assert kinds == ["Note", "NodeColumns", "NodeColumns", "RelColumns"]  # notes, nodes, then links
    assert _by_kind(expand(batches)) == _by_kind(chunk)
    contacts = batches[2]
    assert isinstance(contacts, NodeColumns) and contacts.label == "Contact"
    assert contacts.props == {
        "email": [None, None, None, None, None, "c0@example.org"],
        "name": ["C0", "C1", "C2", "C3", "C4", None],
    }
    assert pickle.loads(pickle.dumps(batches)) == batches


def test_a_chunk_with_a_none_prop_goes_as_rows() -> None:
    chunk: list[Row] = [NodeRow("Contact", "c:1", {"name": "A"}), NodeRow("Contact", "c:2", {"title": None})]
    assert to_batches(chunk) == chunk
    links: list[Row] = [RelRow("WORKS_AT", "Contact", "c:1", "Account", "a:1", {"title": None})]
    assert to_batches(links) == links


def test_concat_take_and_unique() -> None:
    first = NodeColumns.of("Contact", [NodeRow("Contact", "a", {"name": "A", "custom": {"k": 1}})])
    loose = NodeRow("Contact", "b", {"title": "CTO"})
    again = NodeColumns.of("Contact", [NodeRow("Contact", "a", {"email": "a@x.org", "custom": {"j": 2}})])
    whole = NodeColumns.concat("Contact", [first, loose, again])
    assert whole.ids == ["a", "b", "a"]
    assert whole.props["title"] == [None, "CTO", None]
    assert whole.take([1]).rows() == [loose]
    assert whole.unique().rows() == coalesce(whole.rows())
    assert whole.unique().rows()[0].props == {"name": "A", "email": "a@x.org", "custom": {"k": 1, "j": 2}}
    link = RelRow("WORKS_AT", "Contact", "a", "Account", "x", {"title": "CTO"})
    links = RelColumns.concat(link_key := ("WORKS_AT", "Contact", "Account"), [link, RelColumns.of(link_key, [link])])
    assert links.rows() == [link, link] and links.key == link_key


def test_run_import_unpacks_batches_for_a_writer_of_rows() -> None:
    # one batch either way: a batch of columns is written whole (a row seen twice within one write
    # batch is coalesced, counted created once; across two batches, created then updated)
    plain = run_import(rows(), RecordingWriter(), ImportReport("f"), batch_size=100)
    batched = run_import(to_batches(rows()), RecordingWriter(), ImportReport("f"), batch_size=100)
    assert plain.to_dict()["nodes"] == batched.to_dict()["nodes"]
    assert plain.to_dict()["rels"] == batched.to_dict()["rels"]
    assert plain.notes == batched.notes


def _in_chunks(items: Iterable[Row], size: int) -> Iterator[Item]:
    """What a parser process sends: each chunk of ``size`` rows as batches."""
    chunk: list[Row] = []
    for row in items:
        chunk.append(row)
        if len(chunk) >= size:
            yield from to_batches(chunk)
            chunk = []
    yield from to_batches(chunk)


def _counts(report: ImportReport) -> dict[str, Any]:
    out = report.to_dict()
    return {"nodes": out["nodes"], "rels": out["rels"], "rejected": out["rejected_total"]}


@pytest.mark.parametrize(("fmt", "where", "options"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("spool", [7, 10**6])
def test_batches_import_as_rows_do(
    store: LadybugStore, fmt: str, where: Any, options: dict[str, Any], spool: int
) -> None:
    path = where()
    plain = import_file(store=store, tenant="plain", fmt=fmt, path=path, options=options, spool_rows=None)
    kwargs = parser_options(fmt, options)

    def batched(tenant: str) -> ImportReport:
        writer = StoreRowWriter(store, tenant, spool_rows=spool)
        chunks = _in_chunks(PARSERS[fmt](path, **kwargs), 5)
        return run_import(chunks, writer, ImportReport(path.name), batch_size=20)

    first = batched("cols")
    assert _counts(first) == _counts(plain)
    assert tenant_state(store, "cols") == tenant_state(store, "plain")
    again = batched("cols")  # every record and link stored: looked up, compared, nothing written
    assert (sum(c["created"] + c["updated"] for c in again.to_dict()["nodes"].values())) == 0
    assert (sum(c["created"] + c["updated"] for c in again.to_dict()["rels"].values())) == 0
    assert tenant_state(store, "cols") == tenant_state(store, "plain")


def test_a_parser_process_sends_batches_that_import_as_rows_do(store: LadybugStore) -> None:
    path = FIXTURES / "hubspot"
    inline = import_file(store=store, tenant="inline", fmt="hubspot", path=path, parallel=False)
    child = import_file(store=store, tenant="child", fmt="hubspot", path=path, parallel=True)
    assert _counts(child) == _counts(inline) and child.notes == inline.notes
    assert [r.reason for r in child.rejects] == [r.reason for r in inline.rejects]
    assert tenant_state(store, "child") == tenant_state(store, "inline")


def test_a_none_given_as_a_row_still_clears_a_stored_value(store: LadybugStore) -> None:
    """Rows keep their meaning on the spooled path: a prop set to None is written as null on a stored
    record (batches never carry one: ``to_batches`` sends such chunks as rows)."""
    for tenant, spool in (("plain", None), ("held", 100)):
        base.upsert_nodes(store=store, tenant=tenant, label="Contact", rows=[{"id": "c1", "name": "A", "title": "CTO"}])
        writer = StoreRowWriter(store, tenant, spool_rows=spool)
        report = run_import([NodeRow("Contact", "c1", {"name": "A", "title": None})], writer, ImportReport("f"))
        assert report.nodes["Contact"].updated == 1
    assert tenant_state(store, "held") == tenant_state(store, "plain")
    stored = store.read("held", "MATCH (n:Contact) RETURN n.title AS title", {})
    assert stored == [{"title": None}]


def test_a_none_row_among_batches_keeps_its_meaning(store: LadybugStore) -> None:
    """A chunk sent as rows (it sets a prop to None) and a batched chunk meet in one write batch: the
    batch goes as rows, and the None still clears the stored title."""
    for tenant, batched in (("plain", False), ("mixed", True)):
        base.upsert_nodes(store=store, tenant=tenant, label="Contact", rows=[{"id": "c1", "name": "A", "title": "CTO"}])
        cleared = NodeRow("Contact", "c1", {"name": "A", "title": None})
        other = NodeRow("Contact", "c2", {"name": "B", "title": "VP"})
        items: list[Item] = [cleared, *(to_batches([other]) if batched else [other])]
        assert batched is (type(items[-1]) is NodeColumns)
        report = run_import(items, StoreRowWriter(store, tenant, spool_rows=100), ImportReport("f"))
        assert report.nodes["Contact"].updated == 1 and report.nodes["Contact"].created == 1
    assert tenant_state(store, "mixed") == tenant_state(store, "plain")
    assert store.read("mixed", "MATCH (n:Contact {id: 'c1'}) RETURN n.title AS title", {}) == [{"title": None}]


def test_rejects_and_notes_come_through_batched_chunks(store: LadybugStore, tmp_path: Path) -> None:
    chunk: list[Row] = [
        Reject("f", "line 3", "no Record ID", "raw", "Contact"),
        NodeRow("Account", "a:1", {"name": "A"}),
        Note("f", "line 4", "merged", "merged", "Contact"),
        RelRow("WORKS_AT", "Contact", "c:nobody", "Account", "a:1", {"title": "CTO"}),
    ]
    writer = StoreRowWriter(store, "t", spool_rows=100)
    rejects = tmp_path / "rejects.jsonl"
    with rejects.open("w") as fh:
        report = run_import(to_batches(chunk), writer, ImportReport("f"), rejects_file=fh)
    assert report.rejected_total == 2  # the record without an id, the link to a contact that does not exist
    assert report.rels["WORKS_AT"].rejected == 1 and report.nodes["Contact"].merged == 1
    assert "endpoint missing: Contact c:nobody -> Account a:1" in rejects.read_text()
