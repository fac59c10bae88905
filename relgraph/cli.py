"""The ``relgraph`` command: serve, demo, keys, cypher, export, restore (and more as features land).

Commands that open the store directly (demo, keys, export, restore, local cypher) need the server
to be stopped: the embedded engine allows one read-write process per database.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from api.settings import Settings, get_settings
from relgraph import import_cli, intel_cli, ml_cli

app = typer.Typer(help="relgraph: graph-native relationship intelligence for CRM data.", no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys (each bound to one tenant and one role).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
ml_cli.register(app)
import_cli.register(app)

DEMO_TENANT = "demo"
HAS_DEALS = "MATCH (d:Deal) WHERE d.tenant = $tenant RETURN d.uid LIMIT 1"
DEFAULT_MAVEN = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "maven-crm"


def _settings(data_dir: Path | None) -> Settings:
    settings = get_settings()
    return settings.model_copy(update={"data_dir": data_dir}) if data_dir else settings


def _store(settings: Settings) -> Any:
    from graph.factory import open_store

    return open_store(settings)


DataDir = Annotated[Path | None, typer.Option(help="Data directory (default RELGRAPH_DATA_DIR or ./data).")]
intel_cli.register(app, _settings, _store)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    data_dir: DataDir = None,
) -> None:
    """Serve the REST API on an existing store."""
    import uvicorn

    from api.main import create_app

    uvicorn.run(create_app(_settings(data_dir)), host=host, port=port, log_level="info")


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    data_dir: DataDir = None,
    maven_dir: Annotated[Path, typer.Option(help="The Maven CRM data set.")] = DEFAULT_MAVEN,
    rebuild: Annotated[bool, typer.Option(help="Drop and rebuild the demo tenant.")] = False,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the API when built.")] = True,
) -> None:
    """Build the demo tenant (Maven CRM + generated people and interactions) and serve it."""
    import uvicorn

    from api.main import create_app
    from graph.intelligence.knows import refresh_knows
    from graph.repositories.keys import create_key
    from relgraph.demo.builder import build_demo

    settings = _settings(data_dir)
    store = _store(settings)
    if rebuild:
        store.drop_tenant(DEMO_TENANT)
    if DEMO_TENANT not in store.tenants() or not store.read(DEMO_TENANT, HAS_DEALS, {"tenant": DEMO_TENANT}):
        if not maven_dir.is_dir():
            typer.echo(f"Maven data not found at {maven_dir} (pass --maven-dir)", err=True)
            raise typer.Exit(2)
        typer.echo(f"building the demo tenant from {maven_dir} ...")
        for report in build_demo(store, DEMO_TENANT, maven_dir, today=datetime.now(UTC).date()):
            typer.echo(report.summary())
        knows = refresh_knows(store, DEMO_TENANT)
        typer.echo(f"relationships: {knows.pairs} KNOWS pairs from {knows.interactions} interactions")
    _reindex_quietly(store, settings, DEMO_TENANT)
    key = create_key(store=store, tenant=DEMO_TENANT, role="admin", name="demo")
    key_file = Path(settings.data_dir) / "demo-admin-key.txt"
    key_file.write_text(key.key + "\n")
    key_file.chmod(0o600)
    typer.echo(f"\nDemo tenant ready. Admin API key (also in {key_file}):\n  {key.key}\n")
    if serve_after:
        typer.echo(
            f"Try: curl -H 'Authorization: Bearer {key.key}' http://{host}:{port}/accounts\n"
            f"API docs: http://{host}:{port}/docs"
        )
        uvicorn.run(create_app(settings, store=store), host=host, port=port, log_level="info")
    else:
        store.close()


def _reindex_quietly(store: Any, settings: Settings, tenant: str) -> None:
    from search.factory import make_sync, open_index

    index = open_index(settings)
    try:
        report = make_sync(store, index, settings).catch_up(tenant)
    finally:
        index.close()
    typer.echo(f"search index: {report.upserted} documents ({report.seconds:.1f} s)")


@app.command()
def reindex(
    tenant: Annotated[str, typer.Option(help="Tenant to index.")],
    full: Annotated[bool, typer.Option("--full/--catch-up", help="Rebuild everything, or only what changed.")] = True,
    data_dir: DataDir = None,
) -> None:
    """Rebuild the search index of a tenant from the graph (the graph is the source of truth)."""
    from search.factory import make_sync, open_index

    settings = _settings(data_dir)
    store = _store(settings)
    index = open_index(settings)
    try:
        sync = make_sync(store, index, settings)
        report = sync.rebuild(tenant) if full else sync.catch_up(tenant)
    finally:
        index.close()
        store.close()
    typer.echo(f"indexed {report.upserted} documents, removed {report.deleted}, in {report.seconds:.1f} s")
    for kind, n in sorted(report.by_type.items()):
        typer.echo(f"  {kind}: {n}")


@app.command("refresh-knows")
def refresh_knows_cmd(tenant: Annotated[str, typer.Option(help="Tenant.")], data_dir: DataDir = None) -> None:
    """Recompute relationship strength (KNOWS) from every interaction of the tenant."""
    from graph.intelligence.knows import refresh_knows

    store = _store(_settings(data_dir))
    try:
        report = refresh_knows(store, tenant)
    finally:
        store.close()
    typer.echo(
        f"{report.pairs} pairs from {report.interactions} interactions: {report.created} created, "
        f"{report.updated} updated, {report.unchanged} unchanged"
    )


@app.command("link-domains")
def link_domains_cmd(
    tenant: Annotated[str, typer.Option(help="Tenant.")],
    own_domain: Annotated[
        list[str] | None, typer.Option("--own-domain", help="The tenant's own email domain (repeatable): skipped.")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Put contacts without an employer at the account of their email domain (created if needed)."""
    from graph.intelligence.domains import link_domains

    store = _store(_settings(data_dir))
    try:
        report = link_domains(store, tenant, own_domains=own_domain or ())
    finally:
        store.close()
    typer.echo(
        f"{report.linked} contacts linked to {len(report.by_domain)} accounts ({report.accounts_created} created, "
        f"{report.accounts_matched} matched on Account.domain); skipped: {report.skipped_free_mail} free-mail, "
        f"{report.skipped_own} own-domain addresses"
    )
    for domain, n in list(report.by_domain.items())[:10]:
        typer.echo(f"  {domain}: {n}")


