"""HubSpot CRM exports (contacts, companies, deals as CSV) -> rows.

HubSpot names export columns after property *labels* ("Record ID", "First Name", "Job Title",
"Company Domain Name", "Deal Stage", "Associated Company IDs", ...), and their capitalisation has
changed over the years, so columns are matched case-insensitively against a few aliases each
(``COLUMNS``). Which object a file holds is decided from its header ("Deal Name" -> deals, "First
Name"/"Email" -> contacts, "Company name"/"Company Domain Name" -> companies), not its name.

Ids: ``hubspot:contact:<Record ID>``, ``hubspot:company:<Record ID>``, ``hubspot:deal:<Record ID>``
(record ids are only unique per object type). Owners ("Contact owner", "Deal owner") are our Reps:
keyed ``email:<address>`` when the export gives an address (so they meet the Reps of the email
importer), else ``hubspot:owner:<slug of name>``. Associations: "Associated Company IDs" -> WORKS_AT
(contacts) / FOR_ACCOUNT (deals); "Associated Contact IDs" -> ON_DEAL with role ``influencer``
(HubSpot exports carry no buying role); "Parent Company" (id or name) -> SUBSIDIARY_OF. When a
contact file has only a free-text "Company Name", the company is matched by name among the companies
of the same import, else created as ``hubspot:company-name:<slug>``.

Given a folder, every CSV in it is classified and read companies first, then contacts, then deals.
Company files are read twice (streaming): their nodes, then their links, because a parent company
may come later in the file than its subsidiaries. Contacts and deals are read once, each record's
node followed by its links: what those point at (companies, earlier contacts, the owner, a company
known only by name) has been yielded by then. Each file's header is matched against ``COLUMNS``
once (``_Columns``), not every record.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from graph.errors import InvalidInput
from importers.common import emit_node, without_none
from importers.csvio import CsvRecord, iter_csv, norm_header, read_header
from importers.rows import NodeRow, Note, Reject, RelRow, Row, ext_id, name_id, slug
from importers.validate import fast_valid
from importers.values import (
    domain_from_url,
    normalise_email,
    optional,
    parse_date,
    parse_datetime,
    parse_float,
    parse_int,
    split_list,
)

COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "id": ("Record ID", "Contact ID", "Company ID", "Deal ID", "Object ID", "VID"),
    "first_name": ("First Name", "Firstname"),
    "last_name": ("Last Name", "Lastname"),
    "email": ("Email", "Email Address"),
    "phone": ("Phone Number", "Phone", "Mobile Phone Number"),
    "title": ("Job Title", "Title"),
    "city": ("City",),
    "country": ("Country/Region", "Country"),
    "linkedin": ("LinkedIn URL", "LinkedIn Bio"),
    "company_text": ("Company Name", "Company"),
    "company_ids": (
        "Associated Company IDs",
        "Associated Company IDs (Primary)",
        "Associated Company ID",
        "Company ID",
    ),
    "company_names": ("Associated Company", "Associated Companies", "Associated Company (Primary)"),
    "contact_ids": ("Associated Contact IDs", "Associated Contact ID"),
    "company_name": ("Company name", "Name"),
    "domain": ("Company Domain Name", "Domain", "Website URL", "Website"),
    "industry": ("Industry",),
    "employees": ("Number of Employees", "Employees"),
    "revenue": ("Annual Revenue",),
    "founded": ("Year Founded", "Founded Year"),
    "parent": ("Parent Company", "Parent Company ID"),
    "deal_name": ("Deal Name",),
    "stage": ("Deal Stage", "Stage"),
    "pipeline": ("Pipeline",),
    "amount": ("Amount",),
    "currency": ("Currency", "Deal currency code"),
    "close_date": ("Close Date",),
    "create_date": ("Create Date", "Created Date", "Create date"),
    "owner": ("Contact owner", "Company owner", "Deal owner", "Owner", "HubSpot Owner"),
    "lifecycle": ("Lifecycle Stage",),
    "lead_status": ("Lead Status",),
}
KINDS: Final = ("companies", "contacts", "deals")
LABEL: Final = {"companies": "Account", "contacts": "Contact", "deals": "Deal"}
SINGULAR: Final = {"companies": "company", "contacts": "contact", "deals": "deal"}


class _Columns:
    """``COLUMNS`` resolved against one file's header: per key, the aliases that file has."""

    def __init__(self, header: list[str]) -> None:
        present = set(header)
        self.names: dict[str, tuple[str, ...]] = {
            key: tuple(n for n in dict.fromkeys(norm_header(a) for a in aliases) if n in present)
            for key, aliases in COLUMNS.items()
        }
        # the keys the file has, split by how many of their aliases it has (most: one)
        self._single = [(key, names[0]) for key, names in self.names.items() if len(names) == 1]
        self._several = [(key, names) for key, names in self.names.items() if len(names) > 1]

    def get(self, rec: CsvRecord, key: str) -> str | None:
        """The first non-empty value among ``key``'s aliases (as ``CsvRecord.get``)."""
        values = rec.values
        for name in self.names[key]:
            value = values.get(name)
            if value:
                return value
        return None

    def view(self, rec: CsvRecord) -> dict[str, str]:
        """``get`` of every key at once: the keys with a non-empty value (one pass over the file's
        columns a record, instead of a call per key and use)."""
        values = rec.values
        out = {key: value for key, name in self._single if (value := values.get(name))}
        for key, names in self._several:
            for name in names:
                value = values.get(name)
                if value:
                    out[key] = value
                    break
        return out


