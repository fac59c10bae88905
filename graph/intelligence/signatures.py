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

# Bodies are read sender by sender (their latest 2,000 messages): reading
# every body of a large mailbox at once would hold all of it in memory (after a 1 GB import). Not
# fewer: most replies carry no signature (the Enron sample: 40 per sender found 2 of 8 titles).
MAX_MESSAGES: Final = 2_000
SENDERS: Final = (
    "MATCH (p:{label})-[r:PARTICIPATED_IN]->(:Interaction) "
    "WHERE p.tenant = $tenant AND r.role = 'from' AND (p.title IS NULL OR p.title = '') "
    "RETURN DISTINCT p.uid AS uid, p.id AS id, p.name AS name"
)
SENT_BY: Final = (
    "MATCH (p:{label} {{uid: $uid}})-[r:PARTICIPATED_IN]->(i:Interaction) WHERE r.role = 'from' "
    f"RETURN i.body AS body ORDER BY i.occurred_at DESC LIMIT {MAX_MESSAGES}"
)
WRITE_BATCH: Final = 500
CUTS: Final = ("-----Original Message", "----- Forwarded", "---------------------- Forwarded", "\n>", "\nFrom:")
BAD_LINE: Final = re.compile(r"[\t:@/\\|]|\d|https?|www\.")
TAIL_LINES: Final = 8
MIN_LEVEL: Final = 1


@dataclass
class TitleReport:
    people_checked: int = 0
    titles_found: dict[str, str] = field(default_factory=dict)
    by_label: Counter[str] = field(default_factory=Counter)


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
        rows: list[dict[str, object]] = []
        senders = store.read_frame(tenant, SENDERS.format(label=label), {"tenant": tenant})
        for uid, pid, name in senders.itertuples(index=False):
            report.people_checked += 1
            name = name if isinstance(name, str) else ""
            counts: Counter[str] = Counter()
            for r in store.read(tenant, SENT_BY.format(label=label), {"uid": uid}):
                counts.update(_candidates(name, r["body"] or ""))
            if not counts:
                continue
            title, n = counts.most_common(1)[0]
            if n >= min_seen:
                report.titles_found[pid] = title
                report.by_label[label] += 1
                rows.append({"id": pid, "title": title, "custom": {"title_source": f"email signature ({n} messages)"}})
            if write and len(rows) >= WRITE_BATCH:
                base.upsert_nodes(store=store, tenant=tenant, label=label, rows=rows, merge_custom=True)
                rows = []
        if write and rows:
            base.upsert_nodes(store=store, tenant=tenant, label=label, rows=rows, merge_custom=True)
    return report
