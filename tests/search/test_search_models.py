"""Request validation and page cursors."""

from __future__ import annotations

import pytest

from graph.errors import InvalidInput
from search.cursor import decode_cursor, encode_cursor, fingerprint, next_cursor, page_window
from search.models import MAX_RESULT_WINDOW, SearchDoc, SearchQuery, check_suggest_args, revalidated


def test_query_validation() -> None:
    with pytest.raises(InvalidInput, match="1000"):
        SearchQuery(q="x" * 1001)
    with pytest.raises(InvalidInput, match="empty"):
        SearchQuery(q=" \t")
    with pytest.raises(InvalidInput):
        SearchQuery(q="a", limit=-1)
    assert SearchQuery(q="a", limit=101).limit == 100
    assert SearchQuery(q="a").limit == 20
    assert SearchQuery(q="a", types=[]).types is None
    assert SearchQuery(q="a", types=["deal", "deal"]).types == ("deal",)
    with pytest.raises(InvalidInput):
        revalidated(SearchQuery.model_construct(q="", limit=20))


def test_suggest_args() -> None:
    assert check_suggest_args("jo", 500) == 100
    with pytest.raises(InvalidInput):
        check_suggest_args("jo", 0)
    with pytest.raises(InvalidInput):
        check_suggest_args("j" * 1001, 10)


def test_account_is_its_own_account() -> None:
    assert SearchDoc(tenant="t", type="account", id="a1", name="Acme").filter_account_id == "a1"
    assert SearchDoc(tenant="t", type="contact", id="c1", name="Jo").filter_account_id is None


def test_cursor_round_trip_and_refusals() -> None:
    q = SearchQuery(q="john")
    fp = fingerprint("t1", q)
    assert decode_cursor(encode_cursor(40, fp), fp) == 40
    assert decode_cursor(None, fp) == 0
    assert fingerprint("t2", q) != fp
    assert fingerprint("t1", SearchQuery(q="john", limit=5)) == fp  # the limit may change between pages
    for bad in ("%%%", "e30", encode_cursor(-1, fp), encode_cursor(5, "other")):
        with pytest.raises(InvalidInput):
            decode_cursor(bad, fp)


def test_paging_window() -> None:
    assert page_window(0, 20) == 20
    assert page_window(MAX_RESULT_WINDOW - 5, 20) == 5
    with pytest.raises(InvalidInput):
        page_window(MAX_RESULT_WINDOW, 20)
    assert next_cursor(0, 20, 20, "f") is None
    assert next_cursor(0, 20, 21, "f") is not None
    assert next_cursor(MAX_RESULT_WINDOW - 20, 20, 10**6, "f") is None
