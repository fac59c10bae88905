"""Maven Analytics "CRM Sales Opportunities" (a folder of four CSVs) -> rows.

Files: ``products.csv``, ``accounts.csv`` (``subsidiary_of`` -> SUBSIDIARY_OF), ``sales_teams.csv``
(agents and their managers -> Rep, REPORTS_TO), ``sales_pipeline.csv`` (-> Deal, FOR_ACCOUNT,
OWNS, INCLUDES). The small files are read first and kept in memory (tens of rows, needed to resolve
the pipeline's references by name); the pipeline is streamed.

The data set's deliberate quirks become report entries:

- a deal with no account is kept, without FOR_ACCOUNT, and noted (``deal_without_account``);
- the pipeline's ``GTXPro`` matches products.csv's ``GTX Pro``: products are matched by
  ``compact`` name and the normalisation is noted (``product_name_normalised``);
- sector ``technolgy`` becomes ``technology`` (``sector_corrected``); the country ``Philipines``
  becomes ``Philippines`` (``country_corrected``).

Ids: ``maven:acct:<slug>``, ``maven:product:<compact>``, ``maven:rep:<slug>``,
``maven:deal:<opportunity_id>``. Amounts: ``revenue`` is in millions of USD in the source and
stored in USD.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from importers.common import emit_node, require_dir, without_none
from importers.csvio import CsvRecord, iter_csv
from importers.rows import NodeRow, Note, Reject, RelRow, Row, compact, ext_id, name_id, slug
from importers.values import optional, parse_date, parse_float, parse_int

FILES: Final = ("products.csv", "accounts.csv", "sales_teams.csv", "sales_pipeline.csv")
CORRECTIONS: Final[dict[str, dict[str, str]]] = {
    "industry": {"technolgy": "technology", "techology": "technology", "telecomunications": "telecommunications"},
    "country": {"philipines": "Philippines", "phillipines": "Philippines"},
}
CORRECTION_CODES: Final = {"industry": "sector_corrected", "country": "country_corrected"}
STATUS: Final = {"won": "won", "lost": "lost"}


@dataclass
class _State:
    """What the pipeline needs from the small files: name -> id maps, and what was yielded."""

    namespace: str
    products: dict[str, tuple[str, str]] = field(default_factory=dict)  # compact name -> (id, name)
    accounts: dict[str, str] = field(default_factory=dict)  # slug -> id
    account_names: dict[str, str] = field(default_factory=dict)  # slug -> first raw name
    reps: set[str] = field(default_factory=set)

    def account_id(self, name: str) -> str:
        return name_id(f"{self.namespace}:acct", name)

    def rep_id(self, name: str) -> str:
        return name_id(f"{self.namespace}:rep", name)

    def product_id(self, name: str) -> str:
        return ext_id(f"{self.namespace}:product", compact(name) or name)


def parse_maven(path: Path, *, namespace: str = "maven") -> Iterator[Row]:
    """Parse a Maven CRM folder; missing files are reported as rejects, the rest still parsed."""
    folder = require_dir(path)
    state = _State(namespace)
    for name in FILES:
        if not (folder / name).is_file():
            yield Reject(name, "file", f"{name} not found in {folder}", "")
    if (folder / "products.csv").is_file():
        yield from _products(folder / "products.csv", state)
    if (folder / "accounts.csv").is_file():
        yield from _accounts(folder / "accounts.csv", state)
    if (folder / "sales_teams.csv").is_file():
        yield from _teams(folder / "sales_teams.csv", state)
    if (folder / "sales_pipeline.csv").is_file():
        yield from _pipeline(folder / "sales_pipeline.csv", state)


# --- products ------------------------------------------------------------------------------------
def _products(path: Path, state: _State) -> Iterator[Row]:
    for rec in iter_csv(path, label="Product"):
        if isinstance(rec, Reject):
            yield rec
            continue
        name = rec.get("product")
        if name is None:
            yield Reject(path.name, rec.location, "no product name", rec.raw, "Product")
            continue
        problems: list[str] = []
        props = without_none(
            {
                "name": name,
                "series": rec.get("series"),
                "list_price": optional(parse_float, rec.get("sales_price"), "sales_price", problems),
            }
        )
        row = NodeRow("Product", state.product_id(name), props)
        state.products[compact(name)] = (row.id, name)
        yield from emit_node(row, path.name, rec.location, rec.raw, problems)


# --- accounts ------------------------------------------------------------------------------------
def _accounts(path: Path, state: _State) -> Iterator[Row]:
    parents: list[tuple[CsvRecord, str, str]] = []  # (record, child id, parent name)
    for rec in iter_csv(path, label="Account"):
        if isinstance(rec, Reject):
            yield rec
            continue
        name = rec.get("account")
        if name is None:
            yield Reject(path.name, rec.location, "no account name", rec.raw, "Account")
            continue
        key = slug(name)
        if key in state.account_names and state.account_names[key] != name:
            msg = f"{name!r} and {state.account_names[key]!r} are treated as the same account"
            yield Note(path.name, rec.location, msg, "name_collision", "Account")
        state.account_names.setdefault(key, name)
        row, problems, notes = _account_row(rec, name, state, path.name)
        yield from notes
        state.accounts[key] = row.id
        yield from emit_node(row, path.name, rec.location, rec.raw, problems)
        parent = rec.get("subsidiary_of")
        if parent:
            parents.append((rec, row.id, parent))
    for rec, child_id, parent in parents:
        parent_id = state.accounts.get(slug(parent))
        if parent_id is None:
            reason = f"subsidiary_of {parent!r} is not in {path.name}; link not imported"
            yield Reject(path.name, rec.location, reason, rec.raw, "SUBSIDIARY_OF")
            continue
        yield RelRow("SUBSIDIARY_OF", "Account", child_id, "Account", parent_id)


def _account_row(rec: CsvRecord, name: str, state: _State, source: str) -> tuple[NodeRow, list[str], list[Note]]:
    problems: list[str] = []
    notes: list[Note] = []
    revenue = optional(parse_float, rec.get("revenue"), "revenue", problems)
    props = without_none(
        {
            "name": name,
            "industry": _corrected("industry", rec.get("sector"), source, rec.location, notes),
            "country": _corrected("country", rec.get("office_location"), source, rec.location, notes),
            "year_established": optional(parse_int, rec.get("year_established"), "year_established", problems),
            "employees": optional(parse_int, rec.get("employees"), "employees", problems),
            "annual_revenue": None if revenue is None else round(revenue * 1_000_000, 2),
        }
    )
    return NodeRow("Account", state.account_id(name), props), problems, notes


def _corrected(field_name: str, value: str | None, source: str, location: str, notes: list[Note]) -> str | None:
    """Apply the known-misspelling table to one field, noting each correction."""
    if value is None:
        return None
    fixed = CORRECTIONS[field_name].get(value.lower())
    if fixed is None:
        return value
    notes.append(
        Note(
            source, location, f"{field_name} {value!r} corrected to {fixed!r}", CORRECTION_CODES[field_name], "Account"
        )
    )
    return fixed


# --- sales teams ---------------------------------------------------------------------------------
def _teams(path: Path, state: _State) -> Iterator[Row]:
    for rec in iter_csv(path, label="Rep"):
        if isinstance(rec, Reject):
            yield rec
            continue
        agent = rec.get("sales_agent")
        if agent is None:
            yield Reject(path.name, rec.location, "no sales_agent", rec.raw, "Rep")
            continue
        office = rec.get("regional_office")
        agent_row = NodeRow("Rep", state.rep_id(agent), without_none({"name": agent, "region": office}))
        state.reps.add(agent_row.id)
        yield from emit_node(agent_row, path.name, rec.location, rec.raw)
        manager = rec.get("manager")
        if manager is None:
            continue
        manager_id = state.rep_id(manager)
        if manager_id not in state.reps:
            state.reps.add(manager_id)
            props = without_none({"name": manager, "region": office, "title": "Sales Manager"})
            yield from emit_node(NodeRow("Rep", manager_id, props), path.name, rec.location, rec.raw)
        yield RelRow("REPORTS_TO", "Rep", agent_row.id, "Rep", manager_id, {"source": "explicit"})


# --- pipeline ------------------------------------------------------------------------------------
def _pipeline(path: Path, state: _State) -> Iterator[Row]:
    for rec in iter_csv(path, label="Deal"):
        if isinstance(rec, Reject):
            yield rec
        else:
            yield from _deal(rec, state, path.name)


def _deal(rec: CsvRecord, state: _State, source: str) -> Iterator[Row]:
    opp = rec.get("opportunity_id")
    if opp is None:
        yield Reject(source, rec.location, "no opportunity_id", rec.raw, "Deal")
        return
    problems: list[str] = []
    product = rec.get("product")
    account = rec.get("account")
    stage = rec.get("deal_stage")
    amount = optional(parse_float, rec.get("close_value"), "close_value", problems)
    props = without_none(
        {
            "name": f"{account} - {product}" if account else f"{product or 'Deal'} ({opp})",
            "stage": stage,
            "status": STATUS.get((stage or "").lower(), "open"),
            "amount": amount,
            "currency": "USD",
            "created_on": optional(parse_date, rec.get("engage_date"), "engage_date", problems),
            "close_date": optional(parse_date, rec.get("close_date"), "close_date", problems),
        }
    )
    deal = NodeRow("Deal", ext_id(f"{state.namespace}:deal", opp), props)
    account_id = yield from _account_ref(account, rec, state, source)
    rep_id = yield from _rep_ref(rec.get("sales_agent"), rec, state, source)
    product_id = yield from _product_ref(product, rec, state, source)
    checked = list(emit_node(deal, source, rec.location, rec.raw, problems))
    yield from checked
    if not any(isinstance(r, NodeRow) for r in checked):
        return
    if account_id:
        yield RelRow("FOR_ACCOUNT", "Deal", deal.id, "Account", account_id)
    if rep_id:
        yield RelRow("OWNS", "Rep", rep_id, "Deal", deal.id)
    if product_id:
        yield RelRow("INCLUDES", "Deal", deal.id, "Product", product_id, without_none({"quantity": 1, "price": amount}))


def _account_ref(name: str | None, rec: CsvRecord, state: _State, source: str) -> Generator[Row, None, str | None]:
    """Resolve the deal's account by name; generator-return the id (None for no account)."""
    if name is None:
        yield Note(
            source, rec.location, "deal has no account; kept without FOR_ACCOUNT", "deal_without_account", "Deal"
        )
        return None
    account_id = state.accounts.get(slug(name))
    if account_id is None:
        account_id = state.account_id(name)
        state.accounts[slug(name)] = account_id
        yield Note(
            source,
            rec.location,
            f"account {name!r} not in accounts.csv; created by name",
            "placeholder_account",
            "Account",
        )
        yield from emit_node(NodeRow("Account", account_id, {"name": name}), source, rec.location, rec.raw)
    return account_id


