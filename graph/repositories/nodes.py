"""A typed facade over ``base`` for one label: the CRUD every aggregate shares.

Aggregate modules create one ``NodeRepository`` each and add their relationship operations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from graph.repositories import base
from graph.store import GraphStore

O = TypeVar("O", bound=BaseModel)  # noqa: E741


@dataclass(frozen=True)
class NodeRepository(Generic[O]):
    label: str
    out: type[O]

    def get(self, *, store: GraphStore, tenant: str, record_id: str) -> O:
        return self.out.model_validate(base.get_node(store=store, tenant=tenant, label=self.label, record_id=record_id))

    def require(self, *, store: GraphStore, tenant: str, record_id: str) -> str:
        return base.require(store=store, tenant=tenant, label=self.label, record_id=record_id)

    def create(self, *, store: GraphStore, tenant: str, data: BaseModel) -> O:
        fields = data.model_dump(exclude_none=True)
        node = base.create_node(store=store, tenant=tenant, label=self.label, fields=fields)
        return self.out.model_validate(node)

    def update(self, *, store: GraphStore, tenant: str, record_id: str, data: BaseModel) -> O:
        changes = {k: getattr(data, k) for k in data.model_fields_set}
        changes = {k: v.model_dump() if isinstance(v, BaseModel) else v for k, v in changes.items()}
        node = base.update_node(store=store, tenant=tenant, label=self.label, record_id=record_id, changes=changes)
        return self.out.model_validate(node)

    def delete(self, *, store: GraphStore, tenant: str, record_id: str) -> None:
        base.delete_node(store=store, tenant=tenant, label=self.label, record_id=record_id)

    def list(
        self,
        *,
        store: GraphStore,
        tenant: str,
        filters: Mapping[str, Any] | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> tuple[list[O], str | None]:
        rows, nxt = base.list_nodes(
            store=store, tenant=tenant, label=self.label, filters=filters, cursor=cursor, limit=limit
        )
        return [self.out.model_validate(r) for r in rows], nxt

    def upsert(
        self,
        *,
        store: GraphStore,
        tenant: str,
        rows: Sequence[Mapping[str, Any]],
        defaults: Mapping[str, Any] | None = None,
    ) -> base.UpsertResult:
        return base.upsert_nodes(store=store, tenant=tenant, label=self.label, rows=rows, defaults=defaults)
