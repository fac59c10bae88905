"""Org chart of an account: explicit reporting lines plus inferred ones where a person has none.

Explicit ``REPORTS_TO`` edges are facts entered by a user or imported; they always win. For every
person without an explicit manager we infer the most likely one from two kinds of evidence:

* Titles. The likely manager is the nearest more senior person in the same department: one
  level up scores ``title_gap_scores[0]``, two levels up ``[1]``, and so on. A bucket of several
  equally plausible people splits that score between them (guessing one of five sales managers is
  a 1-in-5 guess), so with many managers and one director and no email evidence, a rep is attached
  to the director: a skip-level line is still a correct ancestor, a wrong manager is not.
  When the department has no one above, the account's top executive (CEO, owner, managing
  director, ...) is the fallback, with a low score; for another C-level it is the usual answer and
  scores higher. Without a recognised top executive there is no fallback: the most senior title
  found (a VP in a mailbox where few titles are known) is not everyone's manager. A person with no
  title gets no title-based manager at all: an unknown title is not a junior one (on Enron's mail
  that put the president under a VP).
* Email patterns (``DirectedEmailCounts`` from ``strength``): people cc their manager on a good
  share of their email, and managers write to their reports more than the other way round.
  ``cc_share = cc(r -> m) / sent(r)`` counts when m was cc'd at least ``min_cc`` times;
  ``direction = (to(m -> r) - to(r -> m)) / total`` counts when there are at least ``min_direct``
  emails between them. Only the cc share can propose a manager by itself (outside the department
  too: an assistant who cc's the CEO); the direction only adds to a candidate that titles or cc's
  propose. On real mail it points up as often as down, and a corpus of some people's sent folders
  shows one side of a pair only: on Enron's it made a CEO the report of his VP.

The two are combined as a noisy-or ``1 - (1 - title)(1 - interaction)``, capped at
``max_inferred_confidence`` (an inference never looks as certain as a fact); below
``min_confidence`` the person stays a root. Each inferred edge carries human-readable evidence.

No cycles: edges are added in order of confidence, explicit first, and an edge whose manager
already reaches the report through the edges added so far is skipped (the next candidate is
tried). Explicit edges that would close a cycle, point outside the account, or give a second
manager are reported in ``dropped``.

Cost: people are bucketed by (department, level), so each person looks at one representative per
level above it plus its email correspondents, never at all pairs: O(people + email pairs). A person
with no email evidence has the same candidates as everyone else in their bucket: those are ranked
once per bucket. Titles are parsed once per distinct (title, department). ~10 ms for the 5,000
people of the bench account (``build_org_chart_columns``; most of it is building the result).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Final, Literal, NamedTuple

from graph.analytics.strength import DirectedEmailCounts
from graph.analytics.titles import is_top_executive, parse_title

EdgeSource = Literal["explicit", "inferred"]
_LEVEL_WORDS: Final = {1: "one level", 2: "two levels", 3: "three levels", 4: "four levels"}


@dataclass(frozen=True, slots=True)
class OrgPerson:
    """A person of the account. ``level``/``department``/``top_executive`` are parsed from
    ``title`` when None (pass them pre-computed to keep large charts fast)."""

    key: str
    title: str | None = None
    name: str | None = None
    level: int | None = None
    department: str | None = None
    top_executive: bool | None = None


@dataclass(frozen=True, slots=True)
class OrgChartConfig:
    title_gap_scores: tuple[float, ...] = (0.6, 0.45, 0.35, 0.3)
    unknown_department_factor: float = 0.5
    executive_fallback: float = 0.2
    c_level_to_top: float = 0.5
    cc_weight: float = 0.6
    direction_weight: float = 0.25
    min_cc: int = 3
    min_direct: int = 5
    min_confidence: float = 0.15
    max_inferred_confidence: float = 0.95
    candidates_per_person: int = 3


class ManagerEdge(NamedTuple):
    """``report`` reports to ``manager``. (A named tuple: a large chart makes thousands, and a
    frozen dataclass took twice as long to build.)"""

    report: str
    manager: str
    source: EdgeSource
    confidence: float = 1.0
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DroppedEdge:
    report: str
    manager: str
    reason: str


@dataclass(slots=True)
class OrgNode:
    """A person in the tree; ``edge`` is the line to their manager (None for a root)."""

    key: str
    title: str | None
    name: str | None
    level: int
    department: str | None
    edge: ManagerEdge | None = None
    children: list[OrgNode] = field(default_factory=list)

    def walk(self) -> Iterator[OrgNode]:
        """This node and everything under it, depth first (iterative: deep charts are fine)."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))


