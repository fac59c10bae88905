"""Account hierarchy roll-ups over ``SUBSIDIARY_OF`` (a forest of any depth).

Input is the plain parent map ``child -> parent`` (None or absent for a root) and per-account
metrics. Everything here is iterative (no recursion: a 10,000-deep chain is fine) and linear in
the size of the subtree asked for; a 1,000-account tree rolls up in about a millisecond.

Coverage answers "do we know the people who decide, across the whole group?": the share of senior
contacts in the subtree who have a strong relationship with at least one of our reps
(``senior_covered / senior_contacts``; None when there are no senior contacts). What counts as
senior and as strong is decided by the caller (e.g. ``titles`` level >= 4, ``strength`` >= 0.5).

Cycles: the stored forest must stay acyclic. :func:`would_create_cycle` is the check to run before
writing a new parent link; the other functions raise ``CycleError`` if the data already has one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from graph.errors import CycleError

ParentMap = Mapping[str, str | None]


@dataclass(frozen=True, slots=True)
class AccountMetrics:
    open_pipeline: float = 0.0
    won_revenue: float = 0.0
    contacts: int = 0
    senior_contacts: int = 0
    senior_covered: int = 0
    """Senior contacts with a strong relationship to any of our reps."""
    last_interaction: datetime | None = None


@dataclass(frozen=True, slots=True)
class Totals:
    accounts: int
    open_pipeline: float
    won_revenue: float
    contacts: int
    senior_contacts: int
    senior_covered: int
    last_interaction: datetime | None

    @property
    def coverage(self) -> float | None:
        return self.senior_covered / self.senior_contacts if self.senior_contacts else None

    def plus(self, other: Totals) -> Totals:
        return Totals(
            self.accounts + other.accounts,
            self.open_pipeline + other.open_pipeline,
            self.won_revenue + other.won_revenue,
            self.contacts + other.contacts,
            self.senior_contacts + other.senior_contacts,
            self.senior_covered + other.senior_covered,
            _latest(self.last_interaction, other.last_interaction),
        )

    @classmethod
    def of(cls, metrics: AccountMetrics | None) -> Totals:
        m = metrics or AccountMetrics()
        return cls(
            1, m.open_pipeline, m.won_revenue, m.contacts, m.senior_contacts, m.senior_covered, m.last_interaction
        )


@dataclass(slots=True)
class RollupNode:
    """An account in a subtree: its own metrics, the totals of its whole subtree, its children."""

    account: str
    depth: int
    own: Totals
    total: Totals
    children: list[RollupNode] = field(default_factory=list)

    @property
    def coverage(self) -> float | None:
        return self.total.coverage

    def walk(self) -> Iterator[RollupNode]:
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))


def ancestors(parent_of: ParentMap, account: str) -> list[str]:
    """Parent, grandparent, ... up to the root (nearest first); ``CycleError`` on a cycle."""
    out: list[str] = []
    seen = {account}
    current = parent_of.get(account)
    while current is not None:
        if current in seen:
            raise CycleError(f"SUBSIDIARY_OF cycle through {current!r}", detail={"account": account})
        seen.add(current)
        out.append(current)
        current = parent_of.get(current)
    return out


def root_of(parent_of: ParentMap, account: str) -> str:
    chain = ancestors(parent_of, account)
    return chain[-1] if chain else account


def children_index(parent_of: ParentMap) -> dict[str, list[str]]:
    """``parent -> children`` (children sorted, so results are deterministic)."""
    index: dict[str, list[str]] = {}
    for child, parent in parent_of.items():
        if parent is not None:
            index.setdefault(parent, []).append(child)
    for kids in index.values():
        kids.sort()
    return index


def would_create_cycle(parent_of: ParentMap, child: str, new_parent: str | None) -> bool:
    """Whether setting ``child``'s parent to ``new_parent`` would close a cycle (including
    ``new_parent == child``). Walks up from ``new_parent``: O(depth). A cycle already present
    elsewhere in the data is reported as True too (refuse writes until it is repaired)."""
    if new_parent is None:
        return False
    seen: set[str] = set()
    current: str | None = new_parent
    while current is not None:
        if current == child or current in seen:
            return True
        seen.add(current)
        current = parent_of.get(current)
    return False


def subtree(
    parent_of: ParentMap,
    root: str,
    metrics: Mapping[str, AccountMetrics],
    *,
    children: Mapping[str, list[str]] | None = None,
    max_depth: int | None = None,
) -> RollupNode:
    """The tree under ``root`` with per-node subtree totals and coverage.

    Totals always cover the *whole* subtree; ``max_depth`` only limits how many levels of nodes are
    returned (1 = the root and its children). Pass ``children`` (from :func:`children_index`) when
    asking many subtrees of the same forest.
    """
    kids = children if children is not None else children_index(parent_of)
    order: list[tuple[str, int]] = []  # pre-order
    stack = [(root, 0)]
    seen: set[str] = set()
    while stack:
        account, depth = stack.pop()
        if account in seen:
            raise CycleError(f"SUBSIDIARY_OF cycle through {account!r}", detail={"root": root})
        seen.add(account)
        order.append((account, depth))
        stack.extend((c, depth + 1) for c in reversed(kids.get(account, [])))
    totals: dict[str, Totals] = {}
    for account, _ in reversed(order):  # children before parents
        total = Totals.of(metrics.get(account))
        for child in kids.get(account, []):
            total = total.plus(totals[child])
        totals[account] = total
    nodes: dict[str, RollupNode] = {}
    for account, depth in order:
        if max_depth is not None and depth > max_depth:
            continue
        node = RollupNode(account, depth, Totals.of(metrics.get(account)), totals[account])
        nodes[account] = node
        parent = parent_of.get(account)
        if account != root and parent is not None and parent in nodes:
            nodes[parent].children.append(node)
    return nodes[root]


def rollup_all(parent_of: ParentMap, metrics: Mapping[str, AccountMetrics]) -> dict[str, Totals]:
    """Subtree totals of every account in the forest (accounts in either map), in O(n)."""
    kids = children_index(parent_of)
    accounts = set(parent_of) | set(metrics) | set(kids)
    out: dict[str, Totals] = {}
    for root in sorted(a for a in accounts if parent_of.get(a) is None):
        tree = subtree(parent_of, root, metrics, children=kids)
        for node in tree.walk():
            out[node.account] = node.total
    if len(out) < len(accounts):
        stuck = sorted(accounts - set(out))
        raise CycleError(f"SUBSIDIARY_OF cycle among {stuck[:5]!r}", detail={"accounts": stuck})
    return out


def roots(parent_of: ParentMap, accounts: Iterable[str] = ()) -> list[str]:
    """Accounts with no parent (among ``parent_of``'s keys and ``accounts``)."""
    pool = set(parent_of) | set(accounts) | {p for p in parent_of.values() if p is not None}
    return sorted(a for a in pool if parent_of.get(a) is None)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)
