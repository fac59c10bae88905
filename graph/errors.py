"""The one exception tree of relgraph.

Every layer (storage adapters, services, search, importers, ML) raises from this tree; the API maps
classes to HTTP statuses in one table (``api/errors.py``). Backend errors are translated at the
adapter with ``raise ... from exc`` so the original stays on ``__cause__``.

    RelgraphError
    ├── NotFound                 404  a record, or a record of another tenant
    ├── Conflict                 409  duplicate id, cycle, concurrent write
    │   ├── DuplicateId
    │   └── CycleError
    ├── InvalidInput             400/422  input the service refuses after validation
    │   └── QuerySyntaxError     400  analyst Cypher the engine cannot parse
    ├── Forbidden                403  role may not, or a write through analyst Cypher
    │   └── ReadOnlyViolation
    ├── Unauthenticated          401
    ├── QueryTimeout             408  analyst query interrupted
    ├── NotReady                 409  e.g. scoring with no trained model
    ├── StoreUnavailable         503  backend down, locked by another process, or refusing
    └── StoreError               500  anything else the backend raised (a bug to report)
"""

from __future__ import annotations


class RelgraphError(Exception):
    """Root of every error relgraph raises on purpose."""

    def __init__(self, message: str, *, detail: object | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class NotFound(RelgraphError):
    """The record does not exist for this tenant (another tenant's record is also NotFound)."""


class Conflict(RelgraphError):
    """The write conflicts with what is stored."""


class DuplicateId(Conflict):
    """A record with this id already exists for this tenant."""


class CycleError(Conflict):
    """The edge would close a cycle in a relation that must stay a forest (REPORTS_TO, SUBSIDIARY_OF)."""


class InvalidInput(RelgraphError):
    """Well-formed input that the service refuses (bad reference, out-of-range value, ...)."""


class QuerySyntaxError(InvalidInput):
    """Analyst Cypher that the engine could not parse or bind; message is the engine's."""


class Forbidden(RelgraphError):
    """The caller's role may not do this."""


class ReadOnlyViolation(Forbidden):
    """A write attempted through a read-only channel (analyst Cypher)."""


class Unauthenticated(RelgraphError):
    """No credential, or one we do not know."""


class QueryTimeout(RelgraphError):
    """A query ran past its time limit and was interrupted."""


class NotReady(RelgraphError):
    """A prerequisite is missing (for instance no trained model); the message says what to run."""


class StoreUnavailable(RelgraphError):
    """The storage backend cannot be reached or refused the operation for reasons of its own."""


class StoreError(RelgraphError):
    """The backend failed in a way we did not anticipate; the cause is chained."""
