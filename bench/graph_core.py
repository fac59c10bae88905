"""Graph-core benchmark: bulk load, idempotent upsert, point reads, traversals, and the HTTP API.

    python -m bench.graph_core --scale 0.01 --out /tmp/rg-bench-small     # develop (seconds)
    python -m bench.graph_core --out /tmp/rg-bench                         # 1M nodes / 5M rels
    python -m bench.graph_core --out /tmp/rg-bench --skip-generate         # reuse files + database

Everything runs against 127.0.0.1 only; every loop is bounded by a count and a time limit.
Figures are measured in this run; ratios compare runs of this process (same machine, same load).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import (
    Server,
    fmt_lat,
    free_port,
    latency,
    peak_rss_mb,
    rss_mb,
    summary_ms,
    timer,
    verdict,
)
from bench.generate import generate, load, writer_connection

TENANT = "bench"
TARGETS = {
    "bulk_load_rows_s": 200_000,
    "upsert_rows_s": 20_000,
    "http_get_p99_ms": 5.0,
    "orgchart_p99_ms": 10.0,
    "api_vs_bare": 0.60,
}
SUBTREE = "MATCH (m:Contact {uid: $uid})<-[:REPORTS_TO*1..5]-(x) RETURN count(x) AS n"
TWO_HOP = "MATCH (c:Contact {uid: $uid})-[]-()-[]-(x) RETURN count(DISTINCT x) AS n"
GET_NODE = "MATCH (n:Contact {uid: $uid}) RETURN n"

results: dict[str, Any] = {}


def tgt(key: str, value: float) -> str:
    """``[target >= X: PASS]`` for a figure against the issue's target."""
    higher = key in ("bulk_load_rows_s", "upsert_rows_s", "api_vs_bare")
    op = ">=" if higher else "<="
    return f"[target {op} {TARGETS[key]:,}: {verdict(value, TARGETS[key], higher_is_better=higher)}]"


