"""Org chart: explicit lines win, inference from titles and email patterns, never a cycle."""

from __future__ import annotations

import random
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from graph.analytics.orgchart import OrgChart, OrgPerson, build_org_chart
from graph.analytics.strength import DirectedEmailCounts

COMPANY = [
    OrgPerson("ceo", "Chief Executive Officer", "Ann CEO"),
    OrgPerson("cfo", "CFO", "Carl CFO"),
    OrgPerson("vps", "VP Sales", "Vera VP"),
    OrgPerson("sd", "Sales Director", "Sam Director"),
    OrgPerson("sm", "Sales Manager", "Mia Manager"),
    OrgPerson("ae", "Account Executive", "Al Exec"),
    OrgPerson("vpe", "Vice President, Engineering", "Eve VP"),
    OrgPerson("eng", "Software Engineer", "Ed Engineer"),
    OrgPerson("ea", "Assistant to the CEO", "Ed Assistant"),
]


def _acyclic_forest(chart: OrgChart) -> None:
    seen: set[str] = set()
    for root in chart.roots:
        for node in root.walk():
            assert node.key not in seen
            seen.add(node.key)
    assert seen == set(chart.nodes)  # every person appears exactly once, under some root
    for edge in chart.edges:
        assert edge.report not in chart.chain(edge.report)


def test_inference_from_titles() -> None:
    chart = build_org_chart(COMPANY)
    assert [r.key for r in chart.roots] == ["ceo"]
    assert chart.manager_of("cfo") == "ceo"
    assert chart.manager_of("vps") == "ceo"
    assert chart.manager_of("sd") == "vps"
    assert chart.manager_of("sm") == "sd"
    assert chart.manager_of("ae") == "sm"
    assert chart.manager_of("eng") == "vpe"  # skip level: no engineering manager/director known
    assert chart.manager_of("ea") == "ceo"
    edge = chart.nodes["sd"].edge
    assert edge is not None and edge.source == "inferred" and 0 < edge.confidence < 1
    assert "title 'VP Sales' is one level above 'Sales Director' in sales" in edge.evidence
    assert chart.nodes["sm"].edge.confidence > chart.nodes["vpe"].edge.confidence  # type: ignore[union-attr]
    _acyclic_forest(chart)


def test_explicit_wins_and_include_inferred_false() -> None:
    chart = build_org_chart(COMPANY, explicit=[("ae", "vps"), ("sd", "cfo")])
    assert chart.manager_of("ae") == "vps" and chart.nodes["ae"].edge.source == "explicit"  # type: ignore[union-attr]
    assert chart.manager_of("sd") == "cfo"
    only = build_org_chart(COMPANY, explicit=[("ae", "vps")], include_inferred=False)
    assert [e.source for e in only.edges] == ["explicit"]
    assert {r.key for r in only.roots} == {p.key for p in COMPANY} - {"ae"}
    assert [c.key for c in only.nodes["vps"].children] == ["ae"]


def test_bad_explicit_edges_are_dropped_with_a_reason() -> None:
    chart = build_org_chart(
        COMPANY,
        explicit=[("sm", "sd"), ("sd", "sm"), ("ae", "ghost"), ("ae", "sm"), ("ae", "sd"), ("cfo", "cfo")],
    )
    reasons = {(d.report, d.manager): d.reason for d in chart.dropped}
    assert reasons[("sd", "sm")] == "would close a cycle"
    assert reasons[("ae", "ghost")] == "person not in this account"
    assert reasons[("ae", "sd")].startswith("second explicit manager")
    assert reasons[("cfo", "cfo")] == "self-reference"
    _acyclic_forest(chart)


def test_email_patterns_pick_the_right_manager_among_peers() -> None:
    people = [
        OrgPerson("vp", "VP Sales"),
        OrgPerson("m1", "Sales Manager"),
        OrgPerson("m2", "Sales Manager"),
        OrgPerson("rep", "Account Executive", "Rita Rep"),
    ]
    counts = DirectedEmailCounts(
        sent={"rep": 20, "m2": 40},
        cc={("rep", "m2"): 14, ("rep", "m1"): 1},
        to={("m2", "rep"): 30, ("rep", "m2"): 6},
    )
    chart = build_org_chart(people, email_counts=counts)
    edge = chart.nodes["rep"].edge
    assert edge is not None and edge.manager == "m2"
    assert "cc'd on 14 of 20 emails from the report" in edge.evidence
    assert "wrote 30 emails to the report and received 6" in edge.evidence
    # without email evidence the two managers are a coin toss: the VP (a correct ancestor) wins
    plain = build_org_chart(people)
    assert plain.manager_of("rep") == "vp"
    assert plain.nodes["rep"].edge.confidence < edge.confidence  # type: ignore[union-attr]


def test_interaction_only_candidate_outside_department() -> None:
    people = [OrgPerson("ceo", "CEO"), OrgPerson("x", "Special Projects"), OrgPerson("cto", "CTO")]
    counts = DirectedEmailCounts(sent={"x": 10}, cc={("x", "cto"): 9}, to={("cto", "x"): 12, ("x", "cto"): 2})
    chart = build_org_chart(people, email_counts=counts)
    assert chart.manager_of("x") == "cto"


