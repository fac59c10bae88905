"""Job titles read from email signatures, for people whose title we do not know.

Real mail carries titles where a CRM has none: "Michelle Lokay / Account Director". For each person
with no title we look at the bottom lines of the emails they sent (quoted and forwarded parts cut
off), take lines that parse as a title (``graph.analytics.titles``) next to a line with their name,
and keep the most frequent one when it was seen at least ``min_seen`` times. The title is written
to the contact with ``custom.title_source`` saying where it came from, so it can be told apart from
a title someone typed; a title already present is never overwritten.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Final

from graph.analytics.titles import parse_title
from graph.repositories import base
from graph.store import GraphStore

SENT: Final = (
    "MATCH (p:{label})-[r:PARTICIPATED_IN]->(i:Interaction) "
    "WHERE p.tenant = $tenant AND r.role = 'from' AND (p.title IS NULL OR p.title = '') "
    "RETURN p.id AS id, p.name AS name, i.body AS body"
)
CUTS: Final = ("-----Original Message", "----- Forwarded", "---------------------- Forwarded", "\n>", "\nFrom:")
BAD_LINE: Final = re.compile(r"[\t:@/\\|]|\d|https?|www\.")
TAIL_LINES: Final = 8
MIN_LEVEL: Final = 1


@dataclass
class TitleReport:
    people_checked: int = 0
    titles_found: dict[str, str] = field(default_factory=dict)


def _candidates(name: str, body: str) -> list[str]:
    for marker in CUTS:
        cut = body.find(marker)
        if cut >= 0:
            body = body[:cut]
    lines = [line.strip() for line in body.strip().splitlines() if line.strip()][-TAIL_LINES:]
    surname = name.split()[-1].lower() if name.split() else ""
    out = []
    for i, line in enumerate(lines):
        if not 3 <= len(line) <= 60 or BAD_LINE.search(line) or not surname:
            continue
        if not any(surname in x.lower() for x in lines[max(0, i - 2) : i]):
            continue  # a title without the sender's name just above it is somebody else's
        parsed = parse_title(line)
        if parsed.level >= MIN_LEVEL and parsed.confidence >= 0.6:
            out.append(line.rstrip(",.;"))
    return out


def infer_titles(store: GraphStore, tenant: str, *, min_seen: int = 2, write: bool = True) -> TitleReport:
    report = TitleReport()
    for label in ("Contact", "Rep"):
        seen: dict[str, Counter[str]] = {}
        names: dict[str, str] = {}
        for r in store.read(tenant, SENT.format(label=label), {"tenant": tenant}):
            names[r["id"]] = r["name"] or ""
            seen.setdefault(r["id"], Counter()).update(_candidates(r["name"] or "", r["body"] or ""))
        report.people_checked += len(names)
        rows = []
        for pid, counts in seen.items():
            if not counts:
                continue
            title, n = counts.most_common(1)[0]
            if n >= min_seen:
                report.titles_found[pid] = title
                rows.append({"id": pid, "title": title, "custom": {"title_source": f"email signature ({n} messages)"}})
        if write and rows:
            base.upsert_nodes(store=store, tenant=tenant, label=label, rows=rows, merge_custom=True)
    return report
