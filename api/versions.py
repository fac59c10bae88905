"""Every successful write through the API moves its tenant's version, whatever the route: the
cached views (org charts, account influence, hierarchy roll-ups) compare against it, so a user sees
their own write at once. Cheaper and harder to forget than a call in each router.

The route also says which parts of the cached account books the write can make stale (a deal
write: the deals; see ``graph.intelligence.hierarchy.STALE_AFTER``); a route not listed in
``ROUTE_LABELS``: all of them. Only here: every write through the API passes this way, and the
route says more than the labels the routers report (a contact's manager is no part of a roll-up).

Where the route names the people it changed (a contact's job or title, a contact created, upserted
or deleted, an interaction's contacts), the write also carries a ``WriteScope``: roll-ups then re-read
only those people's accounts.

A pure ASGI middleware: the version moves when the response starts (the write has committed), before
the client can read the response and ask again. POSTs that only read (analysts' Cypher, which the
engine runs read-only) leave it alone: a busy analyst would otherwise empty every cache all day.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.intelligence.hierarchy import PARTS, WriteScope, stale_after

SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
READ_ONLY_POSTS: Final = frozenset({"/cypher"})
# The routers whose writes touch only records of one label (and their links).
ROUTE_LABELS: Final = {
    "accounts": "Account",
    "contacts": "Contact",
    "deals": "Deal",
    "interactions": "Interaction",
    "products": "Product",
    "reps": "Rep",
}


# Set on the request's state by a route that knows accounts its write changed but that a roll-up
# could not find after it (a deleted contact's jobs): a list of account ids.
WORKED_AT: Final = "worked_at"
# Set by the interaction routes: the contacts that took part (a list of ids).
PEOPLE: Final = "people"
# Set by the create and batch routes of every resource: the ids written (read for contacts only).
RECORDS: Final = "records"
OnWrite = Callable[[str, frozenset[str], WriteScope | None], None]


class WriteVersions:
    def __init__(self, app: ASGIApp, on_write: OnWrite) -> None:
        self.app = app
        self.on_write = on_write

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS or _read_only(scope):
            await self.app(scope, receive, send)
            return

        async def send_moving_version(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                state: dict[str, Any] = scope.get("state") or {}
                tenant = state.get("tenant")
                if isinstance(tenant, str):
                    method, path = scope["method"], scope.get("path", "")
                    self.on_write(tenant, stale_parts(method, path), write_scope(method, path, state))
            await send(message)

        await self.app(scope, receive, send_moving_version)


def _read_only(scope: Scope) -> bool:
    return scope["method"] == "POST" and scope.get("path", "").rstrip("/") in READ_ONLY_POSTS


def stale_parts(method: str, path: str) -> frozenset[str]:
    """The account-book parts that a write to this route can make stale."""
    segments = path.strip("/").split("/")
    label = ROUTE_LABELS.get(segments[0])
    if label is None or (label == "Account" and method == "DELETE" and len(segments) == 2):
        return PARTS  # deleting an account: its id may come back and must not inherit old figures
    if label == "Contact":
        return _contact_parts(method, segments)
    return stale_after([label])


def _contact_parts(method: str, segments: list[str]) -> frozenset[str]:
    """A contact's jobs and its deletion count in every part about people; its own fields only
    through its title (seniority, where the job has no title); its manager in none."""
    below = segments[2] if len(segments) > 2 else None
    if below == "manager":
        return frozenset()
    if below == "employments" or method == "DELETE":
        return stale_after(["Contact"])
    return CONTACT_FIELDS


CONTACT_FIELDS: Final = frozenset({"staff", "coverage"})


def write_scope(method: str, path: str, state: Mapping[str, Any]) -> WriteScope | None:
    """The people (or accounts) a write to this route changed, where the route says. Contacts: the
    one in the path for its jobs and own fields; for a deleted contact, the accounts its route read
    before deleting it (``WORKED_AT``); for creates and batches, the ids written (``RECORDS``).
    Interactions: their contacts (``PEOPLE``). None: not known (other routes)."""
    segments = path.strip("/").split("/")
    if segments[0] == "interactions":
        return _named(state.get(PEOPLE))
    if segments[0] != "contacts":
        return None  # the ids other routes write are no people: never read as such
    if len(segments) == 1 or segments[1] == "batch-upsert":
        return _named(state.get(RECORDS))
    contact, below = segments[1], segments[2] if len(segments) > 2 else None
    if below == "employments":  # DELETE .../employments/{account}: that line is gone after the write
        return WriteScope(contacts=frozenset({contact}), accounts=frozenset(segments[3:4]))
    if below is not None:
        return None
    if method == "DELETE":
        worked_at = state.get(WORKED_AT)
        return None if worked_at is None else WriteScope(accounts=frozenset(worked_at))
    return WriteScope(contacts=frozenset({contact}))


def _named(people: Any) -> WriteScope | None:
    return None if people is None else WriteScope(contacts=frozenset(people))