@dataclass(slots=True)
class OrgChart:
    roots: list[OrgNode]
    nodes: dict[str, OrgNode]
    edges: list[ManagerEdge]
    dropped: list[DroppedEdge]

    def manager_of(self, key: str) -> str | None:
        edge = self.nodes[key].edge
        return None if edge is None else edge.manager

    def chain(self, key: str) -> list[str]:
        """Managers of ``key``, nearest first."""
        out: list[str] = []
        current = self.manager_of(key)
        while current is not None:
            out.append(current)
            current = self.manager_of(current)
        return out


@dataclass(slots=True)
class _Person:
    key: str
    title: str | None
    name: str | None
    level: int
    department: str | None
    top: bool

    @property
    def label(self) -> str:
        return self.name or self.key


def build_org_chart(
    people: Sequence[OrgPerson],
    *,
    explicit: Iterable[tuple[str, str]] = (),
    email_counts: DirectedEmailCounts | None = None,
    include_inferred: bool = True,
    config: OrgChartConfig | None = None,
) -> OrgChart:
    """The org chart of ``people`` from ``explicit`` ``(report, manager)`` lines plus, with
    ``include_inferred``, inferred lines for people with no explicit manager."""
    traits: dict[tuple[str | None, str | None], tuple[int, str | None, bool]] = {}
    persons = {p.key: _prepare(p, traits) for p in people}
    return _build(persons, explicit, email_counts, include_inferred, config or OrgChartConfig())


def build_org_chart_columns(
    keys: Sequence[str],
    titles: Sequence[str | None],
    names: Sequence[str | None],
    departments: Sequence[str | None],
    *,
    explicit: Iterable[tuple[str, str]] = (),
    email_counts: DirectedEmailCounts | None = None,
    include_inferred: bool = True,
    config: OrgChartConfig | None = None,
) -> OrgChart:
    """``build_org_chart`` over people given as parallel columns (what a frame read hands back),
    titles to be parsed: the same chart as ``OrgPerson(key, title, name, department=...)`` rows,
    without building an ``OrgPerson`` per person (a large account has thousands)."""
    traits: dict[tuple[str | None, str | None], tuple[int, str | None, bool]] = {}
    persons: dict[str, _Person] = {}
    for key, title, name, department in zip(keys, titles, names, departments, strict=True):
        known = traits.get((title, department))
        if known is None:
            known = traits[(title, department)] = _parse(title, department)
        persons[key] = _Person(key, title, name, *known)
    return _build(persons, explicit, email_counts, include_inferred, config or OrgChartConfig())


