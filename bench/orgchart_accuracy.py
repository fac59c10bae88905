"""How often the org chart's inferred manager lines are right, on the demo tenant.

    relgraph demo --data-dir /tmp/demo-data --no-serve          # builds the demo tenant once (~40 s)
    python -m bench.orgchart_accuracy --data-dir /tmp/demo-data

The demo records 60% of its generated reporting lines; for the others the true manager is kept in
the contact's ``custom.demo_true_manager``. For every account this runs ``orgchart.org_chart`` (the
API's code) and compares each inferred line with the truth: right, wrong, and the mean confidence of
each, overall and per seniority of the report. The same figures are worth re-measuring on real
mail with known titles (the generator's patterns are not real ones).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

from graph.backends.embedded import LadybugStore
from graph.intelligence.orgchart import org_chart

TRUTH = "MATCH (c:Contact) WHERE c.custom CONTAINS 'demo_true_manager' RETURN c.id AS id, c.custom AS custom"
ACCOUNTS = "MATCH (a:Account)<-[:WORKS_AT]-(:Contact) RETURN DISTINCT a.id AS id"


def _lines(roots: list[dict[str, Any]]) -> dict[str, tuple[str, dict[str, Any], str | None]]:
    out: dict[str, tuple[str, dict[str, Any], str | None]] = {}
    stack = list(roots)
    while stack:
        node = stack.pop()
        for child in node["reports"]:
            out[child["id"]] = (node["id"], child["manager_line"], child.get("seniority"))
            stack.append(child)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", type=Path, required=True)
    p.add_argument("--tenant", default="demo")
    args = p.parse_args()
    store = LadybugStore(args.data_dir, buffer_pool_mb=1024)
    try:
        truth = {r["id"]: json.loads(r["custom"])["demo_true_manager"] for r in store.read(args.tenant, TRUTH)}
        right, wrong, missing = Counter[str](), Counter[str](), 0
        conf_right: list[float] = []
        conf_wrong: list[float] = []
        times = []
        for account in sorted(r["id"] for r in store.read(args.tenant, ACCOUNTS)):
            t0 = time.perf_counter()
            chart = org_chart(store=store, tenant=args.tenant, account_id=account)
            times.append(time.perf_counter() - t0)
            for report, (manager, line, level) in _lines(chart["roots"]).items():
                if report not in truth or line is None or line["source"] != "inferred":
                    continue
                bucket = str(level)
                if truth[report] == manager:
                    right[bucket] += 1
                    conf_right.append(line["confidence"])
                else:
                    wrong[bucket] += 1
                    conf_wrong.append(line["confidence"])
        found = sum(right.values()) + sum(wrong.values())
        missing = len(truth) - found
        print(f"missing lines with a known truth: {len(truth):,}; inferred {found:,}, not inferred {missing:,}")
        share = sum(right.values()) / max(found, 1)
        print(f"right {sum(right.values()):,} / wrong {sum(wrong.values()):,} = {share:.1%} of the inferred lines")
        mean = lambda xs: sum(xs) / len(xs) if xs else 0.0  # noqa: E731
        print(f"mean confidence: right {mean(conf_right):.2f}, wrong {mean(conf_wrong):.2f}")
        for bucket in sorted(set(right) | set(wrong)):
            n = right[bucket] + wrong[bucket]
            print(f"  report seniority {bucket:>6}: {right[bucket]:5,} right / {n:5,} ({right[bucket] / n:.0%})")
        times.sort()
        median, worst = times[len(times) // 2] * 1000, times[-1] * 1000
        print(f"org charts of {len(times)} accounts: median {median:.1f} ms, max {worst:.1f} ms")
    finally:
        store.close()


if __name__ == "__main__":
    main()
