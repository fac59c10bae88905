"""A deterministic synthetic CRM tenant at scale, written as CSV files ready for Ladybug's COPY.

    python -m bench.generate --scale 0.01 --out /tmp/rg-bench/csv      # ~10k nodes / ~50k rels
    python -m bench.generate --out /tmp/rg-bench/csv                   # 1M nodes / ~5M rels

Shape at scale 1.0 (everything scales linearly, with small floors):
- 200 products, 2,000 reps (a REPORTS_TO tree, 6 reports per manager), 20,000 accounts,
  400,000 contacts, 60,000 deals, ~518,000 interactions: 1,000,000 nodes;
- accounts form a SUBSIDIARY_OF forest: one tree of 1,000 accounts (4 subsidiaries per parent,
  depth 5, for roll-ups), ~30% of the others in small groups, the rest standalone;
- contacts WORKS_AT one account (lognormal account sizes; account A0000000 has 5,000 people) with a
  title from their depth in the org chart; 5% also have a past job (``until`` set); REPORTS_TO trees
  per account (3-8 reports per manager; the 5,000-person org has 6, so ``*1..5`` from its CEO
  reaches all 4,999); 10% of reporting lines outside the big org are unknown (missing);
- deals: FOR_ACCOUNT, OWNS (rep, mostly the account owner), ON_DEAL (1-6 contacts with roles),
  INCLUDES (1-3 products); reps OWN accounts;
- interactions: ABOUT a deal or the account for 70%; PARTICIPATED_IN one rep (from/organizer) and
  contacts of the account (to/cc/attendee): most of the relationships (~3M);
- KNOWS with strength between colleagues (manager/report and random pairs) and rep -> contact.

Files: ``nodes/<Label>.csv`` in the column order of ``graph.schema.NODES[label].columns`` and
``rels/<TYPE>__<From>__<To>.csv`` with ``from,to`` then ``schema.RELS[type].props``; uids are
``tenant/id``. ``load(store, tenant, out_dir)`` bulk loads them with COPY.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from graph import schema

BASE = {"Product": 200, "Rep": 2_000, "Account": 20_000, "Contact": 400_000, "Deal": 60_000}
BASE_NODES = 1_000_000
BASE_RELS = 5_000_000
BIG_ORG = 5_000  # people in the largest account (org-chart bench)
BIG_TREE = 1_000  # accounts in the largest SUBSIDIARY_OF tree (roll-up bench)
ID_PREFIX = {"Account": "A", "Contact": "C", "Rep": "R", "Deal": "D", "Interaction": "I", "Product": "P"}

FIRST = (
    "Ada Alan Grace Linus Barbara Ken Margaret Dennis Frances Edsger John Mary Wei Li Mei Hiroshi Yuki Aiko "
    "Søren Zoë Łukasz Núñez Björn Ingrid Olga Ivan Fatima Omar Amina Kwame Chidi Ngozi Priya Arjun Ravi Ananya "
    "Carlos Lucía Mateo Sofia Pierre Amélie Hans Greta Luca Giulia Noah Emma Liam Olivia Ethan Ava Mason Isabella "
    "Lucas Mia Elijah Harper James Amelia Benjamin Evelyn Henry Abigail Jack Emily Owen Ella Samuel Scarlett"
).split()
LAST = (
    "Lovelace Turing Hopper Torvalds Liskov Thompson Hamilton Ritchie Allen Dijkstra Backus Smith Johnson Williams "
    "Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor "
    "Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen "
    "King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter "
    "Roberts Kowalski Nowak Wiśniewski Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Tanaka Suzuki "
    "Sato Watanabe Kim Park Choi Chen Wang Zhang Liu Singh Patel Kumar Okafor Mensah Haddad Andersen Nielsen"
).split()
WORDS = (
    "Acme Globex Initech Umbrella Stark Wayne Wonka Tyrell Cyberdyne Soylent Hooli Vandelay Aperture Massive "
    "Dynamic Blue Red Green Silver Golden North South East West Pacific Atlantic Alpine Summit Harbor River "
    "Quantum Nova Stellar Apex Vertex Pioneer Frontier Horizon Liberty Union Vector Fusion Titan Orion Polar"
).split()
SUFFIX = ("Inc", "Corp", "Ltd", "GmbH", "SA", "Group", "Holdings", "Labs", "Systems", "Partners")
INDUSTRIES = ("software", "retail", "finance", "healthcare", "manufacturing", "energy", "telecom", "media", "logistics")
COUNTRIES = ("US", "GB", "DE", "FR", "JP", "IN", "BR", "PL", "DK", "NG", "CA", "AU")
CITIES = ("New York", "London", "Berlin", "Paris", "Tokyo", "Mumbai", "São Paulo", "Warsaw", "Copenhagen", "Lagos")
DEPTS = ("Engineering", "Sales", "Marketing", "Finance", "Operations", "IT", "Legal", "HR", "Product", "Support")
IC_TITLES = ("Engineer", "Senior Engineer", "Analyst", "Specialist", "Associate", "Consultant", "Coordinator")
STAGES = ("Prospecting", "Qualification", "Engaging", "Proposal", "Negotiation", "Closed")
REGIONS = ("Central", "East", "West", "EMEA", "APAC", "LATAM")
SERIES = ("GTX", "MG", "GTK")
SUBJECTS = ("Intro", "Follow-up", "Pricing", "Renewal", "Demo", "Quarterly review", "Re: proposal")
NULL = np.array(None, dtype=object)  # a typed None for np.where
T0 = np.datetime64("2019-01-01T00:00:00", "s")
SPAN_S = 6 * 365 * 86400


@dataclass
class Counts:
    nodes: dict[str, int]
    rels: dict[str, int]


def sizes(scale: float) -> dict[str, int]:
    n = {k: max(20 if k != "Account" else 60, round(v * scale)) for k, v in BASE.items()}
    n["Interaction"] = max(50, round(BASE_NODES * scale) - sum(n.values()))
    return n


# --- small vectorised helpers --------------------------------------------------------------------
def ids(label: str, n: int) -> np.ndarray:
    p = ID_PREFIX[label]
    return np.array([f"{p}{i:07d}" for i in range(n)], dtype=object)


def pick(rng: np.random.Generator, options: Sequence[str], n: int, p: Sequence[float] | None = None) -> np.ndarray:
    return np.asarray(options, dtype=object)[rng.choice(len(options), size=n, p=p)]


def ts(rng: np.random.Generator, n: int, lo: int = 0, hi: int = SPAN_S) -> np.ndarray:
    secs = rng.integers(lo, hi, size=n)
    return np.datetime_as_string(T0 + secs.astype("timedelta64[s]"), unit="s").astype(object)


def dates(rng: np.random.Generator, n: int, lo_days: int = 0, hi_days: int = 6 * 365) -> np.ndarray:
    d = np.datetime64("2019-01-01", "D") + rng.integers(lo_days, hi_days, size=n).astype("timedelta64[D]")
    return np.datetime_as_string(d, unit="D").astype(object)


def heap_tree(local: np.ndarray, branching: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parent local index and depth for nodes laid out as a b-ary heap (local 0 is the root)."""
    parent = np.where(local > 0, (local - 1) // branching, -1)
    depth = np.zeros_like(local)
    cur = local.copy()
    while (cur > 0).any():
        m = cur > 0
        depth[m] += 1
        cur[m] = (cur[m] - 1) // branching[m]
    return parent, depth


def with_tenant(tenant: str, values: np.ndarray) -> np.ndarray:
    prefix = tenant + "/"
    return np.array([prefix + v for v in values], dtype=object)


# --- the generator -------------------------------------------------------------------------------
class Tenant:
    def __init__(self, scale: float, seed: int, tenant: str) -> None:
        self.scale = scale
        self.tenant = tenant
        self.rng = np.random.default_rng(seed)
        self.n = sizes(scale)
        self.nodes: dict[str, pd.DataFrame] = {}
        self.rels: dict[tuple[str, str, str], pd.DataFrame] = {}
        self.uids: dict[str, np.ndarray] = {}
        self.meta: dict[str, Any] = {"scale": scale, "seed": seed, "tenant": tenant}

    # each builder sets self.nodes[label] (full columns) and some self.rels entries
    def build(self) -> None:
        for label, n in self.n.items():
            self.uids[label] = with_tenant(self.tenant, ids(label, n))
        self._products()
        self._reps()
        self._accounts()
        self._contacts()
        self._deals()
        self._knows()
        self._interactions()  # last: fills up to the relationship target

    def _common(self, label: str) -> dict[str, Any]:
        n = self.n[label]
        created = ts(self.rng, n, 0, SPAN_S // 2)
        return {
            "uid": self.uids[label],
            "tenant": np.full(n, self.tenant, dtype=object),
            "id": ids(label, n),
            "created_at": created,
            "updated_at": created,
            "custom": np.full(n, "{}", dtype=object),
        }

    def _frame(self, label: str, cols: dict[str, Any]) -> None:
        spec = schema.NODES[label]
        missing = set(spec.columns) - set(cols)
        assert not missing, f"{label}: missing columns {missing}"
        self.nodes[label] = pd.DataFrame({c: cols[c] for c in spec.columns})

    def _rel(self, rel: str, src: str, dst: str, s: np.ndarray, d: np.ndarray, **props: Any) -> None:
        spec = schema.RELS[rel]
        assert (src, dst) in spec.pairs, (rel, src, dst)
        assert set(props) <= set(spec.props), (rel, set(props) - set(spec.props))
        n = len(s)
        cols: dict[str, Any] = {"from": self.uids[src][s], "to": self.uids[dst][d]}
        for p in spec.props:
            cols[p] = props.get(p, np.full(n, None, dtype=object))
        frame = pd.DataFrame(cols)
        key = (rel, src, dst)
        self.rels[key] = pd.concat([self.rels[key], frame], ignore_index=True) if key in self.rels else frame

    def _products(self) -> None:
        r, n = self.rng, self.n["Product"]
        series = pick(r, SERIES, n)
        cols = self._common("Product")
        cols |= {
            "name": np.array([f"{s} {m}" for s, m in zip(series, r.integers(100, 999, n), strict=True)], dtype=object),
            "series": series,
            "list_price": np.round(r.lognormal(8, 1, n), 2),
        }
        self._frame("Product", cols)

    def _reps(self) -> None:
        r, n = self.rng, self.n["Rep"]
        local = np.arange(n)
        parent, depth = heap_tree(local, np.full(n, 6))
        first, last = pick(r, FIRST, n), pick(r, LAST, n)
        titles = np.array(["Chief Revenue Officer", "VP Sales", "Sales Director", "Sales Manager"], dtype=object)
        title = np.where(depth < 4, titles[np.minimum(depth, 3)], pick(r, ("Account Executive", "SDR"), n))
        cols = self._common("Rep")
        cols |= {
            "name": first + " " + last,
            "email": np.array([f"rep{i}@seller.example" for i in range(n)], dtype=object),
            "other_emails": np.full(n, "[]", dtype=object),
            "title": title,
            "region": pick(r, REGIONS, n),
            "office": pick(r, CITIES, n),
            "active": r.random(n) < 0.95,
        }
        self._frame("Rep", cols)
        child = local[1:]
        self._rel(
            "REPORTS_TO",
            "Rep",
            "Rep",
            child,
            parent[1:],
            source=np.full(n - 1, "explicit", dtype=object),
            confidence=np.ones(n - 1),
            evidence=np.full(n - 1, "[]", dtype=object),
        )
        # Account executives (the leaves) own accounts and deals.
        self.sellers = local[depth >= 3] if (depth >= 3).any() else local

    def _accounts(self) -> None:
        r, n = self.rng, self.n["Account"]
        w1, w2 = pick(r, WORDS, n), pick(r, WORDS, n)
        cols = self._common("Account")
        cols |= {
            "name": w1 + " " + w2 + " " + pick(r, SUFFIX, n),
            "domain": (np.char.lower((w1 + w2).astype(str)).astype(object) + np.arange(n).astype(str) + ".example"),
            "industry": pick(r, INDUSTRIES, n),
            "country": pick(r, COUNTRIES, n),
            "city": pick(r, CITIES, n),
            "employees": r.integers(5, 200_000, n),
            "annual_revenue": np.round(r.lognormal(16, 2, n), 2),
            "year_established": r.integers(1900, 2024, n),
        }
        self._frame("Account", cols)
        self.domains = cols["domain"]
        # SUBSIDIARY_OF forest: one big tree [1, 1+T) rooted at A0000001, then small groups.
        big = min(BIG_TREE, (n - 1) // 2)
        local = np.arange(big)
        parent, depth = heap_tree(local, np.full(big, 4))
        child, par = [1 + local[1:]], [1 + parent[1:]]
        i = 1 + big
        while i < n:
            size = int(r.integers(1, 11)) if r.random() < 0.3 else 1
            size = min(size, n - i)
            if size > 1:
                grp = np.arange(i, i + size)
                child.append(grp[1:])
                par.append(np.full(size - 1, i) if size <= 4 else np.where(grp[1:] < i + 3, i, i + 1))
            i += size
        s, d = np.concatenate(child), np.concatenate(par)
        self._rel("SUBSIDIARY_OF", "Account", "Account", s, d)
        self.meta["big_tree_root"] = str(self.uids["Account"][1])
        self.meta["big_tree_size"] = int(big)
        self.meta["big_tree_depth"] = int(depth.max())
        # Every account has an owner.
        self.account_owner = self.sellers[r.integers(0, len(self.sellers), n)]
        self._rel("OWNS", "Rep", "Account", self.account_owner, np.arange(n))

    def _contacts(self) -> None:
        r, n, na = self.rng, self.n["Contact"], self.n["Account"]
        big = min(BIG_ORG, n // 4)
        w = r.lognormal(0, 1.2, na - 1)
        spare = n - big - (na - 1)
        assert spare >= 0, "scale too small: fewer contacts than accounts"
        rest = 1 + np.floor(w / w.sum() * spare).astype(np.int64)
        # absorb rounding into the largest of the rest so the sizes sum to n exactly
        rest[np.argmax(rest)] += (n - big) - rest.sum()
        size = np.concatenate([[big], rest])
        assert size.sum() == n and (size >= 1).all()
        start = np.concatenate([[0], np.cumsum(size)[:-1]])
        self.acc_size, self.acc_start = size, start
        acct = np.repeat(np.arange(na), size)
        local = np.arange(n) - start[acct]
        branching = r.integers(3, 9, na)
        branching[0] = 6
        parent_local, depth = heap_tree(local, branching[acct])
        # department: the depth-1 ancestor's (assigned level by level; parents come first)
        dept = r.integers(0, len(DEPTS), n)
        for lvl in range(2, int(depth.max()) + 1):
            m = depth == lvl
            dept[m] = dept[(start[acct] + parent_local)[m]]
        dept_name = np.asarray(DEPTS, dtype=object)[dept]
        ic = pick(r, IC_TITLES, n)
        title = np.where(
            depth == 0,
            "Chief Executive Officer",
            np.where(
                depth == 1,
                "VP " + dept_name,
                np.where(depth == 2, "Director of " + dept_name, np.where(depth == 3, dept_name + " Manager", ic)),
            ),
        ).astype(object)
        first, last = pick(r, FIRST, n), pick(r, LAST, n)
        dom = self.domains[acct]
        email = np.array(
            [f"{f}.{s}{i}@{d}".lower() for i, (f, s, d) in enumerate(zip(first, last, dom, strict=True))], dtype=object
        )
        other = np.where(
            r.random(n) < 0.1, np.array([f"[{e.replace('@', '+alt@')}]" for e in email], dtype=object), "[]"
        )
        cols = self._common("Contact")
        cols |= {
            "name": first + " " + last,
            "first_name": first,
            "last_name": last,
            "email": email,
            "other_emails": other,
            "phone": np.array([f"+1-555-{x:07d}" for x in r.integers(0, 10_000_000, n)], dtype=object),
            "title": title,
            "department": dept_name,
            "city": pick(r, CITIES, n),
            "country": pick(r, COUNTRIES, n),
            "linkedin_url": np.where(r.random(n) < 0.5, "https://linkedin.example/in/" + cols["id"], NULL),
            "notes": np.full(n, None, dtype=object),
        }
        self._frame("Contact", cols)
        self.contact_acct = acct
        idx = np.arange(n)
        # WORKS_AT: the current job, plus a past one for 5%
        since = dates(r, n, 0, 5 * 365)
        self._rel("WORKS_AT", "Contact", "Account", idx, acct, title=title, department=dept_name, since=since)
        past = idx[r.random(n) < 0.05]
        other_acct = (acct[past] + 1 + r.integers(0, na - 1, len(past))) % na
        self._rel(
            "WORKS_AT",
            "Contact",
            "Account",
            past,
            other_acct,
            title=pick(r, IC_TITLES, len(past)),
            department=dept_name[past],
            since=dates(r, len(past), -6 * 365, -3 * 365),
            until=dates(r, len(past), -3 * 365, -1),
        )
        # REPORTS_TO inside each account; 10% missing outside the big org
        keep = (local > 0) & ((acct == 0) | (r.random(n) >= 0.1))
        s = idx[keep]
        m = (start[acct] + parent_local)[keep]
        k = len(s)
        self._rel(
            "REPORTS_TO",
            "Contact",
            "Contact",
            s,
            m,
            source=pick(r, ("explicit", "inferred"), k, p=(0.7, 0.3)),
            confidence=np.round(r.uniform(0.5, 1, k), 3),
            evidence=np.full(k, "[]", dtype=object),
        )
        self.manager_of = np.full(n, -1)
        self.manager_of[s] = m
        self.meta["big_org_account"] = str(self.uids["Account"][0])
        self.meta["big_org_size"] = int(big)
        self.meta["big_org_ceo"] = str(self.uids["Contact"][0])
        has_reports = np.zeros(n, dtype=bool)
        has_reports[m] = True
        self.meta["managers_sample"] = [str(u) for u in self.uids["Contact"][r.choice(idx[has_reports], 500)]]
        self.meta["contacts_sample"] = [str(u) for u in self.uids["Contact"][r.choice(idx, 2000)]]

    def _some_contacts(self, acct: np.ndarray, per: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For row j pick ``per[j]`` distinct contacts of account ``acct[j]``: (row index, contact)."""
        per = np.minimum(per, self.acc_size[acct])
        row = np.repeat(np.arange(len(acct)), per)
        rank = np.arange(len(row)) - np.repeat(np.cumsum(per) - per, per)
        offset0 = self.rng.integers(0, 1 << 30, len(acct))
        a = acct[row]
        return row, self.acc_start[a] + (offset0[row] + rank) % self.acc_size[a]

    def _deals(self) -> None:
        r, n, na = self.rng, self.n["Deal"], self.n["Account"]
        p = np.sqrt(self.acc_size.astype(float))
        acct = r.choice(na, size=n, p=p / p.sum())
        status = pick(r, schema.DEAL_STATUSES, n, p=(0.4, 0.35, 0.25))
        created = r.integers(0, 5 * 365, n)
        base_d = np.datetime64("2019-01-01", "D")
        cols = self._common("Deal")
        cols |= {
            "name": self.nodes["Account"]["name"].to_numpy()[acct] + " - " + pick(r, SERIES, n),
            "stage": np.where(status == "open", pick(r, STAGES[:-1], n), "Closed").astype(object),
            "status": status,
            "amount": np.round(r.lognormal(9, 1.2, n), 2),
            "currency": pick(r, ("USD", "EUR", "GBP"), n, p=(0.8, 0.15, 0.05)),
            "created_on": np.datetime_as_string(base_d + created.astype("timedelta64[D]"), unit="D").astype(object),
            "close_date": np.datetime_as_string(
                base_d + (created + r.integers(14, 365, n)).astype("timedelta64[D]"), unit="D"
            ).astype(object),
            "source": pick(r, ("inbound", "outbound", "partner", "event"), n),
        }
        self._frame("Deal", cols)
        idx = np.arange(n)
        self.deal_acct = acct
        self._rel("FOR_ACCOUNT", "Deal", "Account", idx, acct)
        owner = np.where(r.random(n) < 0.8, self.account_owner[acct], self.sellers[r.integers(0, len(self.sellers), n)])
        self._rel("OWNS", "Rep", "Deal", owner, idx)
        row, c = self._some_contacts(acct, r.integers(1, 7, n))
        self._rel("ON_DEAL", "Contact", "Deal", c, row, role=pick(r, schema.DEAL_ROLES, len(row)))
        per = r.integers(1, 4, n)
        row = np.repeat(idx, per)
        rank = np.arange(len(row)) - np.repeat(np.cumsum(per) - per, per)
        prod = (r.integers(0, self.n["Product"], n)[row] + rank) % self.n["Product"]
        k = len(row)
        self._rel(
            "INCLUDES",
            "Deal",
            "Product",
            row,
            prod,
            quantity=r.integers(1, 50, k),
            price=np.round(r.lognormal(7, 1, k), 2),
        )
        order = np.argsort(acct, kind="stable")
        self.deals_by_acct = order
        self.deal_start = np.searchsorted(acct[order], np.arange(na))
        self.deal_count = np.bincount(acct, minlength=na)

    def _knows(self) -> None:
        r, n = self.rng, self.n["Contact"]
        idx = np.arange(n)
        # manager <-> report (60% of reporting lines), random colleagues, rep -> contacts of owned accounts
        mgr = idx[(self.manager_of >= 0) & (r.random(n) < 0.6)]
        a, b = mgr, self.manager_of[mgr]
        row, col = self._some_contacts(self.contact_acct, np.where(r.random(n) < 0.3, 1, 0))
        a, b = np.concatenate([a, row]), np.concatenate([b, col])
        keep = a != b
        a, b = a[keep], b[keep]
        key = np.unique(np.minimum(a, b) * n + np.maximum(a, b))
        a, b = key // n, key % n
        k = len(a)
        self._rel("KNOWS", "Contact", "Contact", a, b, **self._knows_props(k))
        # reps know ~5 people at each account they own
        na = self.n["Account"]
        row, c = self._some_contacts(np.arange(na), np.full(na, 5))
        rep = self.account_owner[row]
        k = len(c)
        self._rel("KNOWS", "Rep", "Contact", rep, c, **self._knows_props(k))

    def _knows_props(self, k: int) -> dict[str, Any]:
        r = self.rng
        return {
            "strength": np.round(r.beta(2, 5, k), 4),
            "interactions": r.integers(1, 200, k),
            "last_at": ts(r, k),
            "reciprocity": np.round(r.uniform(0, 1, k), 3),
            "evidence": pick(r, ('["email"]', '["email","meeting"]', '["call"]', "[]"), k),
        }

    def _interactions(self) -> None:
        r, n, na = self.rng, self.n["Interaction"], self.n["Account"]
        p = self.acc_size.astype(float)
        acct = r.choice(na, size=n, p=p / p.sum())
        kind = pick(r, schema.INTERACTION_KINDS, n, p=(0.6, 0.2, 0.15, 0.05))
        ids_ = ids("Interaction", n)
        is_email = kind == "email"
        thread = np.where(r.random(n) < 0.5, ids_, ids_[np.maximum(0, np.arange(n) - r.integers(1, 20, n))])
        cols = self._common("Interaction")
        cols |= {
            "kind": kind,
            "subject": pick(r, SUBJECTS, n),
            "body": np.full(n, None, dtype=object),
            "occurred_at": ts(r, n),
            "duration_min": np.where(is_email, NULL, r.integers(5, 90, n)).astype(object),
            "message_id": np.where(is_email, "<" + ids_ + "@mail.example>", NULL),
            "thread_id": np.where(is_email, thread, NULL),
            "in_reply_to": np.full(n, None, dtype=object),
            "fingerprint": np.array([f"{h:016x}" for h in r.integers(0, 1 << 62, n)], dtype=object),
            "source": pick(r, ("gmail", "outlook", "manual", "calendar"), n),
        }
        self._frame("Interaction", cols)
        idx = np.arange(n)
        # ABOUT: a deal of the account (if any) 35%, the account 35%, nothing 30%
        u = r.random(n)
        has_deal = self.deal_count[acct] > 0
        to_deal = (u < 0.35) & has_deal
        dsel = idx[to_deal]
        off = r.integers(0, 1 << 30, len(dsel)) % self.deal_count[acct[dsel]]
        self._rel("ABOUT", "Interaction", "Deal", dsel, self.deals_by_acct[self.deal_start[acct[dsel]] + off])
        asel = idx[(u >= 0.35) & (u < 0.7)]
        self._rel("ABOUT", "Interaction", "Account", asel, acct[asel])
        # PARTICIPATED_IN: one rep per interaction, then contacts up to the relationship target
        rep = np.where(r.random(n) < 0.7, self.account_owner[acct], self.sellers[r.integers(0, len(self.sellers), n)])
        rep_role = np.where(is_email, "from", np.where(kind == "meeting", "organizer", "attendee")).astype(object)
        self._rel("PARTICIPATED_IN", "Rep", "Interaction", rep, idx, role=rep_role)
        so_far = sum(len(f) for f in self.rels.values())
        target = max(2 * n, round(BASE_RELS * self.scale) - so_far)
        cap = self.acc_size[acct]
        per = np.minimum(cap, 1 + r.poisson(max(0.0, target / n - 1), n))  # contacts per interaction
        room = idx[per < cap]  # top up what the caps cut off, one more contact per interaction
        per[r.choice(room, size=min(len(room), max(0, target - int(per.sum()))), replace=False)] += 1
        row, c = self._some_contacts(acct, per)
        first = np.concatenate([[True], row[1:] != row[:-1]])
        role = np.where(
            is_email[row], np.where(first, "to", pick(r, ("to", "cc", "bcc"), len(row), p=(0.5, 0.4, 0.1))), "attendee"
        ).astype(object)
        self._rel("PARTICIPATED_IN", "Contact", "Interaction", c, row, role=role)


# --- files ---------------------------------------------------------------------------------------
def rel_file(rel: str, src: str, dst: str) -> str:
    return f"{rel}__{src}__{dst}.csv"


def generate(out_dir: Path, *, scale: float = 1.0, seed: int = 7, tenant: str = "bench") -> dict[str, Any]:
    """Build the tenant and write it; returns the manifest (also written as manifest.json)."""
    out_dir = Path(out_dir)
    (out_dir / "nodes").mkdir(parents=True, exist_ok=True)
    (out_dir / "rels").mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    t = Tenant(scale, seed, tenant)
    t.build()
    t1 = time.perf_counter()
    nodes, rels = {}, {}
    for label in schema.NODES:
        frame = t.nodes[label]
        frame.to_csv(out_dir / "nodes" / f"{label}.csv", index=False)
        nodes[label] = len(frame)
    for (rel, src, dst), frame in t.rels.items():
        assert list(frame.columns) == ["from", "to", *schema.RELS[rel].props]
        frame.to_csv(out_dir / "rels" / rel_file(rel, src, dst), index=False)
        rels[f"{rel}:{src}->{dst}"] = len(frame)
    t2 = time.perf_counter()
    manifest = {
        **t.meta,
        "nodes": nodes,
        "rels": rels,
        "total_nodes": sum(nodes.values()),
        "total_rels": sum(rels.values()),
        "build_s": round(t1 - t0, 2),
        "write_s": round(t2 - t1, 2),
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


@contextmanager
def writer_connection(store: Any, tenant: str) -> Iterator[Any]:
    """The tenant's Ladybug writer connection, under the store's write lock.

    Bench-only access to ``LadybugStore`` internals (``_use``, or ``_db`` in older versions):
    the store has no "COPY from file" API yet.
    """
    if hasattr(store, "_use"):
        with store._use(tenant) as tdb, tdb.write_lock:
            yield tdb.writer
    else:
        tdb = store._db(tenant)
        with tdb.write_lock:
            yield tdb.writer


def load(store: Any, tenant: str, out_dir: Path, *, checkpoint: bool = True) -> dict[str, Any]:
    """Bulk load the generated files into an (empty) tenant of a ``LadybugStore`` with COPY.

    Uses the store's writer connection directly (``writer_connection``, bench-only access to the
    adapter's internals): the store has no "COPY from file" API yet. Node tables first, then relationships; each
    relationship file names its FROM/TO pair, as Ladybug needs for tables with several pairs.
    """
    out_dir = Path(out_dir).resolve()
    manifest = json.loads((out_dir / "manifest.json").read_text())
    store.ensure_tenant(tenant)
    per_table: dict[str, dict[str, float]] = {}
    started, cpu0 = time.perf_counter(), time.process_time()  # process CPU includes the engine's threads
    with writer_connection(store, tenant) as conn:
        for label in schema.NODES:
            path = out_dir / "nodes" / f"{label}.csv"
            t0 = time.perf_counter()
            conn.execute(f"COPY {label} FROM '{path}' (header=true)")
            per_table[label] = {"rows": manifest["nodes"][label], "s": time.perf_counter() - t0}
        nodes_s = time.perf_counter() - started
        for key, rows in manifest["rels"].items():
            rel, pair = key.split(":")
            src, dst = pair.split("->")
            path = out_dir / "rels" / rel_file(rel, src, dst)
            t0 = time.perf_counter()
            conn.execute(f"COPY {rel} FROM '{path}' (from='{src}', to='{dst}', header=true)")
            per_table[key] = {"rows": rows, "s": time.perf_counter() - t0}
        copy_s = time.perf_counter() - started
        if checkpoint:
            conn.execute("CHECKPOINT")
    total_s = time.perf_counter() - started
    cpu_s = time.process_time() - cpu0
    n_nodes, n_rels = manifest["total_nodes"], manifest["total_rels"]
    return {
        "nodes": n_nodes,
        "rels": n_rels,
        "nodes_s": nodes_s,
        "rels_s": copy_s - nodes_s,
        "copy_s": copy_s,
        "total_s": total_s,
        "rows_per_s": (n_nodes + n_rels) / total_s,
        "cpu_s": cpu_s,
        "rows_per_cpu_s": (n_nodes + n_rels) / max(cpu_s, 1e-9),
        "per_table": per_table,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--tenant", default="bench")
    p.add_argument("--out", type=Path, required=True)
    a = p.parse_args()
    m = generate(a.out, scale=a.scale, seed=a.seed, tenant=a.tenant)
    print(json.dumps({k: v for k, v in m.items() if not k.endswith("_sample")}, indent=1))


if __name__ == "__main__":
    main()