def _rep_ref(name: str | None, rec: CsvRecord, state: _State, source: str) -> Generator[Row, None, str | None]:
    if name is None:
        yield Note(source, rec.location, "deal has no sales_agent; kept without OWNS", "deal_without_owner", "Deal")
        return None
    rep_id = state.rep_id(name)
    if rep_id not in state.reps:
        state.reps.add(rep_id)
        yield Note(
            source,
            rec.location,
            f"sales agent {name!r} not in sales_teams.csv; created by name",
            "placeholder_rep",
            "Rep",
        )
        yield from emit_node(NodeRow("Rep", rep_id, {"name": name}), source, rec.location, rec.raw)
    return rep_id


def _product_ref(name: str | None, rec: CsvRecord, state: _State, source: str) -> Generator[Row, None, str | None]:
    if name is None:
        yield Note(source, rec.location, "deal has no product; kept without INCLUDES", "deal_without_product", "Deal")
        return None
    known = state.products.get(compact(name))
    if known is None:
        product_id = state.product_id(name)
        state.products[compact(name)] = (product_id, name)
        yield Note(
            source,
            rec.location,
            f"product {name!r} not in products.csv; created by name",
            "placeholder_product",
            "Product",
        )
        yield from emit_node(NodeRow("Product", product_id, {"name": name}), source, rec.location, rec.raw)
        return product_id
    if known[1] != name:
        msg = f"product {name!r} matched {known[1]!r} (spaces and case ignored)"
        yield Note(source, rec.location, msg, "product_name_normalised", "Deal")
    return known[0]
