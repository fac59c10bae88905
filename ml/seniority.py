"""Job title -> seniority level (0 unknown, 1 individual contributor, 2 manager, 3 director,
4 vice president, 5 executive).

Uses ``graph.analytics.titles`` (the project's title parser) when it is importable, and a small
keyword fallback otherwise, so the ML package does not break while analytics evolves.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Final

import numpy as np

SENIOR: Final = 4  # vice president and above count as senior

_FALLBACK: Final = (
    (re.compile(r"\b(chief|ceo|cfo|coo|cto|cio|cmo|cro|founder|owner|president)\b"), 5),
    (re.compile(r"\b(vp|vice president|svp|evp|general manager)\b"), 4),
    (re.compile(r"\b(director|head)\b"), 3),
    (re.compile(r"\b(manager|lead|supervisor)\b"), 2),
)


def _fallback(title: str | None) -> int:
    if not title or not title.strip():
        return 0
    text = title.lower()
    if re.search(r"\bvice president\b|\bvp\b", text):
        return 4
    for pattern, level in _FALLBACK:
        if pattern.search(text):
            return level
    return 1


def _parser() -> Callable[[str | None], int]:
    try:
        from graph.analytics.titles import parse_title
    except ImportError:  # analytics not installed: keep working with the fallback
        return _fallback

    def parse(title: str | None) -> int:
        return int(parse_title(title).level)

    return parse


_PARSE: Final = _parser()


@lru_cache(maxsize=65536)
def level_of(title: str | None) -> int:
    """Seniority level 0..5 of one title."""
    return _PARSE(title if isinstance(title, str) else None)


def levels(titles: Iterable[object]) -> np.ndarray:
    """Seniority levels of many titles, shape ``[n]`` int64."""
    return np.asarray([level_of(t if isinstance(t, str) else None) for t in titles], dtype=np.int64)