def _build(
    persons: dict[str, _Person],
    explicit: Iterable[tuple[str, str]],
    email_counts: DirectedEmailCounts | None,
    include_inferred: bool,
    cfg: OrgChartConfig,
) -> OrgChart:
    parent: dict[str, str] = {}
    edges: list[ManagerEdge] = []
    dropped: list[DroppedEdge] = []

    for report, manager in explicit:
        reason = None
        if report not in persons or manager not in persons:
            reason = "person not in this account"
        elif report == manager:
            reason = "self-reference"
        elif report in parent:
            reason = f"second explicit manager (kept {parent[report]})" if parent[report] != manager else "duplicate"
        elif _reaches(parent, manager, report):
            reason = "would close a cycle"
        if reason is not None:
            dropped.append(DroppedEdge(report, manager, reason))
            continue
        parent[report] = manager
        edges.append(ManagerEdge(report, manager, "explicit"))

    if include_inferred:
        proposals = _infer(persons, parent, email_counts or DirectedEmailCounts(), cfg)
        proposals.sort(key=lambda item: -item[0])
        # Evidence (text) is written only for the candidate that is kept: most alternates never are.
        # Title-only evidence repeats across a large account (same titles, same bucket): write it once.
        said: dict[tuple[str | None, str | None, str | None, _Reason | None], tuple[str, ...]] = {}
        for _, report, candidates, correspondents, sent in proposals:
            for confidence, manager, why in candidates:
                if not _reaches(parent, manager, report):
                    parent[report] = manager
                    person, boss = persons[report], persons[manager]
                    link = correspondents.get(manager)
                    if link is None:
                        memo = (boss.title, person.title, person.department, why)
                        evidence = said.get(memo)
                        if evidence is None:
                            evidence = said[memo] = _evidence(person, boss, why, None, sent, cfg)
                    else:
                        evidence = _evidence(person, boss, why, link, sent, cfg)
                    edges.append(ManagerEdge(report, manager, "inferred", confidence, evidence))
                    break

    return _assemble(persons, edges, dropped)


def _prepare(person: OrgPerson, traits: dict[tuple[str | None, str | None], tuple[int, str | None, bool]]) -> _Person:
    level, department, top = person.level, person.department, person.top_executive
    if level is None and top is None:  # the usual case: everything from the title, once per distinct title
        known = traits.get((person.title, department))
        if known is None:
            known = traits[(person.title, department)] = _parse(person.title, department)
        return _Person(person.key, person.title, person.name, *known)
    if level is None or (department is None and person.title):
        parsed = parse_title(person.title, person.department)
        level = parsed.level if level is None else level
        department = department or parsed.department
    top = top if top is not None else is_top_executive(person.title)
    return _Person(person.key, person.title, person.name, level, department, top)


def _parse(title: str | None, department: str | None) -> tuple[int, str | None, bool]:
    """(level, department, top executive) of a title, ``department`` winning over the parsed one."""
    parsed = parse_title(title, department)
    return parsed.level, department or parsed.department, is_top_executive(title)


def _reaches(parent: Mapping[str, str], start: str, target: str) -> bool:
    """Whether following manager lines up from ``start`` arrives at ``target`` (or start == target)."""
    current: str | None = start
    steps = 0
    while current is not None:
        if current == target:
            return True
        current = parent.get(current)
        steps += 1
        if steps > len(parent) + 1:  # a cycle already there (cannot happen through this module)
            return True
    return False


# Why a title-based candidate was offered: (kind, levels above, bucket size); kinds below.
_Reason = tuple[int, int, int]
# A proposed manager: (confidence, manager key, title reason or None for email evidence alone).
_Candidate = tuple[float, str, _Reason | None]
# Per person without a manager: (best confidence, person, candidates best first, the person's email
# links (``_evidence``'s input), emails the person sent).
_Proposal = tuple[float, str, list[_Candidate], Mapping[str, list[int]], int]

_BUCKET, _FALLBACK, _C_LEVEL = 0, 1, 2
_NO_LINKS: Final[dict[str, list[int]]] = {}


