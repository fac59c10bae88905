"""Highlights computed from stored text and the query plan.

Why not the engine's snippets: tantivy's snippet generator only knows the exact terms of a query,
so fuzzy ("Jonh" -> John) and prefix ("smi" -> Smith) hits come back with nothing highlighted.
Here a word is marked when it matches a clause of the plan the way the engine matched it: equal
after folding, within the clause's edit distance, starting with the prefix, or inside a CJK run.

Output follows Elasticsearch's ``encoder: html``: text is HTML-escaped, matches are wrapped in
``<em>``/``</em>``; short values are returned whole, long ones as up to three fragments around
the first matches.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from search.querytext import Analyzer, CjkClause, ParsedQuery, PhraseClause, TermClause
from search.text import normalize, within_distance, words

FRAGMENT_CHARS = 160
"""Values up to this length are returned whole; longer ones as fragments of about this size."""
MAX_FRAGMENTS = 3


class Highlighter:
    """Marks the words of stored values that a :class:`ParsedQuery` matched.

    One instance per query: it memoises word -> matched, and the same names recur across hits.
    """

    def __init__(self, plan: ParsedQuery, analyze: Analyzer) -> None:
        self._analyze = analyze
        self._terms = [c for c in plan.clauses if isinstance(c, TermClause)]
        self._phrase_words = {w for c in plan.clauses if isinstance(c, PhraseClause) for w in c.words}
        self._cjk = [c.run for c in plan.clauses if isinstance(c, CjkClause)]
        self._memo: dict[str, bool] = {}

    def _term_matches(self, token: str) -> bool:
        if token in self._phrase_words:
            return True
        for clause in self._terms:
            term = clause.term
            if token == term:
                return True
            if clause.prefix and token.startswith(term):
                return True
            if clause.fuzziness and within_distance(token, term, clause.fuzziness):
                return True
        return False

    def _word_matches(self, word: str) -> bool:
        hit = self._memo.get(word)
        if hit is None:
            hit = any(self._term_matches(t) for t in self._analyze(word))
            self._memo[word] = hit
        return hit

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans of ``text`` to mark, sorted and merged."""
        found: list[tuple[int, int]] = []
        if self._terms or self._phrase_words:
            found.extend(m.span() for m in words(text) if self._word_matches(m.group()))
        for run in self._cjk:
            start = text.find(run)
            while start != -1:
                found.append((start, start + len(run)))
                start = text.find(run, start + len(run))
        return _merge(found)

    def highlight(self, value: str) -> list[str]:
        """Snippets of one stored value (``[]`` if nothing in it matched)."""
        text = normalize(value)
        spans = self.spans(text)
        if not spans:
            return []
        if len(text) <= FRAGMENT_CHARS:
            return [_render(text, 0, len(text), spans)]
        return [_render(text, lo, hi, spans) for lo, hi in _windows(text, spans)]

    def highlight_values(self, values: Iterable[str]) -> list[str]:
        """Snippets of a multi-valued field (emails, participants), one list for all values."""
        out: list[str] = []
        for value in values:
            out.extend(self.highlight(value))
        return out


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _windows(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Up to :data:`MAX_FRAGMENTS` windows of about :data:`FRAGMENT_CHARS` around matches."""
    half = FRAGMENT_CHARS // 2
    windows: list[tuple[int, int]] = []
    for start, end in spans:
        if windows and start < windows[-1][1]:
            continue
        lo = max(0, start - half // 2)
        hi = min(len(text), max(end, lo + FRAGMENT_CHARS))
        lo = _word_start(text, lo)
        hi = _word_end(text, hi)
        windows.append((lo, hi))
        if len(windows) == MAX_FRAGMENTS:
            break
    return windows


_MAX_SNAP = 20
"""Snap fragment edges to whitespace at most this far (text without spaces, e.g. CJK, has none)."""


def _word_start(text: str, i: int) -> int:
    stop = max(0, i - _MAX_SNAP)
    j = i
    while j > stop and not text[j - 1].isspace():
        j -= 1
    return j if j == 0 or text[j - 1].isspace() else i


def _word_end(text: str, i: int) -> int:
    stop = min(len(text), i + _MAX_SNAP)
    j = i
    while j < stop and not text[j].isspace():
        j += 1
    return j if j == len(text) or text[j].isspace() else i


def _render(text: str, lo: int, hi: int, spans: list[tuple[int, int]]) -> str:
    parts: list[str] = []
    pos = lo
    for start, end in spans:
        if end <= lo or start >= hi:
            continue
        start, end = max(start, lo), min(end, hi)
        parts.append(html.escape(text[pos:start]))
        parts.append("<em>" + html.escape(text[start:end]) + "</em>")
        pos = end
    parts.append(html.escape(text[pos:hi]))
    return "".join(parts)
