"""Relationship intelligence from the terminal: org charts, hierarchy roll-ups, warm introductions
and influence, printed as trees and tables (or the JSON with ``--json``).

Through the API (``--key``, the server running) or on a local store (``--tenant``, the server
stopped: the embedded engine allows one process per database). Both give the API's JSON, which is
what the printers read, so the two modes cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Protocol

import httpx
import typer

from api.settings import Settings
from graph.errors import RelgraphError
from graph.store import GraphStore

INDENT = "  "


class Source(Protocol):
    """Where the answers come from: the API or the services on a local store."""

    def orgchart(self, account: str, inferred: bool) -> dict[str, Any]: ...
    def hierarchy(self, account: str) -> dict[str, Any]: ...
    def intro(self, to: str | None, to_account: str | None, from_rep: str | None, k: int) -> dict[str, Any]: ...
    def influence(self, account: str | None, limit: int) -> dict[str, Any]: ...


class ApiSource:
    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def _get(self, path: str, **params: Any) -> dict[str, Any]:
        r = self._client.get(path, params={k: v for k, v in params.items() if v is not None})
        body: dict[str, Any] = r.json()
        if r.status_code != 200:
            raise RelgraphError(f"{r.status_code}: {body.get('error', {}).get('message', body)}")
        return body

    def orgchart(self, account: str, inferred: bool) -> dict[str, Any]:
        return self._get(f"/accounts/{account}/orgchart", inferred=str(inferred).lower())

    def hierarchy(self, account: str) -> dict[str, Any]:
        return self._get(f"/accounts/{account}/hierarchy")

    def intro(self, to: str | None, to_account: str | None, from_rep: str | None, k: int) -> dict[str, Any]:
        return self._get("/paths/intro", to=to, to_account=to_account, k=k, **{"from": from_rep})

    def influence(self, account: str | None, limit: int) -> dict[str, Any]:
        return self._get(f"/accounts/{account}/influence" if account else "/influence", limit=limit)


class LocalSource:
    def __init__(self, store: GraphStore, tenant: str) -> None:
        self.store, self.tenant = store, tenant

    def orgchart(self, account: str, inferred: bool) -> dict[str, Any]:
        from graph.intelligence import orgchart

        return orgchart.org_chart(store=self.store, tenant=self.tenant, account_id=account, include_inferred=inferred)

    def hierarchy(self, account: str) -> dict[str, Any]:
        from graph.intelligence.hierarchy import hierarchy

        return hierarchy(store=self.store, tenant=self.tenant, account_id=account)

    def intro(self, to: str | None, to_account: str | None, from_rep: str | None, k: int) -> dict[str, Any]:
        from graph.intelligence import intro

        graphs, common = intro.PathGraphs(), {"max_hops": 4, "max_age_days": 365}
        if to is not None:
            return intro.intro_paths(
                store=self.store, tenant=self.tenant, graphs=graphs, to_contact=to, from_rep=from_rep, k=k, **common
            )
        assert to_account is not None
        return intro.entry_points(
            store=self.store, tenant=self.tenant, graphs=graphs, account_id=to_account, k=k, **common
        )

    def influence(self, account: str | None, limit: int) -> dict[str, Any]:
        from graph.intelligence import influence, orgchart

        if account:
            return orgchart.account_influence(store=self.store, tenant=self.tenant, account_id=account, limit=limit)
        result, people, reports = influence.TenantInfluence(gds=None).get(self.store, self.tenant)
        return {"people": influence.explain(result, people, reports, limit), "converged": result.converged}


# --- printers: the API's JSON as text ----------------------------------------------------------------
def orgchart_lines(chart: dict[str, Any]) -> Iterator[str]:
    account = chart["account"]
    yield (
        f"{account['name']} ({account['id']}): {chart['people']} people, {chart['explicit_lines']} explicit and "
        f"{chart['inferred_lines']} inferred lines"
    )
    stack = [(root, 0) for root in reversed(chart["roots"])]
    while stack:
        node, depth = stack.pop()
        yield INDENT * depth + _person(node)
        stack.extend((child, depth + 1) for child in reversed(node["reports"]))


def _person(node: dict[str, Any]) -> str:
    parts = [f"- {node['name']}", node.get("title") or "(no title)", f"influence {node['influence']}"]
    line = node.get("manager_line")
    if line and line.get("source") != "explicit":
        evidence = "; ".join(line.get("evidence") or [])
        parts.append(f"inferred line {line.get('confidence')}: {evidence}")
    rep = node.get("strongest_rep")
    if rep:
        parts.append(f"rep {rep['name']} {rep['strength']}")
    if node.get("met_last_90_days"):
        parts.append("met in the last 90 days")
    return " | ".join(str(p) for p in parts)


def hierarchy_lines(h: dict[str, Any]) -> Iterator[str]:
    if h["ancestors"]:
        yield "under: " + " > ".join(a["name"] or a["id"] for a in h["ancestors"])
    yield "total: " + _figures(h["total"])
    stack = [(h["tree"], 0)]
    while stack:
        node, depth = stack.pop()
        yield INDENT * depth + f"- {node['name'] or node['id']}: {_figures(node['total'])}"
        stack.extend((child, depth + 1) for child in reversed(node["children"]))


def _figures(t: dict[str, Any]) -> str:
    coverage = "n/a" if t["coverage"] is None else f"{t['coverage']:.0%}"
    last = _when(t["last_interaction"]) if t["last_interaction"] else "never"
    accounts = f"{t['accounts']} account{'' if t['accounts'] == 1 else 's'}"
    return (
        f"{accounts}, pipeline {t['open_pipeline']:,.0f}, won {t['won_revenue']:,.0f}, "
        f"{t['contacts']} contacts ({t['senior_contacts']} senior, coverage {coverage}), last interaction {last}"
    )


def _when(value: Any) -> str:
    """A timestamp as the API (an ISO string) or the services (a datetime) give it, printed alike."""
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def intro_lines(result: dict[str, Any]) -> Iterator[str]:
    target = result.get("to") or result.get("account") or {}
    paths = result.get("paths", result.get("entry_points", []))
    yield f"to {target.get('name')} ({target.get('id')}): {len(paths)} path(s)"
    for i, path in enumerate(paths, 1):
        yield f"{i}. strength {path['strength']}"
        for hop in path["hops"]:
            channels = ", ".join(f"{k} {v}" for k, v in sorted(hop["by_channel"].items()))
            yield (
                f"{INDENT}{hop['from']['name']} -> {hop['to']['name']}: {hop['strength']} "
                f"({hop['interactions']} interactions: {channels}; last {_when(hop['last_interaction'])})"
            )


def influence_lines(result: dict[str, Any]) -> Iterator[str]:
    if "account" in result:
        yield f"{result['account']['name']} ({result['account']['id']})"
    for i, person in enumerate(result["people"], 1):
        why = "; ".join(f"{c['name']} {c['why']} ({c['share']})" for c in person["contributors"])
        yield f"{i}. {person['name']} | {person.get('title') or '(no title)'} | {person['score']} | {why}"


# --- commands -------------------------------------------------------------------------------------
Tenant = Annotated[str | None, typer.Option(help="Local mode: the tenant (server stopped).")]
Url = Annotated[str, typer.Option(help="API mode: the server's URL.")]
DEFAULT_URL = "http://127.0.0.1:8000"
Key = Annotated[str | None, typer.Option(envvar="RELGRAPH_API_KEY", help="API mode: an API key.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the JSON as the API returns it.")]
DataDir = Annotated[Path | None, typer.Option(help="Local mode: the data directory (default RELGRAPH_DATA_DIR).")]


def register(
    app: typer.Typer, settings_of: Callable[[Path | None], Settings], store_of: Callable[[Settings], Any]
) -> None:
    """Add the commands to ``app`` (``settings_of(data_dir)``, ``store_of(settings)``: the CLI's own)."""

    def run(tenant: str | None, url: str, key: str | None, data_dir: Path | None, ask: Callable[[Source], Any]) -> Any:
        if key:
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=120) as client:
                return _answer(lambda: ask(ApiSource(client)))
        if not tenant:
            typer.echo("give --key (API mode) or --tenant (local mode)", err=True)
            raise typer.Exit(2)
        store = store_of(settings_of(data_dir))
        try:
            return _answer(lambda: ask(LocalSource(store, tenant)))
        finally:
            store.close()

    def show(
        where: tuple[str | None, str, str | None, Path | None],
        as_json: bool,
        ask: Callable[[Source], Any],
        lines: Callable[[Any], Iterator[str]],
    ) -> None:
        """Ask ``where`` (tenant, url, key, data dir), print the answer as text or JSON."""
        result = run(*where, ask)
        typer.echo(json.dumps(result, indent=1, default=str) if as_json else "\n".join(lines(result)))

    @app.command()
    def orgchart(
        account: Annotated[str, typer.Argument(help="The account's id.")],
        inferred: Annotated[bool, typer.Option(help="Include inferred reporting lines.")] = True,
        tenant: Tenant = None,
        url: Url = DEFAULT_URL,
        key: Key = None,
        as_json: AsJson = False,
        data_dir: DataDir = None,
    ) -> None:
        """An account's org chart: explicit and inferred lines, influence, our strongest rep."""
        show((tenant, url, key, data_dir), as_json, lambda s: s.orgchart(account, inferred), orgchart_lines)

    @app.command()
    def hierarchy(
        account: Annotated[str, typer.Argument(help="The account's id.")],
        tenant: Tenant = None,
        url: Url = DEFAULT_URL,
        key: Key = None,
        as_json: AsJson = False,
        data_dir: DataDir = None,
    ) -> None:
        """An account's ancestors and whole subtree with roll-ups (pipeline, won, coverage, ...)."""
        show((tenant, url, key, data_dir), as_json, lambda s: s.hierarchy(account), hierarchy_lines)

    @app.command()
    def intro(
        to: Annotated[str | None, typer.Option(help="The contact to reach.")] = None,
        to_account: Annotated[str | None, typer.Option(help="Or: the account to enter.")] = None,
        from_rep: Annotated[str | None, typer.Option("--from", help="Only from this rep.")] = None,
        k: Annotated[int, typer.Option(min=1, max=20, help="How many paths.")] = 3,
        tenant: Tenant = None,
        url: Url = DEFAULT_URL,
        key: Key = None,
        as_json: AsJson = False,
        data_dir: DataDir = None,
    ) -> None:
        """Warm introduction paths from our reps (strongest chains, each hop with its evidence)."""
        if (to is None) == (to_account is None):
            typer.echo("give exactly one of --to or --to-account", err=True)
            raise typer.Exit(2)
        show((tenant, url, key, data_dir), as_json, lambda s: s.intro(to, to_account, from_rep, k), intro_lines)

    @app.command()
    def influence(
        account: Annotated[str | None, typer.Argument(help="An account (default: the whole tenant).")] = None,
        limit: Annotated[int, typer.Option(min=1, max=500, help="How many people.")] = 10,
        tenant: Tenant = None,
        url: Url = DEFAULT_URL,
        key: Key = None,
        as_json: AsJson = False,
        data_dir: DataDir = None,
    ) -> None:
        """Who matters, in an account or across the tenant, with who makes them matter."""
        show((tenant, url, key, data_dir), as_json, lambda s: s.influence(account, limit), influence_lines)


def _answer(ask: Callable[[], Any]) -> Any:
    try:
        return ask()
    except RelgraphError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from exc