def _infer(
    persons: Mapping[str, _Person],
    parent: Mapping[str, str],
    counts: DirectedEmailCounts,
    cfg: OrgChartConfig,
) -> list[_Proposal]:
    buckets: dict[tuple[str | None, int], list[str]] = {}
    for p in persons.values():
        buckets.setdefault((p.department, p.level), []).append(p.key)
    for members in buckets.values():
        members.sort()
    # Only recognised top executives head the chart for sure (no manager inferred for them, the
    # fallback for others). Without one, nobody is exempt: in a mailbox with no titles at all,
    # "the most senior title found" would be everyone, and nobody would get a line.
    tops = sorted(k for k, p in persons.items() if p.top)
    top_set = set(tops)

    # email correspondents within the account: person -> other -> [cc person->other, to person->other, to other->person]
    links: dict[str, dict[str, list[int]]] = {}
    for table, slot in ((counts.cc, 0), (counts.to, 1)):
        for (sender, recipient), n in table.items():
            if sender in persons and recipient in persons and sender != recipient:
                links.setdefault(sender, {}).setdefault(recipient, [0, 0, 0])[slot] += n
                if slot == 1:
                    links.setdefault(recipient, {}).setdefault(sender, [0, 0, 0])[2] += n

    proposals: list[_Proposal] = []
    # Without email evidence a person's candidates depend on their (department, level) alone: the
    # buckets above and the top executives (a person is never in a bucket above their own level,
    # and tops get no inferred manager). Large accounts have few such pairs: rank each once.
    by_bucket: dict[tuple[str | None, int], tuple[float, list[_Candidate]]] = {}
    for key, person in persons.items():
        if key in parent or key in top_set:
            continue
        correspondents = links.get(key, _NO_LINKS)
        sent = counts.sent.get(key, 0)
        interaction: dict[str, float] = {}
        for other, link in correspondents.items():
            value = _interaction_score(link, sent, cfg)
            if value > 0:
                interaction[other] = value
        # Who writes more to whom is no line by itself: on real mail it points up as often as down
        # (and a corpus of some people's sent mail shows one side only), while cc'ing someone on
        # one's own mail is a known sign of reporting to them.
        cc_backed = {o for o, link in correspondents.items() if link[0] >= cfg.min_cc and sent > 0}
        if interaction:
            top, best = _candidates(person, persons, buckets, tops, top_set, interaction, cfg, cc_backed)
        else:
            bucket = (person.department, person.level)
            cached = by_bucket.get(bucket)
            if cached is None:
                cached = _candidates(person, persons, buckets, tops, top_set, interaction, cfg, frozenset())
                by_bucket[bucket] = cached
            top, best = cached
        if best:
            proposals.append((top, key, best, correspondents, sent))
    return proposals


def _candidates(
    person: _Person,
    persons: Mapping[str, _Person],
    buckets: Mapping[tuple[str | None, int], list[str]],
    tops: Sequence[str],
    top_set: AbstractSet[str],
    interaction: Mapping[str, float],
    cfg: OrgChartConfig,
    cc_backed: AbstractSet[str],
) -> tuple[float, list[_Candidate]]:
    """The person's ``candidates_per_person`` most likely managers, best first (ties: by key), each
    with its confidence (capped, rounded to 4 places) and title reason, and the best confidence
    unrounded (what proposals are ordered by); confidences below ``min_confidence`` are left out."""
    scored: dict[str, tuple[float, _Reason | None]] = {}
    _title_candidates(person, persons, buckets, tops, top_set, interaction, cfg, scored)
    for other in cc_backed:  # interaction-only candidates: anyone not more junior the person cc's
        candidate = persons[other]
        if other not in scored and not (person.level and candidate.level and candidate.level < person.level):
            scored[other] = (0.0, None)
    cap = cfg.max_inferred_confidence
    ranked: list[tuple[float, str]] = []
    for manager, (title_score, _) in scored.items():
        confidence = 1.0 - (1.0 - title_score) * (1.0 - interaction.get(manager, 0.0))
        if confidence >= cfg.min_confidence:
            ranked.append((-(confidence if confidence < cap else cap), manager))
    if not ranked:
        return 0.0, []
    ranked.sort()  # managers are distinct: the same order as by (-confidence, manager)
    best = ranked[: cfg.candidates_per_person]
    return -best[0][0], [(round(-negated, 4), manager, scored[manager][1]) for negated, manager in best]


