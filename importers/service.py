"""Import a file into a tenant: parser -> ``run_import`` -> ``StoreRowWriter``, with a report.

``import_file`` is what the CLI (``relgraph import``) and the API's background jobs
(``importers.jobs``) run. It checks the format and the options before anything is read
(``InvalidInput`` for a caller error: unknown format, missing path, unknown option, bad mapping), and
never raises for bad *data*: a bad record is a reject (line/message number and reason, streamed to
``rejects_path`` as JSON lines), a fixed one a note.

Idempotent and crash-safe: ids are deterministic per source, every write is an upsert, so running
the same import twice changes nothing (second run: created 0, updated 0) and an import killed half
way and run again ends in the same state as one clean run. Placeholder names (a person seen only by
address) never overwrite a stored name (``graph.repositories.bulk``).

Email and calendars:

- ``own_domains`` (option) makes the tenant's own people ``Rep`` nodes, everyone else ``Contact``;
- the same message seen twice is one interaction, across runs too: the parser's ``EmailDedupe``
  catches copies within a run, and is seeded here with the fingerprints already stored, so a copy
  under a new Message-ID of a message imported last week is counted as ``merged``, not written;
- afterwards ``KNOWS`` is refreshed for the people who took part (``importers.knows``); the report
  counts those edges under ``rels["KNOWS"]``.
"""

from __future__ import annotations

import gc
import inspect
import logging
import os
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

from pydantic import ValidationError

from graph.errors import InvalidInput, RelgraphError
from graph.repositories.bulk import SPOOL_ROWS, Recyclable, StoreRowWriter
from graph.store import GraphStore, check_tenant
from importers import PARSERS
from importers.columns import Item, NodeColumns, RelColumns
from importers.csv_mapped import CsvMapping, load_mapping
from importers.email import EmailDedupe
from importers.knows import StreamEvents, refresh_knows
from importers.people import UNRESOLVED
from importers.pipeline import run_import
from importers.prefetch import parse_in_child
from importers.report import ImportReport
from importers.rows import NodeRow, Reject, is_record_id

log = logging.getLogger(__name__)

# Rows per write batch. The engine pays ~0.1 s per write statement on top of its per-row cost, so
# records come in batches of 20k (the 1M-row HubSpot bench: node inserts 2.8x faster than at 5k);
# mail and calendars keep 5k (their rows carry bodies, and a batch is held in memory).
BATCH_SIZE: Final = 20_000
MAIL_BATCH_SIZE: Final = 5000
PROGRESS_EVERY: Final = 2000
FINGERPRINT_PAGE: Final = 50_000
PARALLEL_MIN_BYTES: Final = 16 * 1024 * 1024
# How far a parser process may run ahead of a spooling writer, in pickled rows (~110 bytes a CSV row):
# a flush of held rows (``SPOOL_ROWS``) takes seconds, during which the parser keeps going.
PARSE_AHEAD_MB: Final = 64
# The collector's first threshold during spooled imports (and in their parser process): rows are
# millions of short-lived dicts, and at Python's default (700 allocations) the collector took ~17%
# of a 1M-row HubSpot import (37.3 s -> 30.8 s at 100k). Only raised, and put back afterwards.
GC_GEN0: Final = 100_000
KNOWS_FORMATS: Final = frozenset({"email", "ics"})
PEOPLE_FORMATS: Final = frozenset({"email", "ics"})
INTERNAL_OPTIONS: Final = frozenset({"dedupe"})
STORED_FINGERPRINTS: Final = (
    "MATCH (i:Interaction) WHERE i.tenant = $tenant AND i.uid > $after AND i.fingerprint IS NOT NULL "
    "RETURN i.uid AS uid, i.id AS id, i.fingerprint AS fp ORDER BY i.uid LIMIT $limit"
)


@dataclass(frozen=True)
class ImportProgress:
    """Where an import is: rows out of the parser so far, rejects among them, and the stage."""

    rows: int
    rejected: int
    stage: str  # "reading" (parse + write), "relationships" (KNOWS refresh), "done"


