"""The graph schema in one place: labels, relationship types, their properties, and migrations.

Both backends read this module: Ladybug needs declared tables (it rejects unknown properties), Neo4j
gets uniqueness constraints and indexes. Every node carries ``tenant``, ``id`` and ``uid`` where
``uid = f"{tenant}/{id}"`` is the primary key: only the primary key is indexed on Ladybug, so a
lookup by (tenant, id) is a primary-key lookup and can never match another tenant's record.

Schema changes are migrations appended to ``MIGRATIONS``; a store applies the ones it has not
recorded yet (``SchemaVersion`` node), so setup is idempotent and versioned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final


class PType(StrEnum):
    """Property types, named as Ladybug spells them."""

    STRING = "STRING"
    INT = "INT64"
    FLOAT = "DOUBLE"
    BOOL = "BOOLEAN"
    TIMESTAMP = "TIMESTAMP"
    DATE = "DATE"
    STRINGS = "STRING[]"


@dataclass(frozen=True)
class NodeSpec:
    label: str
    props: dict[str, PType]

    @property
    def columns(self) -> dict[str, PType]:
        """All stored columns, the common ones first."""
        return {**COMMON_NODE_PROPS, **self.props}


@dataclass(frozen=True)
class RelSpec:
    type: str
    pairs: tuple[tuple[str, str], ...]
    props: dict[str, PType] = field(default_factory=dict)


# Every node: uid is the primary key; custom holds per-record custom fields as a JSON object.
COMMON_NODE_PROPS: Final[dict[str, PType]] = {
    "uid": PType.STRING,
    "tenant": PType.STRING,
    "id": PType.STRING,
    "created_at": PType.TIMESTAMP,
    "updated_at": PType.TIMESTAMP,
    "custom": PType.STRING,
}

ACCOUNT = NodeSpec(
    "Account",
    {
        "name": PType.STRING,
        "domain": PType.STRING,
        "industry": PType.STRING,
        "country": PType.STRING,
        "city": PType.STRING,
        "employees": PType.INT,
        "annual_revenue": PType.FLOAT,
        "year_established": PType.INT,
    },
)
CONTACT = NodeSpec(
    "Contact",
    {
        "name": PType.STRING,
        "first_name": PType.STRING,
        "last_name": PType.STRING,
        "email": PType.STRING,
        "other_emails": PType.STRINGS,
        "phone": PType.STRING,
        "title": PType.STRING,
        "department": PType.STRING,
        "city": PType.STRING,
        "country": PType.STRING,
        "linkedin_url": PType.STRING,
        "notes": PType.STRING,
    },
)
REP = NodeSpec(
    "Rep",
    {
        "name": PType.STRING,
        "email": PType.STRING,
        "other_emails": PType.STRINGS,
        "title": PType.STRING,
        "region": PType.STRING,
        "office": PType.STRING,
        "active": PType.BOOL,
    },
)
DEAL = NodeSpec(
    "Deal",
    {
        "name": PType.STRING,
        "stage": PType.STRING,
        "status": PType.STRING,
        "amount": PType.FLOAT,
        "currency": PType.STRING,
        "created_on": PType.DATE,
        "close_date": PType.DATE,
        "source": PType.STRING,
    },
)
INTERACTION = NodeSpec(
    "Interaction",
    {
        "kind": PType.STRING,
        "subject": PType.STRING,
        "body": PType.STRING,
        "occurred_at": PType.TIMESTAMP,
        "duration_min": PType.INT,
        "message_id": PType.STRING,
        "thread_id": PType.STRING,
        "in_reply_to": PType.STRING,
        "fingerprint": PType.STRING,
        "source": PType.STRING,
    },
)
PRODUCT = NodeSpec(
    "Product",
    {
        "name": PType.STRING,
        "series": PType.STRING,
        "list_price": PType.FLOAT,
    },
)
NODES: Final[dict[str, NodeSpec]] = {s.label: s for s in (ACCOUNT, CONTACT, REP, DEAL, INTERACTION, PRODUCT)}

PEOPLE: Final = (("Contact", "Contact"), ("Contact", "Rep"), ("Rep", "Contact"), ("Rep", "Rep"))

RELS: Final[dict[str, RelSpec]] = {
    r.type: r
    for r in (
        RelSpec(
            "WORKS_AT",
            (("Contact", "Account"),),
            {"title": PType.STRING, "department": PType.STRING, "since": PType.DATE, "until": PType.DATE},
        ),
        RelSpec(
            "REPORTS_TO",
            (("Contact", "Contact"), ("Rep", "Rep")),
            {"source": PType.STRING, "confidence": PType.FLOAT, "evidence": PType.STRING},
        ),
        RelSpec("SUBSIDIARY_OF", (("Account", "Account"),)),
        RelSpec("FOR_ACCOUNT", (("Deal", "Account"),)),
        RelSpec("OWNS", (("Rep", "Deal"), ("Rep", "Account"))),
        RelSpec("ON_DEAL", (("Contact", "Deal"),), {"role": PType.STRING}),
        RelSpec("INCLUDES", (("Deal", "Product"),), {"quantity": PType.INT, "price": PType.FLOAT}),
        RelSpec(
            "PARTICIPATED_IN",
            (("Contact", "Interaction"), ("Rep", "Interaction")),
            {"role": PType.STRING},
        ),
        RelSpec("ABOUT", (("Interaction", "Deal"), ("Interaction", "Account"))),
        RelSpec(
            "KNOWS",
            PEOPLE,
            {
                "strength": PType.FLOAT,
                "interactions": PType.INT,
                "last_at": PType.TIMESTAMP,
                "reciprocity": PType.FLOAT,
                "evidence": PType.STRING,
            },
        ),
    )
}

# Relationship types that must stay a forest: an edge that closes a cycle is refused.
ACYCLIC_RELS: Final = frozenset({"REPORTS_TO", "SUBSIDIARY_OF"})

DEAL_STATUSES: Final = ("open", "won", "lost")
DEAL_ROLES: Final = ("champion", "decision_maker", "economic_buyer", "influencer", "blocker", "user")
PARTICIPANT_ROLES: Final = ("from", "to", "cc", "bcc", "organizer", "attendee")
INTERACTION_KINDS: Final = ("email", "meeting", "call", "note")


@dataclass(frozen=True)
class Migration:
    """One schema version. ``nodes``/``rels`` are created; ``add_props`` adds columns later on."""

    version: int
    nodes: tuple[str, ...] = ()
    rels: tuple[str, ...] = ()
    add_props: tuple[tuple[str, str, PType], ...] = ()


# Internal bookkeeping, not part of the CRM model (not exported): a tombstone per deleted record,
# written in the delete's own transaction, so derived indexes (search) can catch up on deletes
# after a crash exactly as they catch up on writes through ``updated_at``.
TOMBSTONE = NodeSpec("Tombstone", {"label": PType.STRING, "record_id": PType.STRING, "deleted_at": PType.TIMESTAMP})
INTERNAL_NODES: Final[dict[str, NodeSpec]] = {TOMBSTONE.label: TOMBSTONE}

MIGRATIONS: Final[tuple[Migration, ...]] = (
    Migration(1, nodes=tuple(NODES), rels=tuple(RELS)),
    Migration(2, nodes=(TOMBSTONE.label,)),
)
SCHEMA_VERSION: Final = MIGRATIONS[-1].version

# The system database (API keys) has a schema of its own, never visible from a tenant's database.
API_KEY = NodeSpec(
    "ApiKey",
    {
        "key_tenant": PType.STRING,
        "role": PType.STRING,
        "secret_hash": PType.STRING,
        "name": PType.STRING,
        "revoked": PType.BOOL,
    },
)
SYSTEM_NODES: Final[dict[str, NodeSpec]] = {API_KEY.label: API_KEY}
SYSTEM_MIGRATIONS: Final[tuple[Migration, ...]] = (Migration(1, nodes=(API_KEY.label,)),)


def node_spec(label: str) -> NodeSpec:
    """The spec of a tenant or system label."""
    return NODES.get(label) or INTERNAL_NODES.get(label) or SYSTEM_NODES[label]


def uid(tenant: str, record_id: str) -> str:
    """The primary key of a record: tenant-qualified so no lookup can cross tenants."""
    return f"{tenant}/{record_id}"
