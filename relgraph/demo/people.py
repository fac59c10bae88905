"""Generated people for the demo: names (with non-ASCII and CJK ones), titles and org charts.

Each account gets an executive team and departments (VP -> directors -> managers -> individual
contributors). Some reporting lines are left out on purpose (``explicit_share``): the org-chart
feature has to infer them from titles and interaction patterns, and the true manager is kept in
the contact's custom field ``demo_true_manager`` so that inference can be measured.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

FIRST = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan Joseph "
    "Jessica Thomas Sarah Charles Karen Daniel Lisa Matthew Nancy Anthony Sandra Mark Ashley Paul Emily Steven "
    "Donna Andrew Michelle Kenneth Carol Joshua Amanda Kevin Melissa Brian Deborah George Stephanie Timothy Rebecca "
    "Zoë Søren Łukasz José François Björn Ngozi Wei Priya Aarav Chloé Mateo Ines Yusuf Aiko Olga Chidi Ana Lars "
    "Siobhan Tomás Renée Jürgen Małgorzata Dmitri Fatima Hiroshi Amara Nikolai Élodie"
).split()
LAST = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson "
    "Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis "
    "Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall "
    "Núñez Müller Østergaard Kowalski Dubois Šimić O'Brien Nakamura Okafor Petrov Lindqvist Castillo Haddad "
    "Fernández Schröder Wiśniewski Kim Patel Rossi Jansen"
).split()
CJK_NAMES = ("王小明", "李静", "张伟", "陈晓红", "佐藤健", "김민준")

DEPARTMENTS = {
    "sales": (
        "Chief Revenue Officer",
        "VP Sales",
        "Director of Sales",
        "Sales Manager",
        ("Account Executive", "Sales Development Representative"),
    ),
    "engineering": (
        "Chief Technology Officer",
        "VP Engineering",
        "Director of Engineering",
        "Engineering Manager",
        ("Software Engineer", "Senior Software Engineer"),
    ),
    "finance": (
        "Chief Financial Officer",
        "VP Finance",
        "Finance Director",
        "Finance Manager",
        ("Financial Analyst", "Accountant"),
    ),
    "marketing": (
        "Chief Marketing Officer",
        "VP Marketing",
        "Director of Marketing",
        "Marketing Manager",
        ("Marketing Specialist", "Content Strategist"),
    ),
    "operations": (
        "Chief Operating Officer",
        "VP Operations",
        "Director of Operations",
        "Operations Manager",
        ("Operations Analyst", "Logistics Coordinator"),
    ),
    "it": (
        "Chief Information Officer",
        "VP IT",
        "IT Director",
        "IT Manager",
        ("Systems Administrator", "IT Specialist"),
    ),
    "procurement": (
        "",
        "VP Procurement",
        "Procurement Director",
        "Procurement Manager",
        ("Buyer", "Procurement Specialist"),
    ),
}
# Seniority per level: 5 CEO, 4 C-level, 3 VP, 2 director, 1 manager, 0 IC.
LEVELS = (5, 4, 3, 2, 1, 0)


@dataclass
class Person:
    id: str
    name: str
    email: str
    title: str
    department: str
    level: int
    manager: str | None = None
    explicit: bool = True
    reports: list[str] = field(default_factory=list)


def _name(rng: random.Random) -> str:
    if rng.random() < 0.02:
        return rng.choice(CJK_NAMES)
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _email(name: str, domain: str, taken: set[str]) -> str:
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    local = ".".join(p for p in ascii_name.replace("'", "").split() if p) or "person"
    email, n = f"{local}@{domain}", 1
    while email in taken:
        n += 1
        email = f"{local}{n}@{domain}"
    taken.add(email)
    return email


def org_chart(rng: random.Random, account_id: str, domain: str, headcount: int, explicit_share: float) -> list[Person]:
    """People of one account with their true reporting lines; ``explicit`` marks the recorded ones."""
    taken: set[str] = set()
    people: list[Person] = []

    def add(title: str, dept: str, level: int, manager: Person | None) -> Person:
        name = _name(rng)
        p = Person(
            f"{account_id}:p{len(people)}",
            name,
            _email(name, domain, taken),
            title,
            dept,
            level,
            manager.id if manager else None,
        )
        if manager:
            manager.reports.append(p.id)
            p.explicit = rng.random() < explicit_share
        people.append(p)
        return p

    ceo = add("Chief Executive Officer", "executive", 5, None)
    depts = rng.sample(sorted(DEPARTMENTS), k=min(len(DEPARTMENTS), 3 + headcount // 25))
    budget = max(0, headcount - 1)
    for dept in depts:
        chief, vp, director, manager, ics = DEPARTMENTS[dept]
        top = add(chief, dept, 4, ceo) if chief and budget > 20 else ceo
        head = add(vp, dept, 3, top)
        budget -= 2
        for _ in range(1 + (budget > 30)):
            d = add(director, dept, 2, head)
            for _ in range(1 + (budget > 40)):
                m = add(manager, dept, 1, d)
                for _ in range(rng.randint(2, 4)):
                    add(rng.choice(ics), dept, 0, m)
        budget = headcount - len(people)
        if budget <= 0:
            break
    return people


def since(rng: random.Random, today: date) -> date:
    return today - timedelta(days=rng.randint(60, 365 * 8))