View = dict[str, str]
"""A record's values by ``COLUMNS`` key (``_Columns.view``)."""

_ALL: Final = _Columns([norm_header(a) for aliases in COLUMNS.values() for a in aliases])


def detect_kind(header: list[str]) -> str | None:
    """contacts / companies / deals from a normalised header, or None."""
    cols = set(header)
    if "deal name" in cols:
        return "deals"
    if cols & {"first name", "last name", "email", "email address"}:
        return "contacts"
    if cols & {"company name", "company domain name"}:
        return "companies"
    return None


@dataclass
class _Ctx:
    namespace: str
    dayfirst: bool
    company_by_name: dict[str, str] = field(default_factory=dict)  # slug -> id
    owners: set[str] = field(default_factory=set)
    placeholders: set[str] = field(default_factory=set)
    by_name: dict[str, str] = field(default_factory=dict)  # company name as written -> its id
    cols: _Columns = _ALL  # the current file's

    def ids(self, kind: str, raw: str) -> str:
        return ext_id(f"{self.namespace}:{kind}", raw)


def parse_hubspot(path: Path, *, namespace: str = "hubspot", dayfirst: bool = False) -> Iterator[Row]:
    """Parse one HubSpot export CSV, or a folder of them (classified by header)."""
    files = _classify(path)
    ctx = _Ctx(namespace, dayfirst)
    companies = files.get("companies", [])
    refused: dict[Path, set[int]] = {}
    for file in companies:
        refused[file] = set()
        yield from _pass(file, "companies", ctx, nodes=True, links=False, refused=refused[file])
    for file in companies:
        yield from _pass(file, "companies", ctx, nodes=False, links=True, refused=refused[file])
    for kind in ("contacts", "deals"):
        for file in files.get(kind, []):
            yield from _pass(file, kind, ctx, nodes=True, links=True, refused=set())


def _classify(path: Path) -> dict[str, list[Path]]:
    candidates = [path] if path.is_file() else sorted(path.glob("*.csv")) if path.is_dir() else []
    if not candidates:
        raise InvalidInput(f"{path} is not a CSV file or a folder of CSV files")
    files: dict[str, list[Path]] = {}
    for file in candidates:
        kind = detect_kind(read_header(file))
        if kind is None:
            if path.is_file():
                raise InvalidInput(
                    f"{file.name}: not a HubSpot contacts, companies or deals export (header not recognised)"
                )
            continue
        files.setdefault(kind, []).append(file)
    return files


