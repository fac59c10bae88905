"""Folding helpers, CJK grams and the AUTO edit-distance rule."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from search.analysis import analyze
from search.text import auto_fuzziness, cjk_grams, cjk_query_grams, cjk_runs, has_cjk, normalize, within_distance


def osa(a: str, b: str) -> int:
    """Reference optimal-string-alignment distance (plain dynamic programming)."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def test_auto_fuzziness_follows_elasticsearch() -> None:
    assert [auto_fuzziness("x" * n) for n in range(1, 9)] == [0, 0, 1, 1, 1, 2, 2, 2]


def test_within_distance_examples() -> None:
    assert within_distance("jonh", "john", 1)  # transposition is one edit
    assert within_distance("smtih", "smith", 1)
    assert not within_distance("jon", "johnny", 2)
    assert within_distance("christoper", "christopher", 2)
    assert not within_distance("ab", "ba", 0)


@given(st.text("abcde", max_size=7), st.text("abcde", max_size=7), st.integers(0, 2))
def test_within_distance_matches_reference(a: str, b: str, k: int) -> None:
    assert within_distance(a, b, k) == (osa(a, b) <= k)


def test_folding_of_the_issue_examples() -> None:
    assert analyze("Zoë Núñez") == ["zoe", "nunez"]
    assert analyze("Søren") == ["soren"]
    assert analyze("Łukasz") == ["lukasz"]
    assert analyze("Straße Æsir") == ["strasse", "aesir"]
    assert analyze("Zoe\u0308") == ["zoe"]  # decomposed input is composed first


def test_web_noise_is_not_a_term() -> None:
    assert analyze("john.smith@acme.com https://www.acme.org") == ["john", "smith", "acme", "acme"]


def test_normalize() -> None:
    assert normalize("e\u0301") == "é"
    assert normalize("plain") == "plain"


def test_cjk_runs_and_grams() -> None:
    assert cjk_runs("Mr 王小明 of 北京") == ["王小明", "北京"]
    assert has_cjk("王") and not has_cjk("Zoë")
    assert cjk_grams("王小明") == [(0, "王"), (0, "王小"), (1, "小"), (1, "小明"), (2, "明")]
    assert cjk_query_grams("小明") == ["小明"]
    assert cjk_query_grams("王小明") == ["王小", "小明"]
    assert cjk_query_grams("明") == ["明"]
    assert cjk_runs("キム・ヨナ 김연아") == ["キム", "ヨナ", "김연아"]
