"""Turn what a user typed into a small, engine-neutral query plan.

Why not an engine's query parser: users type names, not Lucene syntax. ``jon*``, ``jonh~1``,
``name:x`` or an unbalanced ``(`` would mean something else, or fail, in tantivy's and Lucene's
parsers. Here nothing is an operator except double quotes; everything else is text, analysed with
the same analyzer as the index so query terms and indexed terms agree.

The plan is a conjunction: every clause must match (in some field) for a record to be a hit.

- :class:`TermClause`: one word, matched exactly, within the AUTO edit distance, and, for the
  last word of the query (when the query does not end in whitespace), as a prefix too.
- :class:`PhraseClause`: the words of a quoted phrase, in order.
- :class:`CjkClause`: a run of CJK characters, matched as a substring through the n-gram field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from graph.errors import InvalidInput
from search.text import CJK_RUN, auto_fuzziness, cjk_query_grams, cjk_runs, normalize

Analyzer = Callable[[str], list[str]]
"""Text -> index terms (tokenise, lowercase, fold); must be the analyzer the index used."""

MAX_CLAUSES = 32
"""More words than this is pasted text, not a search; refusing it bounds the work per query."""

_QUOTED = re.compile(r'"([^"]*)"')


@dataclass(frozen=True)
class TermClause:
    term: str
    fuzziness: int
    prefix: bool = False


@dataclass(frozen=True)
class PhraseClause:
    words: tuple[str, ...]


@dataclass(frozen=True)
class CjkClause:
    run: str

    @property
    def grams(self) -> list[str]:
        return cjk_query_grams(self.run)


Clause = TermClause | PhraseClause | CjkClause


@dataclass(frozen=True)
class ParsedQuery:
    clauses: tuple[Clause, ...] = field(default_factory=tuple)

    @property
    def is_empty(self) -> bool:
        """True when nothing searchable is left (e.g. the query was only punctuation)."""
        return not self.clauses

    @property
    def terms(self) -> list[TermClause]:
        return [c for c in self.clauses if isinstance(c, TermClause)]


def _strip_cjk(text: str) -> tuple[str, list[CjkClause]]:
    runs = cjk_runs(text)
    if not runs:
        return text, []
    return CJK_RUN.sub(" ", text), [CjkClause(run) for run in runs]


def parse_query(q: str, analyze: Analyzer, *, fuzzy: bool = True, prefix_last: bool = True) -> ParsedQuery:
    """Plan the query ``q`` (already validated: not empty, at most 1,000 characters).

    Raises ``InvalidInput`` when the query has more than :data:`MAX_CLAUSES` clauses. A query
    with nothing searchable left (only punctuation) gives an empty plan, which matches nothing.
    """
    text = normalize(q)
    clauses: list[Clause] = []
    free_parts: list[str] = []
    pos = 0
    phrase_parts: list[str] = []
    for match in _QUOTED.finditer(text):
        free_parts.append(text[pos : match.start()])
        phrase_parts.append(match.group(1))
        pos = match.end()
    tail = text[pos:]
    free_parts.append(tail.replace('"', " "))  # an unbalanced quote is just text

    for phrase in phrase_parts:
        rest, cjk = _strip_cjk(phrase)
        clauses.extend(cjk)
        tokens = analyze(rest)
        if len(tokens) == 1:
            clauses.append(TermClause(tokens[0], 0))
        elif tokens:
            clauses.append(PhraseClause(tuple(tokens)))

    free_terms: list[str] = []
    for part in free_parts:
        rest, cjk = _strip_cjk(part)
        clauses.extend(cjk)
        free_terms.extend(analyze(rest))

    ends_open = bool(text) and not text[-1].isspace() and not text.endswith('"')
    for i, term in enumerate(free_terms):
        is_last = i == len(free_terms) - 1
        clauses.append(
            TermClause(
                term,
                auto_fuzziness(term) if fuzzy else 0,
                prefix=prefix_last and is_last and ends_open and bool(tail.strip()),
            )
        )
    if len(clauses) > MAX_CLAUSES:
        raise InvalidInput(f"search query has {len(clauses)} words or phrases; the limit is {MAX_CLAUSES}")
    return ParsedQuery(tuple(_dedupe(clauses)))


def _dedupe(clauses: list[Clause]) -> list[Clause]:
    """Drop repeated clauses ("john john"): a conjunction gains nothing from them."""
    seen: set[Clause] = set()
    out: list[Clause] = []
    for clause in clauses:
        if clause not in seen:
            seen.add(clause)
            out.append(clause)
    return out
