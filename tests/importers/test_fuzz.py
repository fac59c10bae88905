"""Garbage in: every parser yields rows/notes/rejects or raises a RelgraphError, never anything else."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.errors import RelgraphError
from importers.csv_mapped import CsvMapping, parse_csv_mapped
from importers.email import parse_email
from importers.hubspot import parse_hubspot
from importers.ics import parse_ics
from importers.linkedin import parse_linkedin
from importers.maven import parse_maven
from importers.rows import Row
from importers.salesforce import parse_salesforce, parse_salesforce_report, parse_salesforce_tree
from importers.vcard import parse_vcard
from tests.importers.helpers import FIXTURES, check_rows, data_dir

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
MAPPING = CsvMapping.model_validate(
    {
        "label": "Contact",
        "namespace": "fz",
        "id_column": "id",
        "properties": {"name": "name", "email": "email"},
        "relationships": [
            {
                "type": "WORKS_AT",
                "column": "org",
                "target_label": "Account",
                "namespace": "fz:org",
                "key": "name",
                "create": True,
            }
        ],
    }
)
FILE_PARSERS: dict[str, tuple[str, Callable[[Path], Iterator[Row]]]] = {
    "email": ("x.mbox", lambda p: parse_email(p, own_domains={"ourco.example"})),
    "eml": ("x.eml", lambda p: parse_email(p)),
    "vcard": ("x.vcf", lambda p: parse_vcard(p)),
    "ics": ("x.ics", lambda p: parse_ics(p)),
    "linkedin": ("Connections.csv", lambda p: parse_linkedin(p)),
    "hubspot": ("contacts.csv", lambda p: parse_hubspot(p)),
    "csv": ("x.csv", lambda p: parse_csv_mapped(p, mapping=MAPPING)),
    "sf-report": ("r.csv", lambda p: parse_salesforce_report(p)),
    "sf-tree": ("t.json", lambda p: parse_salesforce_tree(p)),
}
SEEDS = {
    "email": b"From a@b Tue Mar  5 10:15:42 2024\nMessage-ID: <a@b>\nDate: Tue, 05 Mar 2024 10:15:42 +0100\n"
    b"From: A <a@ourco.example>\nTo: b@x.example\nSubject: =?utf-8?q?hi?=\n\nbody\n",
    "vcard": b"BEGIN:VCARD\nVERSION:3.0\nFN:Ada\nEMAIL:ada@x.example\nORG:X;Y\nEND:VCARD\n",
    "ics": (FIXTURES / "ics" / "meetings.ics").read_bytes(),
    "linkedin": (FIXTURES / "linkedin" / "Connections.csv").read_bytes(),
    "hubspot": (FIXTURES / "hubspot" / "contacts.csv").read_bytes(),
    "csv": b"id,name,email,org\n1,Ada,ada@x.example,X Ltd\n2,Bob,,\n",
    "sf-report": b"Account: Account Name,Contact: First Name,Contact: Email\nX,Ada,ada@x.example\n",
    "sf-tree": b'{"records": [{"attributes": {"type": "Account", "referenceId": "R1"}, "Name": "X"}]}',
}
SEEDS["eml"] = SEEDS["email"].split(b"\n", 1)[1]


def run(kind: str, data: bytes) -> None:
    name, parser = FILE_PARSERS[kind]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        with contextlib.suppress(RelgraphError):
            check_rows(parser(path))


def mutate(seed: bytes, cut: int, junk: bytes, at: int) -> bytes:
    cut_at = cut % (len(seed) + 1)
    pos = at % (cut_at + 1)
    return seed[:pos] + junk + seed[pos:cut_at]


@FUZZ
@given(st.sampled_from(sorted(FILE_PARSERS)), st.integers(0, 10_000), st.binary(max_size=200), st.integers(0, 10_000))
def test_truncated_and_corrupted_inputs(kind: str, cut: int, junk: bytes, at: int) -> None:
    run(kind, mutate(SEEDS[kind], cut, junk, at))


@FUZZ
@given(st.sampled_from(sorted(FILE_PARSERS)), st.binary(max_size=2_000))
def test_binary_junk(kind: str, data: bytes) -> None:
    run(kind, data)


@FUZZ
@given(st.sampled_from(sorted(FILE_PARSERS)), st.text(max_size=2_000))
def test_text_junk(kind: str, text: str) -> None:
    run(kind, text.encode("utf-8", "surrogatepass"))


def test_huge_fields_and_lines() -> None:
    big = b"x" * 300_000
    for kind, seed in SEEDS.items():
        run(kind, seed.replace(b"Ada", big, 1).replace(b"body", big, 1).replace(b"Quillfeather", big, 1))
        run(kind, seed + big)


def test_headers_only_and_missing_headers() -> None:
    for kind in FILE_PARSERS:
        run(kind, SEEDS[kind].split(b"\n", 1)[0] + b"\n")
        run(kind, SEEDS[kind].split(b"\n", 1)[-1])


def test_folder_parsers_with_garbage_files() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name in (
            "accounts.csv",
            "products.csv",
            "sales_teams.csv",
            "sales_pipeline.csv",
            "Account.csv",
            "Contact.csv",
            "Opportunity.csv",
        ):
            (folder / name).write_bytes(b'\x00\xff"unterminated,\n' + bytes(range(256)))
        for parser in (parse_maven, parse_salesforce, parse_hubspot):
            with contextlib.suppress(RelgraphError):
                check_rows(parser(folder))


def test_real_enron_file_cut_in_the_middle() -> None:
    source = data_dir("enron-mbox-sample") / "enron.arora-h.sent"
    data = source.read_bytes()
    for fraction in (0.13, 0.5, 0.77):
        run("email", data[: int(len(data) * fraction)])
