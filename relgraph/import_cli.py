"""``relgraph import`` and ``relgraph dedupe``: mounted on the main app by ``register(app)``.

Both open the store directly, so the server must be stopped (one read-write process per database).
Exit codes: 0 when the import ran (rejects are reported, not failures), 2 for a usage error (unknown
format, missing path, bad option) with a message, 1 when the store cannot be used.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from api.settings import Settings, get_settings
from graph.errors import InvalidInput, RelgraphError, StoreUnavailable
from graph.store import GraphStore

DataDir = Annotated[Path | None, typer.Option(help="Data directory (default RELGRAPH_DATA_DIR or ./data).")]


def _settings(data_dir: Path | None) -> Settings:
    settings = get_settings()
    return settings.model_copy(update={"data_dir": data_dir}) if data_dir else settings


def _open(settings: Settings) -> GraphStore:
    from graph.factory import open_store

    try:
        return open_store(settings)
    except StoreUnavailable as exc:
        typer.echo(f"error: {exc.message} (is `relgraph serve` running on this data directory?)", err=True)
        raise typer.Exit(1) from exc


def _fail(exc: RelgraphError) -> typer.Exit:
    if isinstance(exc, InvalidInput):
        typer.echo(f"error: {exc.message}", err=True)
        return typer.Exit(2)
    hint = " (is `relgraph serve` running on this data directory?)" if isinstance(exc, StoreUnavailable) else ""
    typer.echo(f"error: {exc.message}{hint}", err=True)
    return typer.Exit(1)


class _Bar:
    """A live counter on a terminal (rich), nothing when stdout is not one."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> _Bar:
        if self.enabled:
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TextColumn("{task.completed:,} rows, {task.fields[rejected]:,} rejected"),
                TimeElapsedColumn(),
                transient=True,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task("importing", total=None, rejected=0)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(None, None, None)

    def update(self, progress: Any) -> None:
        if self._progress is not None:
            stage = "updating KNOWS" if progress.stage == "relationships" else "importing"
            self._progress.update(self._task, completed=progress.rows, rejected=progress.rejected, description=stage)


def import_command(
    fmt: Annotated[str, typer.Argument(metavar="FORMAT", help="maven, salesforce, hubspot, csv, email, ics, ...")],
    path: Annotated[Path, typer.Argument(help="The file or folder to import.")],
    tenant: Annotated[str, typer.Option(help="Tenant to import into.")],
    own_domain: Annotated[
        list[str] | None, typer.Option("--own-domain", help="The tenant's email domain (repeatable): makes Reps.")
    ] = None,
    rejects: Annotated[Path | None, typer.Option(help="Where to write every reject (JSON lines).")] = None,
    mapping: Annotated[Path | None, typer.Option(help="Mapping file (JSON) for format csv.")] = None,
    namespace: Annotated[str | None, typer.Option(help="Id namespace (default: the format's).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    pool_mb: Annotated[
        int, typer.Option(help="The engine's buffer pool for this import (MB): memory stays near it plus ~250 MB.")
    ] = 256,
    data_dir: DataDir = None,
) -> None:
    """Import a file or folder: idempotent (run it again and nothing changes), rejects reported."""
    from importers import PARSERS, detect_format
    from importers.enrich import after_import
    from importers.service import import_file, parser_options

    if fmt == "auto":
        try:
            fmt = detect_format(path)
        except InvalidInput as exc:
            raise _fail(exc) from exc
    if fmt not in PARSERS:
        typer.echo(f"error: unknown format {fmt!r}; one of {', '.join(PARSERS)} (or auto)", err=True)
        raise typer.Exit(2)
    if not path.exists():
        typer.echo(f"error: {path} does not exist", err=True)
        raise typer.Exit(2)
    options: dict[str, Any] = {"own_domains": own_domain, "mapping": mapping, "namespace": namespace}
    options = {k: v for k, v in options.items() if v}
    try:
        parser_options(fmt, options)
    except InvalidInput as exc:
        raise _fail(exc) from exc
    # A streaming import needs a small pool; the server's default (1 GB) would only let RSS grow.
    settings = _settings(data_dir).model_copy(update={"buffer_pool_mb": max(128, pool_mb)})
    default_rejects = rejects is None
    if rejects is None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        rejects = Path(settings.data_dir) / "imports" / tenant / f"cli-{stamp}-{fmt}-rejects.jsonl"
    store = _open(settings)
    try:
        with _Bar(sys.stdout.isatty() and not as_json) as bar:
            report = import_file(
                store=store, tenant=tenant, fmt=fmt, path=path, options=options, rejects_path=rejects,
                progress=bar.update,
            )  # fmt: skip
        report = after_import(store, tenant, fmt=fmt, options=options, report=report)
    except RelgraphError as exc:
        raise _fail(exc) from exc
    finally:
        store.close()
    if default_rejects and report.rejected_total == 0:
        rejects.unlink(missing_ok=True)
        report.rejects_path = None
    typer.echo(json.dumps(report.to_dict(), default=str, indent=2) if as_json else report.summary())


def dedupe_command(
    tenant: Annotated[str, typer.Option(help="Tenant to look at.")],
    kind: Annotated[str, typer.Option(help="contacts or accounts.")] = "contacts",
    limit: Annotated[int, typer.Option(help="How many pairs.")] = 50,
    threshold: Annotated[float, typer.Option(help="Lowest score shown (0-1).")] = 0.6,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    data_dir: DataDir = None,
) -> None:
    """List possible duplicate contacts or accounts, best first (merge them with POST /merge)."""
    from importers.duplicates import find_duplicates

    store = _open(_settings(data_dir))
    try:
        found = find_duplicates(store=store, tenant=tenant, kind=kind, limit=limit, threshold=threshold)
    except RelgraphError as exc:
        raise _fail(exc) from exc
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps([c.to_dict() for c in found], default=str, indent=2))
        return
    if not found:
        typer.echo(f"no likely duplicate {kind} (threshold {threshold})")
    for c in found:
        left = f"{c.left['id']} ({c.left.get('name', '')})"
        right = f"{c.right['id']} ({c.right.get('name', '')})"
        typer.echo(f"{c.score:.2f}  {left}  ~  {right}\n      {'; '.join(c.reasons)}")


def register(app: typer.Typer) -> None:
    """Add ``import`` and ``dedupe`` to the ``relgraph`` command."""
    app.command("import")(import_command)
    app.command("dedupe")(dedupe_command)
