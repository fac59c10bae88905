"""Relationship strength between people, derived from interactions (the ``KNOWS`` edge).

For every unordered pair of people who interacted we keep: how often (in total and per channel),
a recency-weighted score, the directed flow each way, when last, and the ids of the latest
interactions (the evidence a user can click through). Strength in [0, 1] is computed from these at
read time for a given ``now``, so the stored state never goes stale; only new events change it.

Scoring, and why:

* Each event gives each pair a weight ``channel * roles * fan-out``. A meeting says more about a
  relationship than a call, a call more than an email, a logged note least (``channel_weights``).
  Being on the To line says more than cc, cc more than bcc (``role_weights``).
* Fan-out: an email to 3 people is personal; one to 40 is a distribution list; one to 5,000 is an
  announcement. Up to ``personal_recipients`` recipients a pair gets the full weight; beyond that
  the weight is divided by the list size (the sender's attention is shared), and beyond
  ``broadcast_recipients`` it falls with the *square* of the list size, so a company-wide mail
  adds almost nothing per pair (real mail, e.g. Enron, is full of them). Above
  ``max_recipients`` the event is skipped altogether. Meetings and calls use the same curve over
  the number of other participants; very large meetings only link the organiser to attendees
  (an all-hands does not make 200 people know each other, and would cost O(n^2) pairs).
* Recency: a contribution halves every ``half_life`` (90 days by default) before ``now``. The
  decayed sum is kept per pair at the pair's latest event time and aged at read time: exact, and
  adding an event is O(1).
* Saturation: ``1 - exp(-score / scale)`` maps the unbounded score onto [0, 1) with diminishing
  returns (the 50th email adds less than the 5th) and is monotone, so ranking by strength equals
  ranking by score for pairs with the same reciprocity. With the defaults one fresh 1:1 meeting
  gives 0.26, ten fresh 1:1 emails 0.63, a weekly meeting over the last quarter about 0.9.
* Reciprocity: ``1 - |flow_ab - flow_ba| / (flow_ab + flow_ba)``, 1 when the flow is balanced and
  0 when it is one-way. Emails flow from the sender to each recipient; meetings, calls and notes
  flow both ways. A one-way relationship (unanswered outreach, a newsletter) is worth
  ``one_way_factor`` of a balanced one: strength is multiplied by
  ``one_way_factor + (1 - one_way_factor) * reciprocity``.

The accumulator also counts, per directed pair, emails sent To and Cc: the org-chart inference uses
those ("cc'd on 14 of 20 emails from X").
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Final, NamedTuple

from graph.errors import InvalidInput

KINDS: Final = ("email", "meeting", "call", "note")
ROLES: Final = ("from", "to", "cc", "bcc", "organizer", "attendee")
_KIND_SLOT: Final = {kind: i for i, kind in enumerate(KINDS)}
_RECIPIENT_ROLES: Final = frozenset({"to", "cc", "bcc"})
_HOST_ROLES: Final = frozenset({"organizer", "from"})

PairKey = tuple[str, str]
"""An unordered pair as an ordered tuple ``(a, b)`` with ``a < b``."""


def pair_key(a: str, b: str) -> PairKey:
    return (a, b) if a < b else (b, a)


class InteractionEvent(NamedTuple):
    """One interaction: ``participants`` are ``(person_key, role)`` pairs; ``occurred_at`` tz-aware."""

    interaction_id: str
    kind: str
    occurred_at: datetime
    participants: Sequence[tuple[str, str]]


def _frozen(mapping: Mapping[str, float]) -> Mapping[str, float]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, slots=True)
class StrengthConfig:
    """Weights and curves of the strength score (see the module docstring for the reasoning)."""

    half_life: timedelta = timedelta(days=90)
    channel_weights: Mapping[str, float] = field(
        default_factory=lambda: _frozen({"meeting": 3.0, "call": 2.0, "email": 1.0, "note": 0.5})
    )
    role_weights: Mapping[str, float] = field(
        default_factory=lambda: _frozen(
            {"from": 1.0, "to": 1.0, "cc": 0.5, "bcc": 0.25, "organizer": 1.0, "attendee": 1.0}
        )
    )
    personal_recipients: int = 3
    broadcast_recipients: int = 50
    max_recipients: int | None = 2000
    meeting_all_pairs_max: int = 25
    scale: float = 10.0
    one_way_factor: float = 0.5
    evidence_ids: int = 5

    def __post_init__(self) -> None:
        if self.half_life <= timedelta(0):
            raise InvalidInput("half_life must be positive")
        if self.scale <= 0:
            raise InvalidInput("scale must be positive")
        if not 0 <= self.one_way_factor <= 1:
            raise InvalidInput("one_way_factor must be in [0, 1]")
        if not 1 <= self.personal_recipients <= self.broadcast_recipients:
            raise InvalidInput("need 1 <= personal_recipients <= broadcast_recipients")
        missing = (set(KINDS) - set(self.channel_weights)) | (set(ROLES) - set(self.role_weights))
        if missing:
            raise InvalidInput(f"weights missing for {sorted(missing)}")

    def fan_out(self, others: int) -> float:
        """Per-pair factor for an event shared with ``others`` other people (1 for a 1:1)."""
        if others <= self.personal_recipients:
            return 1.0
        base = self.personal_recipients / others
        if others <= self.broadcast_recipients:
            return base
        return base * (self.broadcast_recipients / others)


@dataclass(frozen=True, slots=True)
class PairStrength:
    """The relationship between ``a`` and ``b`` (``a < b``) as of ``now``.

    ``flow_ab``/``flow_ba`` are the (undecayed, fan-out weighted) directed flows; ``recent_ids`` the
    latest interaction ids, newest first.
    """

    a: str
    b: str
    strength: float
    score: float
    count: int
    by_kind: Mapping[str, int]
    flow_ab: float
    flow_ba: float
    reciprocity: float
    last_at: datetime
    recent_ids: tuple[str, ...]
    emails_to: tuple[int, int] = (0, 0)
    """Emails a -> b and b -> a with the recipient on To (the org chart's "who writes to whom")."""
    emails_cc: tuple[int, int] = (0, 0)
    """The same with the recipient on Cc or Bcc."""

    @property
    def key(self) -> PairKey:
        return (self.a, self.b)

    def share_from(self, person: str) -> float:
        """Share of the directed flow that goes out from ``person`` (0.5 when balanced)."""
        total = self.flow_ab + self.flow_ba
        if total == 0:
            return 0.0
        return (self.flow_ab if person == self.a else self.flow_ba) / total

    def evidence(self) -> dict[str, object]:
        """A JSON-ready summary for ``KNOWS.evidence``."""
        return {
            "by_kind": {k: v for k, v in self.by_kind.items() if v},
            "recent_ids": list(self.recent_ids),
            "flow": {self.a: round(self.flow_ab, 4), self.b: round(self.flow_ba, 4)},
            "email_to": list(self.emails_to),
            "email_cc": list(self.emails_cc),
        }


@dataclass(slots=True)
class DirectedEmailCounts:
    """Per-sender email counts: ``sent[s]`` emails from ``s``; ``to[(s, r)]`` of them had ``r`` on
    To, ``cc[(s, r)]`` had ``r`` on Cc or Bcc. Input of the org-chart inference."""

    sent: dict[str, int] = field(default_factory=dict)
    to: dict[tuple[str, str], int] = field(default_factory=dict)
    cc: dict[tuple[str, str], int] = field(default_factory=dict)


class _Pair:
    """Mutable per-pair state. ``score`` is the decayed sum referenced to time ``ref`` (epoch s)."""

    __slots__ = ("by_kind", "cc", "count", "flow_ab", "flow_ba", "recent", "ref", "score", "to")

    def __init__(self, ts: float) -> None:
        self.score = 0.0
        self.ref = ts
        self.count = 0
        self.by_kind = [0, 0, 0, 0]
        self.flow_ab = 0.0
        self.flow_ba = 0.0
        self.to = [0, 0]  # emails a -> b, b -> a with the other on To
        self.cc = [0, 0]  # ... on Cc or Bcc
        self.recent: list[tuple[float, str]] = []


class StrengthAccumulator:
    """Absorbs interaction events and reports the pairs they touched, so imports can refresh only
    the ``KNOWS`` edges that changed.

    Re-adding an interaction id already absorbed is a no-op (imports retry). Events may arrive in
    any time order. Memory is O(pairs + interaction ids).
    """

    def __init__(self, config: StrengthConfig | None = None) -> None:
        self.config = config or StrengthConfig()
        self._half_life_s = self.config.half_life.total_seconds()
        self._pairs: dict[PairKey, _Pair] = {}
        # Hashes of the ids absorbed, not the ids: a 1 GB mailbox has ~700k Message-IDs of ~60
        # characters (~80 MB as strings, a third of that as ints). A 64-bit collision (~1e-8 at a
        # million ids) would drop one interaction from one refresh.
        self._seen: set[int] = set()
        self._updated: set[PairKey] = set()
        self.email_counts = DirectedEmailCounts()
        self.skipped = 0
        """Events that contributed no pair (no sender, too many recipients, lone participant)."""

    def __len__(self) -> int:
        return len(self._pairs)

    def __contains__(self, key: object) -> bool:
        return key in self._pairs

    def add(self, event: InteractionEvent | tuple[str, str, datetime, Sequence[tuple[str, str]]]) -> set[PairKey]:
        """Absorb one event; returns the pairs it touched (empty for a duplicate id)."""
        interaction_id, kind, occurred_at, participants = event
        seen_key = hash(interaction_id)
        if seen_key in self._seen:
            return set()
        if kind not in _KIND_SLOT:
            raise InvalidInput(f"unknown interaction kind {kind!r}")
        if occurred_at.tzinfo is None or occurred_at.utcoffset() is None:
            raise InvalidInput("occurred_at must be timezone-aware")
        roles: dict[str, str] = {}
        weights = self.config.role_weights
        for person, role in participants:
            if role not in weights:
                raise InvalidInput(f"unknown participant role {role!r}")
            known = roles.get(person)
            if known is None or _role_rank(role, weights) > _role_rank(known, weights):
                roles[person] = role
        self._seen.add(seen_key)
        ts = occurred_at.timestamp()
        if kind == "email":
            touched = self._add_email(interaction_id, ts, participants, roles)
        else:
            touched = self._add_group(interaction_id, kind, ts, roles)
        if not touched:
            self.skipped += 1
        self._updated |= touched
        return touched

    def add_many(
        self, events: Iterable[InteractionEvent | tuple[str, str, datetime, Sequence[tuple[str, str]]]]
    ) -> set[PairKey]:
        touched: set[PairKey] = set()
        for event in events:
            touched |= self.add(event)
        return touched

    def pop_updated(self, now: datetime) -> list[PairStrength]:
        """The pairs touched since the last call, as of ``now``; resets the touched set."""
        keys, self._updated = self._updated, set()
        return self.pairs(now, keys)

    def pairs(self, now: datetime, keys: Iterable[PairKey] | None = None) -> list[PairStrength]:
        """Strength of ``keys`` (all pairs when None) as of ``now``; unknown keys are skipped."""
        now_ts = _epoch(now)
        chosen = self._pairs.keys() if keys is None else keys
        out = []
        for key in chosen:
            state = self._pairs.get(pair_key(*key))
            if state is not None:
                out.append(self._emit(pair_key(*key), state, now_ts))
        return out

    def pair(self, a: str, b: str, now: datetime) -> PairStrength | None:
        key = pair_key(a, b)
        state = self._pairs.get(key)
        return None if state is None else self._emit(key, state, _epoch(now))

    # --- internals -------------------------------------------------------------------------------
    def _add_email(
        self, interaction_id: str, ts: float, participants: Sequence[tuple[str, str]], roles: dict[str, str]
    ) -> set[PairKey]:
        senders = [p for p, r in participants if r == "from"]
        recipients = {p: r for p, r in roles.items() if r in _RECIPIENT_ROLES and p not in senders}
        cfg = self.config
        n = len(recipients)
        if not senders or n == 0 or (cfg.max_recipients is not None and n > cfg.max_recipients):
            return set()
        base = cfg.channel_weights["email"] * cfg.fan_out(n)
        counts = self.email_counts
        touched: set[PairKey] = set()
        for sender in dict.fromkeys(senders):
            counts.sent[sender] = counts.sent.get(sender, 0) + 1
            for recipient, role in recipients.items():
                directed = (sender, recipient)
                table = counts.to if role == "to" else counts.cc
                table[directed] = table.get(directed, 0) + 1
                weight = base * cfg.role_weights["from"] * cfg.role_weights[role]
                key = pair_key(sender, recipient)
                forward = key[0] == sender
                state = self._bump(
                    key, ts, weight, 0, interaction_id, weight if forward else 0.0, 0.0 if forward else weight
                )
                (state.to if role == "to" else state.cc)[0 if forward else 1] += 1
                touched.add(key)
        return touched

    def _add_group(self, interaction_id: str, kind: str, ts: float, roles: dict[str, str]) -> set[PairKey]:
        cfg = self.config
        people = list(roles)
        n = len(people)
        if n < 2 or (cfg.max_recipients is not None and n - 1 > cfg.max_recipients):
            return set()
        factor = cfg.channel_weights[kind] * cfg.fan_out(n - 1)
        slot = _KIND_SLOT[kind]
        rw = cfg.role_weights
        if n - 1 <= cfg.meeting_all_pairs_max:
            links = [(people[i], people[j]) for i in range(n) for j in range(i + 1, n)]
        else:
            hosts = [p for p in people if roles[p] in _HOST_ROLES]
            links = [(h, p) for h in hosts for p in people if p != h and not (p in hosts and p < h)]
        touched: set[PairKey] = set()
        for a, b in links:
            weight = factor * rw[roles[a]] * rw[roles[b]]
            key = pair_key(a, b)
            self._bump(key, ts, weight, slot, interaction_id, weight, weight)
            touched.add(key)
        return touched

    def _bump(
        self, key: PairKey, ts: float, weight: float, slot: int, interaction_id: str, fab: float, fba: float
    ) -> _Pair:
        state = self._pairs.get(key)
        if state is None:
            state = self._pairs[key] = _Pair(ts)
        if ts >= state.ref:
            state.score = state.score * 2.0 ** (-(ts - state.ref) / self._half_life_s) + weight
            state.ref = ts
        else:
            state.score += weight * 2.0 ** (-(state.ref - ts) / self._half_life_s)
        state.count += 1
        state.by_kind[slot] += 1
        state.flow_ab += fab
        state.flow_ba += fba
        recent = state.recent
        limit = self.config.evidence_ids
        if len(recent) < limit or ts > recent[-1][0]:
            recent.append((ts, interaction_id))
            recent.sort(key=lambda item: -item[0])
            del recent[limit:]
        return state

    def _emit(self, key: PairKey, state: _Pair, now_ts: float) -> PairStrength:
        cfg = self.config
        age = max(0.0, now_ts - state.ref)
        score = state.score * 2.0 ** (-age / self._half_life_s)
        total = state.flow_ab + state.flow_ba
        reciprocity = 1.0 - abs(state.flow_ab - state.flow_ba) / total if total > 0 else 0.0
        saturated = 1.0 - math.exp(-score / cfg.scale)
        strength = saturated * (cfg.one_way_factor + (1.0 - cfg.one_way_factor) * reciprocity)
        return PairStrength(
            a=key[0],
            b=key[1],
            strength=strength,
            score=score,
            count=state.count,
            by_kind=MappingProxyType(dict(zip(KINDS, state.by_kind, strict=True))),
            flow_ab=state.flow_ab,
            flow_ba=state.flow_ba,
            reciprocity=reciprocity,
            last_at=datetime.fromtimestamp(state.ref, tz=UTC),
            recent_ids=tuple(i for _, i in state.recent),
            emails_to=(state.to[0], state.to[1]),
            emails_cc=(state.cc[0], state.cc[1]),
        )


def compute_strengths(
    events: Iterable[InteractionEvent | tuple[str, str, datetime, Sequence[tuple[str, str]]]],
    now: datetime,
    config: StrengthConfig | None = None,
) -> dict[PairKey, PairStrength]:
    """One-shot: the strength of every pair in ``events`` as of ``now``."""
    acc = StrengthAccumulator(config)
    acc.add_many(events)
    return {p.key: p for p in acc.pairs(now)}


def _role_rank(role: str, weights: Mapping[str, float]) -> tuple[bool, float]:
    # "from" outranks any recipient role: a sender who cc's themselves is still the sender.
    return (role == "from", weights[role])


def _epoch(moment: datetime) -> float:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput("now must be timezone-aware")
    return moment.timestamp()
