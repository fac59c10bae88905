"""Text helpers shared by the query parser, the highlighter and the backends.

Why they exist: the index folds and lowercases text in its analyzer (tantivy's ``ascii_fold``
handles ë, ñ, ø, ł, ß, æ, đ), but three things it cannot do for us live here:

- NFC normalisation, so text that arrives decomposed ("e" + U+0301) folds like composed text;
- CJK runs, which a word tokenizer keeps as one token ("王小明"), so a part ("小明") would never
  match: we index overlapping unigrams + bigrams of each run instead (as Lucene's CJKBigramFilter);
- the edit-distance rule (Elasticsearch's ``fuzziness: AUTO``) and a bounded Damerau (optimal string
  alignment) distance, used to highlight fuzzy matches the engine does not report.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from rapidfuzz.distance import OSA

CJK_CHARS = (
    "\u1100-\u11ff"  # Hangul Jamo
    "\u3005\u3007"  # 々 〇
    "\u3040-\u30fa\u30fc-\u30ff"  # Hiragana, Katakana (not the ・ middle dot)
    "\u3130-\u318f"  # Hangul compatibility Jamo
    "\u31f0-\u31ff"  # Katakana phonetic extensions
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uac00-\ud7af"  # Hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\uff66-\uff9f"  # half-width Katakana
    "\U00020000-\U0003134f"  # CJK extensions B-G
)
CJK_RUN = re.compile(f"[{CJK_CHARS}]+")
WORD = re.compile(r"[^\W_]+")
"""A word as tantivy's ``simple`` tokenizer sees one: a run of letters and digits."""


def normalize(text: str) -> str:
    """NFC-normalise; a no-op (and cheap) for text that is already composed, the common case."""
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def has_cjk(text: str) -> bool:
    """True if ``text`` holds at least one CJK character (fast for ASCII text)."""
    return not text.isascii() and CJK_RUN.search(text) is not None


def cjk_runs(text: str) -> list[str]:
    """The maximal runs of CJK characters in ``text``, in order."""
    return CJK_RUN.findall(text) if not text.isascii() else []


def strip_cjk(text: str) -> str:
    """``text`` with its CJK runs replaced by spaces: the word fields index the rest.

    Why: CJK runs are matched through the n-gram fields only. Left in the word fields, a CJK name
    becomes one multi-byte term that every fuzzy query's automaton must walk: measured at 1M
    contacts (3% CJK names), a distance-2 fuzzy query on names took 0.93 ms instead of 0.07 ms.
    """
    return CJK_RUN.sub(" ", text) if has_cjk(text) else text


def cjk_grams(run: str) -> list[tuple[int, str]]:
    """Unigrams and bigrams of one CJK run, each with its position.

    The unigram and the bigram starting at character ``i`` share position ``i``, so a phrase of
    consecutive bigrams matches a substring of three or more characters, a single bigram a
    two-character substring and a unigram one character.
    """
    grams: list[tuple[int, str]] = []
    for i, char in enumerate(run):
        grams.append((i, char))
        if i + 1 < len(run):
            grams.append((i, run[i : i + 2]))
    return grams


def cjk_query_grams(run: str) -> list[str]:
    """The grams to look up for a CJK run typed in a query: its bigrams, or itself if one char."""
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def auto_fuzziness(term: str) -> int:
    """Edit distance allowed for ``term`` by Elasticsearch's AUTO rule (AUTO:3,6).

    0 edits for terms of 1-2 characters, 1 for 3-5, 2 for longer ones.
    """
    length = len(term)
    if length < 3:
        return 0
    if length < 6:
        return 1
    return 2


def within_distance(a: str, b: str, max_edits: int) -> bool:
    """True if the optimal-string-alignment distance between ``a`` and ``b`` is <= ``max_edits``.

    Insertions, deletions, substitutions and transpositions of adjacent characters cost one edit,
    as in tantivy's and Lucene's fuzzy queries with transpositions on.
    """
    if a == b:
        return True
    if max_edits <= 0 or abs(len(a) - len(b)) > max_edits:
        return False
    return OSA.distance(a, b, score_cutoff=max_edits) <= max_edits


def words(text: str) -> Iterator[re.Match[str]]:
    """The words of ``text`` with their offsets (for highlighting stored text)."""
    return WORD.finditer(text)
