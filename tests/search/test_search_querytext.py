"""The query planner: what a typed query means, and that no input breaks it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.errors import InvalidInput
from search.analysis import analyze
from search.querytext import MAX_CLAUSES, CjkClause, PhraseClause, TermClause, parse_query


def plan(q: str, **kw: bool) -> tuple[object, ...]:
    return parse_query(q, analyze, **kw).clauses


def test_words_get_auto_fuzziness_and_the_last_is_a_prefix() -> None:
    assert plan("Jonh Smtih") == (TermClause("jonh", 1), TermClause("smtih", 1, prefix=True))
    assert plan("al christopher") == (TermClause("al", 0), TermClause("christopher", 2, prefix=True))


def test_trailing_space_means_the_last_word_is_complete() -> None:
    assert plan("john ") == (TermClause("john", 1),)


def test_quotes_make_a_phrase() -> None:
    assert plan('"John Smith" acme') == (PhraseClause(("john", "smith")), TermClause("acme", 1, prefix=True))
    assert plan('"john"') == (TermClause("john", 0),)
    assert plan('acme "john smith"') == (PhraseClause(("john", "smith")), TermClause("acme", 1))


def test_unbalanced_quote_is_text() -> None:
    assert plan('"john smith') == (TermClause("john", 1), TermClause("smith", 1, prefix=True))


def test_operators_are_text() -> None:
    assert plan("jo* AND jonh~1") == (
        TermClause("jo", 0),
        TermClause("and", 1),
        TermClause("jonh", 1),
        TermClause("1", 0, prefix=True),
    )
    assert parse_query("((( ~~ *:*", analyze).is_empty


def test_cjk_runs_become_substring_clauses() -> None:
    assert plan("小明 smith") == (CjkClause("小明"), TermClause("smith", 1, prefix=True))
    assert plan('"王小明"') == (CjkClause("王小明"),)


def test_folding_and_dedupe() -> None:
    assert plan("ZOË zoe") == (TermClause("zoe", 1, prefix=False), TermClause("zoe", 1, prefix=True))
    assert plan("john john ") == (TermClause("john", 1),)


def test_options() -> None:
    assert plan("john smi", fuzzy=False) == (TermClause("john", 0), TermClause("smi", 0, prefix=True))
    assert plan("john smi", prefix_last=False) == (TermClause("john", 1), TermClause("smi", 1))


def test_too_many_clauses() -> None:
    parse_query(" ".join(f"w{i}" for i in range(MAX_CLAUSES)), analyze)
    with pytest.raises(InvalidInput):
        parse_query(" ".join(f"w{i}" for i in range(MAX_CLAUSES + 1)), analyze)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_plans_or_is_invalid_input(q: str) -> None:
    try:
        parsed = parse_query(q, analyze)
    except InvalidInput:
        return
    for clause in parsed.clauses:
        if isinstance(clause, TermClause):
            assert clause.term and clause.fuzziness in (0, 1, 2)
        elif isinstance(clause, PhraseClause):
            assert len(clause.words) >= 2
        else:
            assert clause.run
