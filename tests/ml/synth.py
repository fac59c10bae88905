"""A small synthetic tenant with a planted structural win signal, written through the import path.

Accounts with an org of 8 people (a CEO, two VPs, two directors, three individual contributors),
reps, products and ~``n_deals`` deals over a year. Each deal's first meeting (within its first 10
days) is with a senior person (VP or CEO) for half the deals, with a junior one otherwise; a
senior first meeting wins 95% of the time, a junior one 5%. That signal lives in the graph
(interaction -> participant -> title), not in any deal column. Later interactions (after day 20)
(juniors only, so the signal stays clean at every landmark) exist so that leakage tests have
something to move. Some deals are open; one has no account, no
owner and no contacts.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from graph.repositories.bulk import StoreRowWriter
from graph.store import GraphStore
from importers.rows import NodeRow, RelRow

TITLES = (
    ("Chief Executive Officer", 5),
    ("VP Sales", 4),
    ("VP Engineering", 4),
    ("Director of Finance", 3),
    ("Director of IT", 3),
    ("Software Engineer", 1),
    ("Financial Analyst", 1),
    ("Buyer", 1),
)


def build_synthetic(
    store: GraphStore,
    tenant: str,
    *,
    n_deals: int = 240,
    n_accounts: int = 12,
    seed: int = 3,
    today: date | None = None,
) -> dict[str, Any]:
    """Write the tenant; returns ids useful to tests (``open_deals``, ``bare_deal``, ``contacts``, ...)."""
    rng = random.Random(seed)
    today = today or datetime.now(UTC).date()
    start = today - timedelta(days=420)
    store.ensure_tenant(tenant)
    w = StoreRowWriter(store, tenant)
    nodes: dict[str, list[NodeRow]] = {k: [] for k in ("Account", "Contact", "Rep", "Product", "Deal", "Interaction")}
    rels: dict[tuple[str, str, str], list[RelRow]] = {}

    def rel(t: str, s: str, sid: str, d: str, did: str, props: dict[str, Any] | None = None) -> None:
        rels.setdefault((t, s, d), []).append(RelRow(t, s, sid, d, did, props or {}))

    staff: dict[str, list[tuple[str, int]]] = {}
    for a in range(n_accounts):
        aid = f"acct{a}"
        nodes["Account"].append(
            NodeRow("Account", aid, {"name": f"Account {a}", "industry": ("retail", "software")[a % 2]})
        )
        if a % 4 == 1:
            rel("SUBSIDIARY_OF", "Account", aid, "Account", f"acct{a - 1}")
        people = []
        for i, (title, level) in enumerate(TITLES):
            cid = f"c{a}-{i}"
            nodes["Contact"].append(NodeRow("Contact", cid, {"name": f"Person {a}-{i}", "title": title}))
            rel("WORKS_AT", "Contact", cid, "Account", aid, {"title": title, "since": start - timedelta(days=400)})
            if i > 0:
                rel("REPORTS_TO", "Contact", cid, "Contact", f"c{a}-{0 if i < 3 else (1 if i < 5 else 3)}")
            people.append((cid, level))
        staff[aid] = people
    reps = [f"rep{r}" for r in range(4)]
    for r in reps:
        nodes["Rep"].append(NodeRow("Rep", r, {"name": f"Rep {r}", "region": ("East", "West")[int(r[-1]) % 2]}))
    for p in range(3):
        nodes["Product"].append(
            NodeRow("Product", f"prod{p}", {"name": f"Product {p}", "list_price": 1000.0 * (p + 1)})
        )
    seq = 0
    open_deals: list[str] = []
    for d in range(n_deals):
        did = f"deal{d}"
        created = start + timedelta(days=rng.randint(0, 330))
        is_open = d % 8 == 7
        senior = rng.random() < 0.5
        won = rng.random() < (0.95 if senior else 0.05)
        close = created + timedelta(days=rng.randint(25, 80))
        if is_open:
            created = today - timedelta(days=rng.randint(15, 60))
            open_deals.append(did)
        props: dict[str, Any] = {
            "name": f"Deal {d}",
            "status": "open" if is_open else ("won" if won else "lost"),
            "stage": "Open" if is_open else ("Won" if won else "Lost"),
            "amount": 0.0 if (not is_open and not won) else 5000.0,
            "created_on": created,
        }
        if not is_open:
            props["close_date"] = close
        nodes["Deal"].append(NodeRow("Deal", did, props))
        aid = f"acct{rng.randrange(n_accounts)}"
        rep = rng.choice(reps)
        rel("FOR_ACCOUNT", "Deal", did, "Account", aid)
        rel("OWNS", "Rep", rep, "Deal", did)
        rel("INCLUDES", "Deal", did, "Product", f"prod{rng.randrange(3)}", {"quantity": 1})
        people = staff[aid]
        first = rng.choice([p for p in people if (p[1] >= 4) == senior])
        others = [p for p in people if p[1] <= 3]
        touches = [(first, rng.randint(1, 10))]
        touches += [(rng.choice(others), rng.randint(1, 12)) for _ in range(rng.randint(0, 2))]
        touches += [(rng.choice(others), rng.randint(21, 60)) for _ in range(rng.randint(1, 3))]
        roles = {first[0]: "decision_maker" if senior else "user"}
        for (cid, _level), _ in touches[1:]:
            roles.setdefault(cid, "influencer")
        for cid, role in roles.items():
            rel("ON_DEAL", "Contact", cid, "Deal", did, {"role": role})
        for (cid, _level), day in touches:
            when = datetime.combine(created + timedelta(days=day), time(10, 0), UTC)
            iid = f"i{seq}"
            seq += 1
            nodes["Interaction"].append(
                NodeRow("Interaction", iid, {"kind": rng.choice(("email", "meeting", "call")), "occurred_at": when})
            )
            rel("PARTICIPATED_IN", "Rep", rep, "Interaction", iid, {"role": "from"})
            rel("PARTICIPATED_IN", "Contact", cid, "Interaction", iid, {"role": "to"})
            if rng.random() < 0.3:
                colleague = rng.choice(people)[0]
                if colleague != cid:
                    rel("PARTICIPATED_IN", "Contact", colleague, "Interaction", iid, {"role": "cc"})
            rel("ABOUT", "Interaction", iid, "Deal", did)
    nodes["Deal"].append(NodeRow("Deal", "bare", {"name": "Bare deal", "status": "open", "created_on": today}))
    for label in ("Account", "Contact", "Rep", "Product", "Deal", "Interaction"):
        w.upsert_nodes(label, nodes[label])
    for (rel_type, src, dst), rows in rels.items():
        w.upsert_rels(rel_type, src, dst, rows)
    return {"open_deals": open_deals, "bare_deal": "bare", "today": today, "contacts": [c for c, _ in staff["acct0"]]}
