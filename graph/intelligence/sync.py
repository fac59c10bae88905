"""Keeps what is derived from the graph current after writes through the API.

Every write reported by the routers (``on_change``, the same notifications search gets) moves the
tenant's ``version``, which the cached views compare against. The counters of the account-book
parts (``part_versions``) move by route (``api.versions``), after a KNOWS refresh, and for imports.
Interactions recorded, changed or deleted are queued and, about once a second, one background
worker refreshes KNOWS for their participants (``knows.refresh_knows``, incremental: only the pairs
of those people) and marks the tenant's warm-path graph for a background rebuild.

A crash between a write and its refresh loses the refresh (not the write): ``POST
/relationships/refresh`` or ``relgraph refresh-knows`` recomputes every pair.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from graph.intelligence.hierarchy import PARTS, WriteScope
from graph.intelligence.knows import Person, refresh_knows
from graph.store import GraphStore

logger = logging.getLogger(__name__)

Ref = tuple[str, str]  # (label, id)
KNOWS_PARTS = frozenset({"coverage"})  # what a KNOWS refresh can change in an account book
SCOPE_LOG = 256  # scoped writes kept per tenant and part (see ``scope_since``)


@dataclass
class _Pending:
    interactions: set[str] = field(default_factory=set)
    people: set[Person] = field(default_factory=set)


class IntelligenceSync:
    """Tenant versions plus the background KNOWS refresh. ``after_refresh(tenant)`` runs after each
    successful refresh (the app marks its path graphs stale there)."""

    def __init__(
        self,
        store: GraphStore,
        *,
        after_refresh: Callable[[str], None] | None = None,
        interval_s: float = 1.0,
    ) -> None:
        self._store = store
        self._after = after_refresh or (lambda tenant: None)
        self._interval = interval_s
        self._versions: dict[str, int] = {}
        self._parts: dict[str, dict[str, int]] = {}
        self._scopes: dict[str, dict[str, dict[int, WriteScope | None]]] = {}  # tenant -> part -> counter -> scope
        self._pending: dict[str, _Pending] = {}
        self._cond = threading.Condition()
        self._busy = False
        self._stopping = False
        self._worker: threading.Thread | None = None

    # --- versions --------------------------------------------------------------------------------
    def version(self, tenant: str) -> int:
        with self._cond:
            return self._versions.get(tenant, 0)

    def part_versions(self, tenant: str) -> dict[str, int]:
        """A counter per account-book part, moved by the writes that can change it."""
        with self._cond:
            return dict(self._parts.get(tenant, {}))

    def bump(self, tenant: str, parts: Iterable[str] = PARTS, scope: WriteScope | None = None) -> None:
        """A write that can change ``parts``; ``scope``: the people it changed, where known."""
        with self._cond:
            self._bump(tenant, parts, scope)

    def _bump(self, tenant: str, parts: Iterable[str], scope: WriteScope | None = None) -> None:  # under the lock
        self._versions[tenant] = self._versions.get(tenant, 0) + 1
        counters = self._parts.setdefault(tenant, {})
        log = self._scopes.setdefault(tenant, {})
        for part in parts:
            counters[part] = counters.get(part, 0) + 1
            moves = log.setdefault(part, {})
            moves[counters[part]] = scope
            if len(moves) > SCOPE_LOG:
                del moves[next(iter(moves))]  # the oldest: a book that far behind reads the part whole

    def scope_since(self, tenant: str, part: str, since: int, upto: int) -> WriteScope | None:
        """What the writes that moved ``part`` from ``since`` to ``upto`` changed, or None when one
        of them did not say (or is no longer kept)."""
        with self._cond:
            moves = self._scopes.get(tenant, {}).get(part, {})
            found = WriteScope()
            for counter in range(since + 1, upto + 1):
                scope = moves.get(counter)
                if scope is None:
                    return None
                found = found | scope
            return found

    def refreshed(self, tenant: str, parts: Iterable[str] = PARTS, scope: WriteScope | None = None) -> None:
        """KNOWS was rewritten (by an import: everything): move the version, mark derived graphs stale."""
        self.bump(tenant, parts, scope)
        self._after(tenant)

    # --- changes ---------------------------------------------------------------------------------
    def on_change(self, tenant: str, refs: Iterable[Ref]) -> None:
        """A write happened: bump the version; queue interactions for the KNOWS refresh."""
        ids = {rid for label, rid in refs if label == "Interaction"}
        with self._cond:
            self._bump(tenant, ())  # the parts: by route, in api.versions (every API write passes there)
            if ids:
                self._pending.setdefault(tenant, _Pending()).interactions.update(ids)
                self._cond.notify()

    def people_changed(self, tenant: str, people: Iterable[Person]) -> None:
        """Their interactions changed in a way the interaction ids no longer show (a deletion)."""
        people = set(people)
        with self._cond:
            self._bump(tenant, ())
            if people:
                self._pending.setdefault(tenant, _Pending()).people.update(people)
                self._cond.notify()

    # --- worker ----------------------------------------------------------------------------------
    def start(self) -> None:
        if self._worker is None:
            self._stopping = False
            self._worker = threading.Thread(target=self._run, name="knows-sync", daemon=True)
            self._worker.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._worker is not None:
            self._worker.join(timeout=60)
            self._worker = None
        self.flush()

    def flush(self) -> int:
        """Refresh everything pending now, in the caller's thread; returns tenants refreshed. Waits
        for a batch the worker is running so that, on return, every earlier change is applied."""
        with self._cond:
            while self._busy:
                self._cond.wait()
            batch, self._pending = self._pending, {}
            self._busy = bool(batch)
        try:
            return self._apply(batch)
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                self._cond.wait(self._interval)  # gather a batch: a burst of writes is one refresh
                while self._busy:
                    self._cond.wait()
                batch, self._pending = self._pending, {}
                self._busy = True
            try:
                self._apply(batch)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _apply(self, batch: dict[str, _Pending]) -> int:
        done = 0
        for tenant, pending in batch.items():
            try:
                report = refresh_knows(
                    self._store, tenant, people=pending.people, interaction_ids=sorted(pending.interactions)
                )
            except Exception:  # one tenant's failure must not stop the others; a full refresh repairs it
                logger.exception("KNOWS refresh of %s failed", tenant)
                continue
            # Coverage can have moved only for the contacts of the contact-rep pairs rewritten.
            self.refreshed(tenant, KNOWS_PARTS, WriteScope(contacts=frozenset(report.rep_contacts)))
            done += 1
        return done