@app.command("infer-titles")
def infer_titles_cmd(tenant: Annotated[str, typer.Option(help="Tenant.")], data_dir: DataDir = None) -> None:
    """Fill missing job titles from the signatures in people's sent email (never overwrites)."""
    from graph.intelligence.signatures import infer_titles

    store = _store(_settings(data_dir))
    try:
        report = infer_titles(store, tenant)
    finally:
        store.close()
    typer.echo(f"checked {report.people_checked} senders; titles found for {len(report.titles_found)}")
    for person, title in sorted(report.titles_found.items()):
        typer.echo(f"  {person}: {title}")


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for (typos welcome, quotes for phrases).")],
    tenant: Annotated[str, typer.Option(help="Tenant to search.")],
    types: Annotated[str | None, typer.Option(help="Comma-separated: contact,rep,account,deal,interaction.")] = None,
    limit: Annotated[int, typer.Option(help="How many hits.")] = 10,
    data_dir: DataDir = None,
) -> None:
    """Search a tenant from the terminal (local index; the server must be stopped)."""
    from graph.errors import RelgraphError
    from search.factory import open_index
    from search.models import SearchQuery

    index = open_index(_settings(data_dir))
    try:
        kinds = tuple(t.strip() for t in types.split(",")) if types else None
        page = index.search(tenant, SearchQuery(q=query, types=kinds, limit=limit))  # type: ignore[arg-type]
    except RelgraphError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from exc
    finally:
        index.close()
    for hit in page.hits:
        shown = "; ".join(f"{k}: {v[0]}" for k, v in hit.highlights.items() if k != "name")
        typer.echo(f"{hit.score:6.2f}  {hit.type:11} {hit.title}  [{hit.id}]  {shown}")
    typer.echo(f"{page.total} match(es)")