def load_avg() -> str:
    """The machine is shared: say how busy it was."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min) / {five:.1f} (5 min)"


def say(msg: str = "") -> None:
    print(msg, flush=True)


def section(title: str) -> None:
    say(f"\n== {title} " + "=" * max(0, 90 - len(title)))
    say(f"   ({load_avg()})")


# --- 1. generate + bulk load ---------------------------------------------------------------------
def phase_load(args: argparse.Namespace, csv_dir: Path, data_dir: Path) -> None:
    section("generate + bulk load")
    from graph.backends.embedded import LadybugStore

    if not args.skip_generate or not (csv_dir / "manifest.json").exists():
        with timer() as t:
            m = generate(csv_dir, scale=args.scale, seed=args.seed, tenant=TENANT)
        say(
            f"generated {m['total_nodes']:,} nodes / {m['total_rels']:,} rels in {t[0]:.1f} s "
            f"(build {m['build_s']} s, CSV write {m['write_s']} s) -> {csv_dir}"
        )
    m = json.loads((csv_dir / "manifest.json").read_text())
    say(
        f"big org: {m['big_org_size']:,} people at {m['big_org_account']}; "
        f"big account tree: {m['big_tree_size']:,} accounts, depth {m['big_tree_depth']}"
    )
    if args.skip_generate and (data_dir / "tenants" / TENANT).exists():
        say("bulk load: skipped (--skip-generate and the database exists)")
        return
    shutil.rmtree(data_dir, ignore_errors=True)
    store = LadybugStore(data_dir, buffer_pool_mb=args.load_buffer_pool_mb)
    try:
        r = load(store, TENANT, csv_dir)
    finally:
        store.close()
    results["load"] = {k: v for k, v in r.items() if k != "per_table"}
    say(
        f"bulk load (COPY from CSV, buffer pool {args.load_buffer_pool_mb} MB): "
        f"{r['nodes']:,} nodes in {r['nodes_s']:.2f} s ({r['nodes'] / r['nodes_s']:,.0f} rows/s), "
        f"{r['rels']:,} rels in {r['rels_s']:.2f} s ({r['rels'] / r['rels_s']:,.0f} rows/s), "
        f"checkpoint {r['total_s'] - r['copy_s']:.2f} s"
    )
    say(
        f"  => {r['nodes'] + r['rels']:,} rows in {r['total_s']:.2f} s = {r['rows_per_s']:,.0f} rows/s "
        f"({r['rows_per_cpu_s']:,.0f} rows per CPU-second, {r['cpu_s']:.1f} CPU-s)  "
        + tgt("bulk_load_rows_s", r["rows_per_s"])
    )
    slow = sorted(r["per_table"].items(), key=lambda kv: -kv[1]["s"])[:6]
    say(
        "  slowest tables: "
        + ", ".join(f"{k} {v['rows']:,} rows {v['s']:.2f} s ({v['rows'] / max(v['s'], 1e-9):,.0f}/s)" for k, v in slow)
    )
    say(f"  bench RSS after load {rss_mb():.0f} MB; db size {du_mb(data_dir):.0f} MB")


def du_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


# --- 2. upsert through the repository ------------------------------------------------------------
def upsert_rows(n: int, token: str, *, changed: bool) -> list[dict[str, Any]]:
    rng = np.random.default_rng(11)
    titles = ("Engineer", "Manager", "Director", "Analyst", "VP Sales", "CTO")
    t_idx = rng.integers(0, len(titles), n)
    rows = []
    for i in range(n):
        title = titles[t_idx[i]]
        rows.append(
            {
                "id": f"U{token}-{i:07d}",
                "name": f"Upsert Person {i}",
                "first_name": "Upsert",
                "last_name": f"Person {i}",
                "email": f"upsert.{token}.{i}@customer{i % 5000}.example",
                "phone": f"+1-555-{i:07d}",
                "title": f"Senior {title}" if changed else title,
                "department": "Engineering",
                "city": "Berlin",
                "country": "DE",
            }
        )
    return rows


def phase_upsert(args: argparse.Namespace, store: Any) -> None:
    section(f"idempotent upsert: contacts.upsert, {args.upsert_rows:,} rows in batches of {args.upsert_batch:,}")
    from graph.repositories.contacts import contacts

    token = format(int(time.time()) % 36**5, "x")  # fresh ids on every run (reruns reuse the database)
    first = upsert_rows(args.upsert_rows, token, changed=False)
    third = upsert_rows(args.upsert_rows, token, changed=True)
    out = {}
    for name, rows in (("1st run (creates)", first), ("2nd run (same rows)", first), ("3rd run (changes)", third)):
        tot = {"created": 0, "updated": 0, "unchanged": 0}
        with timer() as t:
            for i in range(0, len(rows), args.upsert_batch):
                r = contacts.upsert(store=store, tenant=TENANT, rows=rows[i : i + args.upsert_batch])
                tot["created"] += r.created
                tot["updated"] += r.updated
                tot["unchanged"] += r.unchanged
        rate = len(rows) / t[0]
        out[name] = {"rows_s": rate, "s": t[0], **tot}
        say(
            f"{name:22s} {len(rows):,} rows in {t[0]:6.2f} s = {rate:9,.0f} rows/s  "
            f"created {tot['created']:,} updated {tot['updated']:,} unchanged {tot['unchanged']:,}  "
            + tgt("upsert_rows_s", rate)
        )
    results["upsert"] = out
    results["upsert_sample_ids"] = [r["id"] for r in first[:: max(1, len(first) // 200)]]


# --- 2b. what-if: faster statement shapes for the upsert path (not the store's code) -------------
def phase_store_whatif(args: argparse.Namespace, store: Any, repeats: int = 3) -> None:
    """Time, per batch, what ``upsert_nodes`` does today against the shapes we'd like in the store.

    ``LOAD FROM frame`` scans a pandas DataFrame found by its local name (as ``COPY ... FROM frame``
    does in ``bulk_insert_nodes``): no per-value parameter conversion or signature hashing.
    Runs on the bench's writer connection (bench-only access to the adapter's internals). Each
    shape runs ``repeats`` times on fresh rows; the median is printed (an auto-checkpoint can land
    in any single run).
    """
    import pandas as pd

    from graph import schema
    from graph.backends.embedded import _node_frame
    from graph.repositories import base

    n = args.upsert_batch
    section(f"what-if: statement shapes for one upsert batch of {n:,} contacts (not the store's code)")
    spec = schema.NODES["Contact"]
    cols = [c for c in spec.columns if c != "tenant"]
    token = format(int(time.time()) % 36**5, "x") + "w"
    now = base.now_utc()
    create_q = "LOAD FROM frame CREATE (n:Contact {" + ", ".join(f"{c}: {c}" for c in spec.columns) + "})"
    proj_q = "UNWIND $uids AS u MATCH (n:Contact {uid: u}) RETURN " + ", ".join(f"n.{c} AS {c}" for c in cols)
    set_q = "UNWIND $rows AS r MATCH (n:Contact {uid: r.uid}) SET n.title = r.title, n.updated_at = r.updated_at"
    load_set_q = "LOAD FROM frame MATCH (n:Contact {uid: uid}) SET n.title = title, n.updated_at = updated_at"

    def full_rows(tag: str) -> list[dict[str, Any]]:
        return [
            base.full_row(spec, TENANT, r["id"], base.to_stored(spec, r), created=now, updated=now)
            for r in upsert_rows(n, token + tag, changed=False)
        ]

    def create_today(rows: list[dict[str, Any]]) -> None:
        store.bulk_insert_nodes(TENANT, "Contact", rows)

    def create_load(rows: list[dict[str, Any]]) -> None:
        frame = _node_frame(spec, rows)  # noqa: F841  (read by LOAD FROM through its name)
        with writer_connection(store, TENANT) as conn:
            conn.execute(create_q)

    def lookup_today(rows: list[dict[str, Any]]) -> None:
        store.read(TENANT, "UNWIND $uids AS u MATCH (n:Contact {uid: u}) RETURN n", {"uids": [r["uid"] for r in rows]})

    def lookup_df(rows: list[dict[str, Any]]) -> None:
        with writer_connection(store, TENANT) as conn:
            conn.execute(proj_q, {"uids": [r["uid"] for r in rows]}).get_as_df()

    def update_today(rows: list[dict[str, Any]]) -> None:
        store.write(TENANT, set_q, {"rows": [{"uid": r["uid"], "title": "Changed", "updated_at": now} for r in rows]})

    def update_load(rows: list[dict[str, Any]]) -> None:
        data = {
            "uid": pd.Series([r["uid"] for r in rows], dtype=object),
            "title": pd.Series(["Changed again"] * len(rows), dtype=object),
            "updated_at": pd.Series([now.replace(tzinfo=None)] * len(rows), dtype=object),
        }
        frame = pd.DataFrame(data)  # noqa: F841  (read by LOAD FROM through its name)
        with writer_connection(store, TENANT) as conn:
            conn.execute(load_set_q)

    shapes = [
        ("create: store.bulk_insert_nodes (today: UNWIND $rows CREATE)", create_today, True),
        ("create: LOAD FROM <DataFrame> CREATE (n:Contact {...})", create_load, True),
        ("lookup: store.read UNWIND $uids MATCH ... RETURN n (today)", lookup_today, False),
        ("lookup: same, projected columns, result.get_as_df()", lookup_df, False),
        ("update: store.write UNWIND $rows MATCH ... SET (today)", update_today, False),
        ("update: LOAD FROM <DataFrame> MATCH (n {uid: uid}) SET ...", update_load, False),
    ]
    existing = full_rows("x")
    store.bulk_insert_nodes(TENANT, "Contact", existing)
    for i, (name, fn, fresh) in enumerate(shapes):
        wall: list[float] = []
        cpu: list[float] = []
        for k in range(repeats):
            rows = full_rows(f"s{i}k{k}") if fresh else existing
            t0, c0 = time.perf_counter(), time.process_time()
            fn(rows)
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        el, c = float(np.median(wall)), float(np.median(cpu))
        say(f"{name:64s} {el * 1000:7.1f} ms (CPU {c * 1000:6.1f}) = {n / el:9,.0f} rows/s")
    got = store.read(TENANT, "MATCH (n:Contact {uid: $u}) RETURN n.title AS t", {"u": existing[-1]["uid"]})
    assert got and got[0]["t"] == "Changed again", got


# --- 3. reads at the store -----------------------------------------------------------------------
def phase_store_reads(args: argparse.Namespace, store: Any, m: dict[str, Any]) -> None:
    section("reads at the store (in process)")
    from graph.model import Contact
    from graph.repositories import base
    from graph.repositories.contacts import contacts

    ids = [u.split("/", 1)[1] for u in m["contacts_sample"]][: args.samples]
    uids = m["contacts_sample"][: args.samples]
    res: dict[str, Any] = {}

    res["contacts.get"] = latency(lambda i: contacts.get(store=store, tenant=TENANT, record_id=i), ids)
    say(f"get-by-id  contacts.get (store + pydantic)      {fmt_lat(res['contacts.get'])}")
    res["store.read"] = latency(lambda u: store.read(TENANT, GET_NODE, {"uid": u}), uids)
    say(f"get-by-id  store.read (primary key, raw rows)   {fmt_lat(res['store.read'])}")
    node = store.read(TENANT, GET_NODE, {"uid": uids[0]})[0]["n"]
    res["model_validate"] = latency(lambda n: Contact.model_validate(base.from_stored(n)), [node] * 2000)
    say(f"           from_stored + Contact.model_validate {fmt_lat(res['model_validate'])}")

    managers = m["managers_sample"][: args.samples]
    sizes = [store.read(TENANT, SUBTREE, {"uid": u})[0]["n"] for u in managers[:200]]
    res["subtree"] = latency(lambda u: store.read(TENANT, SUBTREE, {"uid": u}), managers)
    say(
        f"org-chart subtree <-[:REPORTS_TO*1..5]-(x), random managers "
        f"(median {int(np.median(sizes))} / max {max(sizes)} reports)  {fmt_lat(res['subtree'])}  "
        + tgt("orgchart_p99_ms", res["subtree"]["p99"])
    )
    ceo = m["big_org_ceo"]
    n_ceo = store.read(TENANT, SUBTREE, {"uid": ceo})[0]["n"]
    res["subtree_big"] = latency(lambda u: store.read(TENANT, SUBTREE, {"uid": u}), [ceo] * 200, warmup=5)
    say(
        f"org-chart subtree of the big org's CEO ({n_ceo:,} people)         {fmt_lat(res['subtree_big'])}  "
        + tgt("orgchart_p99_ms", res["subtree_big"]["p99"])
    )

    hop_sizes = [store.read(TENANT, TWO_HOP, {"uid": u})[0]["n"] for u in uids[:200]]
    res["two_hop"] = latency(lambda u: store.read(TENANT, TWO_HOP, {"uid": u}), uids)
    say(
        f"2-hop neighbourhood count(DISTINCT x), random contacts "
        f"(median {int(np.median(hop_sizes))} / max {max(hop_sizes)} nodes)  {fmt_lat(res['two_hop'])}"
    )
    res["sizes"] = {
        "subtree_median": float(np.median(sizes)),
        "subtree_ceo": n_ceo,
        "two_hop_median": float(np.median(hop_sizes)),
    }
    results["store"] = res


# --- 4. HTTP -------------------------------------------------------------------------------------
def http_latency(port: int, path_of: Any, ids: list[str], headers: dict[str, str], max_s: float) -> dict[str, float]:
    import httpx

    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=10.0) as c:
        for i in ids[:50]:
            c.get(path_of(i)).raise_for_status()
        samples = []
        deadline = time.perf_counter() + max_s
        for i in ids:
            t0 = time.perf_counter()
            r = c.get(path_of(i))
            samples.append((time.perf_counter() - t0) * 1000)
            if r.status_code != 200:
                raise RuntimeError(f"GET {path_of(i)} -> {r.status_code} {r.text[:200]}")
            if t0 > deadline:
                break
    return summary_ms(samples)


def throughput(
    port: int, prefix: str, ids: list[str], headers: dict[str, str], args: argparse.Namespace, server: Server
) -> dict[str, float]:
    """Requests/s with ``args.concurrency`` keep-alive clients for ``args.http_seconds``; the
    server's CPU seconds per request come from its /proc times (psutil)."""
    import psutil

    proc = psutil.Process(server.proc.pid)
    cpu0 = sum(proc.cpu_times()[:2])
    if shutil.which("wrk") and not args.no_wrk:
        out = _wrk(port, prefix, ids, headers, args)
    else:
        out = _httpx_load(port, prefix, ids, headers, args)
    out["server_cpu_ms_per_req"] = (sum(proc.cpu_times()[:2]) - cpu0) * 1000 / max(1, out["requests"])
    return out