Progress = Callable[[ImportProgress], None]


# --- options -------------------------------------------------------------------------------------
def formats() -> list[str]:
    return list(PARSERS)


def allowed_options(fmt: str) -> list[str]:
    """The option names a format's parser takes (``InvalidInput`` for an unknown format)."""
    parser = PARSERS.get(fmt)
    if parser is None:
        raise InvalidInput(f"unknown import format {fmt!r}; one of {', '.join(PARSERS)}")
    params = inspect.signature(parser).parameters.values()
    return [p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name not in INTERNAL_OPTIONS]


def _domains(value: Any) -> list[str]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple | set | frozenset) or not all(isinstance(d, str) for d in items):
        raise InvalidInput("own_domains must be a list of domain names")
    domains = [d.strip().lower().lstrip("@") for d in items if d.strip()]
    bad = [d for d in domains if "." not in d or any(c.isspace() or c in "/@" for c in d)]
    if bad:
        raise InvalidInput(f"own_domains: {bad[0]!r} is not a domain name")
    return domains


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidInput(f"{name} must be a positive integer")
    try:
        number = int(value)
    except ValueError as exc:
        raise InvalidInput(f"{name} must be a positive integer") from exc
    if number <= 0:
        raise InvalidInput(f"{name} must be a positive integer")
    return number


def _mapping(value: Any) -> CsvMapping:
    if isinstance(value, CsvMapping):
        return value
    if isinstance(value, str | Path):
        return load_mapping(Path(value))
    if isinstance(value, Mapping):
        try:
            return CsvMapping.model_validate(value)
        except ValidationError as exc:
            raise InvalidInput(f"invalid mapping: {exc.errors()[0]['msg']}", detail=str(exc)) from exc
    raise InvalidInput("mapping must be a JSON object or the path of a mapping file")


def _namespace(value: Any) -> str:
    if not isinstance(value, str) or not is_record_id(value) or len(value) > 60:
        raise InvalidInput("namespace must be 1-60 characters of [A-Za-z0-9_.:@-]")
    return value