def _pass(file: Path, kind: str, ctx: _Ctx, *, nodes: bool, links: bool, refused: set[int]) -> Iterator[Row]:
    """One read of ``file``: its nodes, its links, or both record by record.

    A links-only pass skips the records the nodes pass refused (their line numbers in ``refused``)
    instead of building and checking them again.
    """
    label = LABEL[kind]
    source = file.name
    ctx.cols = cols = _Columns(read_header(file))
    for rec in iter_csv(file, label=label):
        if isinstance(rec, Reject):
            if nodes:
                yield rec
            continue
        v = cols.view(rec)
        record_id = v.get("id")
        if record_id is None:
            if nodes:
                yield Reject(source, rec.location, "no Record ID", rec.raw, label)
            continue
        own_id = ctx.ids(SINGULAR[kind], record_id)
        if not nodes:
            if rec.line not in refused:
                yield from _links(kind, rec, v, own_id, ctx, source)
            continue
        node, problems, reason = _node(kind, v, own_id, ctx)
        if node is None:
            refused.add(rec.line)
            yield Reject(source, rec.location, reason, rec.raw, label)
            continue
        if not problems and fast_valid(node):  # ``emit_node``'s answer for most records, without its generators
            yield node
            kept = True
        else:
            kept = False
            for row in emit_node(node, source, rec.location, rec.raw, problems):
                kept = kept or isinstance(row, NodeRow)
                yield row
        if not kept:
            refused.add(rec.line)
        elif links and kind == "contacts" and (known := _known_companies(v, ctx)) is not None:
            yield from _works_at(v, own_id, known)  # ``_links`` of a contact with nothing to yield first
        elif links:
            yield from _links(kind, rec, v, own_id, ctx, source)


def _node(kind: str, v: View, own_id: str, ctx: _Ctx) -> tuple[NodeRow | None, list[str], str]:
    problems: list[str] = []
    if kind == "companies":
        name = v.get("company_name")
        if name is None:
            return None, problems, "company has no name"
        ctx.company_by_name.setdefault(slug(name), own_id)
        return NodeRow("Account", own_id, _company_props(v, name, problems)), problems, ""
    if kind == "contacts":
        props = _contact_props(v)
        if "name" not in props:
            return None, problems, "contact has no name and no email"
        return NodeRow("Contact", own_id, props), problems, ""
    name = v.get("deal_name")
    if name is None:
        return None, problems, "deal has no Deal Name"
    return NodeRow("Deal", own_id, _deal_props(v, name, ctx, problems)), problems, ""


def _company_props(v: View, name: str, problems: list[str]) -> dict[str, object]:
    return without_none(
        {
            "name": name,
            "domain": optional(domain_from_url, v.get("domain"), "domain", problems),
            "industry": v.get("industry"),
            "city": v.get("city"),
            "country": v.get("country"),
            "employees": optional(parse_int, v.get("employees"), "employees", problems),
            "annual_revenue": optional(parse_float, v.get("revenue"), "annual revenue", problems),
            "year_established": optional(parse_int, v.get("founded"), "year founded", problems),
        }
    )


def _contact_props(v: View) -> dict[str, object]:
    """``without_none`` of the contact's props, built without the Nones (values are non-empty or
    None: ``_Columns.get``); the hot loop of a contacts export."""
    first, last, email = v.get("first_name"), v.get("last_name"), v.get("email")
    name = f"{first} {last}" if first and last else first or last or email
    props: dict[str, object] = {} if name is None else {"name": name}
    if first is not None:
        props["first_name"] = first
    if last is not None:
        props["last_name"] = last
    if email is not None:
        props["email"] = normalise_email(email) or email
    for prop, key in _CONTACT_TEXT:
        value = v.get(key)
        if value is not None:
            props[prop] = value
    lifecycle, lead_status = v.get("lifecycle"), v.get("lead_status")
    if lifecycle is not None or lead_status is not None:
        props["custom"] = without_none({"lifecycle_stage": lifecycle, "lead_status": lead_status})
    return props


_CONTACT_TEXT: Final = (("phone", "phone"), ("title", "title"), ("city", "city"), ("country", "country"),
                        ("linkedin_url", "linkedin"))  # fmt: skip


def deal_status(stage: str | None) -> str:
    """HubSpot's default pipeline: ``closedwon``/"Closed Won" and ``closedlost``/"Closed Lost"."""
    key = (stage or "").lower().replace(" ", "")
    return "won" if key == "closedwon" else "lost" if key == "closedlost" else "open"


def _deal_props(v: View, name: str, ctx: _Ctx, problems: list[str]) -> dict[str, object]:
    created = optional(
        lambda v: parse_datetime(v, dayfirst=ctx.dayfirst), v.get("create_date"), "create date", problems
    )
    stage = v.get("stage")
    currency = v.get("currency")
    return without_none(
        {
            "name": name,
            "stage": stage,
            "status": deal_status(stage),
            "amount": optional(parse_float, v.get("amount"), "amount", problems),
            "currency": currency.upper() if currency else None,
            "close_date": optional(
                lambda v: parse_date(v, dayfirst=ctx.dayfirst), v.get("close_date"), "close date", problems
            ),
            "created_on": created.date() if created else None,
            "custom": without_none({"pipeline": v.get("pipeline")}),
        }
    )


