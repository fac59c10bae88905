"""A small cache for per-account views (org charts, account influence).

An entry is served while the tenant's version has not moved (every write through the API moves it,
see ``graph.intelligence.sync``) and for at most ``ttl_s`` (writes from other processes, and facts
that age, such as "met in the last 90 days"). Least recently used entries go first.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

logger = logging.getLogger(__name__)


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


class Background:
    """At most one background job per tenant (a cache rebuild), and a way to wait for them all
    before the store they read is closed. A failed job is logged; the caller's next request tries
    again."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._running: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()

    def start(self, tenant: str, job: Callable[[], Any]) -> bool:
        """Run ``job`` in a thread unless one is already running for ``tenant``; True if started."""
        with self._lock:
            if tenant in self._running:
                return False
            thread = threading.Thread(target=self._run, args=(tenant, job), daemon=True, name=self.name)
            self._running[tenant] = thread
        thread.start()
        return True

    def _run(self, tenant: str, job: Callable[[], Any]) -> None:
        try:
            job()
        except Exception:
            logger.exception("%s of %s failed", self.name, tenant)
        finally:
            with self._lock:
                self._running.pop(tenant, None)

    def join(self, timeout_s: float = 30.0) -> None:
        with self._lock:
            threads = list(self._running.values())
        for thread in threads:
            thread.join(timeout_s)
