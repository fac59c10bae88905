"""Import benchmark: the whole pipeline (parse -> rows -> embedded store) with the parser alone as the
same-run baseline, so it is clear which side is the bottleneck.

    python bench/import.py                      # everything: Enron, Maven, 1M-row CSV, 1 GB mbox
    python bench/import.py --csv-rows 100000 --mbox-mb 64 --repeats 3    # quick

What it prints (medians over ``--repeats`` where a figure is repeated):

- Enron sample (11,761 messages): messages/s of the parser alone, of ``import_file`` parsing inline
  (one process) and parsing in a child process (``parallel``: parse and write overlap), the share
  of the KNOWS refresh, and the re-import (idempotent: nothing written) time.
- Maven CRM (8,927 CSV rows): source rows/s, parser alone and whole import.
- A generated HubSpot contacts export (``--csv-rows``, default 1M; each row a contact, a company by
  name, a WORKS_AT): rows/s, parser alone and whole import (medians of ``--repeats``, each import in
  a fresh process and data directory), with peak RSS. ``--spool-rows`` sets how many new rows the
  writer holds back per COPY (0: off, the batch-by-batch writes of before).
- A generated mbox of ``--mbox-mb`` MB (default 1024; the Enron messages repeated with fresh
  Message-IDs and dates moved by whole weeks; the sample's own duplicates are merged in every
  round): messages/s and the RSS of the importing process and of its parser process: peak, at each
  quarter of the file (by rows read: rows leave the parser in file order) and at each tenth of the
  run. Generated-file imports run with a ``--pool-mb`` buffer pool (default 256 MB, the store's
  default): the pool's pages count in the importer's RSS once touched.

Every import goes into a fresh tenant in a temporary data directory; generated files go to
``--tmp`` and are deleted afterwards. Machines here are shared: read the figures with the load
average printed next to them.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil

from graph.backends.embedded import LadybugStore
from importers import parse
from importers.report import ImportReport
from importers.service import ImportProgress, import_file

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"
ENRON = DATA / "enron-mbox-sample"
MAVEN = DATA / "maven-crm"
OWN = {"own_domains": ["enron.com"]}
POOL_MB = 256  # the embedded engine's buffer pool for the generated-file imports (set by --pool-mb)
FIRST = ["Ada", "Bob", "Chen", "Dana", "Eve", "Farid", "Gita", "Hugo", "Ines", "Jon", "Kai", "Lena", "Mo", "Nia"]
LAST = ["Smith", "Ng", "Garcia", "Khan", "Müller", "Rossi", "Dubois", "Silva", "Kim", "Patel", "Novak", "Berg"]
TITLES = ["CTO", "VP Sales", "Engineer", "Buyer", "Head of Procurement", "Analyst"]


def cpu() -> tuple[float, float]:
    """CPU seconds (user + system) of this process and of its finished children."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def timed_import(
    store: LadybugStore, tenant: str, fmt: str, path: Path, **kw: Any
) -> tuple[float, float, ImportReport]:
    """(total seconds, seconds spent refreshing KNOWS, report)."""
    marks: dict[str, float] = {}
    start = time.perf_counter()

    def progress(p: ImportProgress) -> None:
        marks.setdefault(p.stage, time.perf_counter())

    report = import_file(store=store, tenant=tenant, fmt=fmt, path=path, progress=progress, **kw)
    end = time.perf_counter()
    knows = end - marks["relationships"] if "relationships" in marks else 0.0
    return end - start, knows, report


def parse_only(fmt: str, path: Path, **options: Any) -> float:
    start = time.perf_counter()
    for _ in parse(path, fmt=fmt, **options):
        pass
    return time.perf_counter() - start