def _title_candidates(
    person: _Person,
    persons: Mapping[str, _Person],
    buckets: Mapping[tuple[str | None, int], list[str]],
    tops: Sequence[str],
    top_set: AbstractSet[str],
    correspondents: Iterable[str],
    cfg: OrgChartConfig,
    scored: dict[str, tuple[float, _Reason | None]],
) -> None:
    """Offer title-based managers: per level above, one representative of the (department, level)
    bucket (all members score the same) plus any member the person emails with (their email
    evidence can break the tie); then the top executive as the fallback."""
    level = max(person.level, 1)
    factor = 0.0 if person.level == 0 else 1.0  # no title: nothing says who is above them
    if person.department is None:
        factor *= cfg.unknown_department_factor
    gaps = cfg.title_gap_scores
    for gap in range(1 if factor else len(gaps) + 1, len(gaps) + 1):
        members = buckets.get((person.department, level + gap))
        if members and members[0] != person.key:
            _offer(scored, members[0], gaps[gap - 1] * factor / len(members), (_BUCKET, gap, len(members)))
    for other in correspondents if factor else ():
        candidate = persons[other]
        gap = candidate.level - level
        if candidate.department == person.department and 1 <= gap <= len(gaps):
            size = len(buckets[(candidate.department, candidate.level)])
            _offer(scored, other, gaps[gap - 1] * factor / size, (_BUCKET, gap, size))
    # the top executives score alike: offer the first plus any the person emails with. Only a real
    # top executive (CEO, owner, ...) is everyone's ancestor: the most senior title in a mailbox
    # (a VP among untitled colleagues) is not, and would turn the chart into a star around them.
    fallback = tops if len(tops) <= 2 else [tops[0], *(t for t in correspondents if t in top_set)]
    for top in fallback:
        manager = persons[top]
        if not manager.top or top == person.key or not (manager.level > person.level or person.level in (0, 5)):
            continue
        if person.level >= 5:
            _offer(scored, top, cfg.c_level_to_top / len(tops), (_C_LEVEL, 0, len(tops)))
        else:
            _offer(scored, top, cfg.executive_fallback / len(tops), (_FALLBACK, 0, len(tops)))


def _offer(scored: dict[str, tuple[float, _Reason | None]], manager: str, score: float, reason: _Reason) -> None:
    known = scored.get(manager)
    if known is None or score > known[0]:
        scored[manager] = (score, reason)


def _interaction_score(link: list[int], sent: int, cfg: OrgChartConfig) -> float:
    cc, to_manager, to_report = link
    score = 0.0
    if cc >= cfg.min_cc and sent > 0:
        score += cfg.cc_weight * min(1.0, cc / sent)
    total = to_manager + to_report
    if total >= cfg.min_direct and to_report > to_manager:
        score += cfg.direction_weight * (to_report - to_manager) / total
    return min(score, 1.0)


def _evidence(
    person: _Person, manager: _Person, reason: _Reason | None, link: list[int] | None, sent: int, cfg: OrgChartConfig
) -> tuple[str, ...]:
    """Human-readable reasons for one inferred edge (built only for the edges we keep)."""
    out: list[str] = []
    if reason is not None:
        kind, gap, size = reason
        if kind == _BUCKET:
            where = f" in {person.department}" if person.department else " (department unknown)"
            text = f"title '{manager.title}' is {_LEVEL_WORDS.get(gap, f'{gap} levels')} above '{person.title}'{where}"
            out.append(text + (f" (one of {size} people at that level)" if size > 1 else ""))
        elif kind == _C_LEVEL:
            out.append(f"'{manager.title}' is the account's top executive; '{person.title}' is C-level")
        else:
            out.append(f"'{manager.title}' is the account's top executive (fallback)")
    if link is not None:
        cc, to_manager, to_report = link
        if cc >= cfg.min_cc and sent > 0:
            out.append(f"cc'd on {cc} of {sent} emails from the report")
        if to_manager + to_report >= cfg.min_direct and to_report > to_manager:
            out.append(f"wrote {to_report} emails to the report and received {to_manager}")
    return tuple(out)


def _assemble(persons: Mapping[str, _Person], edges: list[ManagerEdge], dropped: list[DroppedEdge]) -> OrgChart:
    nodes = {k: OrgNode(k, p.title, p.name, p.level, p.department) for k, p in persons.items()}
    for edge in edges:
        nodes[edge.report].edge = edge
        nodes[edge.manager].children.append(nodes[edge.report])

    def order(node: OrgNode) -> tuple[int, str]:
        return (-node.level, (node.name or node.key).lower())

    for node in nodes.values():
        if len(node.children) > 1:
            node.children.sort(key=order)
    roots = sorted((n for n in nodes.values() if n.edge is None), key=order)
    return OrgChart(roots, nodes, edges, dropped)
