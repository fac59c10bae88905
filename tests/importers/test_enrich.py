"""A mailbox becomes companies: after an email import its contacts sit at the accounts of their
domains (our own domain aside), people get the job titles their signatures repeat, and the biggest
company gets an org chart inferred from who writes to whom. Real mail: the Enron sample."""

from __future__ import annotations

from pathlib import Path

from graph.backends.embedded import LadybugStore
from graph.intelligence.orgchart import org_chart
from importers.enrich import after_import
from importers.service import import_file
from tests.importers.helpers import data_dir
from tests.importers.test_service import enron_subset, tenant_state

T = "mail"
STAFF = "MATCH (c:Contact)-[:WORKS_AT]->(a:Account) RETURN a.id AS account, count(*) AS n ORDER BY n DESC"


def _import(store: LadybugStore, mail: Path, options: dict[str, list[str]]) -> None:
    report = import_file(store=store, tenant=T, fmt="email", path=mail, options=options, rejects_path=None)
    after_import(store, T, fmt="email", options=options, report=report)


def test_contacts_of_a_mailbox_join_their_companies(store: LadybugStore) -> None:
    mail = data_dir("enron-mbox-sample")  # the whole sample (~5 s): a subset has too few colleagues
    report = import_file(store=store, tenant=T, fmt="email", path=mail, options={}, rejects_path=None)
    after_import(store, T, fmt="email", options={}, report=report)
    assert report.notes["account_from_domain"] == 1 and report.rels["WORKS_AT"].created > 1000
    # titles from signatures, without running `relgraph infer-titles`
    assert report.notes["title_from_signature"] == 1 and report.nodes["Contact"].updated >= 8
    assert "note title_from_signature: 1" in report.summary()  # what was added, not a warning
    title = "MATCH (c:Contact {id: $id}) RETURN c.title AS title"
    lokay = store.read(T, title, {"id": "email:michelle.lokay@enron.com"})
    assert lokay == [{"title": "Account Director"}]
    staff = store.read(T, STAFF)
    assert staff[0]["account"] == "domain:enron.com" and staff[0]["n"] > 1000
    chart = org_chart(store=store, tenant=T, account_id="domain:enron.com")
    assert chart["people"] == staff[0]["n"] and chart["inferred_lines"] > 0
    state = tenant_state(store, T)
    _import(store, mail, {})  # again: nothing new, nothing linked twice
    assert tenant_state(store, T) == state


def test_own_domain_people_are_reps_and_stay_out(store: LadybugStore, tmp_path: Path) -> None:
    mail = enron_subset(tmp_path / "mail")
    _import(store, mail, {"own_domains": ["enron.com"]})
    accounts = {r["account"] for r in store.read(T, STAFF)}
    assert accounts and "domain:enron.com" not in accounts