def _flag(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.lower() in ("true", "1", "yes")
    raise InvalidInput(f"{name} must be true or false")


def parser_options(fmt: str, options: Mapping[str, Any] | None) -> dict[str, Any]:
    """Check and convert ``options`` for ``fmt``'s parser; ``InvalidInput`` says what is wrong."""
    allowed = allowed_options(fmt)
    given = dict(options or {})
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        accepted = ", ".join(allowed) or "none"
        raise InvalidInput(f"unknown option(s) {', '.join(unknown)} for format {fmt!r}; accepted: {accepted}")
    out: dict[str, Any] = {}
    for name, value in given.items():
        if value is None:
            continue
        if name == "own_domains":
            out[name] = _domains(value)
        elif name == "mapping":
            out[name] = _mapping(value)
        elif name == "namespace":
            out[name] = _namespace(value)
        elif name == "dayfirst":
            out[name] = _flag(name, value)
        else:
            out[name] = _positive_int(name, value)
    if fmt == "csv" and "mapping" not in out:
        raise InvalidInput("format 'csv' needs a mapping (a JSON object or a mapping file)")
    return out


# --- email ---------------------------------------------------------------------------------------
def stored_email_dedupe(store: GraphStore, tenant: str) -> EmailDedupe:
    """An ``EmailDedupe`` that already knows every stored message fingerprint (the caller closes it).

    A message whose Message-ID is new but whose fingerprint is stored (a copy of a message imported
    in an earlier run) is then noted as ``merged`` and not written; the same message re-imported
    under its own id maps to itself and comes through as unchanged.
    """
    dedupe = EmailDedupe()
    try:
        after = ""
        while True:
            params = {"tenant": tenant, "after": after, "limit": FINGERPRINT_PAGE}
            rows = store.read(tenant, STORED_FINGERPRINTS, params)
            for r in rows:
                try:
                    key = bytes.fromhex(str(r["fp"]))
                except ValueError:
                    continue  # not one of ours (written through the API)
                dedupe.remember_fingerprint(key, str(r["id"]))
            if len(rows) < FINGERPRINT_PAGE:
                return dedupe
            after = str(rows[-1]["uid"])
    except BaseException:
        dedupe.close()
        raise


def person_placeholders(row: NodeRow) -> Collection[str]:
    """A person known only by address is named after it: that name must not replace a real one."""
    if row.label not in ("Contact", "Rep"):
        return ()
    name = row.props.get("name")
    if name is None:
        return ()
    custom = row.props.get("custom") or {}
    stand_ins = {row.props.get("email"), custom.get("unresolved_address"), row.id.removeprefix("email:")}
    return ("name",) if name in stand_ins or str(name).startswith(UNRESOLVED) else ()


# --- the import ----------------------------------------------------------------------------------
_GC_LOCK = threading.Lock()
_gc_state: dict[str, Any] = {"holders": 0, "before": None}


@contextmanager
def _fewer_collections(gen0: int) -> Iterator[None]:
    """Raise the collector's first threshold while imports run. Imports of several tenants can
    overlap in the API process: the first one in saves the threshold, the last one out restores it
    (a per-import save/restore would leave the raised value behind when they end out of order)."""
    with _GC_LOCK:
        if _gc_state["holders"] == 0:
            _gc_state["before"] = gc.get_threshold()
        _gc_state["holders"] += 1
        current = gc.get_threshold()
        if current[0] < gen0:
            gc.set_threshold(gen0, *current[1:])
    try:
        yield
    finally:
        with _GC_LOCK:
            _gc_state["holders"] -= 1
            if _gc_state["holders"] == 0:
                gc.set_threshold(*_gc_state["before"])


def _input_bytes(path: Path, limit: int) -> int:
    if path.is_file():
        return path.stat().st_size
    total = 0
    for child in path.rglob("*"):
        if child.is_file():
            total += child.stat().st_size
            if total > limit:
                break
    return total


def _parallel(requested: bool | None, path: Path) -> bool:
    if requested is not None:
        return requested
    return (os.cpu_count() or 1) > 1 and _input_bytes(path, PARALLEL_MIN_BYTES) > PARALLEL_MIN_BYTES


class _Tap:
    """Watches rows go by: progress, and the interactions with their people (for the KNOWS refresh)."""

    def __init__(self, progress: Progress | None, every: int, stream: StreamEvents | None) -> None:
        self.progress = progress
        self.every = max(1, every)
        self.stream = stream
        self.rows = 0
        self.rejected = 0

    def wrap(self, rows: Iterable[Item], source: str) -> Iterator[Item]:
        """The parser's rows (and batches of them), counted. Should the parser crash (a bug: parsers
        report bad data as rejects), the crash becomes one reject and the import ends there, keeping
        and reporting what came before."""
        iterator = iter(rows)
        stream, progress, every = self.stream, self.progress, self.every
        while True:
            try:
                row = next(iterator)
            except StopIteration:
                return
            except RelgraphError:
                raise
            except Exception as exc:
                log.warning("the reader of %s failed after %d rows", source, self.rows, exc_info=exc)
                reason = f"the reader stopped here ({type(exc).__name__}: {str(exc)[:300]}); the rest was not read"
                row = Reject(source, f"after row {self.rows}", reason)
                iterator = iter(())
            before = self.rows
            if isinstance(row, NodeColumns | RelColumns):
                self.rows += len(row)
                if stream is not None:
                    for one in row.rows():
                        stream.see(one)
            else:
                self.rows += 1
                if isinstance(row, Reject):
                    self.rejected += 1
                elif stream is not None:
                    stream.see(row)
            if progress is not None and self.rows // every != before // every:
                progress(ImportProgress(self.rows, self.rejected, "reading"))
            yield row

    def report(self, stage: str) -> None:
        if self.progress is not None:
            self.progress(ImportProgress(self.rows, self.rejected, stage))


def import_file(
    *,
    store: GraphStore,
    tenant: str,
    fmt: str,
    path: Path,
    options: Mapping[str, Any] | None = None,
    rejects_path: Path | None = None,
    progress: Progress | None = None,
    batch_size: int | None = None,
    progress_every: int = PROGRESS_EVERY,
    parallel: bool | None = None,
    spool_rows: int | None = SPOOL_ROWS,
) -> ImportReport:
    """Import ``path`` (a file or folder) of format ``fmt`` into ``tenant`` and report what happened.

    ``options`` are the parser's keyword options (``allowed_options(fmt)``), e.g. ``own_domains``
    for email and calendars, ``mapping`` for ``csv``. Rejects go to ``rejects_path`` as JSON lines
    (the file is replaced) and the first ones into the report. ``progress`` is called every
    ``progress_every`` rows and at each stage. ``batch_size`` is per format by default (``BATCH_SIZE``,
    ``MAIL_BATCH_SIZE``). ``parallel`` parses in a child process while this one
    writes (``importers.prefetch``); by default for inputs over 16 MB on a machine with two cores or
    more (starting the process costs about a second). ``spool_rows``: new records are held back
    and written by the engine's bulk loader this many rows at a time (``graph.repositories.bulk``;
    not for mail and calendars, whose placeholder names need the stored values; None: off).
    Raises ``InvalidInput`` before reading anything when the format, the path or an option is wrong.
    """
    check_tenant(tenant)
    kwargs = parser_options(fmt, options)
    path = Path(path)
    if not path.exists():
        raise InvalidInput(f"{path} does not exist")
    store.ensure_tenant(tenant)
    report = ImportReport(source=path.name or str(path), format=fmt, rejects_path=rejects_path)
    placeholders = person_placeholders if fmt in PEOPLE_FORMATS else None
    spool = None if placeholders is not None else spool_rows
    writer = StoreRowWriter(store, tenant, placeholders=placeholders, spool_rows=spool)
    stream = StreamEvents() if fmt in KNOWS_FORMATS else None
    tap = _Tap(progress, progress_every, stream)
    with ExitStack() as stack:
        if fmt == "email":
            kwargs["dedupe"] = stack.enter_context(stored_email_dedupe(store, tenant))
        if _parallel(parallel, path):
            # the parser runs on through the writer's COPYs (seconds each) when rows are held back
            # and sends its rows as columns, which a spooling writer holds as they are
            rows: Iterable[Item] = parse_in_child(
                fmt,
                path,
                kwargs,
                ahead_mb=PARSE_AHEAD_MB if spool else None,
                gc_gen0=GC_GEN0 if spool else None,
                columns=bool(spool),
            )
        else:
            rows = PARSERS[fmt](path, **kwargs)
        rejects_file: IO[str] | None = None
        if rejects_path is not None:
            rejects_path.parent.mkdir(parents=True, exist_ok=True)
            rejects_file = stack.enter_context(rejects_path.open("w", encoding="utf-8"))
        size = batch_size or (MAIL_BATCH_SIZE if fmt in KNOWS_FORMATS else BATCH_SIZE)
        if spool:
            stack.enter_context(_fewer_collections(GC_GEN0))
        run_import(tap.wrap(rows, report.source), writer, report, batch_size=size, rejects_file=rejects_file)
    if stream is not None and stream.degree:
        tap.report("relationships")
        if isinstance(store, Recyclable):
            store.recycle(tenant)  # start the reads with the engine's session memory released
        counts = refresh_knows(store=store, tenant=tenant, stream=stream)
        knows = report.rel("KNOWS")
        knows.created += counts.created
        knows.updated += counts.updated
        knows.unchanged += counts.unchanged
    tap.report("done")
    return report.finish()
