"""``relgraph orgchart / hierarchy / intro / influence``: the API's answers and the local store's
print alike, and the commands run on a local data directory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from graph.backends.embedded import LadybugStore
from graph.intelligence.knows import refresh_knows
from graph.model import AccountCreate, ContactCreate, DealCreate, Employment, InteractionRecord, Participant, RepCreate
from graph.repositories import accounts, contacts, deals, interactions, reps
from relgraph.cli import app
from relgraph.intel_cli import (
    ApiSource,
    LocalSource,
    Source,
    hierarchy_lines,
    influence_lines,
    intro_lines,
    orgchart_lines,
)

T = "acme"
runner = CliRunner()


def _tenant(store: LadybugStore) -> None:
    """Acme with a subsidiary; a CEO and a VP reporting to them; rep Rae meets the VP often."""
    for aid, name in (("acme", "Acme"), ("acme-eu", "Acme EU")):
        accounts.accounts.create(store=store, tenant=T, data=AccountCreate(id=aid, name=name))
    accounts.set_parent(store=store, tenant=T, account_id="acme-eu", parent_id="acme")
    deals.deals.create(store=store, tenant=T, data=DealCreate(id="d1", name="Renewal", amount=1200.0))
    deals.set_account(store=store, tenant=T, deal_id="d1", account_id="acme-eu")
    for cid, title in (("ceo", "Chief Executive Officer"), ("vp", "VP Sales")):
        contacts.contacts.create(store=store, tenant=T, data=ContactCreate(id=cid, name=cid.upper(), title=title))
        contacts.put_at_account(store=store, tenant=T, contact_id=cid, job=Employment(account_id="acme", title=title))
    contacts.set_manager(store=store, tenant=T, contact_id="vp", manager_id="ceo")
    reps.reps.create(store=store, tenant=T, data=RepCreate(id="rae", name="Rae"))
    rae = Participant(person_id="rae", kind="rep", role="organizer")
    for day in range(5):  # Rae knows the VP, who knows the CEO: a two-hop introduction
        _meet(store, [rae, Participant(person_id="vp", role="attendee")], day)
        _meet(
            store, [Participant(person_id="vp", role="organizer"), Participant(person_id="ceo", role="attendee")], day
        )
    refresh_knows(store, T)


def _meet(store: LadybugStore, people: list[Participant], days_ago: int) -> None:
    when = datetime.now(UTC) - timedelta(days=days_ago + 1)
    interactions.record(
        store=store, tenant=T, data=InteractionRecord(kind="meeting", occurred_at=when, participants=people)
    )


ASKS: list[tuple[Callable[[Source], Any], Callable[[Any], Iterator[str]]]] = [
    (lambda s: s.hierarchy("acme"), hierarchy_lines),
    (lambda s: s.orgchart("acme", True), orgchart_lines),
    (lambda s: s.intro("ceo", None, None, 3), intro_lines),
    (lambda s: s.intro(None, "acme", None, 3), intro_lines),
    (lambda s: s.influence("acme", 5), influence_lines),
    (lambda s: s.influence(None, 5), influence_lines),
]


def test_the_api_and_the_local_store_print_alike(
    client: TestClient, store: LadybugStore, admin: dict[str, str]
) -> None:
    _tenant(store)
    client.headers.update(admin)
    api, local = ApiSource(client), LocalSource(store, T)
    for ask, lines in ASKS:
        printed = list(lines(ask(api)))
        assert printed == list(lines(ask(local)))
        assert len(printed) > 1
    chart = "\n".join(orgchart_lines(local.orgchart("acme", True)))
    assert "- CEO | Chief Executive Officer" in chart and "  - VP | VP Sales" in chart and "rep Rae" in chart
    assert "Rae -> VP" in "\n".join(intro_lines(local.intro("ceo", None, None, 3)))
    roll = "\n".join(hierarchy_lines(local.hierarchy("acme")))
    assert "total: 2 accounts, pipeline 1,200" in roll and "- Acme EU: 1 account" in roll


def test_the_commands_on_a_local_data_directory(tmp_path: Path) -> None:
    store = LadybugStore(tmp_path, buffer_pool_mb=64)
    _tenant(store)
    store.close()
    local = ["--tenant", T, "--data-dir", str(tmp_path)]
    res = runner.invoke(app, ["hierarchy", "acme", *local])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("total: 2 accounts, pipeline 1,200, won 0, 2 contacts (2 senior, coverage 50%)")
    res = runner.invoke(app, ["intro", "--to", "vp", *local])
    assert res.exit_code == 0 and "Rae -> VP" in res.output, res.output
    res = runner.invoke(app, ["orgchart", "acme", "--json", *local])
    assert res.exit_code == 0 and '"explicit_lines": 1' in res.output, res.output


def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    local = ["--tenant", T, "--data-dir", str(tmp_path)]
    res = runner.invoke(app, ["hierarchy", "nope", *local])
    assert res.exit_code == 2 and "not found" in res.output
    assert runner.invoke(app, ["intro", *local]).exit_code == 2  # neither --to nor --to-account
    assert runner.invoke(app, ["hierarchy", "acme"]).exit_code == 2  # neither --key nor --tenant
