"""``relgraph train deal-win|links``, ``relgraph score`` and ``relgraph evaluate`` (graph ML).

Hooked into the main command by ``register(app)`` (see ``relgraph/cli.py``). Like the other local
commands, these open the store directly: stop ``relgraph serve`` first on the embedded engine (one
read-write process per database). Models go to ``<data_dir>/models/<tenant>/<kind>/<version>``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

DEFAULT_MAVEN = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "maven-crm"

train_app = typer.Typer(help="Train graph ML models for a tenant (deal-win, links).", no_args_is_help=True)

DataDir = Annotated[Path | None, typer.Option(help="Data directory (default RELGRAPH_DATA_DIR or ./data).")]
Tenant = Annotated[str, typer.Option(help="The tenant.")]


def _threads() -> None:
    """One thread per process by default here: shared machines slowed 3-20x with more."""
    import torch

    torch.set_num_threads(int(os.environ.get("RELGRAPH_ML_THREADS", "1")))


def _settings(data_dir: Path | None) -> Any:
    from api.settings import get_settings

    settings = get_settings()
    return settings.model_copy(update={"data_dir": data_dir}) if data_dir else settings


def _open(data_dir: Path | None) -> tuple[Any, Any]:
    from graph.factory import open_store
    from ml.registry import Registry

    settings = _settings(data_dir)
    return open_store(settings), Registry(Path(settings.data_dir) / "models")


def _fail(exc: Exception) -> typer.Exit:
    from graph.errors import RelgraphError

    message = exc.message if isinstance(exc, RelgraphError) else str(exc)
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


@train_app.command("deal-win")
def train_deal_win(
    tenant: Tenant,
    data_dir: DataDir = None,
    gnn: Annotated[bool, typer.Option("--gnn/--no-gnn", help="Also train the GNN (and let it compete).")] = True,
    hybrid: Annotated[
        bool, typer.Option("--hybrid/--no-hybrid", help="Also train the hybrid (GBDT on GNN embeddings; needs --gnn).")
    ] = True,
    epochs: Annotated[int, typer.Option(help="GNN epochs at most (early stopping).")] = 300,
    evaluate: Annotated[bool, typer.Option("--evaluate/--no-evaluate", help="Report the temporal test.")] = True,
) -> None:
    """Train the deal-win models, evaluate them on a temporal split, publish the winner."""
    from graph.errors import RelgraphError
    from ml.train import train_deal_win as run

    _threads()
    store, registry = _open(data_dir)
    try:
        mv = run(store, tenant, registry, with_gnn=gnn, with_hybrid=hybrid, evaluate=evaluate, gnn_epochs=epochs)
    except RelgraphError as exc:
        raise _fail(exc) from exc
    finally:
        store.close()
    meta = mv.meta
    typer.echo(
        f"deal-win {mv.version} for {tenant}: serving {meta['selected']} (validation AUC {meta['validation_auc']})"
    )
    if meta.get("evaluation"):
        from ml.evaluate import format_results

        typer.echo(format_results({tenant: {"deal_win": meta["evaluation"], "seconds": meta["seconds"]["total"]}}))
    typer.echo(f"saved to {mv.path}")


@train_app.command("links")
def train_links(
    tenant: Tenant,
    data_dir: DataDir = None,
    epochs: Annotated[int, typer.Option(help="Training epochs.")] = 150,
    evaluate: Annotated[bool, typer.Option("--evaluate/--no-evaluate", help="Report the hold-out test.")] = True,
) -> None:
    """Train the who-knows-whom model (GraphSAGE), evaluated against hard negatives."""
    from graph.errors import RelgraphError
    from ml.train import train_links as run

    _threads()
    store, registry = _open(data_dir)
    try:
        mv = run(store, tenant, registry, evaluate=evaluate, epochs=epochs)
    except RelgraphError as exc:
        raise _fail(exc) from exc
    finally:
        store.close()
    evaluation = mv.meta.get("evaluation")
    if evaluation:
        from ml.evaluate import LINK_NAMES

        typer.echo(f"hold-out from {evaluation['holdout_from']}: {evaluation['test_positives']} new pairs")
        for key, row in evaluation["test"].items():
            typer.echo(
                f"  {LINK_NAMES.get(key, key):28} AUC hard {row['auc_hard']:.3f}  AUC random {row['auc_random']:.3f}"
                f"  Hits@10 hard {row['hits10_hard']:.3f}"
            )
    typer.echo(f"links {mv.version} for {tenant} saved to {mv.path}")


def score(tenant: Tenant, data_dir: DataDir = None) -> None:
    """Score every open deal with the served deal-win model (stored with the model version)."""
    from graph.errors import RelgraphError
    from ml.scoring import score_open_deals

    _threads()
    store, registry = _open(data_dir)
    try:
        summary = score_open_deals(store=store, tenant=tenant, registry=registry)
    except RelgraphError as exc:
        raise _fail(exc) from exc
    finally:
        store.close()
    typer.echo(
        f"scored {summary['scored']} open deals of {tenant} with {summary['model_kind']} {summary['model_version']} "
        f"in {summary['seconds']['total']:.1f} s -> {summary['path']}"
    )


def evaluate(
    maven_dir: Annotated[Path, typer.Option(help="The Maven CRM data set.")] = DEFAULT_MAVEN,
    dataset: Annotated[list[str] | None, typer.Option(help="maven and/or demo (default both).")] = None,
    tenant: Annotated[str | None, typer.Option(help="Evaluate this existing tenant instead.")] = None,
    data_dir: DataDir = None,
    gnn: Annotated[bool, typer.Option("--gnn/--no-gnn", help="Include the GNN.")] = True,
    hybrid: Annotated[bool, typer.Option("--hybrid/--no-hybrid", help="Include the hybrid (needs --gnn).")] = True,
    epochs: Annotated[int, typer.Option(help="GNN epochs at most.")] = 300,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the results as JSON.")] = None,
) -> None:
    """Print the deal-win and link-prediction comparison (Maven and demo, temporal splits)."""
    from graph.errors import RelgraphError
    from ml import evaluate as ev

    _threads()
    try:
        if tenant:
            store, _ = _open(data_dir)
            try:
                results = {
                    tenant: ev.evaluate_tenant(store, tenant, with_gnn=gnn, gnn_epochs=epochs, with_hybrid=hybrid)
                }
            finally:
                store.close()
        else:
            if not maven_dir.is_dir():
                typer.echo(f"Maven data not found at {maven_dir} (pass --maven-dir)", err=True)
                raise typer.Exit(2)
            names = tuple(dataset or ("maven", "demo"))
            results = ev.run(maven_dir, datasets=names, with_gnn=gnn, gnn_epochs=epochs, with_hybrid=hybrid)
    except RelgraphError as exc:
        raise _fail(exc) from exc
    typer.echo(ev.format_results(results))
    if json_out:
        from ml.registry import dump_json

        dump_json(json_out, results)
        typer.echo(f"results written to {json_out}")


def register(app: typer.Typer) -> None:
    """Add ``train``, ``score`` and ``evaluate`` to the ``relgraph`` command."""
    app.add_typer(train_app, name="train")
    app.command("score")(score)
    app.command("evaluate")(evaluate)


__all__ = ["register", "train_app"]