# --- Enron -----------------------------------------------------------------------------------------
def bench_enron(repeats: int, tmp: Path) -> None:
    messages = sum(1 for p in ENRON.iterdir() for line in p.open("rb") if line.startswith(b"From "))
    parse_s: list[float] = []
    inline_s: list[float] = []
    parallel_s: list[float] = []
    knows_s: list[float] = []
    again_s: list[float] = []
    cpu_inline: list[float] = []
    cpu_parent: list[float] = []
    cpu_child: list[float] = []
    for _ in range(repeats):
        parse_s.append(parse_only("email", ENRON, **OWN))
        for mode, sink in ((False, inline_s), (True, parallel_s)):
            with tempfile.TemporaryDirectory(dir=tmp) as d:
                store = LadybugStore(Path(d), buffer_pool_mb=512)
                before = cpu()
                total, knows, _ = timed_import(store, "bench", "email", ENRON, options=OWN, parallel=mode)
                own, kids = (a - b for a, b in zip(cpu(), before, strict=True))
                if mode:
                    cpu_parent.append(own)
                    cpu_child.append(kids)
                else:
                    cpu_inline.append(own)
                sink.append(total)
                if mode:
                    knows_s.append(knows)
                    again_s.append(timed_import(store, "bench", "email", ENRON, options=OWN, parallel=mode)[0])
                store.close()
    print(f"\nEnron sample: {messages:,} messages, medians of {repeats} (load {load()})")
    print(f"  parser alone (baseline)         {messages / median(parse_s):8,.0f} msg/s  {median(parse_s):6.2f} s")
    print(f"  import, parse inline            {messages / median(inline_s):8,.0f} msg/s  {median(inline_s):6.2f} s")
    print(f"  import, parse in child process  {messages / median(parallel_s):8,.0f} msg/s  {median(parallel_s):6.2f} s")
    print(f"    of which KNOWS refresh        {median(knows_s):6.2f} s")
    print(
        f"  CPU seconds: inline {median(cpu_inline):.2f}; child mode: importer {median(cpu_parent):.2f} "
        f"+ parser process {median(cpu_child):.2f} (they overlap when two cores are free)"
    )
    print(f"  re-import (writes nothing)      {messages / median(again_s):8,.0f} msg/s  {median(again_s):6.2f} s")


# --- Maven -----------------------------------------------------------------------------------------
def bench_maven(repeats: int, tmp: Path) -> None:
    rows = sum(sum(1 for _ in (MAVEN / name).open()) - 1 for name in os.listdir(MAVEN) if name.endswith(".csv"))
    parse_s, import_s = [], []
    for _ in range(repeats):
        parse_s.append(parse_only("maven", MAVEN))
        with tempfile.TemporaryDirectory(dir=tmp) as d:
            store = LadybugStore(Path(d), buffer_pool_mb=512)
            import_s.append(timed_import(store, "bench", "maven", MAVEN)[0])
            store.close()
    print(f"\nMaven CRM: {rows:,} CSV rows, medians of {repeats} (load {load()})")
    print(f"  parser alone (baseline)   {rows / median(parse_s):8,.0f} rows/s  {median(parse_s):6.2f} s")
    print(f"  import                    {rows / median(import_s):8,.0f} rows/s  {median(import_s):6.2f} s")


