"""The analyst's Cypher prompt: readline history, multi-line input ending with ';', table output."""

from __future__ import annotations

import json
import readline
from pathlib import Path
from typing import Any, Protocol

import httpx

from api.settings import Settings
from graph.analyst import run_analyst_query
from graph.errors import RelgraphError
from graph.store import GraphStore

HISTORY = Path.home() / ".relgraph_history"


class Runner(Protocol):
    def run(self, query: str) -> dict[str, Any]: ...


class ApiRunner:
    def __init__(self, url: str, key: str) -> None:
        self._client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=120)

    def run(self, query: str) -> dict[str, Any]:
        r = self._client.post("/cypher", json={"query": query})
        body: dict[str, Any] = r.json()
        if r.status_code != 200:
            raise RuntimeError(f"{r.status_code}: {body.get('error', {}).get('message', body)}")
        return body


class LocalRunner:
    def __init__(self, store: GraphStore, tenant: str, settings: Settings) -> None:
        self.store, self.tenant, self.settings = store, tenant, settings

    def run(self, query: str) -> dict[str, Any]:
        res = run_analyst_query(
            store=self.store,
            tenant=self.tenant,
            query=query,
            params=None,
            timeout_s=self.settings.cypher_timeout_s,
            max_rows=self.settings.cypher_max_rows,
        )
        return {"columns": res.columns, "rows": res.rows, "truncated": res.truncated, "elapsed_ms": res.elapsed_ms}


def _cell(v: Any) -> str:
    if isinstance(v, dict | list):
        return json.dumps(v, default=str, ensure_ascii=False)[:80]
    return str(v)


def render(result: dict[str, Any]) -> str:
    cols = result["columns"]
    rows = [[_cell(v) for v in row] for row in result["rows"]]
    widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(cols)]
    line = "+".join("-" * (w + 2) for w in widths)
    out = [" | ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)), line]
    out += [" | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
    more = " (truncated)" if result.get("truncated") else ""
    out.append(f"{len(rows)} row(s){more}, {float(result.get('elapsed_ms', 0)):.1f} ms")
    return "\n".join(out)


def _run_one(runner: Runner, query: str) -> int:
    try:
        print(render(runner.run(query)))
        return 0
    except (RelgraphError, RuntimeError, httpx.HTTPError) as exc:
        print(f"error: {exc}")
        return 1


def repl(runner: Runner, execute: str | None = None) -> int:
    if execute is not None:
        return _run_one(runner, execute)
    if HISTORY.exists():
        readline.read_history_file(HISTORY)
    print("relgraph cypher (read-only). End a query with ';'. Ctrl-D to quit.")
    buf: list[str] = []
    try:
        while True:
            line = input("... " if buf else "cypher> ")
            buf.append(line)
            if line.rstrip().endswith(";"):
                _run_one(runner, "\n".join(buf).rstrip().rstrip(";"))
                buf = []
    except (EOFError, KeyboardInterrupt):
        print()
    finally:
        readline.write_history_file(HISTORY)
    return 0
