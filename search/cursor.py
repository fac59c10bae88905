"""Opaque page cursors.

A cursor is an offset plus a fingerprint of the query it belongs to, base64url-encoded. Why a
fingerprint: a cursor replayed against a different query would silently page through the wrong
results; this way it is refused (``InvalidInput``) instead. Offsets are fine for a search box:
results past :data:`search.models.MAX_RESULT_WINDOW` are refused, as Elasticsearch does.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

from graph.errors import InvalidInput
from search.models import MAX_RESULT_WINDOW, SearchQuery


def fingerprint(tenant: str, query: SearchQuery) -> str:
    """A short digest of what decides the result list (not the limit, not the cursor)."""
    key = json.dumps([tenant, query.q, query.types, query.account_id, query.owner_id, query.fuzzy], ensure_ascii=False)
    return hashlib.blake2s(key.encode(), digest_size=6).hexdigest()


def encode_cursor(offset: int, print_: str) -> str:
    raw = json.dumps({"o": offset, "f": print_}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, print_: str) -> int:
    """The offset a cursor stands for (0 without one). Raises ``InvalidInput`` on a bad cursor."""
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        offset = data["o"]
        owner = data["f"]
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput("invalid search cursor") from exc
    if not isinstance(offset, int) or isinstance(offset, bool) or not offset >= 0:
        raise InvalidInput("invalid search cursor")
    if owner != print_:
        raise InvalidInput("search cursor belongs to another query")
    return offset


def page_window(offset: int, limit: int) -> int:
    """How many hits to fetch from ``offset``; raises ``InvalidInput`` past the result window."""
    if offset >= MAX_RESULT_WINDOW:
        raise InvalidInput(f"cannot page past the first {MAX_RESULT_WINDOW} results")
    return min(limit, MAX_RESULT_WINDOW - offset)


def next_cursor(offset: int, returned: int, total: int, print_: str) -> str | None:
    """The cursor of the following page, or ``None`` when this page is the last reachable one."""
    following = offset + returned
    if returned == 0 or following >= total or following >= MAX_RESULT_WINDOW:
        return None
    return encode_cursor(following, print_)
