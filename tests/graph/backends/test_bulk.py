"""The embedded store's bulk write paths (LOAD FROM and COPY FROM a DataFrame) on a real Ladybug database,
and the row writer holding new records back for COPY."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from graph import schema
from graph.backends.embedded import LadybugStore
from graph.errors import DuplicateId, StoreError
from graph.repositories import base
from graph.repositories.bulk import StoreRowWriter
from importers.rows import NodeRow, RelRow

NOW = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


def _node(tenant: str, label: str, record_id: str, **fields: Any) -> dict[str, Any]:
    spec = schema.node_spec(label)
    return base.full_row(spec, tenant, record_id, {"name": record_id, **fields}, created=NOW, updated=NOW)


def _uid(record_id: str) -> str:
    return schema.uid("acme", record_id)


def _seed(store: LadybugStore) -> None:
    store.bulk_insert_nodes("acme", "Contact", [_node("acme", "Contact", f"c{i}") for i in range(3)])
    store.bulk_insert_nodes("acme", "Account", [_node("acme", "Account", "a0")])
    store.bulk_insert_nodes("acme", "Rep", [_node("acme", "Rep", "r0")])


def test_rels_are_created_with_typed_props_and_missing_endpoints_skipped(store: LadybugStore) -> None:
    _seed(store)
    rows: list[dict[str, Any]] = [
        {"src": _uid("c0"), "dst": _uid("a0"), "title": "CTO", "since": date(2020, 1, 2), "until": None},
        {"src": _uid("c1"), "dst": _uid("a0")},  # props left out: null
        {"src": _uid("nobody"), "dst": _uid("a0"), "title": "ghost"},
        {"src": _uid("c2"), "dst": _uid("gone")},
    ]
    assert store.bulk_insert_rels("acme", "WORKS_AT", "Contact", "Account", rows) == 2
    found = store.read(
        "acme",
        "MATCH (c:Contact)-[w:WORKS_AT]->(:Account) "
        "RETURN c.id AS cid, w.title AS title, w.since AS since ORDER BY cid",
    )
    assert found == [
        {"cid": "c0", "title": "CTO", "since": date(2020, 1, 2)},
        {"cid": "c1", "title": None, "since": None},
    ]


def test_every_relationship_type_and_pair_loads(store: LadybugStore) -> None:
    labels = {label for spec in schema.RELS.values() for pair in spec.pairs for label in pair}
    for label in sorted(labels):
        store.bulk_insert_nodes("acme", label, [_node("acme", label, f"{label}-a"), _node("acme", label, f"{label}-b")])
    values = {
        schema.PType.STRING: "x",
        schema.PType.FLOAT: 0.5,
        schema.PType.INT: 3,
        schema.PType.DATE: date(2021, 5, 6),
        schema.PType.TIMESTAMP: NOW,
    }
    for spec in schema.RELS.values():
        for src, dst in spec.pairs:
            props = {name: values[ptype] for name, ptype in spec.props.items()}
            row = {"src": _uid(f"{src}-a"), "dst": _uid(f"{dst}-b"), **props}
            assert store.bulk_insert_rels("acme", spec.type, src, dst, [row]) == 1, (spec.type, src, dst)
            got = store.read(
                "acme",
                f"MATCH (:{src} {{uid: $s}})-[r:{spec.type}]->(:{dst} {{uid: $d}}) RETURN r",
                {"s": row["src"], "d": row["dst"]},
            )
            assert len(got) == 1
            assert {k: got[0]["r"][k] for k in spec.props} == props, spec.type


def test_a_pair_the_type_does_not_join_is_refused(store: LadybugStore) -> None:
    _seed(store)
    with pytest.raises(ValueError, match="does not connect"):
        store.bulk_insert_rels("acme", "WORKS_AT", "Account", "Contact", [{"src": _uid("a0"), "dst": _uid("c0")}])


def test_bulk_writes_do_not_pin_their_frames(store: LadybugStore) -> None:
    """Each scanned DataFrame used to leave a cached statement (and its data) on the connection."""
    store.bulk_insert_nodes("acme", "Account", [_node("acme", "Account", "a0")])
    with store._use("acme") as tdb:
        before = len(tdb.writer._pybind_implicit_prepared_cache)
    for batch in range(5):
        contacts = [_node("acme", "Contact", f"c{batch}-{i}") for i in range(50)]
        store.bulk_insert_nodes("acme", "Contact", contacts)
        store.bulk_update_nodes("acme", "Contact", [{"uid": c["uid"], "title": "VP"} for c in contacts])
        rels = [{"src": c["uid"], "dst": _uid("a0"), "title": "VP"} for c in contacts]
        assert store.bulk_insert_rels("acme", "WORKS_AT", "Contact", "Account", rels) == 50
    with store._use("acme") as tdb:
        after = len(tdb.writer._pybind_implicit_prepared_cache)
    assert after <= before + 2  # the ANY_NODE probe and the like, not one entry per frame
    assert store.read("acme", "MATCH (c:Contact {title: 'VP'})-[:WORKS_AT]->() RETURN count(*) AS n") == [{"n": 250}]


def test_node_batches_into_a_filled_table_keep_types_and_leave_unset_columns_null(store: LadybugStore) -> None:
    store.bulk_insert_nodes("acme", "Contact", [_node("acme", "Contact", "first", title="CTO")])  # COPY
    later = [
        _node("acme", "Contact", "c1", email="c1@x.org", other_emails=["c@y.org"]),
        _node("acme", "Contact", "c2"),
        _node("acme", "Deal", "d1", amount=12.5, close_date=date(2024, 2, 3)),
    ]
    store.bulk_insert_nodes("acme", "Contact", later[:2])  # LOAD FROM, without the columns nobody set
    store.bulk_insert_nodes("acme", "Deal", [_node("acme", "Deal", "d0")])
    store.bulk_insert_nodes("acme", "Deal", later[2:])
    got = store.read(
        "acme",
        "MATCH (c:Contact) RETURN c.id AS id, c.email AS email, c.other_emails AS other, c.title AS title, "
        "c.created_at AS created ORDER BY id",
    )
    assert got == [
        {"id": "c1", "email": "c1@x.org", "other": ["c@y.org"], "title": None, "created": NOW},
        {"id": "c2", "email": None, "other": [], "title": None, "created": NOW},
        {"id": "first", "email": None, "other": [], "title": "CTO", "created": NOW},
    ]
    deal = store.read("acme", "MATCH (d:Deal {id: 'd1'}) RETURN d.amount AS a, d.close_date AS c, d.stage AS s")
    assert deal == [{"a": 12.5, "c": date(2024, 2, 3), "s": None}]


# --- COPY of records known to be new (the row writer's spool) ------------------------------------------
def _columns(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    names = {k for r in rows for k in r}
    return {name: [r.get(name) for r in rows] for name in names}


def test_copy_nodes_into_empty_and_filled_tables_keeps_types_and_nulls(store: LadybugStore) -> None:
    first = [_node("acme", "Deal", "d0", amount=1.5, close_date=date(2024, 1, 2))]
    assert store.copy_nodes("acme", "Deal", _columns(first)) == 1
    later = [_node("acme", "Deal", f"d{i}") for i in range(1, 4)]
    assert store.copy_nodes("acme", "Deal", _columns(later)) == 3  # into a table that has rows
    got = store.read(
        "acme", "MATCH (d:Deal) RETURN d.id AS id, d.amount AS a, d.close_date AS c, d.created_at AS t ORDER BY id"
    )
    assert got[0] == {"id": "d0", "a": 1.5, "c": date(2024, 1, 2), "t": NOW}
    assert got[1:] == [{"id": f"d{i}", "a": None, "c": None, "t": NOW} for i in range(1, 4)]
    store.copy_nodes("acme", "Contact", {"uid": [_uid("c0")], "id": ["c0"], "other_emails": [None]})
    assert store.read("acme", "MATCH (c:Contact) RETURN c.other_emails AS o, c.name AS n") == [{"o": [], "n": None}]


def test_copy_nodes_with_a_taken_id_writes_nothing(store: LadybugStore) -> None:
    _seed(store)
    rows = [_node("acme", "Contact", "new1"), _node("acme", "Contact", "c1"), _node("acme", "Contact", "new2")]
    with pytest.raises(DuplicateId):
        store.copy_nodes("acme", "Contact", _columns(rows))
    assert store.read("acme", "MATCH (c:Contact) RETURN count(*) AS n") == [{"n": 3}]


def test_copy_rels_with_props_and_a_missing_end_refused_whole(store: LadybugStore) -> None:
    _seed(store)
    columns = {"src": [_uid("c0"), _uid("c1")], "dst": [_uid("a0"), _uid("a0")], "title": ["CTO", None]}
    assert store.copy_rels("acme", "WORKS_AT", "Contact", "Account", columns) == 2
    assert store.copy_rels("acme", "OWNS", "Rep", "Account", {"src": [_uid("r0")], "dst": [_uid("a0")]}) == 1
    with pytest.raises(StoreError):
        store.copy_rels(
            "acme", "WORKS_AT", "Contact", "Account", {"src": [_uid("c2"), _uid("x")], "dst": [_uid("a0")] * 2}
        )
    got = store.read("acme", "MATCH (c)-[w:WORKS_AT]->(:Account) RETURN c.id AS id, w.title AS t ORDER BY id")
    assert got == [{"id": "c0", "t": "CTO"}, {"id": "c1", "t": None}]
    assert store.read("acme", "MATCH (r:Rep)-[:OWNS]->(a:Account) RETURN r.id AS r, a.id AS a") == [
        {"r": "r0", "a": "a0"}
    ]
    with pytest.raises(ValueError, match="does not connect"):
        store.copy_rels("acme", "WORKS_AT", "Account", "Contact", {"src": [_uid("a0")], "dst": [_uid("c0")]})


def test_copies_do_not_pin_their_frames(store: LadybugStore) -> None:
    _seed(store)
    with store._use("acme") as tdb:
        before = len(tdb.writer._pybind_implicit_prepared_cache)
    for batch in range(5):
        rows = [_node("acme", "Contact", f"n{batch}-{i}") for i in range(50)]
        store.copy_nodes("acme", "Contact", _columns(rows))
        store.copy_rels(
            "acme", "WORKS_AT", "Contact", "Account", {"src": [r["uid"] for r in rows], "dst": [_uid("a0")] * 50}
        )
    with store._use("acme") as tdb:
        assert len(tdb.writer._pybind_implicit_prepared_cache) <= before + 2


# The row writer holding new records back: the same batches through a spooling writer and a plain one
# give the same answers batch by batch and the same stored state.
def _batches() -> list[tuple[str, str, str, list[Any]]]:
    c, a = "Contact", "Account"
    return [
        ("nodes", a, "", [NodeRow(a, "a0", {"name": "A0"}), NodeRow(a, "old", {"name": "Old 2", "custom": {"y": 2}})]),
        ("nodes", c, "", [NodeRow(c, f"c{i}", {"name": f"C{i}", "custom": {"k": i}}) for i in range(4)]),
        (
            "rels",
            "WORKS_AT",
            "Contact/Account",
            [
                RelRow("WORKS_AT", c, "c0", a, "a0", {"title": "VP"}),
                RelRow("WORKS_AT", c, "c1", a, "old", {}),  # held source, stored target
                RelRow("WORKS_AT", c, "c2", a, "nowhere", {}),  # held source, missing target
                RelRow("WORKS_AT", c, "ghost", a, "a0", {}),  # missing source, held target
                RelRow("WORKS_AT", c, "oldc", a, "old", {"title": "x"}),  # both stored, linked already
                RelRow("WORKS_AT", c, "oldc", a, "a0", {}),  # stored source, held target
            ],
        ),
        # seen again while held: merged (custom key by key), counted updated or unchanged
        ("nodes", c, "", [NodeRow(c, "c0", {"name": "C0"}), NodeRow(c, "c1", {"title": "CTO", "custom": {"z": 1}})]),
        ("nodes", c, "", [NodeRow(c, "oldc", {"title": "Boss"}), NodeRow(c, "c9", {"name": "C9"})]),
        (
            "rels",
            "WORKS_AT",
            "Contact/Account",
            [
                RelRow("WORKS_AT", c, "c0", a, "a0", {"title": "VP"}),
                RelRow("WORKS_AT", c, "c1", a, "old", {"title": "Eng"}),
                RelRow("WORKS_AT", c, "oldc", a, "old", {"title": "y"}),
            ],
        ),
        ("rels", "SUBSIDIARY_OF", "Account/Account", [RelRow("SUBSIDIARY_OF", a, "a0", a, "old")]),
    ]


def _stored_before(store: LadybugStore, tenant: str) -> None:
    w = StoreRowWriter(store, tenant)
    w.upsert_nodes("Account", [NodeRow("Account", "old", {"name": "Old", "custom": {"x": 1}})])
    w.upsert_nodes("Contact", [NodeRow("Contact", "oldc", {"name": "Old C"})])
    w.upsert_rels(
        "WORKS_AT", "Contact", "Account", [RelRow("WORKS_AT", "Contact", "oldc", "Account", "old", {"title": "x"})]
    )


def _run(writer: StoreRowWriter) -> list[tuple[int, int, int, list[tuple[str, str]]]]:
    out = []
    for kind, what, pair, rows in _batches():
        if kind == "nodes":
            res = writer.upsert_nodes(what, rows)
        else:
            src, dst = pair.split("/")
            res = writer.upsert_rels(what, src, dst, rows)
        out.append((res.created, res.updated, res.unchanged, [(r.src_id, r.dst_id) for r in res.missing]))
    writer.flush()
    return out


def _state(store: LadybugStore, tenant: str) -> list[Any]:
    nodes = store.read(
        tenant,
        "MATCH (n) RETURN label(n) AS l, n.id AS id, n.name AS name, n.title AS title, n.custom AS custom "
        "ORDER BY l, id",
    )
    rels = store.read(
        tenant, "MATCH (a)-[r]->(b) RETURN label(r) AS t, a.id AS s, b.id AS d, r.title AS title ORDER BY t, s, d"
    )
    return [*nodes, *rels]


def test_a_spooling_writer_answers_and_stores_what_a_plain_one_does(store: LadybugStore) -> None:
    _stored_before(store, "plain")
    _stored_before(store, "spool")
    plain = _run(StoreRowWriter(store, "plain"))
    spooling = StoreRowWriter(store, "spool", spool_rows=10**6)
    assert spooling.spool_rows == 10**6
    held = _run(spooling)
    assert held == plain
    assert held[2] == (3, 0, 1, [("c2", "nowhere"), ("ghost", "a0")])
    assert held[3] == (0, 1, 1, [])
    assert _state(store, "spool") == _state(store, "plain")
    # the same batches again (they flip a few values back and forth on purpose): still the same
    assert _run(StoreRowWriter(store, "spool", spool_rows=10**6)) == _run(StoreRowWriter(store, "plain"))
    assert _state(store, "spool") == _state(store, "plain")


def test_nothing_held_is_written_before_a_flush_and_a_full_spool_flushes(store: LadybugStore) -> None:
    w = StoreRowWriter(store, "acme", spool_rows=5)
    w.upsert_nodes("Contact", [NodeRow("Contact", f"c{i}", {"name": "C"}) for i in range(3)])
    assert store.read("acme", "MATCH (c:Contact) RETURN count(*) AS n") == [{"n": 0}]
    w.upsert_nodes("Account", [NodeRow("Account", "a", {"name": "A"})])
    links = [RelRow("WORKS_AT", "Contact", f"c{i}", "Account", "a", {}) for i in range(3)]
    assert w.upsert_rels("WORKS_AT", "Contact", "Account", links).created == 3  # 7 held: flushed
    assert store.read("acme", "MATCH (:Contact)-[w:WORKS_AT]->(:Account) RETURN count(*) AS n") == [{"n": 3}]
    assert w.upsert_rels("WORKS_AT", "Contact", "Account", links).unchanged == 3  # now stored: looked up


def test_a_record_created_by_another_writer_while_held_is_merged_not_refused(store: LadybugStore) -> None:
    w = StoreRowWriter(store, "acme", spool_rows=10**6)
    w.upsert_nodes("Contact", [NodeRow("Contact", f"c{i}", {"name": f"C{i}", "custom": {"a": 1}}) for i in range(3)])
    StoreRowWriter(store, "acme").upsert_nodes(
        "Contact", [NodeRow("Contact", "c1", {"title": "CTO", "custom": {"b": 2}})]
    )
    w.flush()
    got = store.read(
        "acme", "MATCH (c:Contact) RETURN c.id AS id, c.name AS n, c.title AS t, c.custom AS cu ORDER BY id"
    )
    assert got == [
        {"id": "c0", "n": "C0", "t": None, "cu": '{"a": 1}'},
        {"id": "c1", "n": "C1", "t": "CTO", "cu": '{"a": 1, "b": 2}'},
        {"id": "c2", "n": "C2", "t": None, "cu": '{"a": 1}'},
    ]


def test_placeholders_or_a_store_without_copy_turn_the_spool_off(store: LadybugStore) -> None:
    assert StoreRowWriter(store, "acme", spool_rows=10, placeholders=lambda row: ()).spool_rows is None
    assert StoreRowWriter(store, "acme").spool_rows is None


def test_a_link_whose_stored_end_is_deleted_while_held_is_skipped_and_the_others_written(store: LadybugStore) -> None:
    StoreRowWriter(store, "acme").upsert_nodes("Account", [NodeRow("Account", "gone", {"name": "G"})])
    w = StoreRowWriter(store, "acme", spool_rows=10**6)
    w.upsert_nodes("Contact", [NodeRow("Contact", f"c{i}", {"name": "C"}) for i in range(2)])
    w.upsert_nodes("Account", [NodeRow("Account", "a", {"name": "A"})])
    links = [
        RelRow("WORKS_AT", "Contact", "c0", "Account", "a", {"title": "VP"}),
        RelRow("WORKS_AT", "Contact", "c1", "Account", "gone", {}),
    ]
    assert w.upsert_rels("WORKS_AT", "Contact", "Account", links).created == 2
    store.write("acme", "MATCH (a:Account {id: 'gone'}) DETACH DELETE a")  # meanwhile, elsewhere
    w.flush()  # the COPY refuses the missing end: written row by row, the dangling one skipped
    got = store.read("acme", "MATCH (c:Contact)-[w:WORKS_AT]->(a:Account) RETURN c.id AS c, a.id AS a, w.title AS t")
    assert got == [{"c": "c0", "a": "a", "t": "VP"}]
    assert store.read("acme", "MATCH (c:Contact) RETURN count(*) AS n") == [{"n": 2}]


def test_a_label_empty_at_first_is_not_looked_up_but_its_written_ids_are(store: LadybugStore) -> None:
    """Contacts had no records at the writer's first batch: ids it never created are new without a
    lookup; ids it created and wrote (an earlier spool) are found and updated, not created twice."""
    w = StoreRowWriter(store, "acme", spool_rows=2)
    asked: list[int] = []
    lookup = w._stored
    w._stored = lambda s, label, ids: asked.append(len(ids)) or lookup(s, label, ids)  # type: ignore[method-assign]
    first = w.upsert_nodes("Contact", [NodeRow("Contact", f"c{i}", {"name": f"C{i}"}) for i in range(3)])
    assert (first.created, asked) == (3, [])
    again = w.upsert_nodes(
        "Contact",
        [NodeRow("Contact", "c1", {"name": "C1", "title": "CTO"}), NodeRow("Contact", "c9", {"name": "C9"})],
    )  # the 3 held ones were written first (a full spool): c1 is stored now
    assert (again.created, again.updated, asked) == (1, 1, [1])
    w.flush()
    got = store.read("acme", "MATCH (c:Contact) RETURN c.id AS id, c.title AS t ORDER BY id")
    assert got == [{"id": "c0", "t": None}, {"id": "c1", "t": "CTO"}, {"id": "c2", "t": None}, {"id": "c9", "t": None}]


def test_a_label_with_records_is_looked_up_and_another_writers_record_is_merged(store: LadybugStore) -> None:
    StoreRowWriter(store, "acme").upsert_nodes("Account", [NodeRow("Account", "a0", {"name": "A0"})])
    w = StoreRowWriter(store, "acme", spool_rows=10**6)
    assert w.upsert_nodes("Account", [NodeRow("Account", "a0", {"name": "A0", "city": "Oslo"})]).updated == 1
    # Contacts: empty at the first batch; then another writer creates c1 before this one holds it
    w.upsert_nodes("Contact", [NodeRow("Contact", "c0", {"name": "C0"})])
    StoreRowWriter(store, "acme").upsert_nodes("Contact", [NodeRow("Contact", "c1", {"name": "C1", "title": "VP"})])
    assert w.upsert_nodes("Contact", [NodeRow("Contact", "c1", {"name": "C1", "city": "Oslo"})]).created == 1
    w.flush()  # COPY finds c1 taken: merged row by row
    got = store.read("acme", "MATCH (c:Contact) RETURN c.id AS id, c.title AS t, c.city AS city ORDER BY id")
    assert got == [{"id": "c0", "t": None, "city": None}, {"id": "c1", "t": "VP", "city": "Oslo"}]
    assert store.read("acme", "MATCH (a:Account) RETURN a.city AS city") == [{"city": "Oslo"}]


def test_the_ends_of_held_links_are_looked_up_once_per_spool(store: LadybugStore) -> None:
    StoreRowWriter(store, "acme").upsert_nodes("Account", [NodeRow("Account", "a", {"name": "A"})])
    w = StoreRowWriter(store, "acme", spool_rows=10**6)
    asked: list[set[str]] = []
    lookup = w._stored
    w._stored = lambda s, label, ids: asked.append(set(ids)) or lookup(s, label, ids)  # type: ignore[method-assign]
    for batch in range(3):
        w.upsert_nodes("Contact", [NodeRow("Contact", f"c{batch}", {"name": "C"})])
        link = RelRow("WORKS_AT", "Contact", f"c{batch}", "Account", "a", {})
        assert w.upsert_rels("WORKS_AT", "Contact", "Account", [link]).created == 1
    assert [ids for ids in asked if ids] == [{"a"}]
    w.flush()
    assert store.read("acme", "MATCH (:Contact)-[w:WORKS_AT]->(:Account) RETURN count(*) AS n") == [{"n": 3}]


def test_another_tenants_records_do_not_count_as_this_tenants(store: LadybugStore) -> None:
    """Globex's contacts neither switch acme's writer to a lookup per id nor mix into acme. (On
    Ladybug each tenant is its own database file, so this holds even without the probe's tenant
    filter; the filter is for a Neo4j database shared by tenants.)"""
    StoreRowWriter(store, "globex").upsert_nodes("Contact", [NodeRow("Contact", "c0", {"name": "Globex C0"})])
    w = StoreRowWriter(store, "acme", spool_rows=10**6)
    asked: list[int] = []
    lookup = w._stored
    w._stored = lambda s, label, ids: asked.append(len(ids)) or lookup(s, label, ids)  # type: ignore[method-assign]
    assert w.upsert_nodes("Contact", [NodeRow("Contact", "c0", {"name": "Acme C0"})]).created == 1
    assert asked == []
    w.flush()
    for tenant, name in (("acme", "Acme C0"), ("globex", "Globex C0")):
        query = "MATCH (c:Contact) WHERE c.tenant = $t RETURN c.uid AS uid, c.name AS name"
        assert store.read(tenant, query, {"t": tenant}) == [{"uid": f"{tenant}/c0", "name": name}]
