"""Salesforce -> rows: the weekly Data Export (CSV per object), sample-data trees, report CSVs.

Three entry points:

- ``parse_salesforce(folder)``: a Data Export folder. Files are found by object name
  (``Account.csv``, ``Contact.csv``, ``Opportunity.csv``, ``OpportunityContactRole.csv``,
  ``User.csv``, ``Task.csv``, ``Event.csv``; case-insensitive). Columns are standard API field names.
  Each file is read twice, streaming: first every node of every file, then every relationship, so
  nodes always precede the relationships that reference them whatever the file order or the order
  of records inside a file (``ParentId`` pointing forward). Ids: ``sf:<18-character Id>`` (15-character
  ids are extended with their checksum so both spellings meet).
- ``parse_salesforce_tree(path)``: ``sf data import tree`` JSON (a ``data-plan.json`` folder or
  one file): records with ``attributes.referenceId`` and ``@Ref`` references. Ids:
  ``sftree:<referenceId>`` (reference ids are only unique within one plan: pick a ``namespace``
  per plan).
- ``parse_salesforce_report(file)``: a report exported as CSV with ``Object: Field`` headers
  (``Account: Account Name``, ``Contact: Email``...): accounts by name, contacts by email.

Mapping: User -> Rep (ManagerId -> REPORTS_TO); Account (ParentId -> SUBSIDIARY_OF, OwnerId ->
OWNS); Contact (AccountId -> WORKS_AT with Title/Department, ReportsToId -> REPORTS_TO explicit);
Opportunity -> Deal (status from IsClosed/IsWon, else from the stage name; AccountId ->
FOR_ACCOUNT; OwnerId -> OWNS); OpportunityContactRole -> ON_DEAL with roles mapped (``ROLE_MAP``);
Task/Event -> Interaction (Task: call/email/meeting/note by TaskSubtype/Type; Event: meeting) with
OwnerId and WhoId as participants and WhatId -> ABOUT. Custom fields (``*__c``) go to ``custom``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol

from graph.errors import InvalidInput
from importers.common import emit_node, require_dir, require_file, without_none
from importers.csvio import CsvRecord, iter_csv
from importers.rows import NodeRow, Note, Reject, RelRow, Row, ext_id, name_id
from importers.values import (
    clean,
    domain_from_url,
    normalise_email,
    optional,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_float,
    parse_int,
)

OBJECTS: Final = ("User", "Account", "Contact", "Opportunity", "OpportunityContactRole", "Task", "Event")
ROLE_MAP: Final = {
    "business user": "user",
    "user": "user",
    "decision maker": "decision_maker",
    "economic buyer": "economic_buyer",
    "economic decision maker": "economic_buyer",
    "executive sponsor": "champion",
    "champion": "champion",
    "influencer": "influencer",
    "evaluator": "influencer",
    "technical buyer": "influencer",
    "blocker": "blocker",
}
PREFIX_LABEL: Final = {"001": "Account", "003": "Contact", "005": "Rep", "006": "Deal"}
MAX_TREE_BYTES: Final = 50 * 1024 * 1024
_CHECKSUM: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


class Fields(Protocol):
    """A record's fields by API name: a CSV row or a tree JSON record look the same to mappers."""

    @property
    def location(self) -> str: ...

    @property
    def raw(self) -> str: ...

    def get(self, *names: str) -> str | None: ...

    def custom(self) -> dict[str, str]: ...


@dataclass
class _Refs:
    """How a raw reference value becomes a node id and a label (by key prefix, or a lookup)."""

    to_id: Callable[[str], str]
    labels: dict[str, str] = field(default_factory=dict)

    def label(self, raw: str) -> str | None:
        return self.labels.get(raw) or PREFIX_LABEL.get(raw[:3])