@keys_app.command("create")
def keys_create(
    tenant: Annotated[str, typer.Option(help="Tenant the key is bound to.")],
    role: Annotated[str, typer.Option(help="admin, analyst, rep or viewer.")],
    name: Annotated[str, typer.Option(help="A label for the key.")] = "",
    data_dir: DataDir = None,
) -> None:
    """Create an API key and print it (once: only its hash is stored)."""
    from graph.errors import RelgraphError
    from graph.repositories.keys import create_key

    store = _store(_settings(data_dir))
    try:
        key = create_key(store=store, tenant=tenant, role=role, name=name)
    except RelgraphError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from exc
    finally:
        store.close()
    typer.echo(key.key)


@keys_app.command("list")
def keys_list(tenant: Annotated[str, typer.Option()], data_dir: DataDir = None) -> None:
    """List a tenant's keys (ids, roles; never the secrets)."""
    from graph.repositories.keys import list_keys

    store = _store(_settings(data_dir))
    for k in list_keys(store=store, tenant=tenant):
        typer.echo(f"{k['key_id']}  {k['role']:8} {'revoked' if k['revoked'] else 'active':8} {k['name']}")
    store.close()


@keys_app.command("revoke")
def keys_revoke(key_id: str, data_dir: DataDir = None) -> None:
    """Revoke a key by its id."""
    from graph.repositories.keys import revoke_key

    store = _store(_settings(data_dir))
    ok = revoke_key(store=store, key_id=key_id)
    store.close()
    typer.echo("revoked" if ok else "no such key")
    if not ok:
        raise typer.Exit(1)


@app.command()
def export(
    tenant: Annotated[str, typer.Option()],
    out: Annotated[Path, typer.Option(help="JSON-lines file to write.")],
    data_dir: DataDir = None,
) -> None:
    """Dump a tenant to JSON lines (the backup path)."""
    from graph.backup import export_tenant, summary

    store = _store(_settings(data_dir))
    with out.open("w", encoding="utf-8") as fh:
        counts = export_tenant(store, tenant, fh)
    store.close()
    typer.echo(f"exported {tenant} to {out}")
    typer.echo("\n".join(summary(counts)))


@app.command()
def restore(
    tenant: Annotated[str, typer.Option(help="Tenant to restore into (must be empty).")],
    src: Annotated[Path, typer.Option("--in", help="JSON-lines dump made by `relgraph export`.")],
    data_dir: DataDir = None,
) -> None:
    """Load a dump into an empty tenant."""
    from graph.backup import restore_tenant, summary
    from graph.errors import RelgraphError

    store = _store(_settings(data_dir))
    try:
        with src.open(encoding="utf-8") as fh:
            counts = restore_tenant(store, tenant, fh)
    except RelgraphError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from exc
    finally:
        store.close()
    typer.echo(f"restored {src} into {tenant}")
    typer.echo("\n".join(summary(counts)))


@app.command()
def cypher(
    tenant: Annotated[str | None, typer.Option(help="Local mode: tenant to query (server stopped).")] = None,
    url: Annotated[str, typer.Option(help="API mode: the server's URL.")] = "http://127.0.0.1:8000",
    key: Annotated[str | None, typer.Option(envvar="RELGRAPH_API_KEY", help="API mode: an analyst/admin key.")] = None,
    execute: Annotated[str | None, typer.Option("-e", "--execute", help="Run one query and exit.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Read-only Cypher prompt with history: through the API (--key) or on a local store (--tenant)."""
    from relgraph.repl import ApiRunner, LocalRunner, repl

    settings = _settings(data_dir)
    if key:
        runner: Any = ApiRunner(url, key)
    elif tenant:
        runner = LocalRunner(_store(settings), tenant, settings)
    else:
        typer.echo("give --key (API mode) or --tenant (local mode)", err=True)
        raise typer.Exit(2)
    code = repl(runner, execute)
    raise typer.Exit(code)


def main() -> None:
    # Quiet the engines' progress bars and keep OpenMP to the cores we have.
    os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 1))
    app()


if __name__ == "__main__":
    main()
