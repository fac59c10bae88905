"""Ids are deterministic, valid RecordIds, and never collide by accident."""

from __future__ import annotations

import pickle

from hypothesis import given
from hypothesis import strategies as st

from importers.rows import (
    MAX_ID_LENGTH,
    NodeRow,
    Note,
    Reject,
    RelRow,
    compact,
    escape_key,
    ext_id,
    is_record_id,
    make_id,
    name_id,
    schema_problems,
    slug,
)


@given(st.text(max_size=300))
def test_ext_id_is_always_a_valid_record_id(value: str) -> None:
    assert is_record_id(ext_id("src", value))


@given(st.text(min_size=1, max_size=60), st.text(min_size=1, max_size=60))
def test_escape_key_is_injective(a: str, b: str) -> None:
    if a != b:
        assert escape_key(a) != escape_key(b)


@given(st.text(max_size=500))
def test_name_id_is_valid_and_deterministic(value: str) -> None:
    assert is_record_id(name_id("maven:acct", value))
    assert name_id("maven:acct", value) == name_id("maven:acct", value)


def test_examples() -> None:
    assert name_id("maven:acct", "Acme Corporation") == "maven:acct:acme-corporation"
    assert slug("Société Générale") == "societe-generale"
    assert compact("GTX Pro") == compact("GTXPro") == "gtxpro"
    assert ext_id("email", "paul.y'barbo@enron.com") == "email:paul.y:27barbo@enron.com"
    assert ext_id("sf", "0031x00000AbCdEAAV") == "sf:0031x00000AbCdEAAV"


def test_long_keys_are_cut_with_a_hash() -> None:
    a, b = make_id("ns", "x" * 500), make_id("ns", "x" * 499 + "y")
    assert len(a) <= MAX_ID_LENGTH and is_record_id(a)
    assert a != b


def test_reject_raw_is_truncated() -> None:
    assert len(Reject("f.csv", "line 1", "bad", "x" * 10_000).raw) == 2_000


def test_schema_problems() -> None:
    assert schema_problems(NodeRow("Account", "a:1", {"name": "A"})) == []
    assert schema_problems(NodeRow("Planet", "a:1", {}))
    assert schema_problems(NodeRow("Account", "-bad", {"name": "A"}))
    assert schema_problems(NodeRow("Account", "a:1", {"colour": "red"}))
    assert schema_problems(RelRow("WORKS_AT", "Contact", "c", "Account", "a", {"title": "CTO"})) == []
    assert schema_problems(RelRow("WORKS_AT", "Account", "a", "Contact", "c"))
    assert schema_problems(RelRow("LIKES", "Contact", "c", "Contact", "d"))


def test_rows_pickle_round_trip() -> None:
    """Rows cross a pipe pickled (importers.prefetch); ``__reduce__`` must keep every field."""
    rows = [
        NodeRow("Contact", "x:1", {"name": "Ada", "custom": {"a": [1]}}),
        RelRow("WORKS_AT", "Contact", "x:1", "Account", "y:2", {"title": "CTO"}),
        Reject("f.csv", "line 3", "bad", "raw,text", "Contact"),
        Reject("f.csv", "line 4", "bad"),
        Note("f.csv", "line 5", "fixed", "sector_corrected", "Account"),
    ]
    assert pickle.loads(pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL)) == rows
