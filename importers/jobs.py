"""Background import jobs for the API: queued per tenant, run one at a time, state kept on disk.

Each job lives in ``<root>/<tenant>/<job_id>/``: the upload (``upload/``, an archive unpacked in
``input/``; both deleted once the import is done, kept when it failed), the rejects
(``rejects.jsonl``) and ``job.json`` (status, progress, the finished report), rewritten atomically
as the job moves ``queued -> running -> done | failed``. A tenant's jobs run one after another on a
worker thread of their own (the embedded engine has one writer per database; two imports into one
tenant would only interleave their batches), different tenants' jobs in parallel.

A job left ``queued`` or ``running`` by a process that stopped (restart, crash) is queued again by
``resume_pending``: imports are idempotent, so running one again from the start finishes it without
duplicating anything. Job ids are random; a job is looked up under the caller's tenant only, so
another tenant's id is a ``NotFound``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

from graph.errors import NotFound, RelgraphError
from graph.store import GraphStore, check_tenant
from importers.report import ImportReport
from importers.service import ImportProgress, import_file

log = logging.getLogger(__name__)

JOB_FILE: Final = "job.json"
REJECTS_FILE: Final = "rejects.jsonl"
UPLOAD_DIR: Final = "upload"
INPUT_DIR: Final = "input"
SAVE_EVERY_S: Final = 2.0
_JOB_ID: Final = re.compile(r"^[0-9a-f]{32}$")

Runner = Callable[..., ImportReport]


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class ImportJob:
    """One import request and what became of it (JSON-able; see ``to_dict``)."""

    job_id: str
    tenant: str
    format: str
    filename: str
    input_path: str
    rejects_path: str
    options: dict[str, Any] = field(default_factory=dict)
    status: JobStatus = JobStatus.QUEUED
    created_at: str = field(default_factory=_now)
    started_at: str | None = None
    finished_at: str | None = None
    attempts: int = 0
    error: str | None = None
    progress: dict[str, Any] = field(default_factory=lambda: {"rows": 0, "rejected": 0, "stage": "queued"})
    report: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["status"] = str(self.status)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportJob:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["status"] = JobStatus(known.get("status", JobStatus.FAILED))
        return cls(**known)


def check_job_id(job_id: str) -> str:
    if not _JOB_ID.match(job_id):
        raise NotFound(f"import job {job_id!r} not found")
    return job_id


class ImportJobs:
    """Queues and runs import jobs; thread-safe. Construct cheaply: no I/O until used."""

    def __init__(self, store: GraphStore, root: Path, *, runner: Runner = import_file) -> None:
        self.store = store
        self.root = Path(root)
        self.runner = runner
        self._lock = threading.Lock()
        self._jobs: dict[str, ImportJob] = {}
        self._queues: dict[str, deque[str]] = {}
        self._workers: dict[str, threading.Thread] = {}
        self._done = threading.Condition(self._lock)

    # --- layout ----------------------------------------------------------------------------------
    def job_dir(self, tenant: str, job_id: str) -> Path:
        return self.root / check_tenant(tenant) / check_job_id(job_id)

    def new_job(self, tenant: str) -> tuple[str, Path]:
        """A fresh job id and its (created) folder, for the upload to be written into."""
        job_id = uuid.uuid4().hex
        folder = self.job_dir(tenant, job_id)
        folder.mkdir(parents=True, exist_ok=False)
        return job_id, folder

    # --- submitting and reading ------------------------------------------------------------------
    def submit(
        self, *, tenant: str, job_id: str, fmt: str, input_path: Path, filename: str, options: dict[str, Any]
    ) -> ImportJob:
        folder = self.job_dir(tenant, job_id)
        job = ImportJob(
            job_id=job_id,
            tenant=tenant,
            format=fmt,
            filename=filename,
            input_path=str(input_path),
            rejects_path=str(folder / REJECTS_FILE),
            options=options,
        )
        self._save(job)
        self._enqueue(job)
        return job

    def get(self, tenant: str, job_id: str) -> ImportJob:
        path = self.job_dir(tenant, job_id) / JOB_FILE
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None and job.tenant == tenant:
                return ImportJob.from_dict(job.to_dict())
        job = self._load(path)
        if job is None or job.tenant != tenant:
            raise NotFound(f"import job {job_id!r} not found")
        return job

    def list(self, tenant: str, limit: int = 50) -> list[ImportJob]:
        """The tenant's jobs, newest first."""
        folder = self.root / check_tenant(tenant)
        jobs = []
        if folder.is_dir():
            for child in folder.iterdir():
                if _JOB_ID.match(child.name):
                    job = self._load(child / JOB_FILE)
                    if job is not None:
                        jobs.append(job)
        jobs.sort(key=lambda j: j.created_at, reverse=True)
        return [self.get(tenant, j.job_id) for j in jobs[:limit]]

    def wait(self, tenant: str, job_id: str, timeout: float = 60.0) -> ImportJob:
        """Block until the job is done or failed (tests, scripts); returns its last state."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.get(tenant, job_id)
            if job.status in (JobStatus.DONE, JobStatus.FAILED) or time.monotonic() >= deadline:
                return job
            with self._done:
                self._done.wait(timeout=min(0.2, max(0.0, deadline - time.monotonic())))

    def resume_pending(self) -> int:
        """Queue again the jobs a previous process left queued or running; how many."""
        if not self.root.is_dir():
            return 0
        found = []
        for path in sorted(self.root.glob(f"*/*/{JOB_FILE}")):
            job = self._load(path)
            if job is not None and job.status in (JobStatus.QUEUED, JobStatus.RUNNING) and job.job_id not in self._jobs:
                job.status = JobStatus.QUEUED
                job.progress = {**job.progress, "stage": "queued (resumed)"}
                found.append(job)
        found.sort(key=lambda j: j.created_at)
        for job in found:
            self._save(job)
            self._enqueue(job)
        return len(found)

    # --- running ---------------------------------------------------------------------------------
    def _enqueue(self, job: ImportJob) -> None:
        with self._lock:
            self._jobs[job.job_id] = job
            self._queues.setdefault(job.tenant, deque()).append(job.job_id)
            if job.tenant not in self._workers:
                worker = threading.Thread(
                    target=self._drain, args=(job.tenant,), name=f"import-{job.tenant}", daemon=True
                )
                self._workers[job.tenant] = worker
                worker.start()

    def _drain(self, tenant: str) -> None:
        while True:
            with self._lock:
                queue = self._queues.get(tenant)
                if not queue:
                    self._workers.pop(tenant, None)
                    self._queues.pop(tenant, None)
                    return
                job = self._jobs[queue.popleft()]
            self._run(job)
            with self._done:
                self._done.notify_all()

    def _run(self, job: ImportJob) -> None:
        with self._lock:
            job.status = JobStatus.RUNNING
            job.started_at = _now()
            job.attempts += 1
            job.progress = {"rows": 0, "rejected": 0, "stage": "reading"}
        self._save(job)
        last_save = time.monotonic()

        def progress(p: ImportProgress) -> None:
            nonlocal last_save
            with self._lock:
                job.progress = {"rows": p.rows, "rejected": p.rejected, "stage": p.stage}
            if time.monotonic() - last_save >= SAVE_EVERY_S:
                last_save = time.monotonic()
                self._save(job)

        try:
            report = self.runner(
                store=self.store,
                tenant=job.tenant,
                fmt=job.format,
                path=Path(job.input_path),
                options=job.options,
                rejects_path=Path(job.rejects_path),
                progress=progress,
            )
        except RelgraphError as exc:
            self._finish(job, JobStatus.FAILED, error=exc.message)
        except Exception as exc:  # a bug: keep the worker alive, record it, log the traceback
            log.exception("import job %s failed", job.job_id)
            self._finish(job, JobStatus.FAILED, error=f"internal error: {type(exc).__name__}: {exc}")
        else:
            self._finish(job, JobStatus.DONE, report=report.to_dict())
            self._drop_input(job)

    def _finish(
        self, job: ImportJob, status: JobStatus, *, error: str | None = None, report: dict[str, Any] | None = None
    ) -> None:
        with self._lock:
            final = replace(
                job,
                status=status,
                error=error,
                report=report,
                finished_at=_now(),
                progress={**job.progress, "stage": str(status)},
            )
        # On disk first, then in memory: whoever sees the job finished (``wait``, GET /imports/{id})
        # may go on to read or rewrite its file, which a late save would overwrite.
        self._save(final)
        with self._lock:
            job.status, job.error, job.report = final.status, final.error, final.report
            job.finished_at, job.progress = final.finished_at, final.progress

    def _drop_input(self, job: ImportJob) -> None:
        """A finished import's upload is not needed any more (uploads are up to 2 GB); the rejects stay."""
        folder = self.job_dir(job.tenant, job.job_id)
        for name in (UPLOAD_DIR, INPUT_DIR):
            shutil.rmtree(folder / name, ignore_errors=True)

    # --- persistence -----------------------------------------------------------------------------
    def _save(self, job: ImportJob) -> None:
        with self._lock:
            data = json.dumps(job.to_dict(), ensure_ascii=False, default=str)
        folder = self.job_dir(job.tenant, job.job_id)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{JOB_FILE}.{threading.get_ident()}.tmp"
        tmp.write_text(data, encoding="utf-8")
        os.replace(tmp, folder / JOB_FILE)

    @staticmethod
    def _load(path: Path) -> ImportJob | None:
        try:
            return ImportJob.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None