def test_inferred_edges_never_close_a_cycle_with_explicit_ones() -> None:
    # explicit lines upside down: the director "reports" to the rep; inference must not close a loop
    people = [OrgPerson("d", "Sales Director"), OrgPerson("r", "Account Executive"), OrgPerson("m", "Sales Manager")]
    chart = build_org_chart(people, explicit=[("d", "r")])
    _acyclic_forest(chart)
    assert chart.manager_of("d") == "r"


def test_prepared_inputs_skip_title_parsing() -> None:
    people = [
        OrgPerson("a", None, level=5, department="executive", top_executive=True),
        OrgPerson("b", None, level=4, department="sales"),
    ]
    chart = build_org_chart(people)
    assert chart.manager_of("b") == "a"


def test_children_sorted_by_seniority_then_name() -> None:
    chart = build_org_chart(COMPANY)
    ceo = chart.nodes["ceo"]
    levels = [c.level for c in ceo.children]
    assert levels == sorted(levels, reverse=True)


TITLES = [
    "CEO",
    "CFO",
    "VP Sales",
    "Sales Director",
    "Sales Manager",
    "Account Executive",
    "VP Engineering",
    "Engineering Manager",
    "Software Engineer",
    "Analyst",
    "",
    "Director",
    "Head of Marketing",
    "Marketing Manager",
]


@given(
    st.lists(st.sampled_from(TITLES), min_size=1, max_size=25),
    st.lists(st.tuples(st.integers(0, 24), st.integers(0, 24)), max_size=15),
    st.lists(st.tuples(st.integers(0, 24), st.integers(0, 24), st.integers(1, 20)), max_size=30),
)
@settings(max_examples=120, deadline=None)
def test_always_a_forest(
    titles: list[str], explicit: list[tuple[int, int]], emails: list[tuple[int, int, int]]
) -> None:
    people = [OrgPerson(f"p{i}", t) for i, t in enumerate(titles)]
    n = len(people)
    counts = DirectedEmailCounts()
    for s, r, k in emails:
        counts.sent[f"p{s % n}"] = counts.sent.get(f"p{s % n}", 0) + k
        counts.cc[(f"p{s % n}", f"p{r % n}")] = k
        counts.to[(f"p{r % n}", f"p{s % n}")] = k
    chart = build_org_chart(people, explicit=[(f"p{a % n}", f"p{b % n}") for a, b in explicit], email_counts=counts)
    _acyclic_forest(chart)
    explicit_kept = {(e.report, e.manager) for e in chart.edges if e.source == "explicit"}
    for a, b in explicit:
        pair = (f"p{a % n}", f"p{b % n}")
        assert pair in explicit_kept or any((d.report, d.manager) == pair for d in chart.dropped)
    for edge in chart.edges:
        assert 0.0 <= edge.confidence <= 1.0
        if edge.source == "inferred":
            assert edge.evidence


def _big_account(n: int) -> tuple[list[OrgPerson], DirectedEmailCounts]:
    rng = random.Random(7)
    depts = ["sales", "marketing", "engineering", "finance", "legal", "hr", "operations", "it"]
    people = [OrgPerson("ceo", "CEO", level=5, department="executive", top_executive=True)]
    for i in range(n - 1):
        level = rng.choices([1, 2, 3, 4, 5], weights=[70, 18, 8, 3, 1])[0]
        people.append(OrgPerson(f"p{i}", f"t{level}", level=level, department=rng.choice(depts), top_executive=False))
    counts = DirectedEmailCounts()
    for _ in range(4 * n):
        a, b = rng.choice(people).key, rng.choice(people).key
        counts.sent[a] = counts.sent.get(a, 0) + 1
        counts.cc[(a, b)] = counts.cc.get((a, b), 0) + rng.randint(0, 3)
        counts.to[(a, b)] = counts.to.get((a, b), 0) + rng.randint(1, 5)
    return people, counts


def test_five_thousand_people_is_fast() -> None:
    people, counts = _big_account(5000)
    build_org_chart(people[:50], email_counts=counts)  # warm caches
    start = time.perf_counter()
    chart = build_org_chart(people, email_counts=counts)
    elapsed = time.perf_counter() - start
    assert len(chart.nodes) == 5000
    _acyclic_forest(chart)
    assert elapsed < 2.0  # generous for a shared 2-core box; measured figure is in the report


def test_no_title_no_line_from_titles() -> None:
    """Someone without a title is not taken for a junior: nothing puts them under the only VP."""
    people = [
        OrgPerson("vp", "VP Sales"),
        OrgPerson("boss", None, department="sales"),
        OrgPerson("dir", "Sales Director"),
    ]
    chart = build_org_chart(people)
    assert chart.manager_of("boss") is None
    assert chart.manager_of("dir") == "vp"


def test_who_writes_more_is_no_line_by_itself_but_cc_is() -> None:
    """Real mail (Enron's sent folders): a VP wrote 8 emails to their untitled president and got
    none back in the corpus; that made the president the VP's report. Only cc'ing someone on one's
    own mail makes a line between people whose titles say nothing."""
    people = [OrgPerson("vp", "Vice President"), OrgPerson("pres", None), OrgPerson("aide", None)]
    counts = DirectedEmailCounts(
        sent={"vp": 40, "aide": 10}, to={("vp", "pres"): 8, ("aide", "pres"): 2}, cc={("aide", "pres"): 7}
    )
    chart = build_org_chart(people, email_counts=counts)
    assert chart.manager_of("pres") is None
    edge = chart.nodes["aide"].edge
    assert edge is not None and edge.manager == "pres" and "cc'd on 7 of 10 emails from the report" in edge.evidence
