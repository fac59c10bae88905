"""A small cache for per-account views (org charts, account influence).

An entry is served while the tenant's version has not moved (every write through the API moves it,
see ``graph.intelligence.sync``) and for at most ``ttl_s`` (writes from other processes, and facts
that age, such as "met in the last 90 days"). Least recently used entries go first.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class ViewCache:
    def __init__(self, version: Callable[[str], int] | None = None, *, ttl_s: float = 60.0, size: int = 256) -> None:
        self._version = version or (lambda tenant: 0)
        self.ttl_s = ttl_s
        self.size = size
        self._entries: OrderedDict[tuple[str, Hashable], tuple[int, float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, tenant: str, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The cached value of ``key`` for ``tenant``, or ``compute()`` (stored for next time)."""
        version = self._version(tenant)
        slot = (tenant, key)
        with self._lock:
            hit = self._entries.get(slot)
            if hit is not None and hit[0] == version and time.monotonic() - hit[1] < self.ttl_s:
                self._entries.move_to_end(slot)
                return hit[2]
        started = time.monotonic()
        value = compute()
        with self._lock:
            # Stamped with the version read before computing: a write meanwhile leaves it stale.
            self._entries[slot] = (version, started, value)
            self._entries.move_to_end(slot)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value