# --- generated CSV -----------------------------------------------------------------------------------
def write_contacts_csv(path: Path, n: int) -> None:
    rng = random.Random(7)
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["Record ID", "First Name", "Last Name", "Email", "Phone Number", "Job Title", "Company Name",
                      "City", "Country/Region"])  # fmt: skip
        for i in range(n):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            company = i % max(1, n // 100)
            out.writerow([
                100_000 + i, first, last, f"{first.lower()}.{i}@co{company}.example", f"+1 555 {i % 10_000:04d}",
                rng.choice(TITLES), f"Company {company}", rng.choice(["Lisbon", "Leeds", "Oslo"]), "Portugal",
            ])  # fmt: skip


class RssSampler:
    """Samples the RSS of a process and its children every ``every`` seconds."""

    def __init__(self, pid: int, every: float = 0.25) -> None:
        self.proc = psutil.Process(pid)
        self.every = every
        self.samples: list[tuple[float, int, int]] = []  # (time, own rss, children rss)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                own = self.proc.memory_info().rss
                kids = sum(c.memory_info().rss for c in self.proc.children(recursive=True))
            except psutil.Error:
                own, kids = 0, 0
            self.samples.append((time.perf_counter(), own, kids))
            self._stop.wait(self.every)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def peaks(self) -> tuple[float, float, float]:
        mb = 1024 * 1024
        return (
            max((s[1] for s in self.samples), default=0) / mb,
            max((s[2] for s in self.samples), default=0) / mb,
            max((s[1] + s[2] for s in self.samples), default=0) / mb,
        )

    def tenths(self) -> list[float]:
        """Importer + parser RSS (MB) at each tenth of the run."""
        live = [s for s in self.samples if s[1]]
        if not live:
            return []
        start, end = live[0][0], live[-1][0]
        out = []
        for k in range(1, 11):
            t = start + (end - start) * k / 10
            nearest = min(live, key=lambda s: abs(s[0] - t))
            out.append((nearest[1] + nearest[2]) / 1024 / 1024)
        return out


CHILD = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from graph.backends.embedded import LadybugStore
    from importers.service import import_file

    RECYCLE = "native" if hasattr(LadybugStore, "recycle") else "bench shim"
    if not hasattr(LadybugStore, "recycle"):
        class LadybugStore(LadybugStore):  # the store method proposed for graph/backends/embedded.py
            def recycle(self, tenant):
                with self._open_lock:
                    tdb = self._dbs.get(tenant)
                    if tdb is None or tdb.users:
                        return False
                    self._dbs.pop(tenant).close()
                    self._schema_ready.discard(tenant)
                import ctypes, gc
                gc.collect()
                ctypes.CDLL("libc.so.6").malloc_trim(0)  # hand the engine's freed memory back to the OS
                return True

    import psutil
    data, fmt, path, options = sys.argv[1:5]
    store = LadybugStore(Path(data), buffer_pool_mb=int(sys.argv[5]))
    marks = {}
    me = psutil.Process()
    by_rows = []  # (rows read, importer RSS, parser process RSS): memory against the position in the file
    start = time.perf_counter()
    def progress(p):
        marks.setdefault(p.stage, time.perf_counter() - start)
        # rows come in batches from a parser process: a sample each time the count passes 10k more
        if p.stage == "reading" and p.rows // 10_000 != (by_rows[-1][0] if by_rows else 0) // 10_000:
            kids = sum(c.memory_info().rss for c in me.children(recursive=True))
            by_rows.append((p.rows, me.memory_info().rss, kids))
    extra = json.loads(sys.argv[6]) if len(sys.argv) > 6 else {}  # import_file keywords (spool_rows)
    report = import_file(store=store, tenant="bench", fmt=fmt, path=Path(path), options=json.loads(options),
                         progress=progress, **extra)
    total = time.perf_counter() - start
    store.close()
    import resource
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = [own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime]
    out = {"total": total, "marks": marks, "cpu": cpu, "recycle": RECYCLE, "report": report.to_dict(),
           "by_rows": by_rows}
    print(json.dumps(out, default=str))
    """
)


def import_in_child(
    data: Path, fmt: str, path: Path, options: dict[str, Any], pool_mb: int, extra: dict[str, Any] | None = None
) -> tuple[dict[str, Any], RssSampler]:
    """Run one import in a fresh process (so its RSS is the import's alone), sampling its memory."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD,
            str(data),
            fmt,
            str(path),
            json.dumps(options),
            str(pool_mb),
            json.dumps(extra or {}),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    with RssSampler(proc.pid) as sampler:
        out, _ = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"import of {path} failed (exit {proc.returncode})")
    return json.loads(out.strip().splitlines()[-1]), sampler


def by_position(result: dict[str, Any]) -> str:
    """Importer + parser RSS when 25/50/75/100% of the rows had been read (rows come out of the
    parser in file order at a steady rate per record, so this is memory against the position in the
    file: flat means it does not grow with the file)."""
    samples = result.get("by_rows") or []
    if not samples:
        return "n/a"
    total = samples[-1][0]
    mb = 1024 * 1024
    out = []
    for share in (0.25, 0.5, 0.75, 1.0):
        _, own, kids = min(samples, key=lambda s: abs(s[0] - share * total))
        out.append(f"{share:.0%}: {own / mb:,.0f} + {kids / mb:,.0f}")
    return "; ".join(out)


def bench_csv(rows: int, tmp: Path, pool_mb: int, repeats: int, spool_rows: int | None) -> None:
    path = tmp / "contacts.csv"
    write_contacts_csv(path, rows)
    extra: dict[str, Any] = {} if spool_rows is None else {"spool_rows": spool_rows or None}  # 0: off
    try:
        baselines, totals, peaks = [], [], []
        cpus: list[list[float]] = []
        result: dict[str, Any] = {}
        for _ in range(max(1, repeats)):
            baselines.append(parse_only("hubspot", path))
            with tempfile.TemporaryDirectory(dir=tmp) as d:
                result, rss = import_in_child(Path(d), "hubspot", path, {}, pool_mb, extra)
            totals.append(result["total"])
            cpus.append(result["cpu"])
            peaks.append(rss.peaks())
            print(f"  (run {len(totals)}: {rows / result['total']:,.0f} rows/s, load {load()})", flush=True)
        baseline, total = median(baselines), median(totals)
        own, kids, both = (max(p[i] for p in peaks) for i in range(3))
        size = path.stat().st_size / 1024 / 1024
        spool = "default" if spool_rows is None else f"{spool_rows:,}" if spool_rows else "off"
        print(f"\nGenerated HubSpot contacts CSV: {rows:,} rows, {size:,.0f} MB, medians of {len(totals)} "
              f"(load {load()}; spool {spool})")  # fmt: skip
        print(f"  parser alone (baseline)   {rows / baseline:8,.0f} rows/s  {baseline:7.1f} s")
        print(f"  import                    {rows / total:8,.0f} rows/s  {total:7.1f} s "
              f"(runs: {', '.join(f'{rows / t:,.0f}' for t in totals)})")  # fmt: skip
        print(f"  CPU seconds: importer {median([c[0] for c in cpus]):.1f}, "
              f"parser process {median([c[1] for c in cpus]):.1f}")  # fmt: skip
        print(f"  peak RSS (highest run): importer {own:,.0f} MB, parser process {kids:,.0f} MB, "
              f"together {both:,.0f} MB (buffer pool {pool_mb} MB)")  # fmt: skip
        print(f"  RSS importer + parser (MB) at each quarter of the file (last run): {by_position(result)}")
        created = [f"{label} {c['created']:,}" for label, c in result["report"]["nodes"].items()]
        print(f"  created: {', '.join(created)}")
    finally:
        path.unlink(missing_ok=True)


# --- generated mbox ----------------------------------------------------------------------------------
def write_mbox(path: Path, megabytes: int) -> int:
    """Enron messages over and over, each copy with a fresh Message-ID and its Date moved by whole weeks."""
    from email.utils import format_datetime, parsedate_to_datetime

    target = megabytes * 1024 * 1024
    sources = sorted(p for p in ENRON.iterdir() if p.is_file())
    written = messages = 0
    round_no = 0
    with path.open("wb") as out:
        while written < target:
            round_no += 1
            for source in sources:
                for raw in source.read_bytes().split(b"\nFrom ")[0:]:
                    block = raw if raw.startswith(b"From ") else b"From " + raw
                    head, sep, body = block.partition(b"\n\n")
                    lines = []
                    for line in head.split(b"\n"):
                        low = line.lower()
                        if low.startswith(b"message-id:"):
                            line = b"Message-ID: <bench.%d.%d@bench.example>" % (round_no, messages)
                        elif low.startswith(b"date:"):
                            try:
                                when = parsedate_to_datetime(line[5:].decode("latin-1").strip())
                                moved = when.timestamp() + round_no * 7 * 86400
                                line = b"Date: " + format_datetime(when.fromtimestamp(moved, when.tzinfo)).encode()
                            except (TypeError, ValueError, OverflowError):
                                pass
                        lines.append(line)
                    data = b"\n".join(lines) + sep + body
                    if not data.endswith(b"\n"):
                        data += b"\n"
                    out.write(data + b"\n")
                    written += len(data) + 1
                    messages += 1
                    if written >= target:
                        return messages
    return messages


def bench_mbox(megabytes: int, tmp: Path, pool_mb: int) -> None:
    path = tmp / "bench.mbox"
    started = time.perf_counter()
    messages = write_mbox(path, megabytes)
    generated = time.perf_counter() - started
    try:
        with tempfile.TemporaryDirectory(dir=tmp) as d:
            result, rss = import_in_child(Path(d), "email", path, OWN, pool_mb)
        own, kids, total = rss.peaks()
        knows = result["total"] - result["marks"].get("relationships", result["total"])
        report = result["report"]
        print(f"\nGenerated mbox: {path.stat().st_size / 1024 / 1024:,.0f} MB, {messages:,} messages "
              f"(generated in {generated:.0f} s; load {load()})")  # fmt: skip
        print(f"  import                    {messages / result['total']:8,.0f} msg/s  {result['total']:7.1f} s "
              f"(KNOWS refresh {knows:.1f} s)")  # fmt: skip
        print(f"  CPU seconds: importer {result['cpu'][0]:.1f}, parser process {result['cpu'][1]:.1f}")
        print(f"  peak RSS: importer {own:,.0f} MB, parser process {kids:,.0f} MB, together {total:,.0f} MB "
              f"(buffer pool {pool_mb} MB; store recycle: {result['recycle']})")  # fmt: skip
        print(f"  RSS importer + parser (MB) at each quarter of the file: {by_position(result)}")
        print(f"  RSS together at each tenth of the run (MB): {', '.join(f'{x:,.0f}' for x in rss.tenths())}")
        interactions = report["nodes"].get("Interaction", {})
        print(f"  interactions created {interactions.get('created', 0):,}, merged {interactions.get('merged', 0):,}, "
              f"rejected {report['rejected_total']:,}")  # fmt: skip
    finally:
        path.unlink(missing_ok=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--csv-rows", type=int, default=1_000_000, help="0 to skip")
    ap.add_argument("--mbox-mb", type=int, default=1024, help="0 to skip")
    ap.add_argument("--skip", nargs="*", default=[], choices=["enron", "maven"])
    ap.add_argument("--tmp", type=Path, default=Path(tempfile.gettempdir()))
    ap.add_argument("--pool-mb", type=int, default=POOL_MB, help="buffer pool of the generated-file imports")
    ap.add_argument(
        "--spool-rows",
        type=int,
        default=None,
        help="CSV import: rows held back per COPY (0: off; default: the importer's)",
    )
    args = ap.parse_args()
    if not ENRON.is_dir() or not MAVEN.is_dir():
        raise SystemExit(f"the data sets are not under {DATA}")
    tmp = Path(tempfile.mkdtemp(prefix="rg-import-bench-", dir=args.tmp))
    benches: list[Callable[[], None]] = []
    if "enron" not in args.skip:
        benches.append(lambda: bench_enron(args.repeats, tmp))
    if "maven" not in args.skip:
        benches.append(lambda: bench_maven(args.repeats, tmp))
    if args.csv_rows:
        benches.append(lambda: bench_csv(args.csv_rows, tmp, args.pool_mb, args.repeats, args.spool_rows))
    if args.mbox_mb:
        benches.append(lambda: bench_mbox(args.mbox_mb, tmp, args.pool_mb))
    print(f"import benchmark, {os.cpu_count()} CPUs, load {load()}")
    try:
        for bench in benches:
            bench()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
