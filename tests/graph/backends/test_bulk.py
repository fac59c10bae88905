"""The embedded store's bulk write paths (LOAD FROM a DataFrame) on a real Ladybug database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from graph import schema
from graph.backends.embedded import LadybugStore
from graph.repositories import base

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
