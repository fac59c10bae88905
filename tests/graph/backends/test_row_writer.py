"""``StoreRowWriter`` (graph.repositories.bulk), the write side of imports, on the embedded store."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from graph.backends.embedded import LadybugStore
from graph.repositories.bulk import StoreRowWriter
from importers.rows import NodeRow, RelRow

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def _writer(store: LadybugStore) -> StoreRowWriter:
    return StoreRowWriter(store, "acme")


def _people(writer: StoreRowWriter) -> None:
    writer.upsert_nodes("Contact", [NodeRow("Contact", f"c{i}", {"name": f"C {i}"}) for i in range(3)])
    writer.upsert_nodes("Account", [NodeRow("Account", "a", {"name": "A"}), NodeRow("Account", "b", {"name": "B"})])


def test_nodes_created_then_unchanged_then_updated_with_custom_merged(store: LadybugStore) -> None:
    w = _writer(store)
    rows = [NodeRow("Contact", "c1", {"name": "Ada", "email": "ada@x.org", "custom": {"a": 1}})]
    first = w.upsert_nodes("Contact", rows)
    assert (first.created, first.updated, first.unchanged) == (1, 0, 0)
    again = w.upsert_nodes("Contact", rows)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    changed = w.upsert_nodes("Contact", [NodeRow("Contact", "c1", {"title": "CTO", "custom": {"b": 2}})])
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 0)
    [row] = store.read("acme", "MATCH (c:Contact {id: 'c1'}) RETURN c.name AS name, c.title AS t, c.custom AS cu")
    assert row == {"name": "Ada", "t": "CTO", "cu": '{"a": 1, "b": 2}'}


def test_rels_created_missing_reported_and_duplicates_counted_once(store: LadybugStore) -> None:
    w = _writer(store)
    _people(w)
    rows = [
        RelRow("WORKS_AT", "Contact", "c0", "Account", "a", {"title": "VP", "since": date(2020, 1, 1)}),
        RelRow("WORKS_AT", "Contact", "c1", "Account", "a", {"title": "old"}),
        RelRow("WORKS_AT", "Contact", "c1", "Account", "a", {"title": "Engineer"}),  # same pair: last wins
        RelRow("WORKS_AT", "Contact", "ghost", "Account", "a", {}),
        RelRow("WORKS_AT", "Contact", "c2", "Account", "nowhere", {}),
    ]
    res = w.upsert_rels("WORKS_AT", "Contact", "Account", rows)
    assert (res.created, res.updated, res.unchanged) == (2, 0, 0)
    assert [(r.src_id, r.dst_id) for r in res.missing] == [("ghost", "a"), ("c2", "nowhere")]
    got = store.read(
        "acme",
        "MATCH (c:Contact)-[w:WORKS_AT]->(:Account) RETURN c.id AS cid, w.title AS t, w.since AS s ORDER BY cid",
    )
    assert got == [{"cid": "c0", "t": "VP", "s": date(2020, 1, 1)}, {"cid": "c1", "t": "Engineer", "s": None}]
    again = w.upsert_rels("WORKS_AT", "Contact", "Account", rows[:3])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_changed_rel_props_are_updated_from_either_end(store: LadybugStore) -> None:
    w = _writer(store)
    _people(w)
    w.upsert_nodes("Rep", [NodeRow("Rep", "r", {"name": "R"})])
    w.upsert_nodes(
        "Interaction", [NodeRow("Interaction", f"m{i}", {"kind": "email", "occurred_at": T0}) for i in range(3)]
    )
    parts = [RelRow("PARTICIPATED_IN", "Rep", "r", "Interaction", f"m{i}", {"role": "from"}) for i in range(3)]
    assert w.upsert_rels("PARTICIPATED_IN", "Rep", "Interaction", parts).created == 3
    moved = [RelRow("PARTICIPATED_IN", "Rep", "r", "Interaction", "m1", {"role": "cc"}), parts[0]]
    res = w.upsert_rels("PARTICIPATED_IN", "Rep", "Interaction", moved)
    assert (res.created, res.updated, res.unchanged) == (0, 1, 1)
    w.upsert_rels(
        "WORKS_AT", "Contact", "Account", [RelRow("WORKS_AT", "Contact", "c0", "Account", "a", {"title": "x"})]
    )
    res = w.upsert_rels(
        "WORKS_AT", "Contact", "Account", [RelRow("WORKS_AT", "Contact", "c0", "Account", "a", {"title": "y"})]
    )
    assert res.updated == 1
    roles = store.read(
        "acme", "MATCH (:Rep)-[p:PARTICIPATED_IN]->(i:Interaction) RETURN i.id AS iid, p.role AS r ORDER BY iid"
    )
    assert [r["r"] for r in roles] == ["from", "cc", "from"]
    assert store.read("acme", "MATCH ()-[w:WORKS_AT]->() RETURN w.title AS t") == [{"t": "y"}]


def test_rel_without_props(store: LadybugStore) -> None:
    w = _writer(store)
    _people(w)
    rows = [RelRow("SUBSIDIARY_OF", "Account", "a", "Account", "b")]
    assert w.upsert_rels("SUBSIDIARY_OF", "Account", "Account", rows).created == 1
    res = w.upsert_rels("SUBSIDIARY_OF", "Account", "Account", rows)
    assert (res.created, res.updated, res.unchanged, res.missing) == (0, 0, 1, [])


class _CountingStore(LadybugStore):
    """The real store, counting how often the writer hands its database back."""

    recycled = 0

    def recycle(self, tenant: str) -> bool:
        done = super().recycle(tenant)
        self.recycled += int(done)
        return done


def test_the_database_is_recycled_by_rows_written_or_by_memory_grown(tmp_path: Path) -> None:
    store = _CountingStore(tmp_path / "data", buffer_pool_mb=64)
    try:
        by_rows = StoreRowWriter(store, "acme", recycle_every=3, memory_budget_mb=None)
        for i in range(4):
            by_rows.upsert_nodes("Account", [NodeRow("Account", f"a{i}", {"name": "A"})])
        assert store.recycled == 1  # after the third row written
        by_memory = StoreRowWriter(store, "acme", recycle_every=10**9, memory_budget_mb=-1)  # always "grown"
        by_memory.upsert_nodes("Account", [NodeRow("Account", "b", {"name": "B"})])
        assert store.recycled == 2
        quiet = StoreRowWriter(store, "acme", recycle_every=10**9, memory_budget_mb=10**6)
        quiet.upsert_nodes("Account", [NodeRow("Account", "c", {"name": "C"})])
        assert store.recycled == 2
        assert store.read("acme", "MATCH (a:Account) RETURN count(*) AS n") == [{"n": 6}]
    finally:
        store.close()


def test_links_to_records_the_writer_just_created_are_neither_doubled_nor_lost(store: LadybugStore) -> None:
    w = _writer(store)
    w.upsert_nodes("Account", [NodeRow("Account", "a", {"name": "A"})])  # fresh for this writer
    old = StoreRowWriter(store, "acme")
    old.upsert_nodes("Rep", [NodeRow("Rep", "r", {"name": "R"})])  # created by another writer
    w.upsert_nodes("Contact", [NodeRow("Contact", f"c{i}", {"name": f"C {i}"}) for i in range(3)])
    rows = [
        RelRow("WORKS_AT", "Contact", "c0", "Account", "a", {"title": "VP"}),
        RelRow("WORKS_AT", "Contact", "c1", "Account", "gone", {}),  # fresh source, missing target
        RelRow("WORKS_AT", "Contact", "ghost", "Account", "a", {}),  # missing source, fresh target
    ]
    res = w.upsert_rels("WORKS_AT", "Contact", "Account", rows)
    assert (res.created, res.unchanged) == (1, 0)
    assert [(r.src_id, r.dst_id) for r in res.missing] == [("c1", "gone"), ("ghost", "a")]
    again = w.upsert_rels("WORKS_AT", "Contact", "Account", rows[:1])  # the same pair later in the run
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    changed = w.upsert_rels(
        "WORKS_AT", "Contact", "Account", [RelRow("WORKS_AT", "Contact", "c0", "Account", "a", {"title": "CTO"})]
    )
    assert changed.updated == 1
    w.upsert_nodes("Interaction", [NodeRow("Interaction", "m", {"kind": "email", "occurred_at": T0})])
    part = [RelRow("PARTICIPATED_IN", "Rep", "r", "Interaction", "m", {"role": "from"})]
    assert w.upsert_rels("PARTICIPATED_IN", "Rep", "Interaction", part).created == 1
    assert w.upsert_rels("PARTICIPATED_IN", "Rep", "Interaction", part).unchanged == 1
    counts = store.read("acme", "MATCH ()-[r]->() RETURN label(r) AS t, count(*) AS n ORDER BY t")
    assert counts == [{"t": "PARTICIPATED_IN", "n": 1}, {"t": "WORKS_AT", "n": 1}]
    assert store.read("acme", "MATCH ()-[w:WORKS_AT]->() RETURN w.title AS t") == [{"t": "CTO"}]
