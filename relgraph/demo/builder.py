"""Build the demo tenant: import the Maven CRM data (dates moved to the present), then add people,
org charts, deal roles and interactions (see ``people`` and ``activity``), all through the same
batched, idempotent write path as the importers. Running it twice changes nothing."""

from __future__ import annotations

import csv
import itertools
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from graph.repositories.bulk import StoreRowWriter
from graph.store import GraphStore
from importers.maven import parse_maven
from importers.pipeline import run_import
from importers.report import ImportReport
from importers.rows import NodeRow, RelRow, Row, slug
from relgraph.demo.activity import DealFacts, deal_activity
from relgraph.demo.people import Person, org_chart, since

OUR_DOMAIN = "maven-sales.example"


@dataclass
class _Seen:
    """What the Maven rows tell us, collected as they stream past."""

    accounts: dict[str, NodeRow] = field(default_factory=dict)
    deals: dict[str, NodeRow] = field(default_factory=dict)
    deal_account: dict[str, str] = field(default_factory=dict)
    deal_owner: dict[str, str] = field(default_factory=dict)
    deal_product: dict[str, str] = field(default_factory=dict)
    products: dict[str, str] = field(default_factory=dict)


def date_shift(maven_dir: Path, today: date) -> timedelta:
    """How far to move Maven's 2016-2017 dates so that its newest activity is a few days ago."""
    newest = date.min
    with (maven_dir / "sales_pipeline.csv").open(newline="", encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            for key in ("engage_date", "close_date"):
                if rec.get(key):
                    newest = max(newest, date.fromisoformat(rec[key]))
    return (today - timedelta(days=3)) - newest


def _maven_rows(maven_dir: Path, shift: timedelta, seen: _Seen) -> Iterator[Row]:
    for row in parse_maven(maven_dir):
        if isinstance(row, NodeRow):
            row = _adjust(row, shift)
            if row.label == "Account":
                seen.accounts[row.id] = row
            elif row.label == "Deal":
                seen.deals[row.id] = row
            elif row.label == "Product":
                seen.products[row.id] = str(row.props.get("name"))
        elif isinstance(row, RelRow):
            if row.type == "FOR_ACCOUNT":
                seen.deal_account[row.src_id] = row.dst_id
            elif row.type == "OWNS" and row.dst_label == "Deal":
                seen.deal_owner[row.dst_id] = row.src_id
            elif row.type == "INCLUDES":
                seen.deal_product[row.src_id] = row.dst_id
        yield row


def _adjust(row: NodeRow, shift: timedelta) -> NodeRow:
    props = dict(row.props)
    if row.label == "Deal":
        for key in ("created_on", "close_date"):
            if isinstance(props.get(key), date):
                props[key] = props[key] + shift
    elif row.label == "Rep" and not props.get("email"):
        props["email"] = f"{slug(str(props.get('name', row.id))).replace('-', '.')}@{OUR_DOMAIN}"
    return NodeRow(row.label, row.id, props)


def _people_rows(seen: _Seen, rng: random.Random, today: date) -> tuple[list[Row], dict[str, list[Person]]]:
    rows: list[Row] = []
    staff: dict[str, list[Person]] = {}
    for account_id, acct in sorted(seen.accounts.items()):
        domain = f"{slug(str(acct.props.get('name', account_id)))}.com"
        headcount = 12 + min(48, int(acct.props.get("employees") or 0) // 150)
        people = org_chart(rng, account_id.replace(":", "-"), domain, headcount, explicit_share=0.6)
        staff[account_id] = people
        rows.append(NodeRow("Account", account_id, {"domain": domain}))
        for p in people:
            rows.append(
                NodeRow(
                    "Contact",
                    p.id,
                    {
                        "name": p.name,
                        "email": p.email,
                        "title": p.title,
                        "department": p.department,
                        "custom": {"demo_true_manager": p.manager} if p.manager and not p.explicit else {},
                    },
                )
            )
            rows.append(
                RelRow(
                    "WORKS_AT",
                    "Contact",
                    p.id,
                    "Account",
                    account_id,
                    {"title": p.title, "department": p.department, "since": since(rng, today)},
                )
            )
            if p.manager and p.explicit:
                rows.append(
                    RelRow(
                        "REPORTS_TO",
                        "Contact",
                        p.id,
                        "Contact",
                        p.manager,
                        {"source": "explicit", "confidence": 1.0, "evidence": "[]"},
                    )
                )
    return rows, staff


def _activity_rows(seen: _Seen, staff: dict[str, list[Person]], rng: random.Random, today: date) -> Iterator[Row]:
    seq = itertools.count()
    by_id = {p.id: p for people in staff.values() for p in people}
    for deal_id, deal in sorted(seen.deals.items()):
        account_id = seen.deal_account.get(deal_id)
        if account_id is None or account_id not in staff:
            continue
        start = deal.props.get("created_on") or today - timedelta(days=rng.randint(10, 200))
        end = deal.props.get("close_date") or today
        facts = DealFacts(
            id=deal_id,
            account_id=account_id,
            owner_id=seen.deal_owner.get(deal_id),
            status=str(deal.props.get("status", "open")),
            product=seen.products.get(seen.deal_product.get(deal_id, ""), "our product"),
            start=min(start, end),
            end=max(start, end),
        )
        name = str(seen.accounts[account_id].props.get("name", account_id))
        yield from deal_activity(facts, staff[account_id], by_id, name, rng, seq)


def build_demo(store: GraphStore, tenant: str, maven_dir: Path, *, today: date, seed: int = 7) -> list[ImportReport]:
    """Load the demo tenant; returns the import reports (Maven, then generated)."""
    store.ensure_tenant(tenant)
    writer = StoreRowWriter(store, tenant)
    seen = _Seen()
    shift = date_shift(maven_dir, today)
    maven = run_import(
        _maven_rows(maven_dir, shift, seen), writer, ImportReport(str(maven_dir), "maven"), batch_size=5000
    )
    rng = random.Random(seed)
    people, staff = _people_rows(seen, rng, today)
    generated: Iterable[Row] = itertools.chain(people, _activity_rows(seen, staff, rng, today))
    demo = run_import(generated, writer, ImportReport("generated", "demo"), batch_size=5000)
    return [maven, demo]
