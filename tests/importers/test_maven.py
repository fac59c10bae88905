"""Maven CRM on the real data set: counts, quirks reported, ids stable across runs."""

from __future__ import annotations

import shutil
import time
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from importers.maven import parse_maven
from importers.rows import NodeRow, Row
from tests.importers.helpers import check_rows, data_dir, nodes, notes, rejects, rels


@pytest.fixture(scope="module")
def maven_rows() -> list[Row]:
    return check_rows(parse_maven(data_dir("maven-crm")))


def test_counts(maven_rows: list[Row]) -> None:
    counts = Counter(r.label for r in nodes(maven_rows))
    assert counts == {"Account": 85, "Product": 7, "Rep": 35 + 6, "Deal": 8_800}
    assert len(rels(maven_rows, "SUBSIDIARY_OF")) == 15
    assert len({r.dst_id for r in rels(maven_rows, "SUBSIDIARY_OF")}) == 7
    assert len(rels(maven_rows, "REPORTS_TO")) == 35
    assert len(rels(maven_rows, "OWNS")) == len(rels(maven_rows, "INCLUDES")) == 8_800
    assert len(rels(maven_rows, "FOR_ACCOUNT")) == 8_800 - 1_425
    assert rejects(maven_rows) == []


def test_deal_statuses_and_fields(maven_rows: list[Row]) -> None:
    deals = nodes(maven_rows, "Deal")
    assert Counter(d.props["stage"] for d in deals) == {"Won": 4238, "Lost": 2473, "Engaging": 1589, "Prospecting": 500}
    assert Counter(d.props["status"] for d in deals) == {"won": 4238, "lost": 2473, "open": 2089}
    first = next(d for d in deals if d.id == "maven:deal:1C1I7A6R")
    assert first.props == {
        "name": "Cancity - GTX Plus Basic",
        "stage": "Won",
        "status": "won",
        "amount": 1054.0,
        "currency": "USD",
        "created_on": date(2016, 10, 20),
        "close_date": date(2017, 3, 1),
    }


def test_quirks_are_reported_not_dropped(maven_rows: list[Row]) -> None:
    assert len(notes(maven_rows, "deal_without_account")) == 1_425
    normalised = notes(maven_rows, "product_name_normalised")
    assert len(normalised) == 1_480 and "GTXPro" in normalised[0].message
    assert {r.dst_id for r in rels(maven_rows, "INCLUDES")} == {n.id for n in nodes(maven_rows, "Product")}
    assert len(notes(maven_rows, "sector_corrected")) == 12
    industries = {a.props.get("industry") for a in nodes(maven_rows, "Account")}
    assert "technology" in industries and "technolgy" not in industries


def test_hierarchy_and_org_chart(maven_rows: list[Row]) -> None:
    acme = "maven:acct:acme-corporation"
    assert {r.src_id for r in rels(maven_rows, "SUBSIDIARY_OF") if r.dst_id == acme} == {
        "maven:acct:bluth-company",
        "maven:acct:codehow",
        "maven:acct:donquadtech",
        "maven:acct:iselectrics",
    }
    managers = {r.dst_id for r in rels(maven_rows, "REPORTS_TO")}
    assert len(managers) == 6
    acct = next(a for a in nodes(maven_rows, "Account") if a.id == acme)
    assert acct.props["annual_revenue"] == pytest.approx(1_100_040_000)


def test_ids_are_stable_across_runs(maven_rows: list[Row]) -> None:
    again = list(parse_maven(data_dir("maven-crm")))
    assert again == maven_rows


def test_throughput(maven_rows: list[Row]) -> None:
    start = time.perf_counter()
    count = sum(1 for _ in parse_maven(data_dir("maven-crm")))
    elapsed = time.perf_counter() - start
    print(f"maven: {count} rows in {elapsed:.2f}s = {count / elapsed:,.0f} rows/s")
    assert count == len(maven_rows)


def test_missing_files_and_unknown_references(tmp_path: Path) -> None:
    shutil.copy(data_dir("maven-crm") / "products.csv", tmp_path / "products.csv")
    (tmp_path / "sales_pipeline.csv").write_text(
        "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n"
        "OPP1,Nobody Known,GTX Pro,Unlisted Ltd,Won,2017-01-01,2017-02-30,12x\n"
        ",Someone,GTX Pro,,Won,,,\n"
    )
    out = check_rows(parse_maven(tmp_path))
    assert {r.source for r in rejects(out) if r.location == "file"} == {"accounts.csv", "sales_teams.csv"}
    assert [r.location for r in rejects(out) if r.location != "file"] == ["line 3"]
    codes = Counter(n.code for n in notes(out))
    assert codes["placeholder_account"] == 1 and codes["placeholder_rep"] == 1 and codes["invalid_value"] == 2
    deal = next(n for n in nodes(out) if isinstance(n, NodeRow) and n.label == "Deal")
    assert "amount" not in deal.props and "close_date" not in deal.props
