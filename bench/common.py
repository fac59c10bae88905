"""Small helpers shared by the benchmarks: timing, percentiles, RSS, ports, and the uvicorn servers.

Also holds the BARE FastAPI app (the baseline for API throughput) and a tiny launcher so both the
real app and the bare one run under exactly the same uvicorn settings:

    python -m bench.common serve --app real --data-dir DIR --port P
    python -m bench.common serve --app bare-store --data-dir DIR --port P
    python -m bench.common serve --app bare --port P
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parent.parent

# One set of uvicorn settings for every server the benchmarks start (real app and bare app alike).
UVICORN_KW: dict[str, Any] = {"host": "127.0.0.1", "workers": 1, "log_level": "warning", "access_log": False}


# --- timing --------------------------------------------------------------------------------------
@contextmanager
def timer() -> Iterator[list[float]]:
    """``with timer() as t: ...`` then ``t[0]`` is the elapsed seconds."""
    out: list[float] = [0.0]
    started = time.perf_counter()
    try:
        yield out
    finally:
        out[0] = time.perf_counter() - started


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sample."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def latency(
    fn: Callable[[Any], Any], args: Sequence[Any], *, warmup: int = 20, max_s: float = 20.0
) -> dict[str, float]:
    """Call ``fn(arg)`` for each arg (bounded by ``max_s``); ms percentiles of the calls made."""
    for a in args[:warmup]:
        fn(a)
    samples: list[float] = []
    deadline = time.perf_counter() + max_s
    for a in args:
        t0 = time.perf_counter()
        fn(a)
        samples.append((time.perf_counter() - t0) * 1000)
        if t0 > deadline:
            break
    return summary_ms(samples)


def summary_ms(samples: Sequence[float]) -> dict[str, float]:
    return {
        "n": float(len(samples)),
        "p50": percentile(samples, 50),
        "p99": percentile(samples, 99),
        "mean": statistics.fmean(samples) if samples else float("nan"),
        "max": max(samples) if samples else float("nan"),
    }


def fmt_lat(s: dict[str, float]) -> str:
    return f"p50 {s['p50']:.3f} ms  p99 {s['p99']:.3f} ms  (mean {s['mean']:.3f}, max {s['max']:.2f}, n={int(s['n'])})"


def rss_mb(pid: int | None = None) -> float:
    return psutil.Process(pid or os.getpid()).memory_info().rss / 2**20


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def verdict(value: float, target: float, *, higher_is_better: bool) -> str:
    ok = value >= target if higher_is_better else value <= target
    return "PASS" if ok else "MISS"


# --- servers -------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bare_app() -> Any:
    """The baseline: FastAPI, one GET route, a constant dict, nothing else."""
    from fastapi import FastAPI

    app = FastAPI()
    payload = dict(BARE_PAYLOAD)

    @app.get("/contacts/{record_id}")
    async def get_async(record_id: str) -> dict[str, Any]:
        return payload

    @app.get("/sync/contacts/{record_id}")
    def get_sync(record_id: str) -> dict[str, Any]:  # same thing through Starlette's threadpool
        return payload

    return app


# Set by graph_core before it starts the bare server (a real contact's JSON so the sizes match).
BARE_PAYLOAD: dict[str, Any] = {}


def bare_store_app(data_dir: str, tenant: str) -> Any:
    """The same primary-key read as GET /contacts/{id}, in a bare FastAPI route: no auth, no
    dependencies, no response model. The ratio to it is what relgraph's own layers cost."""
    from contextlib import asynccontextmanager

    from fastapi import FastAPI
    from fastapi.encoders import jsonable_encoder

    from graph.backends.embedded import LadybugStore

    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_: Any) -> Any:
        state["store"] = LadybugStore(Path(data_dir))
        yield
        state["store"].close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/contacts/{record_id}")
    async def get_async(record_id: str) -> Any:
        rows = state["store"].read(tenant, "MATCH (n:Contact {uid: $uid}) RETURN n", {"uid": f"{tenant}/{record_id}"})
        return jsonable_encoder(rows[0]["n"]) if rows else None

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def real_app(data_dir: str) -> Any:
    from api.main import create_app
    from api.settings import Settings

    return create_app(Settings(data_dir=Path(data_dir)))


class Server:
    """A uvicorn subprocess on 127.0.0.1; stopped (by its pid) on exit."""

    def __init__(self, app: str, port: int, *, data_dir: Path | None = None, payload_file: Path | None = None):
        cmd = [sys.executable, "-m", "bench.common", "serve", "--app", app, "--port", str(port)]
        if data_dir is not None:
            cmd += ["--data-dir", str(data_dir)]
        if payload_file is not None:
            cmd += ["--payload", str(payload_file)]
        self.port = port
        self.proc = subprocess.Popen(cmd, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})

    def wait_ready(self, path: str, timeout_s: float = 60.0) -> None:
        import httpx

        deadline = time.time() + timeout_s
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}")
            try:
                httpx.get(f"http://127.0.0.1:{self.port}{path}", timeout=2.0)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("server did not come up")

    def rss_mb(self) -> float:
        return rss_mb(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _serve(argv: list[str]) -> None:
    import json

    import uvicorn

    p = argparse.ArgumentParser()
    p.add_argument("--app", choices=("real", "bare", "bare-store"), required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--data-dir")
    p.add_argument("--payload")
    a = p.parse_args(argv)
    if a.app == "real":
        app = real_app(a.data_dir)
    elif a.app == "bare-store":
        app = bare_store_app(a.data_dir, "bench")
    else:
        if a.payload:
            BARE_PAYLOAD.update(json.loads(Path(a.payload).read_text()))
        app = bare_app()
    uvicorn.run(app, port=a.port, **UVICORN_KW)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        _serve(sys.argv[2:])
    else:
        print(__doc__)
