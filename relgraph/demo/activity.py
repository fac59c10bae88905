"""Generated buying activity around the real Maven deals: contacts on deals and interactions.

The Maven data set has deals with real outcomes but no people or emails. We add, per deal, the
contacts involved (champion, decision maker, economic buyer, users) and a stream of emails, calls
and meetings between the owning rep and them, dated inside the deal's life. Engagement depends on
the real outcome the way sales teams describe it (won deals more often reach a decision maker, have
a champion and stay active until close; lost deals fade), so the graph carries a relationship
signal that the deal-win model can find - a property of this generated layer, documented as such.
Replies cc the sender's manager now and then, as people do, which is evidence for org inference.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from importers.rows import NodeRow, RelRow
from relgraph.demo.people import Person

SUBJECTS = (
    "Intro: {product} for {account}",
    "Follow-up on our call",
    "Pricing for {product}",
    "Next steps",
    "Security questionnaire",
    "Proposal - {account}",
    "Quick question",
    "Renewal options",
    "Agenda for Thursday",
    "Implementation plan",
    "Re: contract redlines",
    "Budget approval",
)


@dataclass(frozen=True)
class DealFacts:
    id: str
    account_id: str
    owner_id: str | None
    status: str
    product: str
    start: date
    end: date


def _engagement(status: str, rng: random.Random) -> tuple[float, float, int, float]:
    """(P decision maker engaged, P champion, number of touches, share of the life that is active)."""
    if status == "won":
        return 0.75, 0.8, max(2, int(rng.gauss(7, 2.5))), 1.0
    if status == "lost":
        return 0.35, 0.45, max(1, int(rng.gauss(4, 2))), rng.uniform(0.3, 0.8)
    return 0.55, 0.6, max(1, int(rng.gauss(5, 2.5))), 1.0


def _pick(people: list[Person], rng: random.Random, levels: range) -> Person:
    pool = [p for p in people if p.level in levels] or people
    return rng.choice(pool)


def deal_activity(
    deal: DealFacts,
    people: list[Person],
    by_id: dict[str, Person],
    account_name: str,
    rng: random.Random,
    seq: Iterator[int],
) -> Iterator[NodeRow | RelRow]:
    """ON_DEAL roles and the interactions of one deal."""
    p_dm, p_champ, touches, active = _engagement(deal.status, rng)
    roles: dict[str, str] = {}
    if rng.random() < p_champ:
        roles[_pick(people, rng, range(1, 3)).id] = "champion"
    if rng.random() < p_dm:
        roles.setdefault(_pick(people, rng, range(3, 6)).id, "decision_maker")
    if rng.random() < 0.3:
        roles.setdefault(_pick(people, rng, range(3, 5)).id, "economic_buyer")
    for _ in range(rng.randint(0, 2)):
        roles.setdefault(_pick(people, rng, range(0, 1)).id, "user")
    if not roles:
        roles[_pick(people, rng, range(0, 3)).id] = "influencer"
    for pid, role in roles.items():
        yield RelRow("ON_DEAL", "Contact", pid, "Deal", deal.id, {"role": role})
    if deal.owner_id is None:
        return
    span = max(1, int((deal.end - deal.start).days * active))
    contacts = list(roles)
    for _ in range(touches):
        when = datetime.combine(
            deal.start + timedelta(days=rng.randint(0, span)),
            time(rng.randint(8, 17), rng.choice((0, 15, 30, 45))),
            UTC,
        )
        yield from _interaction(deal, by_id[rng.choice(contacts)], by_id, account_name, when, rng, next(seq))


def _interaction(
    deal: DealFacts, contact: Person, by_id: dict[str, Person], account: str, when: datetime, rng: random.Random, n: int
) -> Iterator[NodeRow | RelRow]:
    kind = rng.choices(("email", "meeting", "call"), weights=(60, 25, 15))[0]
    iid = f"demo:i{n}"
    subject = rng.choice(SUBJECTS).format(product=deal.product, account=account)
    manager = by_id.get(contact.manager or "")
    parts: list[tuple[str, str, str]] = []  # (label, id, role)
    if kind == "email":
        reply = rng.random() < 0.4
        sender, receiver = (
            (("Contact", contact.id), ("Rep", deal.owner_id))
            if reply
            else (("Rep", deal.owner_id), ("Contact", contact.id))
        )
        parts += [(sender[0], str(sender[1]), "from"), (receiver[0], str(receiver[1]), "to")]
        if manager is not None and rng.random() < (0.35 if reply else 0.15):
            parts.append(("Contact", manager.id, "cc"))
        if reply:
            subject = "Re: " + subject
    else:
        parts.append(("Rep", str(deal.owner_id), "organizer"))
        parts.append(("Contact", contact.id, "attendee"))
        if manager is not None and kind == "meeting" and rng.random() < 0.3:
            parts.append(("Contact", manager.id, "attendee"))
    yield NodeRow(
        "Interaction",
        iid,
        {
            "kind": kind,
            "subject": subject,
            "body": f"{kind.title()} with {contact.name} about {deal.product}.",
            "occurred_at": when,
            "duration_min": None if kind == "email" else rng.choice((15, 30, 45, 60)),
            "source": "demo",
        },
    )
    for label, pid, role in parts:
        yield RelRow("PARTICIPATED_IN", label, pid, "Interaction", iid, {"role": role})
    yield RelRow("ABOUT", "Interaction", iid, "Deal", deal.id)