# --- relationships -------------------------------------------------------------------------------
def _links(kind: str, rec: CsvRecord, v: View, own_id: str, ctx: _Ctx, source: str) -> Iterator[Row]:
    owner = v.get("owner")
    if kind == "companies":
        yield from _parent(rec, v, own_id, ctx, source)
        if owner:
            yield from _owner(owner, "Account", own_id, ctx, source, rec)
        return
    companies = yield from _companies(rec, v, ctx, source)
    if kind == "contacts":
        yield from _works_at(v, own_id, companies)
        return
    for company in companies:
        yield RelRow("FOR_ACCOUNT", "Deal", own_id, "Account", company)
    for contact in split_list(v.get("contact_ids")):
        yield RelRow("ON_DEAL", "Contact", ctx.ids("contact", contact), "Deal", own_id, {"role": "influencer"})
    if owner:
        yield from _owner(owner, "Deal", own_id, ctx, source, rec)


def _works_at(v: View, own_id: str, companies: list[str]) -> list[RelRow]:
    title = v.get("title")
    return [RelRow("WORKS_AT", "Contact", own_id, "Account", c, {"title": title} if title else {}) for c in companies]


def _known_companies(v: View, ctx: _Ctx) -> list[str] | None:
    """``_companies``' answer when it has nothing to yield (ids given, or every name seen before);
    None when it may have (a company known only by name, met for the first time)."""
    raw_ids = v.get("company_ids")
    if raw_ids is not None and (ids := split_list(raw_ids)):
        return [ctx.ids("company", raw) for raw in ids]
    names = split_list(v.get("company_names"), ";") or split_list(v.get("company_text"), ";")
    out: list[str] = []
    for name in names:
        found = ctx.by_name.get(name)
        if found is None:
            return None
        out.append(found)
    return out


def _parent(rec: CsvRecord, v: View, own_id: str, ctx: _Ctx, source: str) -> Iterator[Row]:
    parent = v.get("parent")
    if not parent:
        return
    parent_id = ctx.ids("company", parent) if parent.isdigit() else ctx.company_by_name.get(slug(parent))
    if parent_id is None:
        yield Reject(
            source, rec.location, f"parent company {parent!r} not found by id or name", rec.raw, "SUBSIDIARY_OF"
        )
        return
    if parent_id != own_id:
        yield RelRow("SUBSIDIARY_OF", "Account", own_id, "Account", parent_id)


def _companies(rec: CsvRecord, v: View, ctx: _Ctx, source: str) -> Generator[Row, None, list[str]]:
    """Company ids for a contact/deal: by association ids, else names (placeholder if unknown).

    A generator that *returns* the ids (placeholder nodes and notes are yielded on the way).
    """
    ids = [ctx.ids("company", raw) for raw in split_list(v.get("company_ids"))]
    if ids:
        return ids
    names = split_list(v.get("company_names"), ";") or split_list(v.get("company_text"), ";")
    for name in names:
        found = ctx.by_name.get(name)
        if found is None:
            found = ctx.company_by_name.get(slug(name))
            if found is None:
                found = name_id(f"{ctx.namespace}:company-name", name)
                if found not in ctx.placeholders:
                    ctx.placeholders.add(found)
                    note = f"company {name!r} known only by name; created as {found}"
                    yield Note(source, rec.location, note, "company_by_name", "Account")
                    yield from emit_node(NodeRow("Account", found, {"name": name}), source, rec.location, rec.raw)
            ctx.by_name[name] = found  # companies files are all read by now: the answer stays
        ids.append(found)
    return ids


def _owner(owner: str, label: str, target: str, ctx: _Ctx, source: str, rec: CsvRecord) -> Iterator[Row]:
    address = normalise_email(owner) if "@" in owner else None
    rep_id = ext_id("email", address) if address else name_id(f"{ctx.namespace}:owner", owner)
    if rep_id not in ctx.owners:
        ctx.owners.add(rep_id)
        name = owner.split("(")[0].strip() or owner
        props = without_none({"name": name if not address else owner, "email": address})
        yield from emit_node(NodeRow("Rep", rep_id, props), source, rec.location, rec.raw)
    yield RelRow("OWNS", "Rep", rep_id, label, target)
