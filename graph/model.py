"""Pydantic domain types: what the services accept and return.

Three shapes per entity:
- ``XCreate``: a new record; unknown fields are refused (no mass assignment); ``id`` is optional and,
  when given, is the caller's external id (unique per tenant; the key of batch upserts).
- ``XUpdate``: a partial update; only the fields sent are changed (``model_fields_set``).
- ``X``: a stored record, with ``id``, ``created_at``, ``updated_at``.

Timestamps are timezone-aware UTC; naive datetimes given by callers are taken as UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

RecordId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:@\-]*$"),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
LongText = Annotated[str, StringConstraints(max_length=100_000)]


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]
# Addresses are matched case-insensitively everywhere (importers, dedupe): store them lowercased.
Email = Annotated[EmailStr, AfterValidator(str.lower)]
DealStatus = Literal["open", "won", "lost"]
DealRole = Literal["champion", "decision_maker", "economic_buyer", "influencer", "blocker", "user"]
ParticipantRole = Literal["from", "to", "cc", "bcc", "organizer", "attendee"]
InteractionKind = Literal["email", "meeting", "call", "note"]
Money = Annotated[float, Field(ge=0, le=1e13)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    created_at: datetime
    updated_at: datetime
    custom: dict[str, Any] = Field(default_factory=dict)


class _CreateBase(_In):
    id: RecordId | None = Field(default=None, description="External id; generated when omitted.")
    custom: dict[str, Any] = Field(default_factory=dict, description="Custom fields (JSON object).")


class _UpdateBase(_In):
    custom: dict[str, Any] | None = None


# --- Account -------------------------------------------------------------------------------------
class _AccountFields(BaseModel):
    domain: ShortText | None = None
    industry: ShortText | None = None
    country: ShortText | None = None
    city: ShortText | None = None
    employees: Annotated[int, Field(ge=0, le=10_000_000)] | None = None
    annual_revenue: Money | None = None
    year_established: Annotated[int, Field(ge=1000, le=2100)] | None = None


class AccountCreate(_CreateBase, _AccountFields):
    name: Name

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "Acme Corporation", "domain": "acme.com", "industry": "retail"}]},
    )


class AccountUpdate(_UpdateBase, _AccountFields):
    name: Name | None = None


class Account(_Out, _AccountFields):
    name: str


# --- Contact -------------------------------------------------------------------------------------
class _ContactFields(BaseModel):
    first_name: ShortText | None = None
    last_name: ShortText | None = None
    email: Email | None = None
    other_emails: list[Email] = Field(default_factory=list, max_length=50)
    phone: ShortText | None = None
    title: ShortText | None = None
    department: ShortText | None = None
    city: ShortText | None = None
    country: ShortText | None = None
    linkedin_url: ShortText | None = None
    notes: LongText | None = None


class ContactCreate(_CreateBase, _ContactFields):
    name: Name

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "Ada Lovelace", "email": "ada@acme.com", "title": "CTO"}]},
    )


class ContactUpdate(_UpdateBase, _ContactFields):
    name: Name | None = None
    other_emails: list[Email] | None = None  # type: ignore[assignment]


class Contact(_Out, _ContactFields):
    name: str
    email: str | None = None  # type: ignore[assignment]  # stored data may predate validation
    other_emails: list[str] = Field(default_factory=list)  # type: ignore[assignment]


# --- Rep -----------------------------------------------------------------------------------------
class _RepFields(BaseModel):
    email: Email | None = None
    other_emails: list[Email] = Field(default_factory=list, max_length=50)
    title: ShortText | None = None
    region: ShortText | None = None
    office: ShortText | None = None
    active: bool = True


class RepCreate(_CreateBase, _RepFields):
    name: Name

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "Moses Frase", "region": "Central"}]}
    )


class RepUpdate(_UpdateBase, _RepFields):
    name: Name | None = None
    other_emails: list[Email] | None = None  # type: ignore[assignment]
    active: bool | None = None  # type: ignore[assignment]


class Rep(_Out, _RepFields):
    name: str
    email: str | None = None  # type: ignore[assignment]
    other_emails: list[str] = Field(default_factory=list)  # type: ignore[assignment]


# --- Deal ----------------------------------------------------------------------------------------
class _DealFields(BaseModel):
    stage: ShortText | None = None
    status: DealStatus = "open"
    amount: Money | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "USD"
    created_on: date | None = None
    close_date: date | None = None
    source: ShortText | None = None


class DealCreate(_CreateBase, _DealFields):
    name: Name

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "Acme - GTX Pro", "stage": "Engaging", "amount": 4821.0}]},
    )


class DealUpdate(_UpdateBase, _DealFields):
    name: Name | None = None
    status: DealStatus | None = None  # type: ignore[assignment]
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None  # type: ignore[assignment]


class Deal(_Out, _DealFields):
    name: str


# --- Interaction ---------------------------------------------------------------------------------
class _InteractionFields(BaseModel):
    subject: Annotated[str, StringConstraints(max_length=1000)] | None = None
    body: LongText | None = None
    duration_min: Annotated[int, Field(ge=0, le=100_000)] | None = None
    message_id: Annotated[str, StringConstraints(max_length=1000)] | None = None
    thread_id: Annotated[str, StringConstraints(max_length=1000)] | None = None
    in_reply_to: Annotated[str, StringConstraints(max_length=1000)] | None = None
    fingerprint: Annotated[str, StringConstraints(max_length=200)] | None = None
    source: ShortText | None = None


class InteractionCreate(_CreateBase, _InteractionFields):
    kind: InteractionKind
    occurred_at: UtcDatetime

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"kind": "meeting", "subject": "Quarterly review", "occurred_at": "2026-11-02T15:00:00Z"}]
        },
    )


class InteractionUpdate(_UpdateBase, _InteractionFields):
    kind: InteractionKind | None = None
    occurred_at: UtcDatetime | None = None


class Interaction(_Out, _InteractionFields):
    kind: str
    occurred_at: datetime


# --- Product -------------------------------------------------------------------------------------
class _ProductFields(BaseModel):
    series: ShortText | None = None
    list_price: Money | None = None


class ProductCreate(_CreateBase, _ProductFields):
    name: Name

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "GTX Pro", "series": "GTX", "list_price": 4821}]}
    )


class ProductUpdate(_UpdateBase, _ProductFields):
    name: Name | None = None


class Product(_Out, _ProductFields):
    name: str


# --- Relationship operations ---------------------------------------------------------------------
class Employment(_In):
    """Put a contact at an account: ``(:Contact)-[:WORKS_AT]->(:Account)``."""

    account_id: RecordId
    title: ShortText | None = None
    department: ShortText | None = None
    since: date | None = None
    until: date | None = None


class EmploymentOut(BaseModel):
    account_id: str
    account_name: str | None = None
    title: str | None = None
    department: str | None = None
    since: date | None = None
    until: date | None = None


class ManagerLink(_In):
    """Set a manager: ``(:Contact)-[:REPORTS_TO {source: 'explicit'}]->(:Contact)`` (or Rep -> Rep)."""

    manager_id: RecordId


class ParentLink(_In):
    """Set a parent account: ``(:Account)-[:SUBSIDIARY_OF]->(:Account)``."""

    parent_id: RecordId


class DealContact(_In):
    """Add a contact to a deal with a buying role."""

    contact_id: RecordId
    role: DealRole


class Participant(_In):
    """A person in an interaction: a contact or one of our reps."""

    person_id: RecordId
    kind: Literal["contact", "rep"] = "contact"
    role: ParticipantRole


class InteractionRecord(InteractionCreate):
    """Record an interaction with its participants (and optional deal/account it is about)."""

    participants: list[Participant] = Field(min_length=1, max_length=500)
    about_deal_id: RecordId | None = None
    about_account_id: RecordId | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "email",
                    "subject": "Pricing follow-up",
                    "occurred_at": "2026-11-02T15:00:00Z",
                    "participants": [
                        {"person_id": "rep-1", "kind": "rep", "role": "from"},
                        {"person_id": "c-42", "kind": "contact", "role": "to"},
                    ],
                }
            ]
        },
    )


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list; pass ``next_cursor`` back as ``cursor`` for the next page."""

    items: list[T]
    next_cursor: str | None = None
