"""Highlights computed from stored text, for exact, fuzzy, prefix, phrase and CJK matches."""

from __future__ import annotations

from search.analysis import analyze
from search.highlight import FRAGMENT_CHARS, MAX_FRAGMENTS, Highlighter
from search.querytext import parse_query


def marks(q: str, text: str) -> list[str]:
    return Highlighter(parse_query(q, analyze), analyze).highlight(text)


def test_exact_fuzzy_and_prefix() -> None:
    assert marks("john", "John Smith") == ["<em>John</em> Smith"]
    assert marks("Jonh Smtih", "John Smith") == ["<em>John</em> <em>Smith</em>"]
    assert marks("smi", "John Smith") == ["John <em>Smith</em>"]
    assert marks("smi ", "John Smith") == []  # complete word: no prefix, "smi" is 2 edits from smith


def test_folded_matches_keep_the_original_text() -> None:
    assert marks("zoe nunez", "Zoë Núñez") == ["<em>Zoë</em> <em>Núñez</em>"]
    assert marks("lukasz", "Łukasz Wójcik") == ["<em>Łukasz</em> Wójcik"]


def test_phrase_and_cjk() -> None:
    assert marks('"john smith"', "Met John Smith") == ["Met <em>John</em> <em>Smith</em>"]
    assert marks("小明", "王小明") == ["王<em>小明</em>"]


def test_words_inside_punctuation() -> None:
    assert marks("smith", "john.smith@acme.example") == ["john.<em>smith</em>@acme.example"]


def test_html_is_escaped() -> None:
    assert marks("bold", "<b>bold</b> & co") == ["&lt;b&gt;<em>bold</em>&lt;/b&gt; &amp; co"]


def test_long_text_gives_fragments_around_matches() -> None:
    text = ("lorem ipsum " * 40) + "renewal " + ("dolor sit " * 40) + "renewal " + ("amet " * 60)
    out = marks("renewal", text)
    assert 1 <= len(out) <= MAX_FRAGMENTS
    assert all("<em>renewal</em>" in s for s in out)
    assert all(len(s) < FRAGMENT_CHARS * 2 for s in out)


def test_no_match_no_snippet() -> None:
    assert marks("zebra", "John Smith") == []
