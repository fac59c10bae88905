"""Graph records -> search documents (denormalised: a contact's document carries its employer).

One named query per label, fetched by primary key in batches; a record that no longer exists
simply yields no document (the caller deletes it from the index).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any, Final

from graph import schema
from graph.store import GraphStore
from search.models import DocType, SearchDoc

DOC_TYPE: Final[dict[str, DocType]] = {
    "Contact": "contact",
    "Rep": "rep",
    "Account": "account",
    "Deal": "deal",
    "Interaction": "interaction",
}
INDEXED_LABELS: Final = tuple(DOC_TYPE)
BATCH: Final = 2000
TEXT_CHARS: Final = 2000

CONTACTS: Final = (
    "UNWIND $uids AS u MATCH (c:Contact {uid: u}) OPTIONAL MATCH (c)-[w:WORKS_AT]->(a:Account) "
    "RETURN c, a.id AS account_id, a.name AS account, w.since AS since, w.until AS until"
)
REPS: Final = "UNWIND $uids AS u MATCH (r:Rep {uid: u}) RETURN r"
ACCOUNTS: Final = (
    "UNWIND $uids AS u MATCH (a:Account {uid: u}) OPTIONAL MATCH (a)-[:SUBSIDIARY_OF]->(p:Account) "
    "OPTIONAL MATCH (o:Rep)-[:OWNS]->(a) RETURN a, p.name AS parent, o.id AS owner_id, o.name AS owner"
)
DEALS: Final = (
    "UNWIND $uids AS u MATCH (d:Deal {uid: u}) OPTIONAL MATCH (d)-[:FOR_ACCOUNT]->(a:Account) "
    "OPTIONAL MATCH (r:Rep)-[:OWNS]->(d) "
    "RETURN d, a.id AS account_id, a.name AS account, r.id AS owner_id, r.name AS owner"
)
INTERACTIONS: Final = (
    "UNWIND $uids AS u MATCH (i:Interaction {uid: u}) OPTIONAL MATCH (p)-[:PARTICIPATED_IN]->(i) "
    "RETURN i, p.name AS person"
)
QUERIES: Final = {"Contact": CONTACTS, "Rep": REPS, "Account": ACCOUNTS, "Deal": DEALS, "Interaction": INTERACTIONS}

# Records whose documents show this record's name (renaming an account changes its people's docs).
DEPENDENTS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "Account": (
        ("Contact", "MATCH (x:Contact)-[:WORKS_AT]->(a:Account {uid: $uid}) RETURN x.id AS id"),
        ("Deal", "MATCH (x:Deal)-[:FOR_ACCOUNT]->(a:Account {uid: $uid}) RETURN x.id AS id"),
        ("Account", "MATCH (x:Account)-[:SUBSIDIARY_OF]->(a:Account {uid: $uid}) RETURN x.id AS id"),
    ),
    "Rep": (
        ("Deal", "MATCH (r:Rep {uid: $uid})-[:OWNS]->(x:Deal) RETURN x.id AS id"),
        ("Account", "MATCH (r:Rep {uid: $uid})-[:OWNS]->(x:Account) RETURN x.id AS id"),
    ),
}


def build_docs(store: GraphStore, tenant: str, label: str, ids: Sequence[str]) -> list[SearchDoc]:
    """Documents for the records that exist among ``ids`` (missing ones are left out)."""
    out: list[SearchDoc] = []
    for i in range(0, len(ids), BATCH):
        uids = [schema.uid(tenant, rid) for rid in ids[i : i + BATCH]]
        rows = store.read(tenant, QUERIES[label], {"uids": uids})
        out += list(_BUILDERS[label](tenant, rows))
    return out


def _base(tenant: str, doc_type: DocType, node: dict[str, Any], **fields: Any) -> SearchDoc:
    return SearchDoc(
        tenant=tenant,
        type=doc_type,
        id=str(node["id"]),
        name=str(node.get("name") or node.get("subject") or node["id"])[:1000],
        updated_at=node.get("updated_at"),
        **{k: v for k, v in fields.items() if v not in (None, "", ())},
    )


def _current_job(jobs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The employment that is current today (no end date or one in the future), latest start first."""
    today = datetime.now(UTC).date()
    open_jobs = [j for j in jobs if j.get("account_id") and (j.get("until") is None or j["until"] >= today)]
    open_jobs.sort(key=lambda j: j.get("since") or date.min, reverse=True)
    return open_jobs[0] if open_jobs else None


def _contacts(tenant: str, rows: list[dict[str, Any]]) -> Iterable[SearchDoc]:
    by_uid: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    for r in rows:
        node = r["c"]
        by_uid.setdefault(node["uid"], (node, []))[1].append(r)
    for node, jobs in by_uid.values():
        job = _current_job(jobs) or {}
        emails = [e for e in [node.get("email"), *(node.get("other_emails") or [])] if e]
        yield _base(
            tenant,
            "contact",
            node,
            emails=emails,
            title=node.get("title"),
            city=node.get("city"),
            notes=(node.get("notes") or "")[:TEXT_CHARS] or None,
            account=job.get("account"),
            account_id=job.get("account_id"),
        )


def _reps(tenant: str, rows: list[dict[str, Any]]) -> Iterable[SearchDoc]:
    for r in rows:
        node = r["r"]
        emails = [e for e in [node.get("email"), *(node.get("other_emails") or [])] if e]
        yield _base(tenant, "rep", node, emails=emails, title=node.get("title"), city=node.get("office"))


def _accounts(tenant: str, rows: list[dict[str, Any]]) -> Iterable[SearchDoc]:
    seen: set[str] = set()
    for r in rows:
        node = r["a"]
        if node["uid"] in seen:
            continue
        seen.add(node["uid"])
        yield _base(
            tenant,
            "account",
            node,
            domain=node.get("domain"),
            industry=node.get("industry"),
            city=node.get("city"),
            parent=r.get("parent"),
            owner=r.get("owner"),
            owner_id=r.get("owner_id"),
        )


def _deals(tenant: str, rows: list[dict[str, Any]]) -> Iterable[SearchDoc]:
    seen: set[str] = set()
    for r in rows:
        node = r["d"]
        if node["uid"] in seen:
            continue
        seen.add(node["uid"])
        yield _base(
            tenant,
            "deal",
            node,
            stage=node.get("stage"),
            account=r.get("account"),
            account_id=r.get("account_id"),
            owner=r.get("owner"),
            owner_id=r.get("owner_id"),
        )


def _interactions(tenant: str, rows: list[dict[str, Any]]) -> Iterable[SearchDoc]:
    by_uid: dict[str, tuple[dict[str, Any], list[str]]] = {}
    for r in rows:
        node = r["i"]
        entry = by_uid.setdefault(node["uid"], (node, []))
        if r.get("person"):
            entry[1].append(str(r["person"]))
    for node, people in by_uid.values():
        yield _base(
            tenant,
            "interaction",
            node,
            text=(node.get("body") or "")[:TEXT_CHARS] or None,
            participants=sorted(set(people)),
        )


_BUILDERS = {
    "Contact": _contacts,
    "Rep": _reps,
    "Account": _accounts,
    "Deal": _deals,
    "Interaction": _interactions,
}
