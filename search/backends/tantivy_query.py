"""Query plans -> tantivy ``Query`` objects, built with the Query API only.

Why the Query API and not ``index.parse_query``: the parser's ``jon*`` and ``jonh~1`` do not do
what Elasticsearch users expect and user text could be read as syntax. Every clause of the plan is
a ``Must`` (a conjunction); within a clause the alternatives are a dis-max, so a word that matches
exactly in the name scores as that, not as the sum of every way it matched.

Scores: exact words score BM25 (x4 in the name). Fuzzy and prefix matches score a constant in
tantivy (1.0 before boosting), so their boosts below sit under a typical exact BM25 score: exact
beats prefix beats fuzzy, and the name beats the body.
"""

from __future__ import annotations

from collections.abc import Sequence

import tantivy
from tantivy import Occur, Query

from search.backends import tantivy_schema as f
from search.querytext import CjkClause, ParsedQuery, PhraseClause, TermClause

NAME_BOOST = 4.0
BODY_BOOST = 1.0
PREFIX_NAME = 1.5
PREFIX_BODY = 0.75
FUZZY_NAME = 1.0
FUZZY_BODY = 0.5
TIE_BREAKER = 0.1
PREFIX_BODY_MIN_CHARS = 3
"""A shorter last word is completed in names only: "s" as a prefix over every word of every
field would touch most of the index for a completion nobody reads."""


def _boost(query: Query, boost: float) -> Query:
    return query if boost == 1.0 else Query.boost_query(query, boost)


def _term_alternatives(schema: tantivy.Schema, clause: TermClause, *, name_only: bool = False) -> list[Query]:
    term = clause.term
    fields = [(f.NAME, NAME_BOOST, PREFIX_NAME, FUZZY_NAME)]
    if not name_only:
        fields.append((f.BODY, BODY_BOOST, PREFIX_BODY, FUZZY_BODY))
    alts: list[Query] = []
    for field, exact_boost, prefix_boost, fuzzy_boost in fields:
        alts.append(_boost(Query.term_query(schema, field, term), exact_boost))
        if clause.prefix and (field == f.NAME or len(term) >= PREFIX_BODY_MIN_CHARS):
            prefix = Query.fuzzy_term_query(schema, field, term, distance=0, prefix=True)
            alts.append(_boost(prefix, prefix_boost))
        if clause.fuzziness:
            fuzzy = Query.fuzzy_term_query(schema, field, term, distance=clause.fuzziness, transposition_cost_one=True)
            alts.append(_boost(fuzzy, fuzzy_boost))
    return alts


def _words_query(schema: tantivy.Schema, field: str, words: Sequence[str]) -> Query:
    if len(words) == 1:
        return Query.term_query(schema, field, words[0])
    return Query.phrase_query(schema, field, list(words))


def _clause_query(schema: tantivy.Schema, clause: TermClause | PhraseClause | CjkClause, *, name_only: bool) -> Query:
    if isinstance(clause, TermClause):
        alts = _term_alternatives(schema, clause, name_only=name_only)
    elif isinstance(clause, PhraseClause):
        alts = [_boost(_words_query(schema, f.NAME, clause.words), NAME_BOOST)]
        if not name_only:
            alts.append(_words_query(schema, f.BODY, clause.words))
    else:
        alts = [_boost(_words_query(schema, f.CJK_NAME, clause.grams), NAME_BOOST)]
        if not name_only:
            alts.append(_words_query(schema, f.CJK_BODY, clause.grams))
    if len(alts) == 1:
        return alts[0]
    return Query.disjunction_max_query(alts, tie_breaker=TIE_BREAKER)


def _filter(query: Query) -> tuple[Occur, Query]:
    """A scoring-neutral required clause."""
    return (Occur.Must, Query.const_score_query(query, 0.0))


def filters(
    schema: tantivy.Schema,
    tenant: str,
    types: Sequence[str] | None = None,
    account_id: str | None = None,
    owner_id: str | None = None,
) -> list[tuple[Occur, Query]]:
    """Required filter clauses; the tenant one is always there."""
    out = [_filter(Query.term_query(schema, f.TENANT, tenant))]
    if types:
        out.append(_filter(Query.term_set_query(schema, f.TYPE, list(types))))
    if account_id is not None:
        out.append(_filter(Query.term_query(schema, f.ACCOUNT_ID, account_id)))
    if owner_id is not None:
        out.append(_filter(Query.term_query(schema, f.OWNER_ID, owner_id)))
    return out


def build_query(
    schema: tantivy.Schema,
    plan: ParsedQuery,
    required: list[tuple[Occur, Query]],
    *,
    name_only: bool = False,
) -> Query:
    """The conjunction of the plan's clauses and the filter clauses (empty plan: no match)."""
    if plan.is_empty:
        return Query.empty_query()
    subqueries = [(Occur.Must, _clause_query(schema, c, name_only=name_only)) for c in plan.clauses]
    return Query.boolean_query(subqueries + required)