def _wrk(port: int, prefix: str, ids: list[str], headers: dict[str, str], args: argparse.Namespace) -> dict[str, float]:
    lua_ids = ",".join(f'"{i}"' for i in ids)
    hdrs = ",".join(f'["{k}"]="{v}"' for k, v in headers.items())
    script = (
        f"local ids = {{{lua_ids}}}\nlocal n = 0\nlocal h = {{{hdrs}}}\n"
        f'request = function()\n  n = n + 1\n  return wrk.format("GET", "{prefix}" .. ids[(n % #ids) + 1], h)\nend\n'
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        cmd = [
            "wrk",
            "-t1",
            f"-c{args.concurrency}",
            f"-d{args.http_seconds}s",
            "--latency",
            "-s",
            f.name,
            f"http://127.0.0.1:{port}",
        ]
        txt = subprocess.run(cmd, capture_output=True, text=True, timeout=args.http_seconds + 30, check=True).stdout
    finally:
        os.unlink(f.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", txt).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", txt).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", txt)
    if bad:
        raise RuntimeError(f"wrk saw {bad.group(1)} non-2xx responses on {prefix}")
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", txt)
    p99_ms = float(p99.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[p99.group(2)] if p99 else float("nan")
    return {"rps": rps, "requests": total, "p99_ms": p99_ms}


def _httpx_load(
    port: int, prefix: str, ids: list[str], headers: dict[str, str], args: argparse.Namespace
) -> dict[str, float]:
    import httpx

    counts = [0] * args.concurrency
    stop = time.perf_counter() + args.http_seconds

    def worker(k: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=10.0) as c:
            j = k
            while time.perf_counter() < stop:
                c.get(prefix + ids[j % len(ids)]).raise_for_status()
                counts[k] += 1
                j += args.concurrency

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(args.concurrency)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    el = time.perf_counter() - t0
    return {"rps": sum(counts) / el, "requests": sum(counts), "p99_ms": float("nan")}


def phase_http(args: argparse.Namespace, data_dir: Path, key: str, m: dict[str, Any], out_dir: Path) -> None:
    client = "wrk -t1" if shutil.which("wrk") and not args.no_wrk else "httpx threads"
    section(
        f"HTTP (uvicorn, 1 worker, h11; client: {client}, {args.concurrency} keep-alive connections, "
        f"{args.http_seconds} s per run, {args.rounds} rounds, alternating)"
    )
    ids = [u.split("/", 1)[1] for u in m["contacts_sample"]][: args.samples]
    auth = {"Authorization": f"Bearer {key}"}
    real = Server("real", free_port(), data_dir=data_dir)
    servers = [real]
    try:
        real.wait_ready("/health")
        lat = http_latency(real.port, lambda i: f"/contacts/{i}", ids, auth, max_s=20)
        say(
            f"GET /contacts/{{id}} latency, 1 client, sequential  {fmt_lat(lat)}  " + tgt("http_get_p99_ms", lat["p99"])
        )
        import httpx

        body = httpx.get(f"http://127.0.0.1:{real.port}/contacts/{ids[0]}", headers=auth).json()
        payload = out_dir / "bare_payload.json"
        payload.write_text(json.dumps(body))
        bare = Server("bare", free_port(), payload_file=payload)
        servers.append(bare)
        bare.wait_ready("/contacts/x")
        blat = http_latency(bare.port, lambda i: f"/contacts/{i}", ids, {}, max_s=10)
        say(f"bare FastAPI (async, constant {len(json.dumps(body))}-byte dict) latency   {fmt_lat(blat)}")
        plan = [("bare", bare, "/contacts/"), ("real", real, "/contacts/"), ("bare_sync", bare, "/sync/contacts/")]
        runs: dict[str, list[dict[str, float]]] = {k: [] for k, _, _ in plan}
        for _ in range(args.rounds):
            for name, srv, prefix in plan:
                runs[name].append(throughput(srv.port, prefix, ids, auth, args, srv))
        real_rss = real.rss_mb()
        real.stop()
        # After the real server stopped (one read-write process per database): the same read, bare.
        bare_store = Server("bare-store", free_port(), data_dir=data_dir)
        servers.append(bare_store)
        bare_store.wait_ready("/health")
        runs["bare_store"] = [
            throughput(bare_store.port, "/contacts/", ids, auth, args, bare_store) for _ in range(args.rounds)
        ]
        bare_store.stop()
        med = {k: {f: float(np.median([r[f] for r in v])) for f in v[0]} for k, v in runs.items()}
        labels = {
            "bare": "bare FastAPI, async def",
            "bare_sync": "bare FastAPI, sync def (threadpool)",
            "bare_store": "bare FastAPI, same store read (no auth/models)",
            "real": "relgraph GET /contacts/{id}",
        }
        for name, r in med.items():
            say(
                f"{labels[name]:40s} {r['rps']:8,.0f} req/s (rounds: "
                f"{', '.join(format(x['rps'], ',.0f') for x in runs[name])})  p99 {r['p99_ms']:6.2f} ms  "
                f"server CPU {r['server_cpu_ms_per_req']:.3f} ms/req"
            )
        ratio = med["real"]["rps"] / med["bare"]["rps"]
        cpu_ratio = med["bare"]["server_cpu_ms_per_req"] / med["real"]["server_cpu_ms_per_req"]
        say(
            f"  => API / bare async = {ratio:.2f} req/s {tgt('api_vs_bare', ratio)};  "
            f"API / bare sync = {med['real']['rps'] / med['bare_sync']['rps']:.2f};  "
            f"API / bare doing the same store read = {med['real']['rps'] / med['bare_store']['rps']:.2f};  "
            f"by server CPU per request (less sensitive to a busy machine): {cpu_ratio:.2f}"
        )
        say(f"  server RSS: relgraph {real_rss:.0f} MB, bare {bare.rss_mb():.0f} MB")
        results["http"] = {
            "latency": lat,
            "bare_latency": blat,
            "throughput": med,
            "ratio": ratio,
            "cpu_ratio": cpu_ratio,
        }
    finally:
        for srv in servers:
            srv.stop()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", type=float, default=1.0, help="1.0 = 1M nodes / 5M relationships")
    p.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "relgraph-bench")
    p.add_argument("--skip-generate", action="store_true", help="reuse the CSVs and the database in --out")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--upsert-rows", type=int, default=100_000)
    p.add_argument("--upsert-batch", type=int, default=5_000, help="rows per contacts.upsert call (API max 5000)")
    p.add_argument("--samples", type=int, default=2_000, help="ids per latency measurement (at most 2000)")
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--http-seconds", type=int, default=5)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--no-wrk", action="store_true", help="use httpx threads even if wrk is installed")
    p.add_argument("--load-buffer-pool-mb", type=int, default=1024, help="buffer pool for the bulk load")
    p.add_argument("--buffer-pool-mb", type=int, default=256, help="buffer pool for the rest (the app default)")
    p.add_argument("--skip-http", action="store_true")
    p.add_argument(
        "--no-what-if",
        dest="what_if",
        action="store_false",
        help="skip the what-if server (the app with dependency_overrides cleared)",
    )
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    csv_dir, data_dir = args.out / "csv", args.out / "data"
    say(f"relgraph graph-core bench: scale {args.scale}, out {args.out}, {os.cpu_count()} CPUs, {load_avg()}")
    started = time.perf_counter()

    phase_load(args, csv_dir, data_dir)
    m = json.loads((csv_dir / "manifest.json").read_text())

    from graph.backends.embedded import LadybugStore
    from graph.repositories.keys import create_key

    store = LadybugStore(data_dir, buffer_pool_mb=args.buffer_pool_mb)
    try:
        with timer() as t:
            store.ensure_tenant(TENANT)
        say(f"\nopen tenant database: {t[0] * 1000:.0f} ms")
        phase_upsert(args, store)
        if args.what_if:
            phase_store_whatif(args, store)
        with timer() as t:
            store.checkpoint(TENANT)
        say(f"checkpoint after upserts: {t[0]:.2f} s")
        phase_store_reads(args, store, m)
        key = create_key(store=store, tenant=TENANT, role="viewer", name="bench").key
        say(f"bench process RSS {rss_mb():.0f} MB (peak {peak_rss_mb():.0f} MB)")
    finally:
        store.close()  # one read-write process per database: the server opens it next

    if not args.skip_http:
        phase_http(args, data_dir, key, m, args.out)
    (args.out / "results.json").write_text(json.dumps(results, indent=1, default=str))
    say(f"\ntotal {time.perf_counter() - started:.0f} s; results in {args.out / 'results.json'}")


if __name__ == "__main__":
    main()
