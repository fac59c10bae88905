"""API keys: hashed at rest, each bound to one tenant and one role, stored in the system database.

A key reads ``rg_<key id>_<secret>``. Only SHA-256 of the whole key is stored: keys are 256-bit
random strings, so a fast hash is enough (no password stretching needed) and the lookup is by the
key id, a primary key, followed by a constant-time comparison.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Final, Literal

from graph import schema
from graph.errors import InvalidInput, Unauthenticated
from graph.repositories import base
from graph.store import SYSTEM_TENANT, GraphStore, check_tenant

Role = Literal["admin", "analyst", "rep", "viewer"]
ROLES: Final[tuple[str, ...]] = ("admin", "analyst", "rep", "viewer")

GET_KEY: Final = "MATCH (k:ApiKey {uid: $uid}) RETURN k"
LIST_KEYS: Final = "MATCH (k:ApiKey) WHERE k.key_tenant = $tenant RETURN k ORDER BY k.created_at"
REVOKE_KEY: Final = "MATCH (k:ApiKey {uid: $uid}) SET k.revoked = true RETURN k.id AS id"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the tenant every query is scoped to, and what they may do."""

    tenant: str
    role: str
    key_id: str


@dataclass(frozen=True)
class NewKey:
    key: str  # shown once, never stored
    key_id: str
    tenant: str
    role: str


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(*, store: GraphStore, tenant: str, role: str, name: str = "") -> NewKey:
    check_tenant(tenant)
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    key_id = secrets.token_hex(6)
    key = f"rg_{key_id}_{secrets.token_urlsafe(32)}"
    now = base.now_utc()
    row = base.full_row(
        schema.API_KEY,
        SYSTEM_TENANT,
        key_id,
        {"key_tenant": tenant, "role": role, "secret_hash": _hash(key), "name": name, "revoked": False},
        created=now,
        updated=now,
    )
    store.ensure_tenant(tenant)
    store.bulk_insert_nodes(SYSTEM_TENANT, "ApiKey", [row])
    return NewKey(key=key, key_id=key_id, tenant=tenant, role=role)


def authenticate(*, store: GraphStore, key: str) -> Principal:
    """The principal of a key, or Unauthenticated (unknown, malformed or revoked keys alike)."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != "rg" or not parts[1]:
        raise Unauthenticated("invalid API key")
    rows = store.read(SYSTEM_TENANT, GET_KEY, {"uid": schema.uid(SYSTEM_TENANT, parts[1])})
    if not rows:
        raise Unauthenticated("invalid API key")
    k = rows[0]["k"]
    if k.get("revoked") or not hmac.compare_digest(str(k["secret_hash"]), _hash(key)):
        raise Unauthenticated("invalid API key")
    return Principal(tenant=str(k["key_tenant"]), role=str(k["role"]), key_id=str(k["id"]))


def list_keys(*, store: GraphStore, tenant: str) -> list[dict[str, object]]:
    rows = store.read(SYSTEM_TENANT, LIST_KEYS, {"tenant": tenant})
    return [
        {
            "key_id": r["k"]["id"],
            "role": r["k"]["role"],
            "name": r["k"]["name"],
            "revoked": r["k"]["revoked"],
            "created_at": r["k"]["created_at"],
        }
        for r in rows
    ]


def revoke_key(*, store: GraphStore, key_id: str) -> bool:
    return bool(store.write(SYSTEM_TENANT, REVOKE_KEY, {"uid": schema.uid(SYSTEM_TENANT, key_id)}))
