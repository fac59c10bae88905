"""The intelligence caches: views follow the tenant's version and age; background jobs run one per
tenant and can be waited for."""

from __future__ import annotations

import threading

from graph.intelligence.cache import Background, ViewCache


def test_view_cache_recomputes_after_a_version_move_or_expiry() -> None:
    versions = {"t": 0}
    cache = ViewCache(lambda tenant: versions[tenant], ttl_s=60)
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert cache.get("t", "chart", compute) == 1
    assert cache.get("t", "chart", compute) == 1  # cached
    versions["t"] += 1
    assert cache.get("t", "chart", compute) == 2  # a write moved the version
    cache.ttl_s = 0
    assert cache.get("t", "chart", compute) == 3  # expired


def test_background_runs_one_job_per_tenant_and_survives_a_failure() -> None:
    jobs = Background("test")
    release = threading.Event()
    assert jobs.start("t", release.wait)
    assert not jobs.start("t", release.wait)  # already running for this tenant
    assert jobs.start("u", release.wait)  # another tenant is independent
    release.set()
    jobs.join()

    def fail() -> None:
        raise RuntimeError("boom")

    assert jobs.start("t", fail)
    jobs.join()
    done = threading.Event()
    assert jobs.start("t", done.set)  # a failed job does not block the next one
    jobs.join()
    assert done.is_set()