@dataclass
class _Mapped:
    """One record mapped: its node (or why not), its relationships, dropped values, notes."""

    node: NodeRow | None = None
    reject: str | None = None
    rels: list[RelRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def sf_id18(value: str) -> str:
    """The 18-character form of a Salesforce id (15-character ids are case-sensitive)."""
    text = value.strip()
    if len(text) != 15 or not text.isalnum():
        return text
    suffix = ""
    for start in (0, 5, 10):
        bits = sum(1 << i for i, ch in enumerate(text[start : start + 5]) if "A" <= ch <= "Z")
        suffix += _CHECKSUM[bits]
    return text + suffix


# --- field mappers (shared by CSV and tree) ------------------------------------------------------
def _name(rec: Fields) -> str | None:
    first, last = rec.get("FirstName"), rec.get("LastName")
    joined = " ".join(p for p in (first, last) if p)
    return rec.get("Name") or joined or None


def map_user(rec: Fields, own_id: str, refs: _Refs) -> _Mapped:
    out = _Mapped()
    name = _name(rec) or rec.get("Email", "Username")
    if not name:
        out.reject = "User has no name"
        return out
    active = optional(parse_bool, rec.get("IsActive"), "IsActive", out.problems)
    props = {
        "name": name,
        "email": normalise_email(rec.get("Email") or "") or rec.get("Email"),
        "title": rec.get("Title"),
        "region": rec.get("Division", "UserRoleName"),
        "office": rec.get("City", "Department"),
        "active": active,
        "custom": rec.custom(),
    }
    out.node = NodeRow("Rep", own_id, without_none(props))
    manager = rec.get("ManagerId")
    if manager:
        out.rels.append(RelRow("REPORTS_TO", "Rep", own_id, "Rep", refs.to_id(manager), {"source": "explicit"}))
    return out


def map_account(rec: Fields, own_id: str, refs: _Refs) -> _Mapped:
    out = _Mapped()
    name = rec.get("Name")
    if not name:
        out.reject = "Account has no Name"
        return out
    custom = rec.custom()
    for api, key in (("Type", "type"), ("Phone", "phone"), ("AccountNumber", "account_number")):
        value = rec.get(api)
        if value:
            custom[key] = value
    props = {
        "name": name,
        "domain": optional(domain_from_url, rec.get("Website"), "Website", out.problems),
        "industry": rec.get("Industry"),
        "city": rec.get("BillingCity", "ShippingCity"),
        "country": rec.get("BillingCountry", "ShippingCountry"),
        "employees": optional(parse_int, rec.get("NumberOfEmployees"), "NumberOfEmployees", out.problems),
        "annual_revenue": optional(parse_float, rec.get("AnnualRevenue"), "AnnualRevenue", out.problems),
        "year_established": optional(parse_int, rec.get("YearStarted"), "YearStarted", out.problems),
        "custom": custom,
    }
    out.node = NodeRow("Account", own_id, without_none(props))
    parent, owner = rec.get("ParentId"), rec.get("OwnerId")
    if parent:
        out.rels.append(RelRow("SUBSIDIARY_OF", "Account", own_id, "Account", refs.to_id(parent)))
    if owner:
        out.rels.append(RelRow("OWNS", "Rep", refs.to_id(owner), "Account", own_id))
    return out


def map_contact(rec: Fields, own_id: str, refs: _Refs) -> _Mapped:
    out = _Mapped()
    email = rec.get("Email")
    name = _name(rec) or email
    if not name:
        out.reject = "Contact has no name or email"
        return out
    custom = rec.custom()
    for api, key in (("MobilePhone", "mobile_phone"), ("LeadSource", "lead_source")):
        value = rec.get(api)
        if value:
            custom[key] = value
    props = {
        "name": name,
        "first_name": rec.get("FirstName"),
        "last_name": rec.get("LastName"),
        "email": (normalise_email(email) or email) if email else None,
        "phone": rec.get("Phone", "MobilePhone"),
        "title": rec.get("Title"),
        "department": rec.get("Department"),
        "city": rec.get("MailingCity", "OtherCity"),
        "country": rec.get("MailingCountry", "OtherCountry"),
        "notes": rec.get("Description"),
        "custom": custom,
    }
    out.node = NodeRow("Contact", own_id, without_none(props))
    account, manager = rec.get("AccountId"), rec.get("ReportsToId")
    if account:
        job = without_none({"title": rec.get("Title"), "department": rec.get("Department")})
        out.rels.append(RelRow("WORKS_AT", "Contact", own_id, "Account", refs.to_id(account), job))
    if manager:
        out.rels.append(RelRow("REPORTS_TO", "Contact", own_id, "Contact", refs.to_id(manager), {"source": "explicit"}))
    return out


def deal_status(rec: Fields, problems: list[str]) -> str:
    """won/lost/open from IsClosed+IsWon when present, else from the stage's name."""
    closed = optional(parse_bool, rec.get("IsClosed"), "IsClosed", problems)
    won = optional(parse_bool, rec.get("IsWon"), "IsWon", problems)
    if closed is not None:
        return ("won" if won else "lost") if closed else "open"
    stage = (rec.get("StageName") or "").lower()
    if "closed" in stage or stage in ("won", "lost"):
        return "won" if "won" in stage else "lost"
    return "open"


def map_opportunity(rec: Fields, own_id: str, refs: _Refs) -> _Mapped:
    out = _Mapped()
    name = rec.get("Name")
    if not name:
        out.reject = "Opportunity has no Name"
        return out
    created = optional(parse_datetime, rec.get("CreatedDate"), "CreatedDate", out.problems)
    props = {
        "name": name,
        "stage": rec.get("StageName"),
        "status": deal_status(rec, out.problems),
        "amount": optional(parse_float, rec.get("Amount"), "Amount", out.problems),
        "currency": rec.get("CurrencyIsoCode"),
        "close_date": optional(parse_date, rec.get("CloseDate"), "CloseDate", out.problems),
        "created_on": created.date() if created else None,
        "source": rec.get("LeadSource"),
        "custom": {**rec.custom(), **({"type": rec.get("Type")} if rec.get("Type") else {})},
    }
    out.node = NodeRow("Deal", own_id, without_none(props))
    account, owner = rec.get("AccountId"), rec.get("OwnerId")
    if account:
        out.rels.append(RelRow("FOR_ACCOUNT", "Deal", own_id, "Account", refs.to_id(account)))
    if owner:
        out.rels.append(RelRow("OWNS", "Rep", refs.to_id(owner), "Deal", own_id))
    return out


def map_contact_role(rec: Fields, own_id: str, refs: _Refs) -> _Mapped:
    """OpportunityContactRole has no node of its own: just ON_DEAL."""
    out = _Mapped()
    opp, contact = rec.get("OpportunityId"), rec.get("ContactId")
    if not opp or not contact:
        out.reject = "OpportunityContactRole needs OpportunityId and ContactId"
        return out
    raw_role = rec.get("Role")
    role = ROLE_MAP.get((raw_role or "").lower())
    if role is None:
        role = "influencer"
        out.notes.append(f"role {raw_role!r} has no equivalent; recorded as influencer")
    out.rels.append(RelRow("ON_DEAL", "Contact", refs.to_id(contact), "Deal", refs.to_id(opp), {"role": role}))
    return out


def _activity_kind(rec: Fields, is_event: bool) -> str:
    if is_event:
        return "meeting"
    kind = (rec.get("TaskSubtype", "Type") or "").lower()
    return {"call": "call", "email": "email", "listemail": "email", "meeting": "meeting"}.get(kind, "note")


def _activity_time(rec: Fields, is_event: bool, problems: list[str]) -> Any:
    names = (
        ("StartDateTime", "ActivityDateTime", "ActivityDate", "CreatedDate")
        if is_event
        else ("CompletedDateTime", "ActivityDate", "CreatedDate")
    )
    for api in names:
        value = rec.get(api)
        if value:
            return optional(parse_datetime, value, api, problems)
    return None


def map_activity(rec: Fields, own_id: str, refs: _Refs, *, is_event: bool) -> _Mapped:
    out = _Mapped()
    when = _activity_time(rec, is_event, out.problems)
    if when is None:
        out.reject = "activity has no usable date"
        return out
    kind = _activity_kind(rec, is_event)
    duration = optional(parse_int, rec.get("DurationInMinutes"), "DurationInMinutes", out.problems)
    seconds = optional(parse_int, rec.get("CallDurationInSeconds"), "CallDurationInSeconds", out.problems)
    if duration is None and seconds is not None:
        duration = seconds // 60
    props = {
        "kind": kind,
        "subject": (rec.get("Subject") or "")[:1000] or None,
        "body": rec.get("Description"),
        "occurred_at": when,
        "duration_min": duration,
        "source": "salesforce",
        "custom": rec.custom(),
    }
    out.node = NodeRow("Interaction", own_id, without_none(props))
    _activity_links(rec, own_id, refs, kind, out)
    return out


def _activity_links(rec: Fields, own_id: str, refs: _Refs, kind: str, out: _Mapped) -> None:
    inbound = (rec.get("CallType") or "").lower() == "inbound"
    owner_role, who_role = {"meeting": ("organizer", "attendee")}.get(
        kind, ("to", "from") if inbound else ("from", "to")
    )
    owner, who, what = rec.get("OwnerId"), rec.get("WhoId"), rec.get("WhatId")
    if owner:
        out.rels.append(
            RelRow("PARTICIPATED_IN", "Rep", refs.to_id(owner), "Interaction", own_id, {"role": owner_role})
        )
    if who:
        if refs.label(who) == "Contact":
            out.rels.append(
                RelRow("PARTICIPATED_IN", "Contact", refs.to_id(who), "Interaction", own_id, {"role": who_role})
            )
        else:
            out.notes.append(f"WhoId {who} is not a contact (a lead?); participant skipped")
    if what:
        label = refs.label(what)
        if label in ("Deal", "Account"):
            out.rels.append(RelRow("ABOUT", "Interaction", own_id, label, refs.to_id(what)))
        else:
            out.notes.append(f"WhatId {what} is neither an opportunity nor an account; ABOUT skipped")


Mapper = Callable[[Fields, str, _Refs], _Mapped]
MAPPERS: Final[dict[str, Mapper]] = {
    "User": map_user,
    "Account": map_account,
    "Contact": map_contact,
    "Opportunity": map_opportunity,
    "OpportunityContactRole": map_contact_role,
    "Task": lambda rec, own_id, refs: map_activity(rec, own_id, refs, is_event=False),
    "Event": lambda rec, own_id, refs: map_activity(rec, own_id, refs, is_event=True),
}
LABELS: Final = {
    "User": "Rep",
    "Account": "Account",
    "Contact": "Contact",
    "Opportunity": "Deal",
    "OpportunityContactRole": "ON_DEAL",
    "Task": "Interaction",
    "Event": "Interaction",
}


# --- CSV export ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _CsvFields:
    rec: CsvRecord

    @property
    def location(self) -> str:
        return self.rec.location

    @property
    def raw(self) -> str:
        return self.rec.raw

    def get(self, *names: str) -> str | None:
        return self.rec.get(*names)

    def custom(self) -> dict[str, str]:
        return {k: v for k, v in self.rec.values.items() if k.endswith("__c") and v}


def find_export_files(folder: Path) -> dict[str, Path]:
    """Object name -> file, by file name (``Account.csv``), case-insensitively."""
    by_stem = {p.stem.lower(): p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".csv"}
    return {obj: by_stem[obj.lower()] for obj in OBJECTS if obj.lower() in by_stem}


def parse_salesforce(path: Path, *, namespace: str = "sf") -> Iterator[Row]:
    """Parse a Data Export folder (see module docstring): all nodes first, then all relationships."""
    files = find_export_files(require_dir(path))
    if not files:
        raise InvalidInput(f"no Salesforce export files ({', '.join(o + '.csv' for o in OBJECTS)}) in {path}")
    refs = _Refs(lambda raw: ext_id(namespace, sf_id18(raw)))
    for obj, file in files.items():
        yield from _csv_pass(obj, file, refs, nodes=True)
    for obj, file in files.items():
        yield from _csv_pass(obj, file, refs, nodes=False)


def _csv_pass(obj: str, file: Path, refs: _Refs, *, nodes: bool) -> Iterator[Row]:
    label = LABELS[obj]
    for rec in iter_csv(file, label=label):
        if isinstance(rec, Reject):
            if nodes:
                yield rec
            continue
        fields = _CsvFields(rec)
        own = rec.get("Id")
        if own is None and obj != "OpportunityContactRole":
            if nodes:
                yield Reject(file.name, rec.location, f"{obj} row has no Id", rec.raw, label)
            continue
        mapped = MAPPERS[obj](fields, refs.to_id(own or "none"), refs)
        yield from _emit(mapped, file.name, fields, label, nodes=nodes)


def _emit(mapped: _Mapped, source: str, rec: Fields, label: str, *, nodes: bool) -> Iterator[Row]:
    """Pass 1 (``nodes``): the node, its notes or its reject. Pass 2: the relationships of records
    that pass 1 accepted (re-derived, so nothing is kept between passes)."""
    if nodes:
        if mapped.reject:
            yield Reject(source, rec.location, mapped.reject, rec.raw, label)
            return
        for note in mapped.notes:
            yield Note(source, rec.location, note, "salesforce_mapping", label)
        if mapped.node is not None:
            yield from emit_node(mapped.node, source, rec.location, rec.raw, mapped.problems)
        return
    if mapped.reject:
        return
    if mapped.node is not None:
        checked = list(emit_node(mapped.node, source, rec.location, rec.raw, ()))
        if not any(isinstance(r, NodeRow) for r in checked):
            return
    yield from mapped.rels


# --- sample-data tree (sf data import tree) ------------------------------------------------------
@dataclass(frozen=True)
class _JsonFields:
    record: Mapping[str, Any]
    location: str

    @property
    def raw(self) -> str:
        return json.dumps(self.record, ensure_ascii=False, default=str)[:2000]

    def get(self, *names: str) -> str | None:
        for name in names:
            value = self.record.get(name)
            if isinstance(value, dict | list):
                continue
            text = clean(value)
            if text:
                return text
        return None

    def custom(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.record.items() if k.endswith("__c") and v not in (None, "")}


def parse_salesforce_tree(path: Path, *, namespace: str = "sftree") -> Iterator[Row]:
    """Parse tree-import JSON: a folder with ``data-plan.json``, a folder of JSON files, or one file."""
    files = _plan_files(path)
    loaded: list[tuple[Path, list[Any]]] = []
    labels: dict[str, str] = {}
    for file in files:
        records, problem = _load_records(file)
        if problem:
            yield Reject(file.name, "file", problem, "")
            continue
        for record in records:
            ref, obj = _ref_and_type(record) if isinstance(record, dict) else (None, None)
            if ref and obj in LABELS:
                labels["@" + ref] = LABELS[obj]
        loaded.append((file, records))
    refs = _Refs(lambda raw: ext_id(namespace, raw.lstrip("@")), labels)
    for nodes in (True, False):
        for file, records in loaded:
            yield from _tree_pass(file, records, refs, nodes=nodes)


def _plan_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    folder = require_dir(path)
    plan = folder / "data-plan.json"
    if plan.is_file():
        try:
            steps = json.loads(plan.read_text(encoding="utf-8-sig"))
            return [folder / name for step in steps for name in step.get("files", [])]
        except (ValueError, AttributeError, TypeError) as exc:
            raise InvalidInput(f"{plan} is not a valid data plan: {exc}") from exc
    return sorted(p for p in folder.glob("*.json") if p.name != "data-plan.json")


def _load_records(file: Path) -> tuple[list[Any], str | None]:
    """The ``records`` list of one tree file (whole-file JSON: size-capped, not streamed)."""
    try:
        if file.stat().st_size > MAX_TREE_BYTES:
            return [], f"larger than {MAX_TREE_BYTES} bytes; split the tree export"
        data = json.loads(file.read_bytes().decode("utf-8-sig"))
    except (OSError, ValueError) as exc:
        return [], f"not readable JSON: {exc}"
    records = data.get("records") if isinstance(data, dict) else None
    if not isinstance(records, list):
        return [], "no 'records' list"
    return records, None


def _ref_and_type(record: Mapping[str, Any]) -> tuple[str | None, str | None]:
    attrs = record.get("attributes")
    if not isinstance(attrs, dict):
        return None, None
    return clean(attrs.get("referenceId")), clean(attrs.get("type"))


def _tree_pass(file: Path, records: list[Any], refs: _Refs, *, nodes: bool) -> Iterator[Row]:
    for index, record in enumerate(records, start=1):
        location = f"record {index}"
        if not isinstance(record, dict):
            if nodes:
                yield Reject(file.name, location, "record is not a JSON object", json.dumps(record)[:2000])
            continue
        ref, obj = _ref_and_type(record)
        fields = _JsonFields(record, location)
        if obj not in MAPPERS or (ref is None and obj != "OpportunityContactRole"):
            if nodes:
                reason = f"record has no attributes.referenceId or an unsupported type {obj!r}"
                yield Reject(file.name, location, reason, fields.raw)
            continue
        mapped = MAPPERS[obj](fields, refs.to_id(ref or "none"), refs)
        yield from _emit(mapped, file.name, fields, LABELS[obj], nodes=nodes)


# --- report CSV ----------------------------------------------------------------------------------
def parse_salesforce_report(path: Path, *, namespace: str = "sfreport") -> Iterator[Row]:
    """A report CSV (``Account: Account Name``, ``Contact: Email``, ...): accounts are keyed by
    name (``sfreport:acct:<slug>``), contacts by email or else name + account. Reports carry no
    record ids: ids are only as stable as the names."""
    file = require_file(path)
    accounts: set[str] = set()
    for rec in iter_csv(file):
        if isinstance(rec, Reject):
            yield rec
            continue
        yield from _report_record(rec, file.name, namespace, accounts)


def _report_record(rec: CsvRecord, source: str, namespace: str, accounts: set[str]) -> Iterator[Row]:
    account_name = rec.get("Account: Account Name", "Account Name")
    account_id = name_id(f"{namespace}:acct", account_name) if account_name else None
    if account_name and account_id and account_id not in accounts:
        accounts.add(account_id)
        custom = without_none({"type": rec.get("Account: Type"), "phone": rec.get("Account: Phone")})
        props = without_none(
            {
                "name": account_name,
                "industry": rec.get("Account: Industry"),
                "city": rec.get("Account: Billing City"),
                "country": rec.get("Account: Billing Country"),
                "custom": custom,
            }
        )
        yield from emit_node(NodeRow("Account", account_id, props), source, rec.location, rec.raw)
    first, last = rec.get("Contact: First Name"), rec.get("Contact: Last Name")
    email = rec.get("Contact: Email")
    name = " ".join(p for p in (first, last) if p) or email
    if not name:
        if not account_name:
            yield Reject(source, rec.location, "row has neither an account nor a contact", rec.raw)
        return
    key = normalise_email(email) if email else None
    contact_id = (
        ext_id(f"{namespace}:contact", key) if key else name_id(f"{namespace}:contact", f"{name} {account_name or ''}")
    )
    props = without_none(
        {
            "name": name,
            "first_name": first,
            "last_name": last,
            "email": key or email,
            "phone": rec.get("Contact: Phone"),
            "title": rec.get("Contact: Title"),
            "custom": without_none({"picture": rec.get("Contact: Picture")}),
        }
    )
    checked = list(emit_node(NodeRow("Contact", contact_id, props), source, rec.location, rec.raw))
    yield from checked
    if account_id and any(isinstance(r, NodeRow) for r in checked):
        yield RelRow(
            "WORKS_AT", "Contact", contact_id, "Account", account_id, without_none({"title": rec.get("Contact: Title")})
        )


__all__ = ["parse_salesforce", "parse_salesforce_report", "parse_salesforce_tree", "sf_id18"]
